#!/usr/bin/env bash
# What `eval DATASET --api` adds to the wall time of scoring through a liveness REST API: with 8 connections
# against one `liveness serve` on this machine, the client's time for the images against the server's own
# throughput under a load generator (wrk, 8 connections) on the same images. Paired in one run, alternating
# the order from round to round; medians. Not part of the tests: speed is measured and reported, never
# asserted.
#
#   scripts/bench-api.sh [IMAGES] [ROUNDS] [SECONDS]      (defaults: 1200 images, 5 rounds, 10 s of wrk)
#
# The server answers a NUAA image in a few ms, so the images are many: each eval run lasts seconds, and
# the start-up of the command is not mistaken for the client's cost.
#
# Each round:
#   - wrk -c 8 for SECONDS, each request a raw JPEG body cycling through the images (the serve preset's
#     request): requests/s, so the server alone needs IMAGES / rps seconds for the images;
#   - `liveness eval DATA --api URL --api-format serve -j 8`: the whole command's wall time (start-up,
#     requests, scores.csv, metrics, report);
#   - `liveness eval --responses RUN/responses.jsonl` of that run: the same command sending nothing (the
#     metrics and report alone), so that api - replay is the client's time for the requests.
# Printed: per round and as medians, overhead = (api - replay) / (IMAGES / rps) - 1 (the client's request
# phase against the server's own pace) and the whole command's ratio api / (IMAGES / rps), with the
# machine's load before and after. wrk is installed with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
lua=scripts/wrk-post-images.lua
n=${1:-1200}; rounds=${2:-5}; secs=${3:-10}; conns=8
if ! command -v wrk >/dev/null; then
  echo "bench-api: installing wrk (apt-get install -y wrk)" >&2
  apt-get install -y wrk >/dev/null || { echo "bench-api: needs wrk (apt-get install -y wrk)" >&2; exit 1; }
fi
root=../shared/datasets/nuaa-train
[ -d "$root" ] || { echo "bench-api: $root not found (../shared beside the checkout)" >&2; exit 1; }
export LIVENESS_MODELS=${LIVENESS_MODELS:-../shared/models}
bin=./target/release/liveness
[ -x "$bin" ] || cargo build --release -q
tmp=$(mktemp -d); pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# Evenly spaced images of each class in name order, n/2 each, as a folder-convention dataset (symlinks).
mkdir -p "$tmp/data/live" "$tmp/data/spoof/print"
for class in ClientRaw ImposterRaw; do
  find "$root/$class" -name '*.jpg' | sort > "$tmp/all"
  step=$(( $(wc -l < "$tmp/all") / (n / 2) )); step=$(( step < 1 ? 1 : step ))
  awk -v s="$step" -v k=$((n / 2)) '(NR % s == 1 || s == 1) && ++c <= k' "$tmp/all"
done > "$tmp/list"
head -n $((n / 2)) "$tmp/list" | while read -r f; do ln -s "$(realpath "$f")" "$tmp/data/live/"; done
tail -n +$((n / 2 + 1)) "$tmp/list" | while read -r f; do ln -s "$(realpath "$f")" "$tmp/data/spoof/print/"; done
n=$(wc -l < "$tmp/list")
export BENCH_LIST=$tmp/list

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$bin" serve --addr "127.0.0.1:$port" 2> "$tmp/server.log" &
pid=$!
for _ in $(seq 300); do curl -fs "$url/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
ready=$(curl -fs "$url/readyz") || { echo "bench-api: the server did not start:" >&2; cat "$tmp/server.log" >&2; exit 1; }
backend=$(sed -n 's/.*"backend":"\([a-z]*\)".*/\1/p' <<< "$ready")
echo "bench-api: $n images, $conns connections, $rounds rounds, ${secs}s of wrk; serve backend $backend; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
wrk -t 2 -c "$conns" -d 3s -s "$lua" "$url" >/dev/null # warm-up

now() { date +%s.%N; }
: > "$tmp/results"
run_wrk() {
  wrk -t 2 -c "$conns" -d "${secs}s" -s "$lua" "$url" > "$tmp/wrk.txt"
  bad=$(awk '/Non-2xx/ {print $NF}' "$tmp/wrk.txt")
  [ -z "$bad" ] || echo "  wrk: $bad non-2xx answers" >&2
  rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/wrk.txt")
}
run_api() {  # round
  local out=$tmp/run-$1 t0 t1 t2
  t0=$(now)
  "$bin" eval "$tmp/data" --out "$out" --force --api "$url" --api-format serve -j "$conns" >/dev/null 2> "$tmp/api.err" \
    || [ $? -eq 3 ] || { cat "$tmp/api.err" >&2; exit 1; }
  t1=$(now)
  "$bin" eval --responses "$out/responses.jsonl" --api-format serve --out "$tmp/replay-$1" --force >/dev/null 2>&1 \
    || [ $? -eq 3 ]
  t2=$(now)
  grep -q "API: $n presentations, $n requests, 0 retries, 0 failed" "$tmp/api.err" \
    || { echo "bench-api: the API run did not send each image once:" >&2; cat "$tmp/api.err" >&2; exit 1; }
  api=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  replay=$(awk -v a="$t1" -v b="$t2" 'BEGIN {printf "%.3f", b - a}')
}
for r in $(seq "$rounds"); do
  if (( r % 2 )); then run_wrk; run_api "$r"; else run_api "$r"; run_wrk; fi
  echo "$r $rps $api $replay" | awk -v n="$n" '{
    own = n / $2; req = $3 - $4
    printf "round %d: wrk %.1f req/s (the images in %.2f s); eval --api %.2f s, replay %.2f s, requests %.2f s: overhead %+.1f%%, whole command x%.3f\n",
      $1, $2, own, $3, $4, req, 100 * (req / own - 1), $3 / own }'
  echo "$rps $api $replay" >> "$tmp/results"
done
python3 - "$n" "$tmp/results" <<'PY'
import statistics as st, sys
n = int(sys.argv[1])
rows = [tuple(map(float, l.split())) for l in open(sys.argv[2])]
own = [n / r for r, _, _ in rows]
over = [((a - p) / o - 1) * 100 for (_, a, p), o in zip(rows, own)]
whole = [a / o for (_, a, _), o in zip(rows, own)]
med = st.median
print(f"median: wrk {med(r for r, _, _ in rows):.1f} req/s; eval --api {med(a for _, a, _ in rows):.2f} s, "
      f"replay {med(p for _, _, p in rows):.2f} s; overhead of the requests {med(over):+.1f}% "
      f"(rounds {min(over):+.1f}% .. {max(over):+.1f}%); whole command x{med(whole):.3f} of the server's own time")
PY
echo "bench-api: load after $(cut -d' ' -f1-3 /proc/loadavg)"
