//! Running `face_landmarks_468.onnx` (MediaPipe Face Mesh): two passes per face, as the contract says.

use std::path::Path;

use anyhow::{Context, Result, bail};
use ort::session::Session;
use ort::value::TensorRef;

use super::crop::{self, SIDE, Square};
use crate::frame::{FaceBox, Frame};

/// The model file, looked up in the models folder like every other model.
pub const MODEL_FILE: &str = "face_landmarks_468.onnx";
/// Number of landmarks.
pub const POINTS: usize = 468;

/// What one run of the network says about one crop, in model-input units (0..192).
#[derive(Clone, Debug, PartialEq)]
pub struct Raw {
    pub points: Vec<[f32; 3]>,
    /// sigmoid of the face-presence logit.
    pub presence: f32,
}

/// The landmarks of one face in image pixels (`z` scaled like `x`, negative = nearer the camera).
#[derive(Clone, Debug, PartialEq)]
pub struct Mesh {
    pub points: Vec<[f64; 3]>,
    pub presence: f32,
    /// The square the final pass cropped.
    pub square: Square,
}

pub struct FaceMesh {
    session: Session,
    tensor: Vec<f32>,
}

impl FaceMesh {
    pub fn load(path: &Path) -> Result<FaceMesh> {
        let session = crate::model::session::open(path).context("face landmark model")?;
        Ok(FaceMesh { session, tensor: Vec::new() })
    }

    /// One network run on a prepared NHWC `[1, 192, 192, 3]` tensor.
    pub fn infer(&mut self, input: &[f32]) -> Result<Raw> {
        if input.len() != SIDE * SIDE * 3 {
            bail!("the landmark model takes {} values (1x192x192x3), got {}", SIDE * SIDE * 3, input.len());
        }
        let tensor = TensorRef::from_array_view(([1usize, SIDE, SIDE, 3], input))?;
        let outputs = self.session.run(ort::inputs!["input_1" => tensor]).context("running the landmark model")?;
        let (_, coords) = outputs["conv2d_21"].try_extract_tensor::<f32>()?;
        let (_, logit) = outputs["conv2d_31"].try_extract_tensor::<f32>()?;
        if coords.len() != POINTS * 3 || logit.len() != 1 {
            bail!(
                "the landmark model returned {} coordinates and {} presence values (want 1404 and 1)",
                coords.len(),
                logit.len()
            );
        }
        let points = coords.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
        Ok(Raw { points, presence: 1.0 / (1.0 + (-logit[0]).exp()) })
    }

    /// The face's landmarks: a first pass on the square around the detector box, a second on the square
    /// around the first pass's landmarks. When the first pass already says "no face" (presence < `min_presence`)
    /// its result is returned as is: a square built from garbage landmarks would not help.
    pub fn landmarks(&mut self, frame: &Frame, face: &FaceBox, min_presence: f32) -> Result<Mesh> {
        let first = self.pass(frame, Square::around_box(face))?;
        if first.presence < min_presence {
            return Ok(first);
        }
        self.pass(frame, Square::around_points(&first.points))
    }

    fn pass(&mut self, frame: &Frame, square: Square) -> Result<Mesh> {
        let mut tensor = std::mem::take(&mut self.tensor);
        crop::sample(frame, &square, &mut tensor);
        let raw = self.infer(&tensor);
        self.tensor = tensor;
        let raw = raw?;
        let k = square.side / SIDE as f64;
        let points = raw
            .points
            .iter()
            .map(|p| {
                let (x, y) = square.to_image(f64::from(p[0]), f64::from(p[1]));
                [x, y, f64::from(p[2]) * k]
            })
            .collect();
        Ok(Mesh { points, presence: raw.presence, square })
    }
}
