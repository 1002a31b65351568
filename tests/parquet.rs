//! Issue 11, part 5: Parquet score files. A real NUAA run written as scores.parquet (beside or instead of
//! scores.csv) gives exactly the metrics of its CSV, and every reader of a run folder (eval --scores,
//! report, resume) takes it; the oracle's reference file converted by `eval --scores-format parquet`
//! reads back to the same metrics; corrupt, truncated and mistyped Parquet files are refused naming the
//! file.

mod common;

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::{liveness, nuaa_subset, shared};
use serde_json::Value;

fn run(args: &[&str]) -> (i32, String) {
    let out = liveness().args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// The metrics document without its `run` block (which names the file read).
fn metrics(dir: &Path) -> Value {
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("run");
    doc
}

fn eval_scores(file: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["eval", "--scores", file.to_str().unwrap(), "--bootstrap", "0", "--out", out.to_str().unwrap()];
    args.extend(extra);
    let (code, text) = run(&args);
    assert!(matches!(code, 0 | 3), "{}: exit {code}\n{text}", args.join(" "));
    metrics(out)
}

/// `eval DATA --model minifas128 --out OUT ARGS` (one worker, no bootstrap); its output.
fn score_run(data: &Path, out: &Path, args: &[&str]) -> String {
    let mut all = vec!["eval", data.to_str().unwrap(), "--model", "minifas128", "-j", "1", "--bootstrap", "0"];
    all.extend(["--out", out.to_str().unwrap()]);
    all.extend(args);
    let (code, text) = run(&all);
    assert!(matches!(code, 0 | 3), "{}: exit {code}\n{text}", all.join(" "));
    text
}

#[test]
fn a_nuaa_run_as_parquet_gives_the_metrics_of_its_csv_and_every_reader_takes_it() {
    let (Some(_), Some(_)) = (shared("models"), shared("datasets/nuaa-train")) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 6);
    let both = tmp.path().join("both");
    score_run(&data, &both, &["--scores-format", "both"]);
    assert!(both.join("scores.csv").is_file() && both.join("scores.parquet").is_file());
    let from_csv = eval_scores(&both.join("scores.csv"), &tmp.path().join("a"), &[]);
    let from_parquet = eval_scores(&both.join("scores.parquet"), &tmp.path().join("b"), &[]);
    assert_eq!(from_parquet, from_csv, "Parquet scores read to the CSV's metrics exactly");
    assert_eq!(from_csv["counts"]["bona_fide"]["total"], 6, "{}", from_csv["counts"]);

    // Instead of the CSV: the folder holds scores.parquet alone, and report, eval --scores DIR and a
    // resume all read it.
    let only = tmp.path().join("only");
    score_run(&data, &only, &["--scores-format", "parquet"]);
    assert!(!only.join("scores.csv").exists() && only.join("scores.parquet").is_file());
    assert_eq!(eval_scores(&only, &tmp.path().join("c"), &[]), from_csv);
    let (code, text) = run(&["report", only.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");
    let text = score_run(&data, &only, &["--resume", "--scores-format", "parquet"]);
    assert!(!text.contains("scoring 12"), "nothing is scored again: {text}");
    assert_eq!(metrics(&only), metrics(&both), "the resumed run's metrics are the run's");
    assert!(!only.join("scores.csv").exists());
}

/// The oracle's reference scores (a `face_found` file, non-responses included), read from the CSV and
/// from the Parquet file `eval --scores-format parquet` converts it to.
#[test]
fn the_oracle_file_converted_to_parquet_reads_back_to_the_same_metrics() {
    let Some(oracles) = shared("oracles") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let file = oracles.join("nuaa-train-minifas128.csv");
    let out = tmp.path().join("csv");
    let base = eval_scores(&file, &out, &["--scores-format", "parquet"]);
    let parquet = out.join("scores.parquet");
    let moved = tmp.path().join("oracle.parquet");
    std::fs::rename(&parquet, &moved).unwrap();
    assert_eq!(eval_scores(&moved, &tmp.path().join("pq"), &[]), base);
    assert!(base["counts"]["bona_fide"]["total"].as_u64().unwrap() > 1000, "{}", base["counts"]);
    // The score column is typed, not text.
    let rows =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&moved).unwrap())
            .unwrap();
    let schema = rows.schema();
    assert_eq!(schema.field_with_name("score").unwrap().data_type(), &DataType::Float64);
    assert_eq!(schema.field_with_name("label").unwrap().data_type(), &DataType::Utf8);
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let schema = Arc::new(Schema::new(
        columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn refused(file: &Path) -> String {
    let (code, text) = run(&["eval", "--scores", file.to_str().unwrap(), "--bootstrap", "0"]);
    assert_ne!(code, 0, "accepted: {text}");
    assert!(text.contains(file.to_str().unwrap()), "the error names the file: {text}");
    assert!(!text.contains("panicked"), "{text}");
    text
}

#[test]
fn corrupt_truncated_and_mistyped_parquet_files_are_refused_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ids: ArrayRef = Arc::new(StringArray::from(vec!["a.jpg", "b.jpg", "c.jpg"]));
    let labels: ArrayRef = Arc::new(StringArray::from(vec!["live", "attack", "live"]));
    let good = tmp.path().join("good.parquet");
    write_parquet(
        &good,
        vec![
            ("path", ids.clone()),
            ("label", labels.clone()),
            ("score", Arc::new(Float64Array::from(vec![Some(0.9), Some(0.2), None]))),
        ],
    );
    let ok = eval_scores(&good, &tmp.path().join("ok"), &[]);
    assert_eq!(ok["counts"]["bona_fide"]["total"], 2, "{}", ok["counts"]);

    let bytes = std::fs::read(&good).unwrap();
    let truncated = tmp.path().join("truncated.parquet");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let e = refused(&truncated);
    assert!(e.contains("not a readable Parquet file (truncated or corrupt?)"), "{e}");

    let not_parquet = tmp.path().join("text.parquet");
    std::fs::write(&not_parquet, "path,label,score\na,live,0.5\n").unwrap();
    assert!(refused(&not_parquet).contains("not a readable Parquet file"));

    let no_score = tmp.path().join("no-score.parquet");
    write_parquet(&no_score, vec![("path", ids.clone()), ("label", labels.clone())]);
    let e = refused(&no_score);
    assert!(e.contains("\"score\" is not a column; columns found: path,label"), "{e}");

    let text_score = tmp.path().join("text-score.parquet");
    let scores: ArrayRef = Arc::new(StringArray::from(vec!["0.9", "0.2", "high"]));
    write_parquet(&text_score, vec![("path", ids), ("label", labels), ("score", scores)]);
    let e = refused(&text_score);
    assert!(e.contains("the score column \"score\" has type Utf8, not a number"), "{e}");
}
