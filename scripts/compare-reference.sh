#!/usr/bin/env bash
# Side-by-side speed and agreement run against the reference Python pipeline (../shared/tools/ref_pipeline.py,
# in its best configuration: --workers 2 --detector-strip-initializer-inputs) on the same NUAA train images,
# on this machine, in one paired run. Not part of the tests: speed is measured, never asserted.
#
#   scripts/compare-reference.sh [MODEL] [LIMIT] [ROUNDS]      (defaults: silentface, 3491 = all of NUAA train, 3)
#   BACKENDS="ort openvino" (default: both)   REF_VENV=path/to/venv (default: .venv-ref in the checkout)
#
# Each round runs, in an order that alternates from round to round (A B C, C B A, ...):
#   - the reference, timed as a whole process (interpreter start to exit); its own steady-state figure
#     (images/s after every worker has loaded and warmed up its sessions) is read from its output;
#   - `liveness score` for each backend, timed as a whole process (what a user waits for), with 2 workers;
#   - `liveness bench --no-floor` for each backend: its steady-state figure (images/s between the first and
#     the last result, engines already loaded).
# Medians over the rounds are reported, with the load average before and after, and agreement with the
# reference: mean and worst |delta p| and equal decisions at the default threshold, on the images both
# scored (liveness runs with its quality gates off here, so that it scores every face the reference does).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-silentface}; limit=${2:-3491}; rounds=${3:-3}
backends=${BACKENDS:-ort openvino}
root=../shared/datasets/nuaa-train; tools=../shared/tools
venv=${REF_VENV:-.venv-ref}
if ! "$venv/bin/python" -c "import onnxruntime, cv2, numpy" 2>/dev/null; then
  cat >&2 <<EOF
compare-reference: the reference pipeline's Python environment is missing or incomplete at $venv
(it needs onnxruntime, opencv-python-headless and numpy). Fix, once:
  python3 -m venv $venv && $venv/bin/pip install onnxruntime==1.31.1 onnx opencv-python-headless numpy scikit-learn
or point REF_VENV at an existing environment that has them.
EOF
  exit 1
fi
[ -f "$tools/ref_pipeline.py" ] || { echo "compare-reference: $tools/ref_pipeline.py not found (../shared beside the checkout)" >&2; exit 1; }
[ -d "$root" ] || { echo "compare-reference: $root not found (../shared beside the checkout)" >&2; exit 1; }
bash scripts/setup.sh
cargo build --release -q
bin=./target/release/liveness
out=runs/compare-$model; rm -rf "$out"; mkdir -p "$out"
ref_scorer=${model/minifas128-int8/minifas128_int8}

# The same images in the same order for both: the reference's list order, cut at LIMIT.
python3 - "$root" "$limit" > "$out/list.txt" <<'PY'
import sys, os
root, limit = sys.argv[1], int(sys.argv[2])
paths = []
for lst, sub in (("client_train_raw.txt", "ClientRaw"), ("imposter_train_raw.txt", "ImposterRaw")):
    for line in open(os.path.join(root, lst)):
        p = os.path.join(root, sub, line.strip().replace("\\", "/"))
        if line.strip() and os.path.isfile(p):  # the reference skips missing files too
            paths.append(p)
print("\n".join(paths[:limit]))
PY
# The default policy with every quality gate off, so that liveness scores every face the reference scores.
sed -e 's/^min_face_px = .*/min_face_px = 0/' -e 's/^min_face_share = .*/min_face_share = 0/' \
    -e 's/^min_sharpness = .*/min_sharpness = 0/' -e 's/^min_brightness = .*/min_brightness = 0/' \
    -e 's/^max_brightness = .*/max_brightness = 255/' -e 's/^max_clipped_share = .*/max_clipped_share = 1.0/' \
    -e 's/^name = .*/name = "no-gates"/' configs/policies/default.toml > "$out/no-gates.toml"

