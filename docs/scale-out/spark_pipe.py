"""PySpark: score a list of image paths on a Spark cluster by piping each partition through `liveness score`.

Every executor needs the tool, its models and the images at the same paths (a shared filesystem). Each
partition becomes one `liveness score` process reading paths on standard input, one per line, and writing
one JSON object per image (JSON Lines), so rows from different partitions never interleave mid-record.
No --shard is needed: Spark's partitions are the shards.

    spark-submit docs/scale-out/spark_pipe.py /shared/lists/images.txt /shared/runs/scores-jsonl
"""
import json
import sys

PIPE_COMMAND = "liveness score --json -"


def main(paths_file, out_dir):
    from pyspark import SparkContext

    sc = SparkContext(appName="liveness-score")
    paths = sc.textFile(paths_file, minPartitions=8)
    records = paths.pipe(PIPE_COMMAND).map(json.loads)
    records.map(json.dumps).saveAsTextFile(out_dir)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
