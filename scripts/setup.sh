#!/usr/bin/env bash
# One-time (idempotent) set-up of everything `liveness` needs that cargo cannot fetch:
#  - build tools for the vendored libjpeg-turbo (cmake, nasm), a font for PNG charts, and Chromium for the
#    capture page's browser tests (tests/capture_browser.rs; Debian packages);
#  - the ONNX Runtime shared library, taken from the PyPI `onnxruntime` wheel (no download at build time:
#    ort is used with `load-dynamic`), unpacked into .onnxruntime/lib/ inside this checkout;
#  - the OpenVINO runtime (C API, ONNX frontend, CPU plugin and TBB), taken from the PyPI `openvino` wheel the
#    same way, unpacked into .openvino/lib/ (the `openvino` crate is built with `runtime-linking`: dlopen'ed);
#  - models/: links to the reference ONNX files in ../shared/models when that folder exists.
set -euo pipefail
cd "$(dirname "$0")/.."
ORT_VERSION=1.31.1   # ort 2.0.0-rc.15 speaks the ONNX Runtime 1.31 C API (feature api-31)
OV_VERSION=2026.4.1  # the openvino crate 0.11 binds the OpenVINO >= 2025.1 C API

need_pkgs=()
command -v cmake >/dev/null || need_pkgs+=(cmake)
command -v nasm >/dev/null || need_pkgs+=(nasm)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_pkgs+=(fonts-dejavu-core)
command -v pkg-config >/dev/null || need_pkgs+=(pkg-config)
# Headless Chromium with a fake camera drives the capture page in tests/capture_browser.rs (over the DevTools
# protocol; no chromedriver needed). A test without it fails naming this script, it does not skip.
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need_pkgs+=(chromium)
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

# Only what CPU inference of ONNX files needs (about 95 MB of the wheel's 162 MB): no GPU/NPU plugins, no other
# frontends. libopenvino_c.so finds its siblings through its RPATH ($ORIGIN), plugins and frontends are looked
# up beside libopenvino.so.
ov_dir=.openvino/lib
if [ ! -f "$ov_dir/VERSION" ] || [ "$(cat "$ov_dir/VERSION")" != "$OV_VERSION" ]; then
  echo "setup: fetching openvino==$OV_VERSION wheel from PyPI for libopenvino_c.so and the CPU plugin" >&2
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "openvino==$OV_VERSION"
  rm -rf "$ov_dir"; mkdir -p "$ov_dir"
  python3 - "$tmp" "$ov_dir" <<'PY'
import glob, os, re, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(tmp, "openvino-*.whl"))[0]
wanted = re.compile(r"openvino/libs/(libopenvino(_c|_onnx_frontend|_intel_cpu_plugin)?\.so[.0-9]*|libtbb[a-z_0-9]*\.so[.0-9]*|libhwloc\.so[.0-9]*)$")
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if wanted.search(n)]
    for name in names:
        with z.open(name) as src, open(os.path.join(dest, os.path.basename(name)), "wb") as dst:
            dst.write(src.read())
c_api = [os.path.basename(n) for n in names if "libopenvino_c.so" in n]
if not c_api:
    sys.exit("setup: the openvino wheel has no libopenvino_c.so")
os.symlink(c_api[0], os.path.join(dest, "libopenvino_c.so"))
PY
  echo "$OV_VERSION" > "$ov_dir/VERSION"
  rm -rf "$tmp"
fi
echo "setup: OpenVINO $OV_VERSION at $(pwd)/$ov_dir/libopenvino_c.so" >&2

if [ -d ../shared/models ]; then
  for f in ../shared/models/*.onnx; do
    ln -sfn "../$f" "models/$(basename "$f")"
  done
  echo "setup: models/ linked to ../shared/models" >&2
else
  echo "setup: ../shared/models not found; get the models with 'liveness models fetch silentface'" >&2
fi
