#!/usr/bin/env bash
# One-time (idempotent) set-up of everything `liveness` needs that cargo cannot fetch:
#  - build tools for the vendored libjpeg-turbo (cmake, nasm) and a font for PNG charts (Debian packages);
#  - the ONNX Runtime shared library, taken from the PyPI `onnxruntime` wheel (no download at build time:
#    ort is used with `load-dynamic`), unpacked into .onnxruntime/lib/ inside this checkout;
#  - models/: links to the reference ONNX files in ../shared/models when that folder exists.
set -euo pipefail
cd "$(dirname "$0")/.."
ORT_VERSION=1.31.1   # ort 2.0.0-rc.15 speaks the ONNX Runtime 1.31 C API (feature api-31)

need_pkgs=()
command -v cmake >/dev/null || need_pkgs+=(cmake)
command -v nasm >/dev/null || need_pkgs+=(nasm)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_pkgs+=(fonts-dejavu-core)
command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]} (apt-get)" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

lib=.onnxruntime/lib/libonnxruntime.so.$ORT_VERSION
if [ ! -f "$lib" ]; then
  echo "setup: fetching onnxruntime==$ORT_VERSION wheel from PyPI for libonnxruntime.so" >&2
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "onnxruntime==$ORT_VERSION"
  mkdir -p .onnxruntime/lib
  python3 - "$tmp" "$ORT_VERSION" <<'PY'
import glob, sys, zipfile, os
tmp, ver = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(tmp, "onnxruntime-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith("capi/libonnxruntime.so." + ver))
    with z.open(name) as src, open(".onnxruntime/lib/libonnxruntime.so." + ver, "wb") as dst:
        dst.write(src.read())
PY
  ln -sf "libonnxruntime.so.$ORT_VERSION" .onnxruntime/lib/libonnxruntime.so
  rm -rf "$tmp"
fi
echo "setup: ONNX Runtime $ORT_VERSION at $(pwd)/$lib" >&2

if [ -d ../shared/models ]; then
  for f in ../shared/models/*.onnx; do
    ln -sfn "../$f" "models/$(basename "$f")"
  done
  echo "setup: models/ linked to ../shared/models" >&2
else
  echo "setup: ../shared/models not found; get the models with 'liveness models fetch silentface'" >&2
fi
