#!/usr/bin/env bash
# `liveness serve` under load from a real HTTP client (wrk) over loopback, paired in one run with
# `liveness bench` on the same NUAA train images, for both classifier backends (ort, openvino), against the
# reference Python server. Short by design (a few minutes with the defaults); not part of the tests: speed
# is measured and reported, never asserted.
#
#   scripts/bench-serve.sh [IMAGES] [SECONDS] [ROUNDS]     (defaults: 96 images, 10 s per load run, 3 rounds)
#
# Two servers run side by side (`serve --backend ort` and `serve --backend openvino`, idle while the other is
# measured). Each round runs, in an order that reverses from round to round:
#   - `liveness bench --no-floor --repeat 1 --backend B` on BENCH_IMAGES (default 960) NUAA images, for each backend: batch images/s
#     (steady state, one worker per core) and the single-image compute time (decode + detect + classify,
#     ms per image and worker);
#   - wrk, 8 connections for SECONDS against each server, each request a raw JPEG body cycling through the
#     images: requests/s, p50 and p99 latency, non-2xx responses;
#   - wrk, 1 connection (a sequential client) against each server: p50 and p99 latency;
#   - wrk, 8 connections against the reference Python server (scripts/ref_server.py: Flask + onnxruntime
#     around ../shared/tools/ref_pipeline.py) on the same images, when its environment exists
#     (REF_VENV, default .venv-ref: python3 -m venv --system-site-packages .venv-ref &&
#     .venv-ref/bin/pip install onnxruntime==1.31.1 onnx opencv-python-headless numpy; Flask from the system).
# Medians over the rounds are printed, with each server's RSS before and after, its /metrics count of
# answered requests against what wrk completed, and requests per CPU-second of each server process (on a
# machine shared with other work, requests/s favour the server with more runnable threads; CPU-seconds
# per request do not).
set -euo pipefail
cd "$(dirname "$0")/.."
lua=scripts/wrk-post-images.lua
n=${1:-96}; secs=${2:-10}; rounds=${3:-3}
command -v wrk >/dev/null || { echo "bench-serve: needs wrk, a C HTTP load generator (apt-get install wrk)" >&2; exit 1; }
root=../shared/datasets/nuaa-train
[ -d "$root" ] || { echo "bench-serve: $root not found (../shared beside the checkout)" >&2; exit 1; }
export LIVENESS_MODELS=${LIVENESS_MODELS:-../shared/models}
bin=./target/release/liveness
[ -x "$bin" ] || cargo build --release -q
tmp=$(mktemp -d); : > "$tmp/results"
pids=""; ref_pid=""
cleanup() {
  for p in $pids; do kill -TERM "$p" 2>/dev/null; done
  [ -n "$ref_pid" ] && kill -TERM "$ref_pid" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT

# Every 20th image of each class in name order: live and printed-photo attacks, n/2 each.
for class in ClientRaw ImposterRaw; do
  find "$root/$class" -name '*.jpg' | sort | awk -v k=$((n / 2)) 'NR % 20 == 1 && ++c <= k'
done > "$tmp/list"
# `liveness bench` gets a larger list (every 2nd image, BENCH_IMAGES in all, default 960): its steady state runs
# from the first result to the last, and the classifiers answer in chunks of 8 faces per worker, so on 96
# images the first chunks' time falls outside that window and inflates the figure by about a fifth.
for class in ClientRaw ImposterRaw; do
  find "$root/$class" -name '*.jpg' | sort | awk -v k=$(( ${BENCH_IMAGES:-960} / 2 )) 'NR % 2 == 1 && ++c <= k'
done > "$tmp/bench-list"
export BENCH_LIST=$tmp/list

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
declare -A url pid
for b in ort openvino; do
  port=$(free_port)
  url[$b]=http://127.0.0.1:$port
  "$bin" serve --addr "127.0.0.1:$port" --policy default --backend "$b" 2> "$tmp/server-$b.log" &
  pid[$b]=$!; pids="$pids $!"
done
for b in ort openvino; do
  for _ in $(seq 300); do curl -fs "${url[$b]}/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  ready=$(curl -fs "${url[$b]}/readyz" || true)
  [[ $ready == *"\"backend\":\"$b\""* ]] \
    || { echo "bench-serve: the $b server did not start:" >&2; cat "$tmp/server-$b.log" >&2; exit 1; }
done
venv=${REF_VENV:-.venv-ref}
ref_url=""
if "$venv/bin/python" -c "import onnxruntime, onnx, cv2, numpy, flask" 2>/dev/null; then
  ref_port=$(free_port)
  "$venv/bin/python" scripts/ref_server.py "$LIVENESS_MODELS" "$ref_port" 2> "$tmp/ref.log" &
  ref_pid=$!
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$ref_port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$ref_port/readyz" >/dev/null && ref_url=http://127.0.0.1:$ref_port
fi
[ -n "$ref_url" ] || echo "bench-serve: no reference Python server ($venv lacks onnxruntime, onnx, cv2, numpy or flask, or it did not start): skipped"
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
declare -A rss_start
for b in ort openvino; do rss_start[$b]=$(rss "${pid[$b]}"); done
echo "bench-serve: $(wc -l < "$tmp/list") images, ${secs}s per load run, $rounds rounds; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"

# wrk's latency figures in ms (it prints us, ms or s).
to_ms() { awk '{v = $1; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; printf "%.2f", v}'; }
declare -A sent=([ort]=0 [openvino]=0)
run_bench() {  # backend
  "$bin" bench --no-floor --repeat 1 --backend "$1" $(cat "$tmp/bench-list") > "$tmp/bench.txt"
  steady=$(sed -n 's/.*steady state: \([0-9.]*\) images\/s.*/\1/p' "$tmp/bench.txt")
  compute=$(sed -n 's/^stages.*decode \([0-9.]*\) .*detect \([0-9.]*\) .*classify \([0-9.]*\) .*/\1 \2 \3/p' "$tmp/bench.txt" | awk '{printf "%.2f", $1 + $2 + $3}')
  echo "bench-$1 $steady $compute" >> "$tmp/results"
}
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system CPU of a process, in ticks
run_wrk() {  # connections, label, url, server pid [backend whose requests to count]
  c0=$(cpu "$4")
  wrk -t "$(( $1 < 2 ? 1 : 2 ))" -c "$1" -d "${secs}s" --latency -s "$lua" "$3" > "$tmp/wrk.txt"
  rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.txt" | to_ms)
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt" | to_ms)
  bad=$(awk '/Non-2xx/ {print $NF}' "$tmp/wrk.txt"); bad=${bad:-0}
  errs=$(awk '/Socket errors/' "$tmp/wrk.txt")
  total=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
  cpu_s=$(awk -v a="$c0" -v b="$(cpu "$4")" -v t="$tick" 'BEGIN {printf "%.2f", (b - a) / t}')
  [ -z "${5:-}" ] || sent[$5]=$(( ${sent[$5]} + total ))
  echo "$2 $rps $p50 $p99 $bad $total $cpu_s" >> "$tmp/results"
  [ -z "$errs" ] || echo "  $2: $errs"
}
steps=(bench-ort bench-openvino c8-ort c8-openvino ref c1-ort c1-openvino)
step() {
  case $1 in
    bench-*) run_bench "${1#bench-}" ;;
    c8-*) run_wrk 8 "$1" "${url[${1#c8-}]}" "${pid[${1#c8-}]}" "${1#c8-}" ;;
    c1-*) run_wrk 1 "$1" "${url[${1#c1-}]}" "${pid[${1#c1-}]}" "${1#c1-}" ;;
    ref) [ -z "$ref_url" ] || run_wrk 8 r8 "$ref_url" "$ref_pid" ;;
  esac
}
for r in $(seq "$rounds"); do
  order=("${steps[@]}")
  [ $((r % 2)) = 1 ] || order=($(printf '%s\n' "${steps[@]}" | tac))
  before=$(wc -l < "$tmp/results")
  for st in "${order[@]}"; do step "$st"; done
  echo "round $r (RSS ort $(( $(rss "${pid[ort]}") / 1024 )) MB, openvino $(( $(rss "${pid[openvino]}") / 1024 )) MB): $(tail -n +"$((before + 1))" "$tmp/results" | tr '\n' ';')"
