//! Running one PAD model (a descriptor's members) on a face: crop, tensor, inference, live probability.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::backend::{Backend, Net};
use super::descriptor::{ColorOrder, Descriptor, Layout, Member, OutputKind};
use super::fusion::Fusion;
use super::session::softmax;
use crate::crop::{CropError, crop_face};
use crate::frame::{FaceBox, Frame};

/// A loaded member network with its contract.
pub struct MemberNet {
    pub member: Member,
    net: Net,
    /// Largest batch the ONNX file accepts (1 when its batch dimension is fixed).
    max_batch: usize,
    tensor: Vec<f32>,
}

/// A loaded descriptor: every member's session, ready to score faces.
pub struct Classifier {
    pub descriptor: Descriptor,
    pub members: Vec<MemberNet>,
}

/// What a model says about one face.
#[derive(Clone, Debug, PartialEq)]
pub struct FaceVerdict {
    /// Live probability of each member (its softmax at `live_index`), in descriptor order.
    pub member_live: Vec<f64>,
    /// The live probability of each member model of a fused descriptor (in `[fusion]` order; empty
    /// otherwise): the mean of its own networks' live probabilities.
    pub models: Vec<f64>,
    /// The combined live probability: mean softmax at the live index, or the `[fusion]` rule applied to
    /// `models`.
    pub live: f64,
}

/// Faces per ONNX Runtime call. Measured with `liveness bench`: batches of 8 cost about 23% less per face
/// than single runs for the 80x80 Silent-Face networks; larger batches add little.
pub const BATCH: usize = 8;

impl Classifier {
    /// Opens every member of `descriptor` from `models_dir` on `backend`.
    pub fn load(descriptor: &Descriptor, models_dir: &Path, backend: Backend) -> Result<Classifier> {
        let members = descriptor
            .members
            .iter()
            .map(|m| {
                let path = super::locate(models_dir, &m.file)?;
                super::integrity::check_sha256(&path, &m.sha256)
                    .with_context(|| format!("model `{}`", descriptor.name))?;
                let net = Net::open(backend, &path, &m.input.name, &m.output.name, BATCH, m.precision)
                    .with_context(|| format!("model `{}`", descriptor.name))?;
                let signature = net.signature();
                super::check_signature(m, &signature)
                    .with_context(|| format!("model `{}` ({})", descriptor.name, descriptor.origin))?;
                let (inputs, _) = signature;
                let fixed = inputs
                    .iter()
                    .find(|(n, _)| *n == m.input.name)
                    .and_then(|(_, s)| s.first().copied())
                    .filter(|&d| d > 0);
                let max_batch = fixed.map_or(BATCH, |d| d as usize);
                Ok(MemberNet { member: m.clone(), net, max_batch, tensor: Vec::new() })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Classifier { descriptor: descriptor.clone(), members })
    }

    /// Scores faces (each a face box in an RGB frame) with as few ONNX Runtime calls as the batch size
    /// allows. A face whose crop is degenerate gets its crop error; a failure of ONNX Runtime fails the call.
    pub fn classify(&mut self, faces: &[(&Frame, FaceBox)]) -> Result<Vec<Result<FaceVerdict, CropError>>> {
        let mut crops: Vec<Vec<Frame>> = Vec::with_capacity(self.members.len());
        let mut failed: Vec<Option<CropError>> = (0..faces.len()).map(|_| None).collect();
        for net in &self.members {
            let m = &net.member;
            let mut patches = Vec::with_capacity(faces.len());
            for (i, (frame, face)) in faces.iter().enumerate() {
                match crop_face(frame, face, m.crop_rule(), m.resize_method(), m.input.width, m.input.height) {
                    Ok(p) => patches.push(p),
                    Err(e) => {
                        failed[i].get_or_insert(e);
                        patches.push(Frame::new(0, 0, Vec::new()));
                    }
                }
            }
            crops.push(patches);
        }
        let ok: Vec<usize> = (0..faces.len()).filter(|&i| failed[i].is_none()).collect();
        let mut member_live = vec![Vec::with_capacity(self.members.len()); faces.len()];
        for (net, patches) in self.members.iter_mut().zip(&crops) {
            let chosen: Vec<&Frame> = ok.iter().map(|&i| &patches[i]).collect();
            let probs = net.infer(&chosen)?;
            for (&i, p) in ok.iter().zip(probs) {
                member_live[i].push(p[net.member.output.live_index]);
            }
        }
        let groups = self.descriptor.fusion.as_ref().map(|f| (f, f.groups(&self.descriptor.networks())));
        Ok(failed
            .into_iter()
            .zip(member_live)
            .map(|(err, live)| match err {
                Some(e) => Err(e),
                None => Ok(verdict(live, groups.as_ref())),
            })
            .collect())
    }
}

/// The verdict of one face from its networks' live probabilities: their mean, or for a fused descriptor
/// each member model's mean over its own networks (softmax vectors averaged, then read at the live index,
/// is the mean of the live entries) fused by the `[fusion]` rule.
fn verdict(member_live: Vec<f64>, fusion: Option<&(&Fusion, Vec<Vec<usize>>)>) -> FaceVerdict {
    fn mean(values: impl Iterator<Item = f64>) -> f64 {
        let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        sum / n as f64
    }
    match fusion {
        None => FaceVerdict { live: mean(member_live.iter().copied()), models: Vec::new(), member_live },
        Some((f, groups)) => {
            let models: Vec<f64> = groups.iter().map(|g| mean(g.iter().map(|&i| member_live[i]))).collect();
            FaceVerdict { live: f.combine(&models), models, member_live }
        }
    }
}

impl MemberNet {
    /// Runs the network on already cropped and resized RGB patches; returns each patch's class probabilities.
    pub fn infer(&mut self, patches: &[&Frame]) -> Result<Vec<Vec<f64>>> {
        let raw = self.raw_output(patches)?;
        Ok(raw
            .into_iter()
            .map(|v| match self.member.output.kind {
                OutputKind::Logits => softmax(&v),
                OutputKind::Probabilities => v.iter().map(|&x| f64::from(x)).collect(),
            })
            .collect())
    }

