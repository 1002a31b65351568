//! Creating ONNX Runtime sessions the same way everywhere.

use std::path::Path;

use anyhow::{Context, Result};
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;

use super::onnx_patch::strip_initializer_inputs;

/// Opens an ONNX file as a single-threaded session.
///
/// Parallelism comes from scoring several images at once (one session per worker), which beats ONNX
/// Runtime's intra-op threads for these small models. Weights listed as graph inputs are removed first
/// (see [`strip_initializer_inputs`]) so every model gets ONNX Runtime's full graph optimisation.
pub fn open(path: &Path) -> Result<Session> {
    let rt = crate::runtime::init()?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read model file {}", path.display()))?;
    let (bytes, _) =
        strip_initializer_inputs(&bytes).with_context(|| format!("{} is not a valid ONNX file", path.display()))?;
    let fail = |e: &dyn std::fmt::Display| anyhow::anyhow!("ONNX Runtime cannot load {}: {e}", path.display());
    let mut builder = Session::builder(&rt.env)
        .map_err(|e| fail(&e))?
        .with_optimization_level(GraphOptimizationLevel::All)
        .map_err(|e| fail(&e))?
        .with_intra_threads(1)
        .map_err(|e| fail(&e))?
        .with_inter_threads(1)
        .map_err(|e| fail(&e))?;
    builder.commit_from_memory(&bytes).map_err(|e| fail(&e))
}

/// Names and shapes of a session's inputs or outputs (`-1` for a dynamic dimension).
pub type Outlets = Vec<(String, Vec<i64>)>;

/// The inputs and outputs of a session, for checking them against a descriptor.
pub fn signature(session: &Session) -> (Outlets, Outlets) {
    let describe = |outlets: &[ort::value::Outlet]| {
        outlets
            .iter()
            .map(|o| {
                let shape = match o.dtype() {
                    ort::value::ValueType::Tensor { shape, .. } => shape.iter().copied().collect(),
                    _ => Vec::new(),
                };
                (o.name().to_string(), shape)
            })
            .collect()
    };
    (describe(session.inputs()), describe(session.outputs()))
}

/// Numerically stable softmax in f64, as the reference pipeline computes it.
pub fn softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
    let exps: Vec<f64> = logits.iter().map(|&v| (f64::from(v) - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::softmax;

    #[test]
    fn softmax_matches_hand_computation() {
        let p = softmax(&[0.0, (2.0f32).ln()]);
        assert!((p[0] - 1.0 / 3.0).abs() < 1e-7 && (p[1] - 2.0 / 3.0).abs() < 1e-7, "{p:?}");
        let big = softmax(&[1000.0, 1000.0]);
        assert_eq!(big, vec![0.5, 0.5]);
    }
}
