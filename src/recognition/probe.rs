//! One pass per image for liveness and identity: decode and detect once (`score::pipeline::prepare`), then
//! the recognition chip and descriptor and the PAD classifiers on the same frame and face.

use anyhow::Result;
use serde::Serialize;

use super::{Described, Recognizer};
use crate::model::descriptor::Descriptor;
use crate::policy::{Band, Policy};
use crate::score::pipeline::{Engine, EngineSpec, Job, Settings, classify, prepare};
use crate::score::record::{Outcome, ScoreRecord};

/// A worker's PAD engine and recognition engine.
pub struct FaceEngine {
    pad: Engine,
    pub recognizer: Recognizer,
}

/// What one image gave: its PAD record (a non-response carries the reason) and, for a face that passed
/// decoding, detection and the quality gates, its descriptor. A non-response has no descriptor: the
/// combined decision rejects it whatever the matcher would say.
pub struct Analyzed {
    pub rec: ScoreRecord,
    pub identity: Option<Described>,
}

impl Analyzed {
    /// The live probability, if PAD scored the image.
    pub fn live(&self) -> Option<f64> {
        self.rec.live()
    }
}

impl FaceEngine {
    pub fn load(spec: &EngineSpec, recognizer: &Descriptor) -> Result<FaceEngine> {
        Ok(FaceEngine { pad: Engine::load(spec)?, recognizer: Recognizer::load(recognizer, &spec.models_dir)? })
    }

    /// Decode, detect, describe and classify a chunk of images (one network call per model and chunk).
    pub fn analyze(&mut self, jobs: &[Job], settings: &Settings) -> Result<Vec<Analyzed>> {
        let mut prepared = jobs.iter().map(|job| prepare(&mut self.pad, job, settings)).collect::<Result<Vec<_>>>()?;
        let faces: Vec<(usize, (&crate::frame::Frame, crate::frame::FaceBox))> =
            prepared.iter().enumerate().filter_map(|(i, p)| p.pending().map(|f| (i, f))).collect();
        let described = self.recognizer.describe(&faces.iter().map(|(_, f)| *f).collect::<Vec<_>>())?;
        let mut identities: Vec<Option<Described>> = vec![None; jobs.len()];
        for ((i, _), d) in faces.iter().zip(described) {
            identities[*i] = Some(d);
        }
        classify(&mut self.pad, &mut prepared)?;
        Ok(prepared.into_iter().zip(identities).map(|(p, identity)| Analyzed { rec: p.rec, identity }).collect())
    }
}

/// The probe's liveness as compare and search report it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Liveness {
    /// Live probability 0..1 (absent for a non-response).
    pub score: Option<f64>,
    pub threshold: f64,
    /// `score >= threshold`; false for a non-response.
    pub passed: bool,
    pub band: Option<Band>,
    /// Why there is no score (`no_face`, `multiple_faces`, a quality gate, ...).
    pub reason: Option<String>,
    pub detail: Option<String>,
}

impl Liveness {
    pub fn of(rec: &ScoreRecord, policy: &Policy) -> Liveness {
        let score = rec.live();
        let (reason, detail) = match &rec.outcome {
            Outcome::Scored => (None, None),
            Outcome::NonResponse { reason, detail } => (Some(reason.clone()), Some(detail.clone())),
        };
        Liveness {
            score,
            threshold: policy.threshold,
            passed: score.is_some_and(|s| policy.is_live(s)),
            band: score.map(|s| policy.band(s)),
            reason,
            detail,
        }
    }
}
