//! PAD model adapters: descriptors, runtime sessions (ONNX Runtime, OpenVINO), and classifiers built from them.

pub mod backend;
pub mod classifier;
pub mod descriptor;
pub mod fusion;
pub mod integrity;
pub mod onnx_patch;
pub mod openvino;
pub mod session;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use descriptor::Member;

/// The path of model file `file` in `models_dir`, or an error that says how to get it. A path that is
/// there but is no regular file (a FIFO, `/dev/zero`, a folder) is named as what it is: it is not
/// "not found", and opening it would block or never end.
pub fn locate(models_dir: &Path, file: &str) -> Result<PathBuf> {
    let path = models_dir.join(file);
    if path.is_file() {
        return Ok(path);
    }
    if path.exists() {
        let why =
            crate::input::open_regular(&path).err().map_or_else(|| "is not a regular file".into(), |e| e.to_string());
        bail!("model file {} {why}. Fix: put the ONNX file itself at that path", path.display());
    }
    bail!(
        "model file {} not found. Fix: `liveness models fetch <model>` where the model has a download URL, or point \
         --models-dir (or LIVENESS_MODELS) at the folder holding {file}",
        path.display()
    )
}

/// Checks that the ONNX file has the input and output the descriptor names, with agreeing shapes (dynamic
/// dimensions accept any size), so a wrong descriptor fails at load time with both shapes named.
pub fn check_signature(m: &Member, (inputs, outputs): &(session::Outlets, session::Outlets)) -> Result<()> {
    let Some((_, shape)) = inputs.iter().find(|(n, _)| *n == m.input.name) else {
        bail!("`{}` ({}): no input named `{}`; the file's inputs are {:?}", m.name, m.file, m.input.name, inputs)
    };
    let want = m.input_shape();
    let agrees = shape.len() == want.len() && shape.iter().zip(want).skip(1).all(|(&got, w)| got == w || got < 0);
    if !agrees {
        bail!(
            "`{}` ({}): input `{}` has shape {shape:?} but the descriptor says {want:?} ({:?} layout, {}x{})",
            m.name,
            m.file,
            m.input.name,
            m.input.layout,
            m.input.width,
            m.input.height
        );
    }
    let Some((_, oshape)) = outputs.iter().find(|(n, _)| *n == m.output.name) else {
        bail!("`{}` ({}): no output named `{}`; the file's outputs are {:?}", m.name, m.file, m.output.name, outputs)
    };
    if oshape.last().is_some_and(|&c| c >= 0 && c as usize != m.output.classes) {
        bail!(
            "`{}` ({}): output `{}` has shape {oshape:?} but the descriptor says {} classes",
            m.name,
            m.file,
            m.output.name,
            m.output.classes
        );
    }
    Ok(())
}