done
declare -A answered rss_end
for b in ort openvino; do
  answered[$b]=$(curl -fs "${url[$b]}/metrics" | awk '/^liveness_http_requests_total\{endpoint="\/v1\/liveness"/ {s += $2} END {print s + 0}')
  rss_end[$b]=$(rss "${pid[$b]}")
done
python3 - "$tmp/results" "${rss_start[ort]}" "${rss_end[ort]}" "${sent[ort]}" "${answered[ort]}" \
  "${rss_start[openvino]}" "${rss_end[openvino]}" "${sent[openvino]}" "${answered[openvino]}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = lambda k, i: statistics.median(float(r[i]) for r in rows if r[0] == k)
ref = [r for r in rows if r[0] == "r8"]
r8 = med("r8", 1) if ref else None
# Requests per CPU-second of the server process (wrk's own CPU not counted): what each server does with the
# CPU it gets, which a machine shared with other work does not skew the way it skews requests/s.
per_cpu = lambda k: statistics.median(int(r[5]) / float(r[6]) for r in rows if r[0] == k and float(r[6]) > 0)
r8_cpu = per_cpu("r8") if ref else None
for k, b in enumerate(["ort", "openvino"]):
    rss0, rss1, sent, answered = sys.argv[2 + 4 * k: 6 + 4 * k]
    steady, compute = med(f"bench-{b}", 1), med(f"bench-{b}", 2)
    rps8, p50_8, p99_8 = med(f"c8-{b}", 1), med(f"c8-{b}", 2), med(f"c8-{b}", 3)
    rps1, p50_1, p99_1 = med(f"c1-{b}", 1), med(f"c1-{b}", 2), med(f"c1-{b}", 3)
    bad = sum(int(r[4]) for r in rows if r[0] in (f"c8-{b}", f"c1-{b}"))
    print(f"[{b}] liveness bench: {steady:.1f} images/s steady state; single-image compute {compute:.2f} ms "
          "(decode+detect+classify, one worker)")
    print(f"[{b}] serve, 8 connections: {rps8:.1f} req/s = {100 * rps8 / steady:.0f}% of bench; "
          f"p50 {p50_8:.1f} ms, p99 {p99_8:.1f} ms" + (f"; {rps8 / r8:.2f}x the reference" if r8 else ""))
    c8 = per_cpu(f"c8-{b}")
    print(f"[{b}] serve, 8 connections: {c8:.1f} requests per CPU-second"
          + (f" = {c8 / r8_cpu:.2f}x the reference's" if r8_cpu else ""))
    print(f"[{b}] serve, 1 connection:  {rps1:.1f} req/s; p50 {p50_1:.2f} ms = {p50_1 / compute:.2f}x the compute "
          f"time; p99 {p99_1:.2f} ms")
    print(f"[{b}] non-2xx {bad}; requests completed by wrk {sent}, answered per /metrics {answered} (wrk stops "
          f"mid-request at its deadline, so a few may differ); RSS {int(rss0) / 1024:.0f} MB after start-up, "
          f"{int(rss1) / 1024:.0f} MB at the end")
if ref:
    rp50, rp99 = med("r8", 2), med("r8", 3)
    rbad = sum(int(r[4]) for r in ref)
    print(f"reference Python server (Flask + onnxruntime), 8 connections: {r8:.1f} req/s; p50 {rp50:.1f} ms, "
          f"p99 {rp99:.1f} ms; non-2xx {rbad}; {r8_cpu:.1f} requests per CPU-second")
print("(figures are medians over the rounds)")
PY
