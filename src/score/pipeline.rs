//! decode -> detect -> quality gates -> crop -> classify, for one image on one worker's engine.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use super::record::{ModelScore, ScoreRecord, Timings};
use crate::decode::{DecodeLimits, decode_file};
use crate::detect::{Detection, MultiFace, largest, ultraface::UltraFace};
use crate::frame::FaceBox;
use crate::model::classifier::{ClassifyError, Classifier};
use crate::model::descriptor::Descriptor;
use crate::policy::Policy;
use crate::quality;

/// Everything a worker needs to score images: its own detector and classifier sessions.
pub struct Engine {
    detector: UltraFace,
    models: Vec<Classifier>,
}

/// Where to find models and which to run; shared by all workers.
#[derive(Clone)]
pub struct EngineSpec {
    pub models_dir: PathBuf,
    pub detector_file: String,
    pub descriptors: Vec<Descriptor>,
}

impl Engine {
    pub fn load(spec: &EngineSpec) -> Result<Engine> {
        let detector = UltraFace::load(&crate::model::locate(&spec.models_dir, &spec.detector_file)?)?;
        let models = spec.descriptors.iter().map(|d| Classifier::load(d, &spec.models_dir)).collect::<Result<_>>()?;
        Ok(Engine { detector, models })
    }
}

/// Per-run settings that are not part of the engine.
#[derive(Clone)]
pub struct Settings {
    pub policy: Policy,
    pub limits: DecodeLimits,
    /// A face box given by the caller: detection is skipped.
    pub given_box: Option<FaceBox>,
}

/// One input: the file to read and the name to report it under.
#[derive(Clone, Debug)]
pub struct Job {
    pub file: PathBuf,
    pub name: String,
    pub given_box: Option<FaceBox>,
}

/// Scores one image. Never fails: every problem with the image becomes a non-response with a reason; only a
/// failure of ONNX Runtime itself is returned as an error.
pub fn score(engine: &mut Engine, job: &Job, settings: &Settings) -> Result<ScoreRecord> {
    let mut rec = ScoreRecord::new(job.name.clone());
    let t0 = Instant::now();
    let frame = match decode_file(&job.file, &settings.limits) {
        Ok(f) => f,
        Err(e) => return Ok(rec.non_response(e.reason(), e.to_string())),
    };
    rec.width = frame.width;
    rec.height = frame.height;
    let t1 = Instant::now();
    let chosen = match job.given_box.or(settings.given_box) {
        Some(face) => Choice::Face(face),
        None => {
            rec.faces = engine.detector.detect(&frame)?;
            choose(&rec.faces, settings.policy.quality.multi_face)
        }
    };
    let t2 = Instant::now();
    rec.timings = Timings { decode_ms: ms(t0, t1), detect_ms: ms(t1, t2), classify_ms: 0.0 };
    let face = match chosen {
        Choice::Face(face) => face,
        Choice::None => return Ok(rec.non_response("no_face", format!("{}: no face found by the detector", job.name))),
        Choice::Several(n) => {
            return Ok(rec.non_response("multiple_faces", format!("{}: {n} faces found and the policy rejects several faces", job.name)));
        }
    };
    rec.face = Some(face);
    rec.quality = quality::measure(&frame, &face);
    let Some(q) = rec.quality else {
        return Ok(rec.non_response("crop_failed", format!("{}: the face box {face:?} lies outside the image", job.name)));
    };
    if let Some(reason) = quality::gate(&q, &settings.policy.quality) {
        return Ok(rec.non_response(reason, format!("{}: quality gate {reason} (measures: {q:?})", job.name)));
    }
    for model in &mut engine.models {
        match model.classify(&frame, &face) {
            Ok(v) => rec.models.push(ModelScore {
                model: model.descriptor.name.clone(),
                live: v.live,
                members: model.members.iter().map(|m| m.member.name.clone()).zip(v.member_live).collect(),
            }),
            Err(ClassifyError::Crop(e)) => return Ok(rec.non_response("crop_failed", format!("{}: {e}", job.name))),
            Err(ClassifyError::Runtime(e)) => return Err(e.context(format!("scoring {}", job.name))),
        }
    }
    rec.timings.classify_ms = ms(t2, Instant::now());
    Ok(rec)
}

enum Choice {
    Face(FaceBox),
    None,
    Several(usize),
}

fn choose(faces: &[Detection], policy: MultiFace) -> Choice {
    if policy == MultiFace::Reject && faces.len() > 1 {
        return Choice::Several(faces.len());
    }
    largest(faces).map_or(Choice::None, |d| Choice::Face(d.face))
}

fn ms(a: Instant, b: Instant) -> f64 {
    (b - a).as_secs_f64() * 1000.0
}