now() { date +%s.%N; }
run_ref() {  # $1 = round
  local t0 t1
  t0=$(now)
  "$venv/bin/python" "$tools/ref_pipeline.py" --models-dir ../shared/models --scorer "$ref_scorer" \
    --workers 2 --detector-strip-initializer-inputs --limit "$limit" --root "$root" \
    --list client_train_raw.txt:ClientRaw:live --list imposter_train_raw.txt:ImposterRaw:print \
    --out "$out/ref.csv" > "$out/ref-$1.log" 2>&1
  t1=$(now)
  echo "ref $1 whole $(python3 -c "print($t1-$t0)")" >> "$out/times.txt"
  echo "ref $1 steady $(grep -o 'images/s=[0-9.]*' "$out/ref-$1.log" | head -1 | cut -d= -f2)" >> "$out/times.txt"
}
run_ours() {  # $1 = round, $2 = backend
  local t0 t1
  t0=$(now)
  "$bin" score - --json --model "$model" --backend "$2" --workers 2 --policy "$out/no-gates.toml" \
    < "$out/list.txt" > "$out/$2.jsonl" 2> "$out/$2-$1.err" || { echo "liveness score failed:"; cat "$out/$2-$1.err"; exit 1; } >&2
  t1=$(now)
  echo "$2 $1 whole $(python3 -c "print($t1-$t0)")" >> "$out/times.txt"
  "$bin" bench - --model "$model" --backend "$2" --workers 2 --repeat 1 --no-floor --policy "$out/no-gates.toml" \
    < "$out/list.txt" > "$out/bench-$2-$1.log"
  echo "$2 $1 steady $(grep -o 'steady state: [0-9.]*' "$out/bench-$2-$1.log" | cut -d' ' -f3)" >> "$out/times.txt"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
contenders=(ref $backends)
for r in $(seq 1 "$rounds"); do
  order=("${contenders[@]}")
  if [ $((r % 2)) = 0 ]; then order=($(printf '%s\n' "${contenders[@]}" | tac)); fi
  for c in "${order[@]}"; do
    echo "round $r: $c (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    if [ "$c" = ref ]; then run_ref "$r"; else run_ours "$r" "$c"; fi
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

"$venv/bin/python" - "$out" "$limit" "$load_before" "$load_after" "$model" $backends <<'PY'
import csv, json, statistics, sys, os
out, n, lb, la, model, backends = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
times = {}
for line in open(os.path.join(out, "times.txt")):
    who, _, kind, v = line.split()
    times.setdefault((who, kind), []).append(float(v))
med = lambda who, kind: statistics.median(times[(who, kind)])
ref_whole = n / med("ref", "whole"); ref_steady = med("ref", "steady")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"compare-reference: {model}, {n} NUAA train images, 2 workers, median of {len(times[('ref', 'whole')])} rounds")
print(f"machine: {cpu}, {os.cpu_count()} cores; load average before {lb}, after {la}")
print()
print("| pipeline | whole process, images/s | vs reference | steady state, images/s | vs reference |")
print("| --- | --- | --- | --- | --- |")
print(f"| reference (Python, --workers 2 --detector-strip-initializer-inputs) | {ref_whole:.1f} | 1.00x | {ref_steady:.1f} | 1.00x |")
for b in backends:
    w, s = n / med(b, "whole"), med(b, "steady")
    print(f"| liveness --backend {b} | {w:.1f} | {w / ref_whole:.2f}x | {s:.1f} | {s / ref_steady:.2f}x |")
print()
ref = {}
with open(os.path.join(out, "ref.csv")) as fh:
    for row in csv.DictReader(fh):
        ref[row["path"]] = float(row["score"]) if row["face_found"] == "1" else None
threshold = 0.5
for b in backends:
    diffs, same, both, only_ref, only_ours = [], 0, 0, 0, 0
    for line in open(os.path.join(out, f"{b}.jsonl")):
        rec = json.loads(line)
        want = ref.get(os.path.relpath(rec["path"], "../shared/datasets/nuaa-train"))
        got = rec.get("live_probability")
        if want is None and got is None:
            continue
        if want is None or got is None:
            only_ref += got is None; only_ours += want is None
            continue
        both += 1
        diffs.append(abs(got - want))
        same += (got >= threshold) == (want >= threshold)
    mean = sum(diffs) / max(len(diffs), 1)
    print(f"agreement, --backend {b}: {both} images scored by both; mean |dp| {mean:.2e}, worst {max(diffs, default=0):.2e}; "
          f"equal decisions at {threshold}: {same}/{both} ({100 * same / max(both, 1):.2f}%); "
          f"scored by the reference only: {only_ref}, by liveness only: {only_ours}")
PY
