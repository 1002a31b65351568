//! PAD model adapters: descriptors, ONNX Runtime sessions, and classifiers built from them.

pub mod classifier;
pub mod descriptor;
pub mod onnx_patch;
pub mod session;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// The path of model file `file` in `models_dir`, or an error that says how to get it.
pub fn locate(models_dir: &Path, file: &str) -> Result<PathBuf> {
    let path = models_dir.join(file);
    if path.is_file() {
        return Ok(path);
    }
    bail!(
        "model file {} not found. Fix: `liveness models fetch <model>` where the model has a download URL, or point \
         --models-dir (or LIVENESS_MODELS) at the folder holding {file}",
        path.display()
    )
}
