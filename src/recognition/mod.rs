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
mod tests {
    //! Exact parity with `face_recognition_reference.json`: the network on the reference crops, the chip
    //! transforms from the stored affine matrices, and the warp against the stored crop pixels.

    use base64::Engine;
    use serde_json::Value;

    use super::chip::{self, Affine};
    use super::*;
    use crate::decode::{DecodeLimits, decode_file};
    use crate::detect::{largest, ultraface::UltraFace};
    use crate::model::descriptor::{DEFAULT_RECOGNIZER, catalog, resolve_embedding};
    use crate::test_support::shared_models;

    fn reference(models: &Path) -> Value {
        let text = std::fs::read_to_string(models.join("face_recognition_reference.json")).expect("reference JSON");
        serde_json::from_str(&text).expect("parse reference JSON")
    }

    fn crop_of(example: &Value) -> Frame {
        let b64 = example["rgb_u8_b64"].as_str().unwrap();
        Frame::new(150, 150, base64::engine::general_purpose::STANDARD.decode(b64).unwrap())
    }

    fn affine_of(example: &Value) -> Affine {
        let m = &example["chip_to_image_affine"];
        let row = |r: usize| [0, 1, 2].map(|c| m[r][c].as_f64().unwrap());
        Affine([row(0), row(1)])
    }

    fn floats(v: &Value) -> Vec<f32> {
        v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
    }

    fn recognizer(models: &Path) -> Recognizer {
        let d = resolve_embedding(DEFAULT_RECOGNIZER, &catalog(&[]).unwrap()).unwrap();
        Recognizer::load(&d, models).unwrap()
    }

    #[test]
    fn reference_crops_give_face_api_descriptors_within_1e_4() {
        let Some(models) = shared_models("reference_crops_give_face_api_descriptors") else { return };
        let r = reference(&models);
        let mut rec = recognizer(&models);
        assert_eq!(rec.model_sha256(), r["model_sha256"].as_str().unwrap());
        let examples = r["examples"].as_array().unwrap();
        let crops: Vec<Frame> = examples.iter().map(crop_of).collect();
        let got = rec.embed(&crops.iter().collect::<Vec<_>>()).unwrap();
        for (e, d) in examples.iter().zip(&got) {
            let want = floats(&e["descriptor"]);
            let worst = d.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst <= 1e-4, "{}: max |diff| {worst}", e["source"]);
        }
        // The pairwise distance matrix, from our descriptors.
        let pairs = &r["pairwise_euclidean_distances"];
        for i in 0..got.len() {
            for j in 0..got.len() {
                let want = pairs[i][j].as_f64().unwrap();
                assert!((distance(&got[i], &got[j]) - want).abs() < 1e-4, "pair {i},{j}");
            }
        }
    }

    #[test]
    fn box_rule_reproduces_the_stored_affines() {
        let Some(models) = shared_models("box_rule_reproduces_the_stored_affines") else { return };
        let r = reference(&models);
        for e in r["examples"].as_array().unwrap().iter().filter(|e| e["crop"] == "box") {
            let b = &e["detector_box_xyxy"];
            let c = |i: usize| b[i].as_i64().unwrap() as i32;
            let m = chip::square(&FaceBox { x1: c(0), y1: c(1), x2: c(2), y2: c(3) }, 150);
            let dev = m.max_deviation(&affine_of(e), 150);
            assert!(dev < 1e-3, "{}: {dev} px", e["source"]);
        }
    }

    /// The whole chip path on the real images: detector box, face mesh, dlib5 transform and warp.
    #[test]
    fn detector_mesh_and_chips_reproduce_the_reference_on_nuaa() {
        let Some(models) = shared_models("detector_mesh_and_chips_reproduce_the_reference") else { return };
        let data = models.join("../datasets/nuaa-train");
        let r = reference(&models);
        let mut det = UltraFace::load(&models.join(crate::schema::DETECTOR_FILE)).unwrap();
        let mut rec = recognizer(&models);
        for e in r["examples"].as_array().unwrap() {
            let src = e["source"].as_str().unwrap();
            let frame = decode_file(&data.join(src), &DecodeLimits::default()).unwrap();
            let face = largest(&det.detect(&frame).unwrap()).unwrap().face;
            let b = &e["detector_box_xyxy"];
            assert_eq!(
                [face.x1, face.y1, face.x2, face.y2].map(i64::from).to_vec(),
                floats(b).iter().map(|&v| v as i64).collect::<Vec<_>>(),
                "{src}"
            );
            let want = affine_of(e);
            // The stored matrix sampled by our warp gives the stored crop (OpenCV's fixed-point bilinear differs
            // by a grey level or two on some pixels).
            let crop = chip::warp(&frame, &want, 150);
            let reference = crop_of(e);
            let worst = crop.pixels.iter().zip(&reference.pixels).map(|(&a, &b)| a.abs_diff(b)).max().unwrap();
            assert!(worst <= 2, "{src}: warp differs by {worst} grey levels");
            if e["crop"] == "dlib5" {
                // End to end the transform rests on our face mesh, whose 192x192 input our float bilinear samples
                // where the reference used OpenCV's fixed-point one: measured 0.047 px at the chip's corners (the
                // transform itself is exact: `chip::tests`). The descriptor then moves in the 3rd decimal.
                let [d] = &rec.describe(&[(&frame, face)]).unwrap()[..] else { panic!("one face") };
                assert_eq!(d.chip.rule, ChipRule::Dlib5);
                assert!(d.chip.presence.unwrap() >= 0.5);
                let dev = d.chip.affine.max_deviation(&want, 150);
                assert!(dev < 0.1, "{src}: dlib5 chip transform off by {dev} px: {:?} vs {want:?}", d.chip.affine);
                let moved = distance(&d.descriptor, &floats(&e["descriptor"]));
                assert!(moved < 0.02, "{src}: end-to-end descriptor {moved} from the reference");
            }
        }
    }
}
