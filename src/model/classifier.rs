//! Running one PAD model (a descriptor's members) on a face: crop, tensor, inference, live probability.

use std::path::Path;

use anyhow::{Context, Result, bail};
use ort::session::Session;
use ort::value::TensorRef;

use super::descriptor::{ColorOrder, Descriptor, Layout, Member, OutputKind};
use super::session::{open, softmax};
use crate::crop::{CropError, crop_face};
use crate::frame::{FaceBox, Frame};

/// A loaded member network with its contract.
pub struct MemberNet {
    pub member: Member,
    session: Session,
    tensor: Vec<f32>,
}

/// A loaded descriptor: every member's session, ready to score faces.
pub struct Classifier {
    pub descriptor: Descriptor,
    pub members: Vec<MemberNet>,
}

/// What a model says about one face.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Live probability of each member (its softmax at `live_index`), in descriptor order.
    pub member_live: Vec<f64>,
    /// The combined live probability (mean softmax at the live index).
    pub live: f64,
}

/// Why a face could not be classified.
#[derive(Debug)]
pub enum ClassifyError {
    /// The crop is degenerate (box outside the image, empty): a non-response for this image.
    Crop(CropError),
    /// ONNX Runtime failed: a problem of the model, not of the image.
    Runtime(anyhow::Error),
}

impl Classifier {
    /// Opens every member of `descriptor` from `models_dir`.
    pub fn load(descriptor: &Descriptor, models_dir: &Path) -> Result<Classifier> {
        let members = descriptor
            .members
            .iter()
            .map(|m| {
                let path = super::locate(models_dir, &m.file)?;
                let session = open(&path).with_context(|| format!("model `{}`", descriptor.name))?;
                Ok(MemberNet { member: m.clone(), session, tensor: Vec::new() })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Classifier { descriptor: descriptor.clone(), members })
    }

    /// Scores one face of `frame` (RGB).
    pub fn classify(&mut self, frame: &Frame, face: &FaceBox) -> Result<Verdict, ClassifyError> {
        let mut member_live = Vec::with_capacity(self.members.len());
        for net in &mut self.members {
            let m = &net.member;
            let crop = crop_face(frame, face, m.crop_rule(), m.resize_method(), m.input.width, m.input.height)
                .map_err(ClassifyError::Crop)?;
            let probs = net.infer(&crop).map_err(ClassifyError::Runtime)?;
            member_live.push(probs[net.member.output.live_index]);
        }
        let live = member_live.iter().sum::<f64>() / member_live.len() as f64;
        Ok(Verdict { member_live, live })
    }
}

impl MemberNet {
    /// Runs the network on an already cropped and resized RGB patch; returns the class probabilities.
    pub fn infer(&mut self, patch: &Frame) -> Result<Vec<f64>> {
        let raw = self.raw_output(patch)?;
        Ok(match self.member.output.kind {
            OutputKind::Logits => softmax(&raw),
            OutputKind::Probabilities => raw.iter().map(|&v| f64::from(v)).collect(),
        })
    }

    /// The network's output vector as it comes out of ONNX Runtime (logits or probabilities).
    pub fn raw_output(&mut self, patch: &Frame) -> Result<Vec<f32>> {
        fill_tensor(&mut self.tensor, patch, &self.member);
        let shape = self.member.input_shape();
        let input = TensorRef::from_array_view((shape, self.tensor.as_slice()))?;
        let outputs = self
            .session
            .run(ort::inputs![self.member.input.name.as_str() => input])
            .with_context(|| format!("running `{}`", self.member.name))?;
        let Some(out) = outputs.get(self.member.output.name.as_str()) else {
            bail!("model `{}` has no output named `{}`", self.member.name, self.member.output.name)
        };
        let (_, values) = out.try_extract_tensor::<f32>()?;
        if values.len() != self.member.output.classes {
            bail!("model `{}` returned {} values, its descriptor says {} classes", self.member.name, values.len(), self.member.output.classes);
        }
        Ok(values.to_vec())
    }
}

/// Writes `patch` into `tensor` in the member's layout, colour order and scaling.
fn fill_tensor(tensor: &mut Vec<f32>, patch: &Frame, m: &Member) {
    let (w, h) = (patch.width, patch.height);
    tensor.clear();
    tensor.resize(w * h * 3, 0.0);
    let n = &m.normalize;
    let src_channel = |c: usize| match m.color {
        ColorOrder::Rgb => c,
        ColorOrder::Bgr => 2 - c,
    };
    for c in 0..3 {
        let (s, mean, std) = (n.scale, n.mean[c], n.std[c]);
        let sc = src_channel(c);
        for (i, px) in patch.pixels.chunks_exact(3).enumerate() {
            let v = (f32::from(px[sc]) * s - mean) / std;
            let at = match m.input.layout {
                Layout::Nchw => c * w * h + i,
                Layout::Nhwc => i * 3 + c,
            };
            tensor[at] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::descriptor::catalog;

    #[test]
    fn tensor_layout_colour_and_scaling_follow_the_descriptor() {
        let c = catalog(&[]).unwrap();
        // 2x1 RGB patch: red then blue.
        let patch = Frame::new(2, 1, vec![255, 0, 0, 0, 0, 255]);
        let mut t = Vec::new();
        fill_tensor(&mut t, &patch, &c["silentface"].members[0]); // BGR, raw 0..255, NCHW
        assert_eq!(t, vec![0.0, 255.0, 0.0, 0.0, 255.0, 0.0]);
        fill_tensor(&mut t, &patch, &c["minifas128"].members[0]); // RGB, /255
        assert_eq!(t, vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    }
}
