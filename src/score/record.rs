//! What scoring one image produces.

use serde::Serialize;

use crate::detect::Detection;
use crate::frame::FaceBox;
use crate::quality::Quality;

/// The outcome for one input: scored, or a non-response with a reason code and a human explanation.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Scored,
    NonResponse { reason: String, detail: String },
}

/// One model's opinion of the chosen face.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelScore {
    pub model: String,
    /// Combined live probability, 0..1.
    pub live: f64,
    /// Each member network's live probability, in descriptor order.
    pub members: Vec<(String, f64)>,
}

/// Wall time of each stage for one image, milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Timings {
    pub decode_ms: f64,
    pub detect_ms: f64,
    pub classify_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreRecord {
    /// The input as the user named it (or relative to the dataset root).
    pub path: String,
    pub width: usize,
    pub height: usize,
    /// Every face the detector kept (empty when the box was given).
    pub faces: Vec<Detection>,
    /// The face that was scored (or would have been, for a quality non-response).
    pub face: Option<FaceBox>,
    pub quality: Option<Quality>,
    /// One entry per model, in the order given; the first is the primary score.
    pub models: Vec<ModelScore>,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(skip)]
    pub timings: Timings,
    /// The face's identity descriptor, when the engine runs a recognizer (compare, search, `eval --match`):
    /// computed on the same decoded frame and detected face as the PAD score.
    #[serde(skip)]
    pub identity: Option<crate::recognition::Described>,
}

impl ScoreRecord {
    pub fn new(path: String) -> ScoreRecord {
        ScoreRecord {
            path,
            width: 0,
            height: 0,
            faces: Vec::new(),
            face: None,
            quality: None,
            models: Vec::new(),
            outcome: Outcome::Scored,
            timings: Timings::default(),
            identity: None,
        }
    }

    pub fn non_response(mut self, reason: &str, detail: impl Into<String>) -> ScoreRecord {
        self.refuse(reason, detail);
        self
    }

    /// Turns the record into a non-response in place (for records held in a batch).
    pub fn refuse(&mut self, reason: &str, detail: impl Into<String>) {
        self.models.clear();
        self.outcome = Outcome::NonResponse { reason: reason.to_string(), detail: detail.into() };
    }

    /// The primary live probability, if the image was scored.
    pub fn live(&self) -> Option<f64> {
        match self.outcome {
            Outcome::Scored => self.models.first().map(|m| m.live),
            Outcome::NonResponse { .. } => None,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Scored => None,
            Outcome::NonResponse { reason, .. } => Some(reason),
        }
    }
}
