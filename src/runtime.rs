//! Finding and loading the ONNX Runtime shared library.
//!
//! `ort` is built with `load-dynamic`: nothing is downloaded or linked at build time, and the library is
//! `dlopen`ed on first use. We look for it in a fixed order so that a checkout set up with
//! `scripts/setup.sh` works without any environment variable, and say exactly what to do when it is missing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Result, anyhow};

/// The ONNX Runtime release whose C API `ort` is compiled against (`api-31`) and that `scripts/setup.sh` installs.
pub const ORT_VERSION: &str = "1.31.1";

/// Folder, relative to a liveness checkout, where `scripts/setup.sh` unpacks `libonnxruntime.so`.
const LOCAL_DIR: &str = ".onnxruntime/lib";
const LIB_NAME: &str = "libonnxruntime.so";

/// The loaded runtime: where the library came from, and the environment sessions are created in.
pub struct Runtime {
    pub library: PathBuf,
    pub env: ort::environment::Environment,
}

static INIT: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

/// Loads ONNX Runtime once per process; later calls return the first outcome.
pub fn init() -> Result<&'static Runtime> {
    let outcome = INIT.get_or_init(|| load().map_err(|e| format!("{e:#}")));
    match outcome {
        Ok(rt) => Ok(rt),
        Err(msg) => Err(anyhow!("{msg}")),
    }
}

fn load() -> Result<Runtime> {
    let candidates = candidates("ORT_DYLIB_PATH", LOCAL_DIR, LIB_NAME);
    let mut tried = Vec::new();
    for (origin, path) in &candidates {
        // A bare file name is handed to dlopen, which searches the system paths itself.
        let is_bare = path.parent().is_none_or(|p| p.as_os_str().is_empty());
        if !is_bare && !path.exists() {
            tried.push(format!("  {} ({origin}): not found", path.display()));
            continue;
        }
        match ort::init_from(path) {
            Ok(builder) => {
                let env = builder
                    .with_name("liveness")
                    .with_telemetry(false)
                    .build()
                    .map_err(|e| anyhow!("ONNX Runtime loaded from {} but could not start: {e}", path.display()))?;
                return Ok(Runtime { library: path.clone(), env });
            }
            Err(e) => tried.push(format!("  {} ({origin}): {e}", path.display())),
        }
    }
    Err(anyhow!(
        "ONNX Runtime {ORT_VERSION} shared library not found or not loadable. Tried:\n{}\n\
         Fix: run `bash scripts/setup.sh` in the liveness checkout (it unpacks {LIB_NAME} from the PyPI \
         onnxruntime=={ORT_VERSION} wheel into {LOCAL_DIR}/), or point ORT_DYLIB_PATH at a \
         libonnxruntime.so of version >= 1.31 (e.g. `pip install onnxruntime=={ORT_VERSION}` and use \
         site-packages/onnxruntime/capi/libonnxruntime.so.{ORT_VERSION}).",
        tried.join("\n")
    ))
}

/// Where to look for a runtime library `lib_name` (ONNX Runtime here, OpenVINO in `model::openvino`): the
/// variable `env_var`; `local_dir` (as `scripts/setup.sh` lays it) in the current folder or any folder above
/// the executable (a checkout's `target/release/liveness` finds the checkout's copy); then the system loader.
pub(crate) fn candidates(env_var: &'static str, local_dir: &str, lib_name: &str) -> Vec<(&'static str, PathBuf)> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os(env_var).filter(|p| !p.is_empty()) {
        // An explicit choice is the only candidate: silently falling back would hide a wrong setting.
        out.push((env_var, PathBuf::from(p)));
        return out;
    }
    let mut roots: Vec<PathBuf> = std::env::current_dir().into_iter().collect();
    if let Ok(exe) = std::env::current_exe() {
        roots.extend(exe.ancestors().skip(1).map(Path::to_path_buf));
    }
    for root in roots {
        let p = root.join(local_dir).join(lib_name);
        if !out.iter().any(|(_, q)| q == &p) {
            out.push(("project-local", p));
        }
    }
    out.push(("system library path", PathBuf::from(lib_name)));
    out
}
