#!/usr/bin/env bash
# Issue 11's benchmark: `liveness eval --scores` (metrics.json, sweep.csv and the report) on the generated
# CSV and on the same rows as Parquet (converted by `liveness eval --scores-format parquet`, so pyarrow is
# not needed), against pandas read_csv + scikit-learn roc_curve/roc_auc_score + a per-species groupby, in
# one paired, alternating run; prints the machine's CPU and load, each run, and the medians of wall time
# and peak RSS with both ratios.
#
# Usage: scripts/bench-scorefile.sh [ROWS=1000000] [REPEATS=3]   (needs numpy, pandas, scikit-learn)
set -euo pipefail
rows=${1:-1000000}
repeats=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/target/release/liveness
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/scripts/gen-scores.py" "$rows" "$work/scores.csv"
"$bin" eval --scores "$work/scores.csv" --bootstrap 0 --out "$work/convert" --force --scores-format parquet >/dev/null
mv "$work/convert/scores.parquet" "$work/scores.parquet"
echo "rows $rows, CSV $(du -h "$work/scores.csv" | cut -f1), Parquet $(du -h "$work/scores.parquet" | cut -f1)"
echo "cpu: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure() { # name, command...: appends "name wall_s rss_mb"
    local name=$1; shift
    /usr/bin/time -v "$@" >/dev/null 2>"$work/time.txt" || { cat "$work/time.txt"; exit 1; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$work/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/time.txt")
    echo "$name $wall $rss" | tee -a "$work/results.txt"
}
for r in $(seq "$repeats"); do
    measure liveness "$bin" eval --scores "$work/scores.csv" --bootstrap 0 --out "$work/run" --force
    measure parquet "$bin" eval --scores "$work/scores.parquet" --bootstrap 0 --out "$work/run" --force
    measure pandas python3 "$here/scripts/pandas-scorefile.py" "$work/scores.csv"
done
python3 - "$work/results.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, wall, rss = line.split()
    runs.setdefault(name, []).append((float(wall), float(rss)))
med = {k: (statistics.median(w for w, _ in v), statistics.median(r for _, r in v)) for k, v in runs.items()}
for k, (w, r) in med.items():
    print(f"median {k}: {w:.2f} s wall, {r:.0f} MB peak RSS")
pw, pr = med["pandas"]
for k in ("liveness", "parquet"):
    lw, lr = med[k]
    print(f"ratio {k}/pandas: wall {lw / pw:.2f}x, peak RSS {lr / pr:.2f}x")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
