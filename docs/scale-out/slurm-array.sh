#!/bin/sh
# Slurm array: 4 tasks, one shard each, on a POSIX filesystem every node mounts.
#   sbatch docs/scale-out/slurm-array.sh         (then: liveness merge "$RUNS"/shard-* --out "$RUNS"/merged)
#SBATCH --job-name=liveness-eval
#SBATCH --array=0-3
#SBATCH --cpus-per-task=4
#SBATCH --mem=4G
#SBATCH --time=01:00:00
#SBATCH --requeue
set -eu
DATASET=${DATASET:-/shared/datasets/nuaa-train}
RUNS=${RUNS:-/shared/runs/nuaa-silentface}
cd "${LIVENESS_HOME:-$(dirname "$0")/../..}"
exec sh scripts/shard-eval.sh "$DATASET" "$RUNS" 4 --bootstrap 0