    /// Each patch's output vector as it comes out of the runtime (logits or probabilities).
    pub fn raw_output(&mut self, patches: &[&Frame]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(patches.len());
        for chunk in patches.chunks(self.max_batch) {
            out.extend(self.run_chunk(chunk)?);
        }
        Ok(out)
    }

    fn run_chunk(&mut self, patches: &[&Frame]) -> Result<Vec<Vec<f32>>> {
        self.tensor.clear();
        for p in patches {
            fill_tensor(&mut self.tensor, p, &self.member);
        }
        let mut shape = self.member.input_shape().map(|v| v as usize);
        shape[0] = patches.len();
        let m = &self.member;
        let values = self
            .net
            .run(&m.input.name, &m.output.name, &shape, &self.tensor)
            .with_context(|| format!("running `{}`", m.name))?;
        let classes = self.member.output.classes;
        if values.len() != classes * patches.len() {
            bail!(
                "model `{}` returned {} values for {} faces, its descriptor says {classes} classes",
                self.member.name,
                values.len(),
                patches.len()
            );
        }
        Ok(values.chunks_exact(classes).map(<[f32]>::to_vec).collect())
    }
}

/// The input tensor `member` gets for `face` in `frame`: crop, resize, colour order, scaling and layout.
pub fn input_tensor(member: &Member, frame: &Frame, face: &FaceBox) -> Result<Vec<f32>, CropError> {
    let crop =
        crop_face(frame, face, member.crop_rule(), member.resize_method(), member.input.width, member.input.height)?;
    let mut tensor = Vec::new();
    fill_tensor(&mut tensor, &crop, member);
    Ok(tensor)
}

/// Appends `patch` to `tensor` in the member's layout, colour order and scaling.
fn fill_tensor(tensor: &mut Vec<f32>, patch: &Frame, m: &Member) {
    let (w, h) = (patch.width, patch.height);
    let base = tensor.len();
    tensor.resize(base + w * h * 3, 0.0);
    let tensor = &mut tensor[base..];
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
        fill_tensor(&mut t, &patch, &c["minifas128"].members[0]); // RGB, /255, appended as batch item 2
        assert_eq!(t[6..], [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    }
}
