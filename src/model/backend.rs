//! Which runtime runs a classifier network: OpenVINO (the default, faster) or ONNX Runtime (the reference path).
//!
//! Both read the same ONNX files and get the same f32 tensors; only the kernels differ. The face detector
//! always runs on ONNX Runtime, which is the faster of the two for UltraFace (see `liveness bench`).
//! OpenVINO is the default because the paired run of `scripts/compare-reference.sh` on all of NUAA train
//! measured it 1.6x faster than ORT for the whole pipeline, with every decision equal to the reference's and
//! a mean |live-probability difference| of 8.5e-8 (README, Speed). A run that did not record its backend was
//! scored on ORT (the only runtime then): readers of old run.json files say so explicitly, never through this
//! default.

use std::path::Path;

use anyhow::{Context, Result, bail};
use ort::session::Session;
use ort::value::TensorRef;
use serde::{Deserialize, Serialize};

use super::descriptor::Precision;
use super::onnx_patch::strip_initializer_inputs;
use super::openvino::OvNet;
use super::session::{self, Outlets};

/// The runtime for the PAD classifiers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// ONNX Runtime: the reference path, bit-for-bit the scores of the Python reference pipeline.
    Ort,
    /// OpenVINO CPU plugin at f32: the same models, faster kernels, scores within float rounding of ORT.
    #[default]
    Openvino,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Ort, Backend::Openvino];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Ort => "ort",
            Backend::Openvino => "openvino",
        }
    }
}

/// One loaded network on either runtime.
pub enum Net {
    Ort(Session),
    Openvino(OvNet),
}

impl Net {
    /// Opens the ONNX file at `path` on `backend`; `input` and `output` are the tensors [`Net::run`] uses;
    /// a dynamic batch dimension accepts up to `max_batch` items per run.
    pub fn open(
        backend: Backend,
        path: &Path,
        input: &str,
        output: &str,
        max_batch: usize,
        precision: Precision,
    ) -> Result<Net> {
        match backend {
            Backend::Ort => {
                if precision != Precision::F32 {
                    bail!("{}: reduced precision ({precision:?}) needs --backend openvino", path.display());
                }
                Ok(Net::Ort(session::open(path)?))
            }
            Backend::Openvino => {
                let bytes =
                    std::fs::read(path).with_context(|| format!("cannot read model file {}", path.display()))?;
                let (bytes, _) = strip_initializer_inputs(&bytes)
                    .with_context(|| format!("{} is not a valid ONNX file", path.display()))?;
                Ok(Net::Openvino(OvNet::open(&bytes, path, input, output, max_batch, precision)?))
            }
        }
    }

    /// The file's inputs and outputs with their shapes (`-1` for a dynamic dimension).
    pub fn signature(&self) -> (Outlets, Outlets) {
        match self {
            Net::Ort(s) => session::signature(s),
            Net::Openvino(n) => n.signature(),
        }
    }

    /// Runs the network on one f32 tensor of `shape` fed to `input`; returns the values of `output`.
    pub fn run(&mut self, input: &str, output: &str, shape: &[usize], data: &[f32]) -> Result<Vec<f32>> {
        match self {
            Net::Ort(s) => {
                let tensor = TensorRef::from_array_view((shape.to_vec(), data))?;
                let outputs = s.run(ort::inputs![input => tensor])?;
                let Some(out) = outputs.get(output) else { bail!("the model has no output named `{output}`") };
                let (_, values) = out.try_extract_tensor::<f32>()?;
                Ok(values.to_vec())
            }
            Net::Openvino(n) => n.run(shape, data),
        }
    }
}
