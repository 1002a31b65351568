#!/bin/sh
# One shard of a sharded `liveness eval`: what every Kubernetes Indexed Job pod, Slurm array task or local
# test process runs. The shard index comes from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID
# (Slurm), read by `--shard auto/N`; the folder name takes the same index.
#
#   sh scripts/shard-eval.sh DATASET RUNS N [eval options...]
#
# --resume makes a retried task (pod restarted, node lost, kill -9) continue its own folder; a first
# attempt starts it. A resume under other models or policy is refused by eval. Merge with
#   liveness merge RUNS/shard-* --out RUN
set -eu
if [ $# -lt 3 ]; then
    echo "usage: sh scripts/shard-eval.sh DATASET RUNS N [eval options...]" >&2
    exit 2
fi
DATASET=$1 RUNS=$2 N=$3
shift 3
INDEX=${JOB_COMPLETION_INDEX:-${SLURM_ARRAY_TASK_ID:-}}
if [ -z "$INDEX" ]; then
    echo "shard-eval.sh: set JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID" >&2
    exit 2
fi
mkdir -p "$RUNS"
exec "${LIVENESS:-liveness}" eval "$DATASET" --shard "auto/$N" --out "$RUNS/shard-$INDEX" --resume "$@"
