//! Running the recognition network: face chips in, descriptor vectors out.

use std::path::Path;

use anyhow::{Context, Result, bail};
use ort::session::Session;
use ort::value::TensorRef;
use sha2::{Digest, Sha256};

use crate::frame::Frame;
use crate::model::descriptor::{Descriptor, Embedding, Layout};

/// Chips per ONNX Runtime call (the network's batch dimension is dynamic).
const BATCH: usize = 8;

/// A loaded embedding model whose file matched the descriptor's sha256.
pub struct Embedder {
    pub spec: Embedding,
    session: Session,
    tensor: Vec<f32>,
}

impl Embedder {
    /// Opens the descriptor's network from `models_dir`, refusing a file whose sha256 differs from the
    /// descriptor's: a gallery's descriptors are only comparable with the exact same weights.
    pub fn load(descriptor: &Descriptor, models_dir: &Path) -> Result<Embedder> {
        let Some(spec) = descriptor.embedding.clone() else {
            bail!("`{}` is not a face-recognition (embedding) model", descriptor.name)
        };
        let path = crate::model::locate(models_dir, &spec.file)?;
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read model file {}", path.display()))?;
        let got: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        if got != spec.sha256 {
            bail!(
                "{}: sha256 {got} differs from the descriptor's {} ({}). Fix: put the file the descriptor names in \
                 the models folder (`liveness models verify`), or a descriptor for this file",
                path.display(),
                spec.sha256,
                descriptor.origin
            );
        }
        let session = crate::model::session::open(&path).with_context(|| format!("model `{}`", descriptor.name))?;
        check_signature(&spec, &session)
            .with_context(|| format!("model `{}` ({})", descriptor.name, descriptor.origin))?;
        Ok(Embedder { spec, session, tensor: Vec::new() })
    }

    /// One descriptor per chip (each `input.width x input.height` RGB), in order.
    pub fn embed(&mut self, chips: &[&Frame]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(chips.len());
        for chunk in chips.chunks(BATCH) {
            self.run_chunk(chunk, &mut out)?;
        }
        Ok(out)
    }

    fn run_chunk(&mut self, chips: &[&Frame], out: &mut Vec<Vec<f32>>) -> Result<()> {
        let (w, h) = (self.spec.input.width, self.spec.input.height);
        self.tensor.clear();
        for chip in chips {
            if (chip.width, chip.height) != (w, h) {
                bail!("a face chip is {}x{}, the model takes {w}x{h}", chip.width, chip.height);
            }
            let base = self.tensor.len();
            self.tensor.resize(base + w * h * 3, 0.0);
            let t = &mut self.tensor[base..];
            for (i, px) in chip.pixels.chunks_exact(3).enumerate() {
                for c in 0..3 {
                    let at = match self.spec.input.layout {
                        Layout::Nchw => c * w * h + i,
                        Layout::Nhwc => i * 3 + c,
                    };
                    t[at] = f32::from(px[c]);
                }
            }
        }
        let shape = match self.spec.input.layout {
            Layout::Nchw => [chips.len(), 3, h, w],
            Layout::Nhwc => [chips.len(), h, w, 3],
        };
        let input = TensorRef::from_array_view((shape, self.tensor.as_slice()))?;
        let outputs = self
            .session
            .run(ort::inputs![self.spec.input.name.as_str() => input])
            .context("running the face-recognition model")?;
        let Some(value) = outputs.get(self.spec.output.name.as_str()) else {
            bail!("the face-recognition model has no output named `{}`", self.spec.output.name)
        };
        let (_, values) = value.try_extract_tensor::<f32>()?;
        let dim = self.spec.output.dim;
        if values.len() != dim * chips.len() {
            bail!(
                "the face-recognition model returned {} values for {} chips (want {dim} each)",
                values.len(),
                chips.len()
            );
        }
        out.extend(values.chunks_exact(dim).map(<[f32]>::to_vec));
        Ok(())
    }
}

/// The ONNX file's input and output must be the ones the descriptor names, with agreeing shapes.
fn check_signature(spec: &Embedding, session: &Session) -> Result<()> {
    let (inputs, outputs) = crate::model::session::signature(session);
    let (i, o) = (&spec.input, &spec.output);
    let want: Vec<i64> = match i.layout {
        Layout::Nchw => vec![-1, 3, i.height as i64, i.width as i64],
        Layout::Nhwc => vec![-1, i.height as i64, i.width as i64, 3],
    };
    let agrees = |got: &[i64], want: &[i64]| {
        got.len() == want.len() && got.iter().zip(want).skip(1).all(|(&g, &w)| g == w || g < 0)
    };
    match inputs.iter().find(|(n, _)| *n == i.name) {
        Some((_, shape)) if agrees(shape, &want) => {}
        Some((_, shape)) => bail!("input `{}` has shape {shape:?}, the descriptor says {want:?}", i.name),
        None => bail!("no input named `{}`; the file's inputs are {inputs:?}", i.name),
    }
    match outputs.iter().find(|(n, _)| *n == o.name) {
        Some((_, shape)) if agrees(shape, &[-1, o.dim as i64]) => Ok(()),
        Some((_, shape)) => bail!("output `{}` has shape {shape:?}, the descriptor says dim {}", o.name, o.dim),
        None => bail!("no output named `{}`; the file's outputs are {outputs:?}", o.name),
    }
}
