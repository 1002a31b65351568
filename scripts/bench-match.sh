#!/usr/bin/env bash
# What `eval --match` costs over `eval` (issue 15): paired rounds on a NUAA train subset in the NUAA
# layout (every STEP-th image, about 700), `eval` and `eval --match` alternating which goes first, one
# worker each (-j 1), so the extra wall time per image compares directly with the descriptor stage's
# own time per image on one thread (examples/bench_describe: face mesh + chip, recognition network).
# A 2-image run of each gives the fixed part (loading the mesh and recognition models, enrolment and
# comparisons, the 2-D sweep and its chart), taken off before dividing by the images. Medians reported;
# the machine is shared, so the load average is printed with every round.
#
#   bash scripts/bench-match.sh [STEP] [ROUNDS]     (env: DATA, BIN, LIVENESS_MODELS)
set -euo pipefail
cd "$(dirname "$0")/.."
STEP=${1:-5}
ROUNDS=${2:-5}
DATA=${DATA:-../shared/datasets/nuaa-train}
BIN=${BIN:-target/release/liveness}
export LIVENESS_MODELS=${LIVENESS_MODELS:-../shared/models}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-match.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

subset() { # subset DIR STEP [MAX_PER_SUBJECT]: NUAA layout (ClientRaw/ImposterRaw/<subject>/), symlinks
    for class in ClientRaw ImposterRaw; do
        for s in "$DATA/$class"/*/; do
            local dest="$1/$class/$(basename "$s")"
            mkdir -p "$dest"
            find "$s" -maxdepth 1 -type f -name '*.jpg' | sort |
                awk -v k="$2" -v m="${3:-1000000}" 'NR % k == 1 && ++c <= m' |
                while read -r f; do ln -s "$(realpath "$f")" "$dest/$(basename "$f")"; done
        done
    done
}
subset "$WORK/data" "$STEP"
subset "$WORK/tiny" 1000000 1 # one image per class and subject: the fixed costs
n=$(find "$WORK/data" -type l | wc -l)
tiny=$(find "$WORK/tiny" -type l | wc -l)
now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

timed() { # timed DATASET OUT [ARGS...]: wall seconds of one eval
    local data=$1 out=$2
    shift 2
    local t0 t1
    t0=$(now)
    "$BIN" eval "$data" --out "$out" --bootstrap 0 -j 1 "$@" >/dev/null 2>&1 || [ $? = 3 ]
    t1=$(now)
    echo "$t1 - $t0" | bc
}

declare -A wall fixed
echo "eval vs eval --match on $n NUAA train images (every ${STEP}th of each subject folder), one worker, $ROUNDS rounds"
for r in $(seq 1 "$ROUNDS"); do
    order="plain match"; [ $(( r % 2 )) = 0 ] && order="match plain"
    line="round $r:"
    for mode in $order; do
        extra=(); [ "$mode" = match ] && extra=(--match)
        t=$(timed "$WORK/data" "$WORK/r$r-$mode" "${extra[@]}")
        f=$(timed "$WORK/tiny" "$WORK/t$r-$mode" "${extra[@]}")
        wall[$mode]+="$t "
        fixed[$mode]+="$f "
        line+=" $mode ${t:0:6}s (fixed ${f:0:5}s)"
        rm -rf "$WORK/r$r-$mode" "$WORK/t$r-$mode"
    done
    echo "$line (load $(load))"
done
mp=$(echo "${wall[plain]}" | median); mm=$(echo "${wall[match]}" | median)
fp=$(echo "${fixed[plain]}" | median); fm=$(echo "${fixed[match]}" | median)
per_plain=$(echo "scale=3; ($mp - $fp) * 1000 / ($n - $tiny)" | bc)
per_match=$(echo "scale=3; ($mm - $fm) * 1000 / ($n - $tiny)" | bc)
echo "median wall: eval ${mp}s, eval --match ${mm}s (ratio $(echo "scale=3; $mm / $mp" | bc))"
echo "fixed part (a $tiny-image run): eval ${fp}s, eval --match ${fm}s (+$(echo "$fm - $fp" | bc)s)"
echo "per image beyond the fixed part: eval $per_plain ms, eval --match $per_match ms: +$(echo "$per_match - $per_plain" | bc) ms/image"
cargo run --release --locked --quiet --example bench_describe -- "$WORK/data" "$ROUNDS"
echo "load average at the end: $(load)"
