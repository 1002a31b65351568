#!/usr/bin/env bash
# Soak for issue 10: `eval` on the NUAA train split, repeated REPS times; each repetition is killed with
# kill -9 at random moments (1 to MAX_KILLS times) and resumed with --resume until it finishes. Every
# final scores.csv must be byte-identical to an uninterrupted run's (and metrics.json equal but for
# run.command / run.created_utc). Prints one line per repetition and a summary; exit 1 on any mismatch.
#
#   bash scripts/soak-resume.sh [REPS]      (env: DATA, BIN, WORKERS, MAX_KILLS, KEEP=1 to keep the folders)
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-20}
DATA=${DATA:-../shared/datasets/nuaa-train}
BIN=${BIN:-target/release/liveness}
WORKERS=${WORKERS:-2}
MAX_KILLS=${MAX_KILLS:-3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/soak-resume.XXXXXX")
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
export LIVENESS_MODELS=${LIVENESS_MODELS:-../shared/models}
eval_args=(eval "$DATA" --bootstrap 0 -j "$WORKERS")

start=$(date +%s)
"$BIN" "${eval_args[@]}" --out "$WORK/ref" >/dev/null 2>&1 || [ $? = 3 ]
full=$(( $(date +%s) - start ))
ref=$(sha256sum < "$WORK/ref/scores.csv")
rows=$(( $(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1]))))' "$WORK/ref/scores.csv") - 1 ))
metrics() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d["run"].pop(k) for k in ("command","created_utc")]; print(json.dumps(d,sort_keys=True))' "$1"; }
ref_metrics=$(metrics "$WORK/ref/metrics.json")
echo "reference: $rows rows in ${full}s; $REPS repetitions, up to $MAX_KILLS kill -9 each; load: $(cut -d' ' -f1-3 /proc/loadavg)"

failed=0 total_kills=0
for rep in $(seq 1 "$REPS"); do
    out="$WORK/rep$rep"
    kills=$(( RANDOM % MAX_KILLS + 1 ))
    at=()
    for _ in $(seq 1 "$kills"); do
        "$BIN" "${eval_args[@]}" --out "$out" --resume >/dev/null 2>&1 &
        pid=$!
        # A random moment within the run (model load included), in tenths of a second.
        sleep "$(( RANDOM % (full * 8 + 10) / 10 )).$(( RANDOM % 10 ))"
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid"
            wait "$pid" 2>/dev/null || true
            # Killed before scores.csv existed: 0 rows (the redirect's error is the shell's, hence the group).
            at+=("$(( $( (wc -l < "$out/scores.csv") 2>/dev/null || echo 1) - 1 ))")
            total_kills=$(( total_kills + 1 ))
        else
            wait "$pid" || true
            at+=("done")
        fi
    done
    "$BIN" "${eval_args[@]}" --out "$out" --resume >/dev/null 2>&1 || [ $? = 3 ]
    got=$(sha256sum < "$out/scores.csv")
    if [ "$got" = "$ref" ] && [ "$(metrics "$out/metrics.json")" = "$ref_metrics" ]; then
        verdict=identical
    else
        verdict=DIFFERENT
        failed=$(( failed + 1 ))
    fi
    echo "rep $rep: killed at rows [${at[*]}] -> $verdict"
    [ "${KEEP:-0}" = 1 ] || rm -rf "$out"
done
echo "soak: $REPS repetitions, $total_kills kills, $failed different; $(( $(date +%s) - start ))s; load: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$failed" = 0 ]
