#!/usr/bin/env bash
# `liveness serve` under load from a real HTTP client (wrk) over loopback, paired in one run with
# `liveness bench` on the same NUAA train images. Short by design (about a minute with the defaults); not
# part of the tests: speed is measured and reported, never asserted.
#
#   scripts/bench-serve.sh [IMAGES] [SECONDS] [ROUNDS]     (defaults: 96 images, 10 s per load run, 3 rounds)
#
# Each round runs, in an order that alternates from round to round:
#   - `liveness bench --no-floor --repeat 1` on the images: batch images/s (steady state, one worker per
#     core) and the single-image compute time (decode + detect + classify, ms per image and worker);
#   - wrk, 8 connections for SECONDS, each request a raw JPEG body cycling through the images: requests/s,
#     p50 and p99 latency, non-2xx responses;
#   - wrk, 1 connection (a sequential client): p50 and p99 latency;
#   - wrk, 8 connections against the reference Python server (scripts/ref_server.py: Flask + onnxruntime
#     around ../shared/tools/ref_pipeline.py) on the same images, when its environment exists
#     (REF_VENV, default .venv-ref: python3 -m venv --system-site-packages .venv-ref &&
#     .venv-ref/bin/pip install onnxruntime==1.31.1 onnx opencv-python-headless numpy; Flask from the system).
# Medians over the rounds are printed, with the server's RSS before and after and its /metrics count of
# answered requests against what wrk sent.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-96}; secs=${2:-10}; rounds=${3:-3}
command -v wrk >/dev/null || { echo "bench-serve: needs wrk, a C HTTP load generator (apt-get install wrk)" >&2; exit 1; }
root=../shared/datasets/nuaa-train
[ -d "$root" ] || { echo "bench-serve: $root not found (../shared beside the checkout)" >&2; exit 1; }
export LIVENESS_MODELS=${LIVENESS_MODELS:-../shared/models}
bin=./target/release/liveness
[ -x "$bin" ] || cargo build --release -q
tmp=$(mktemp -d)
pid=""; ref_pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  [ -n "$ref_pid" ] && kill -TERM "$ref_pid" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT

# Every 20th image of each class in name order: live and printed-photo attacks, n/2 each.
for class in ClientRaw ImposterRaw; do
  find "$root/$class" -name '*.jpg' | sort | awk 'NR % 20 == 1' | head -n $((n / 2))
