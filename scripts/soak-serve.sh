#!/usr/bin/env bash
# Soak of `liveness serve`: SECONDS (default 600) at 8 concurrent clients (wrk, raw JPEG bodies cycling
# through NUAA train images) on POST /v1/liveness. Not a test and not a CI step: run it by hand and report.
#
#   scripts/soak-serve.sh [SECONDS] [IMAGES] [-- SERVE_ARGS...]    (defaults: 600 s, 96 images)
#
# Passes (exit 0) when
#   - every response was 200 and wrk saw no socket error or timeout;
#   - the server's /metrics count of /v1/liveness answers equals the requests wrk sent, exactly: after the
#     soak's end each client stops sending (its next request is delayed past wrk's deadline), so no
#     request is cut off in flight and sent = answered = counted;
# and prints the server's RSS after start-up, every minute, and at the end (flat means no leak).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=600; n=96; pos=0
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $pos in 0) secs=$1 ;; 1) n=$1 ;; *) echo "soak-serve: usage: $0 [SECONDS] [IMAGES] [-- SERVE_ARGS...]" >&2; exit 2 ;; esac
  pos=$((pos + 1)); shift
done
[ "${1:-}" = "--" ] && shift
command -v wrk >/dev/null || { echo "soak-serve: needs wrk (apt-get install wrk)" >&2; exit 1; }
root=../shared/datasets/nuaa-train
[ -d "$root" ] || { echo "soak-serve: $root not found (../shared beside the checkout)" >&2; exit 1; }
export LIVENESS_MODELS=${LIVENESS_MODELS:-../shared/models}
bin=./target/release/liveness
[ -x "$bin" ] || cargo build --release -q
tmp=$(mktemp -d)
pid=""; sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT

for class in ClientRaw ImposterRaw; do
  find "$root/$class" -name '*.jpg' | sort | awk -v k=$((n / 2)) 'NR % 20 == 1 && ++c <= k'
done > "$tmp/list"
cat > "$tmp/soak.lua" <<'LUA'
-- Each client cycles through the images until the soak's end, then idles (its next request is delayed
-- past wrk's deadline), so nothing is in flight when wrk stops. Counts per thread, summed in done().
-- sent, ok and bad are globals: done() reads them from each thread with thread:get, which sees no locals.
local bodies, i, stop_at = {}, 0, 0
sent, ok, bad = 0, 0, 0
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function(args)
  for path in io.lines(os.getenv("SOAK_LIST")) do
    local f = assert(io.open(path, "rb")); bodies[#bodies + 1] = f:read("*a"); f:close()
  end
  stop_at = os.time() + tonumber(os.getenv("SOAK_SECONDS"))
end
delay = function()
  if os.time() >= stop_at then return 3600 * 1000 end
  return 0
end
request = function()
  i = i % #bodies + 1; sent = sent + 1
  return wrk.format("POST", "/v1/liveness", {["Content-Type"] = "image/jpeg"}, bodies[i])
end
response = function(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end
done = function(summary, latency, requests)
  local s, o, b = 0, 0, 0
  for _, t in ipairs(threads) do s = s + t:get("sent"); o = o + t:get("ok"); b = b + t:get("bad") end
  -- wrk calls request() once before any connection opens, to check the script: that request is never sent.
  s = s - 1
  local e = summary.errors
  io.write(string.format("SOAK sent %d ok %d non200 %d completed %d connect %d read %d write %d timeout %d status %d p50_ms %.2f p99_ms %.2f max_ms %.2f\n",
    s, o, b, summary.requests, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
LUA
export SOAK_LIST=$tmp/list SOAK_SECONDS=$secs

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$bin" serve --addr "127.0.0.1:$port" --policy default "$@" 2> "$tmp/server.log" &
pid=$!
for _ in $(seq 300); do curl -fs "$url/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$url/readyz" >/dev/null || { echo "soak-serve: the server did not start:" >&2; cat "$tmp/server.log" >&2; exit 1; }
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status"; }
backend=$(curl -fs "$url/readyz" | python3 -c 'import json, sys; print(json.load(sys.stdin)["backend"])')
echo "soak-serve: ${secs}s, 8 connections, $(wc -l < "$tmp/list") images, backend $backend; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
rss_start=$(rss)
echo "RSS after start-up: ${rss_start} MB"
( m=0; while sleep 60; do m=$((m + 1)); echo "  minute $m: RSS $(rss) MB, load $(cut -d' ' -f1 /proc/loadavg)"; done ) &
sampler=$!
# The margin past the soak lets the last requests finish before wrk's deadline; it stays under the
# server's --header-timeout (10 s), which closes idle keep-alive connections.
wrk -t "${SOAK_WRK_THREADS:-2}" -c "${SOAK_CONNECTIONS:-8}" -d "$((secs + 5))s" --timeout 30s -s "$tmp/soak.lua" "$url" > "$tmp/wrk.txt"
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; sampler=""
rss_end=$(rss)
line=$(grep '^SOAK ' "$tmp/wrk.txt") || { cat "$tmp/wrk.txt"; exit 1; }
read -r _ _ sent _ ok _ non200 _ completed _ ec _ er _ ew _ et _ es _ p50 _ p99 _ pmax <<< "$line"
counted=$(curl -fs "$url/metrics" | awk '/^liveness_http_requests_total\{endpoint="\/v1\/liveness"/ {s += $2} END {print s + 0}')
counted_ok=$(curl -fs "$url/metrics" | awk '/^liveness_http_requests_total\{endpoint="\/v1\/liveness",status="200"\}/ {s += $2} END {print s + 0}')
echo "requests sent $sent, answered 200 $ok, non-200 $non200; socket errors connect $ec read $er write $ew timeout $et"
echo "throughput $(python3 -c "print(f'{$completed / $secs:.1f}')") req/s over the soak; latency p50 ${p50} ms, p99 ${p99} ms, max ${pmax} ms"
echo "/metrics: $counted /v1/liveness answers ($counted_ok with 200)"
echo "RSS: ${rss_start} MB after start-up, ${rss_end} MB at the end"
fail=0
[ "$non200" = 0 ] && [ "$ec$er$ew$et" = 0000 ] || { echo "FAIL: error responses or socket errors"; fail=1; }
[ "$counted" = "$sent" ] && [ "$counted_ok" = "$sent" ] && [ "$ok" = "$sent" ] || { echo "FAIL: /metrics count differs from the requests sent"; fail=1; }
[ "$fail" = 0 ] && echo "PASS: no error responses; /metrics counts equal the requests sent"
exit "$fail"
