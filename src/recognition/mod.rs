//! Face recognition: who a face is, beside the PAD question of whether it is really there.
//!
//! detect (shared with PAD) -> face mesh -> `chip` (dlib's 5-point chip, or the box when the mesh is unsure)
//! -> `embedder` (128-D descriptor) -> Euclidean distance (`matching`).

pub mod chip;
pub mod embedder;
pub mod identities;
pub mod matching;
pub mod verify;

use std::path::Path;

use anyhow::{Result, bail};
use serde::Serialize;

use crate::frame::{FaceBox, Frame};
use crate::landmarks::FaceMesh;
use crate::model::descriptor::{ChipRule, Descriptor};
use chip::Affine;
pub use embedder::Embedder;

/// How one face's chip was cut: recorded per image, because a `dlib5` model falls back to `box` when the
/// mesh is unsure, and the two rules' descriptors differ by about 0.5.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChipInfo {
    /// The rule actually used for this face.
    pub rule: ChipRule,
    /// The face mesh's presence score (absent for a `box` model, which runs no mesh).
    pub presence: Option<f32>,
    /// Chip pixel -> image pixel.
    #[serde(skip)]
    pub affine: Affine,
}

/// A face's identity descriptor and how its chip was made.
#[derive(Clone, Debug, PartialEq)]
pub struct Described {
    pub descriptor: Vec<f32>,
    pub chip: ChipInfo,
}

/// A worker's recognition engine: its own mesh and recognition sessions.
pub struct Recognizer {
    pub descriptor: Descriptor,
    embedder: Embedder,
    /// Loaded only for the `dlib5` rule.
    mesh: Option<FaceMesh>,
}

impl Recognizer {
    pub fn load(descriptor: &Descriptor, models_dir: &Path) -> Result<Recognizer> {
        let embedder = Embedder::load(descriptor, models_dir)?;
        let mesh = match embedder.spec.chip.rule {
            ChipRule::Dlib5 => {
                Some(FaceMesh::load(&crate::model::locate(models_dir, crate::landmarks::mesh::MODEL_FILE)?)?)
            }
            ChipRule::Box => None,
        };
        Ok(Recognizer { descriptor: descriptor.clone(), embedder, mesh })
    }

    /// The model file's sha256 (checked at load): what a gallery records to refuse descriptors of another model.
    pub fn model_sha256(&self) -> &str {
        &self.embedder.spec.sha256
    }

    /// The descriptor's crop rule (`dlib5` implies the `box` fallback).
    pub fn rule(&self) -> ChipRule {
        self.embedder.spec.chip.rule
    }

    /// The default match threshold of the descriptor.
    pub fn threshold(&self) -> f64 {
        self.embedder.spec.threshold
    }

    /// The chip of `face` in `frame` under the model's rule.
    pub fn chip(&mut self, frame: &Frame, face: &FaceBox) -> Result<(Frame, ChipInfo)> {
        let spec = &self.embedder.spec;
        let side = spec.input.width;
        if spec.input.height != side {
            bail!("face chips are square; the recognition model takes {}x{}", spec.input.width, spec.input.height);
        }
        let (rule, presence, affine) = match &mut self.mesh {
            Some(mesh) => {
                let m = mesh.landmarks(frame, face, spec.chip.min_presence)?;
                if m.presence >= spec.chip.min_presence {
                    (
                        ChipRule::Dlib5,
                        Some(m.presence),
                        chip::dlib5(&chip::mesh_points(&m.points), side, spec.chip.padding),
                    )
                } else {
                    (ChipRule::Box, Some(m.presence), chip::square(face, side))
                }
            }
            None => (ChipRule::Box, None, chip::square(face, side)),
        };
        Ok((chip::warp(frame, &affine, side), ChipInfo { rule, presence, affine }))
    }

    /// Descriptors of several faces, in one network call per batch.
    pub fn describe(&mut self, faces: &[(&Frame, FaceBox)]) -> Result<Vec<Described>> {
        let mut chips = Vec::with_capacity(faces.len());
        let mut infos = Vec::with_capacity(faces.len());
        for (frame, face) in faces {
            let (c, info) = self.chip(frame, face)?;
            chips.push(c);
            infos.push(info);
        }
        let refs: Vec<&Frame> = chips.iter().collect();
        let descriptors = self.embedder.embed(&refs)?;
        Ok(descriptors.into_iter().zip(infos).map(|(descriptor, chip)| Described { descriptor, chip }).collect())
    }

    /// The network alone, on ready chips (the parity tests feed the reference crops).
    pub fn embed(&mut self, chips: &[&Frame]) -> Result<Vec<Vec<f32>>> {
        self.embedder.embed(chips)
    }
}

/// Euclidean distance between two descriptors, accumulated in f64.
pub fn distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests;