done > "$tmp/list"
cat > "$tmp/post.lua" <<'LUA'
local bodies, i = {}, 0
init = function(args)
  for path in io.lines(os.getenv("BENCH_LIST")) do
    local f = assert(io.open(path, "rb")); bodies[#bodies + 1] = f:read("*a"); f:close()
  end
end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/liveness", {["Content-Type"] = "image/jpeg"}, bodies[i])
end
LUA
export BENCH_LIST=$tmp/list

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$bin" serve --addr "127.0.0.1:$port" --policy default 2> "$tmp/server.log" &
pid=$!
for _ in $(seq 200); do curl -fs "$url/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$url/readyz" >/dev/null || { echo "bench-serve: the server did not start:" >&2; cat "$tmp/server.log" >&2; exit 1; }
venv=${REF_VENV:-.venv-ref}
ref_url=""
if "$venv/bin/python" -c "import onnxruntime, onnx, cv2, numpy, flask" 2>/dev/null; then
  ref_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$venv/bin/python" scripts/ref_server.py "$LIVENESS_MODELS" "$ref_port" 2> "$tmp/ref.log" &
  ref_pid=$!
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$ref_port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$ref_port/readyz" >/dev/null && ref_url=http://127.0.0.1:$ref_port
fi
[ -n "$ref_url" ] || echo "bench-serve: no reference Python server ($venv lacks onnxruntime, onnx, cv2, numpy or flask, or it did not start): skipped"
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
rss_start=$(rss)
echo "bench-serve: $(wc -l < "$tmp/list") images, ${secs}s per load run, $rounds rounds; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

# wrk's latency figures in ms (it prints us, ms or s).
to_ms() { awk '{v = $1; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; printf "%.2f", v}'; }
sent=0
run_bench() {
  "$bin" bench --no-floor --repeat 1 $(cat "$tmp/list") > "$tmp/bench.txt"
  steady=$(sed -n 's/.*steady state: \([0-9.]*\) images\/s.*/\1/p' "$tmp/bench.txt")
  compute=$(sed -n 's/^stages.*decode \([0-9.]*\) .*detect \([0-9.]*\) .*classify \([0-9.]*\) .*/\1 \2 \3/p' "$tmp/bench.txt" | awk '{printf "%.2f", $1 + $2 + $3}')
  echo "bench $steady $compute" >> "$tmp/results"
}
run_wrk() {  # connections, label [url]
  wrk -t "$(( $1 < 2 ? 1 : 2 ))" -c "$1" -d "${secs}s" --latency -s "$tmp/post.lua" "${3:-$url}" > "$tmp/wrk.txt"
  rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.txt" | to_ms)
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt" | to_ms)
  bad=$(awk '/Non-2xx/ {print $NF}' "$tmp/wrk.txt"); bad=${bad:-0}
  errs=$(awk '/Socket errors/' "$tmp/wrk.txt")
  total=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
  [ -n "${3:-}" ] || sent=$((sent + total))
  echo "$2 $rps $p50 $p99 $bad" >> "$tmp/results"
  [ -z "$errs" ] || echo "  $2: $errs"
}
for r in $(seq "$rounds"); do
  ref() { [ -z "$ref_url" ] || run_wrk 8 r8 "$ref_url"; }
  if [ $((r % 2)) = 1 ]; then run_bench; run_wrk 8 c8; run_wrk 1 c1; ref; else ref; run_wrk 1 c1; run_wrk 8 c8; run_bench; fi
  echo "round $r (server RSS $(( $(rss) / 1024 )) MB): $(tail -n "$([ -n "$ref_url" ] && echo 4 || echo 3)" "$tmp/results" | tr '\n' ';')"
done
answered=$(curl -fs "$url/metrics" | awk '/^liveness_http_requests_total\{endpoint="\/v1\/liveness"/ {s += $2} END {print s + 0}')
rss_end=$(rss)
python3 - "$tmp/results" "$rss_start" "$rss_end" "$sent" "$answered" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = lambda k, i: statistics.median(float(r[i]) for r in rows if r[0] == k)
steady, compute = med("bench", 1), med("bench", 2)
rps8, p50_8, p99_8 = med("c8", 1), med("c8", 2), med("c8", 3)
rps1, p50_1, p99_1 = med("c1", 1), med("c1", 2), med("c1", 3)
bad = sum(int(r[4]) for r in rows if r[0] in ("c8", "c1"))
ref = [r for r in rows if r[0] == "r8"]
print(f"liveness bench: {steady:.1f} images/s steady state; single-image compute {compute:.2f} ms (decode+detect+classify, one worker)")
print(f"serve, 8 connections: {rps8:.1f} req/s = {100 * rps8 / steady:.0f}% of bench; p50 {p50_8:.1f} ms, p99 {p99_8:.1f} ms")
print(f"serve, 1 connection:  {rps1:.1f} req/s; p50 {p50_1:.2f} ms = {p50_1 / compute:.2f}x the compute time; p99 {p99_1:.2f} ms")
if ref:
    r8, rp50, rp99 = med("r8", 1), med("r8", 2), med("r8", 3)
    rbad = sum(int(r[4]) for r in ref)
    print(f"reference Python server (Flask + onnxruntime), 8 connections: {r8:.1f} req/s; p50 {rp50:.1f} ms, "
          f"p99 {rp99:.1f} ms; non-2xx {rbad}. liveness serve / reference = {rps8 / r8:.2f}x")
print(f"non-2xx responses: {bad}; requests sent by wrk {sys.argv[4]}, answered per /metrics {sys.argv[5]} "
      "(wrk stops mid-request at its deadline, so a few may differ)")
print(f"server RSS: {int(sys.argv[2]) / 1024:.0f} MB after start-up, {int(sys.argv[3]) / 1024:.0f} MB at the end")
print("(figures are medians over the rounds)")
PY
