#!/usr/bin/env bash
# Side-by-side speed and agreement run against the reference Python pipeline (../shared/tools/ref_pipeline.py)
# on the same images, on this machine, in one run. Not part of the tests: speed is measured, never asserted.
#   scripts/compare-reference.sh [silentface|minifas128] [LIMIT]
set -euo pipefail
cd "$(dirname "$0")/.."
scorer=${1:-silentface}; limit=${2:-3491}
root=../shared/datasets/nuaa-train; tools=../shared/tools
venv=${REF_VENV:-.venv-ref}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q onnxruntime==1.31.1 onnx opencv-python-headless numpy scikit-learn
fi
bash scripts/setup.sh
cargo build --release -q
out=runs/compare-$scorer; mkdir -p "$out"
echo "== reference pipeline (best configuration: --workers 2 --detector-strip-initializer-inputs)"
"$venv/bin/python" "$tools/ref_pipeline.py" --models-dir ../shared/models --scorer "${scorer/minifas128-int8/minifas128_int8}" \
  --workers 2 --detector-strip-initializer-inputs --limit "$limit" --root "$root" \
  --list client_train_raw.txt:ClientRaw:live --list imposter_train_raw.txt:ImposterRaw:print --out "$out/ref.csv" | tee "$out/ref.log"
echo "== liveness bench (same images)"
tail -n +2 "$out/ref.csv" | cut -d, -f1 | head -n "$limit" | sed "s#^#$root/#" > "$out/list.txt"
./target/release/liveness bench - --model "$scorer" --workers 2 --repeat 3 < "$out/list.txt" | tee "$out/liveness.log"
ref=$(grep -o 'images/s=[0-9.]*' "$out/ref.log" | head -1 | cut -d= -f2)
ours=$(grep -o 'pipeline: [0-9.]*' "$out/liveness.log" | cut -d' ' -f2)
python3 -c "print(f'speed ratio liveness / reference = {float($ours)/float($ref):.2f}x ({$ours} vs {$ref} images/s)')"
