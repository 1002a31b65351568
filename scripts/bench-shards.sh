#!/usr/bin/env bash
# Scaling of sharded runs (issue 16) on this machine: a NUAA train subset scored as 1, 2 and 4 shards in
# parallel (rounds alternate the order; medians reported), the merge, and each shard's fixed overhead
# (model load, listing, metrics and report: a 2-image run). Projects the wall time for K machines from
# the measured per-image cost. The machine is shared: the load average is printed with every figure.
#
#   bash scripts/bench-shards.sh [IMAGES_PER_CLASS] [ROUNDS]     (env: DATA, BIN)
set -euo pipefail
cd "$(dirname "$0")/.."
PER_CLASS=${1:-150}
ROUNDS=${2:-3}
DATA=${DATA:-../shared/datasets/nuaa-train}
BIN=${BIN:-target/release/liveness}
CORES=$(nproc)
export LIVENESS_MODELS=${LIVENESS_MODELS:-../shared/models}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-shards.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

subset() { # subset DIR N: N live + N print images (symlinks), every 7th file
    for pair in "ClientRaw:live" "ImposterRaw:spoof/print"; do
        mkdir -p "$1/${pair#*:}"
        find "$DATA/${pair%%:*}" -type f -name '*.jpg' | sort | awk -v n="$2" 'NR % 7 == 1 && ++k <= n' |
            while read -r f; do ln -s "$(realpath "$f")" "$1/${pair#*:}/$(basename "$f")"; done
    done
}
subset "$WORK/data" "$PER_CLASS"
subset "$WORK/tiny" 1
n=$(( 2 * PER_CLASS ))
now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }

run_shards() { # run_shards K OUT: K shard processes at once, each with CORES/K workers (at least 1)
    local k=$1 out=$2 j=$(( CORES / $1 > 0 ? CORES / $1 : 1 )) pids=()
    for i in $(seq 0 $(( k - 1 ))); do
        JOB_COMPLETION_INDEX=$i "$BIN" eval "$WORK/data" --shard "auto/$k" --out "$out/shard-$i" --bootstrap 0 -j "$j" \
            >/dev/null 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || [ $? = 3 ]; done
}

declare -A wall merge_t merge_kb
overhead=()
for r in $(seq 1 "$ROUNDS"); do
    order="1 2 4"; [ $(( r % 2 )) = 0 ] && order="4 2 1"
    for k in $order; do
        out="$WORK/r$r-k$k"
        t0=$(now); run_shards "$k" "$out"; t1=$(now)
        /usr/bin/time -f %M -o "$out/merge.kb" "$BIN" merge "$out"/shard-* --out "$out/merged" >/dev/null 2>&1 ||
            [ $? = 3 ]
        t2=$(now)
        merge_kb[$k]+="$(cat "$out/merge.kb") "
        wall[$k]+="$(echo "$t1 - $t0" | bc) "
        merge_t[$k]+="$(echo "$t2 - $t1" | bc) "
        echo "round $r: $k shard(s): scoring $(echo "$t1 - $t0" | bc | cut -c1-6)s, merge $(echo "$t2 - $t1" | bc | cut -c1-5)s (load $(load))"
        rm -rf "$out"
    done
    t0=$(now); "$BIN" eval "$WORK/tiny" --out "$WORK/tiny-$r" --bootstrap 0 -j 1 >/dev/null 2>&1 || [ $? = 3 ]; t1=$(now)
    overhead+=("$(echo "$t1 - $t0" | bc)")
done
python3 - "$n" "$CORES" "${wall[1]}" "${wall[2]}" "${wall[4]}" "${merge_t[1]}" "${merge_t[4]}" "${overhead[*]}" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "${merge_kb[1]}" "${merge_kb[4]}" <<'PY'
import statistics as st, sys
n, cores = int(sys.argv[1]), int(sys.argv[2])
med = lambda s: st.median(float(x) for x in s.split())
w1, w2, w4, m1, m4, ov = (med(a) for a in sys.argv[3:9])
kb1, kb4 = med(sys.argv[10]), med(sys.argv[11])
print(f"\n{n} images, {cores} cores, medians of {len(sys.argv[3].split())} rounds (load average now {sys.argv[9]})")
for k, w in ((1, w1), (2, w2), (4, w4)):
    print(f"  {k} shard(s) in parallel: {w:7.2f} s  {n / w:6.1f} images/s  speed-up {w1 / w:4.2f}x")
print(f"  merge: {m1:.2f} s for 1 shard, {m4:.2f} s for 4 (metrics and report included); "
      f"peak memory {kb1 / 1024:.1f} MB for 1 shard, {kb4 / 1024:.1f} MB for 4")
print(f"  fixed cost per shard (2-image run: model load, listing, metrics, report): {ov:.2f} s")
per_image = (w1 - ov) * cores / n  # core-seconds per image on this machine
print(f"  per-image cost: {per_image * 1000:.0f} core-ms")
print("  projection, this dataset size x1000 on K machines of this kind (each shard using every core):")
for k in (1, 4, 16, 64):
    t = ov + per_image * n * 1000 / (k * cores) + m4 * 1000 / 1  # merge grows with rows, not shards
    print(f"    K={k:3d}: {t / 60:7.1f} min wall ({n * 1000 / t:7.0f} images/s)")
PY
