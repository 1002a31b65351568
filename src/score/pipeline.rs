//! decode -> detect -> quality gates -> crop -> classify, for one image on one worker's engine.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use super::record::{ModelScore, ScoreRecord, Timings};
use crate::decode::{DecodeError, DecodeLimits, decode_file};
use crate::detect::{Detection, largest, ultraface::UltraFace};
use crate::frame::{FaceBox, Frame};
use crate::model::backend::Backend;
use crate::model::classifier::{Classifier, FaceVerdict};
use crate::model::descriptor::Descriptor;
use crate::policy::Policy;
use crate::quality;
use crate::recognition::Recognizer;
use crate::schema::MultiFace;

/// Everything a worker needs to score images: its own detector and classifier sessions.
pub struct Engine {
    detector: UltraFace,
    models: Vec<Classifier>,
    recognizer: Option<Recognizer>,
}

/// Where to find models and which to run; shared by all workers.
#[derive(Clone)]
pub struct EngineSpec {
    pub models_dir: PathBuf,
    pub detector_file: String,
    pub descriptors: Vec<Descriptor>,
    /// The runtime for the classifiers (the detector always runs on ONNX Runtime).
    pub backend: Backend,
    /// Face recognition in the same pass (the descriptor lands in `ScoreRecord::identity`).
    pub recognizer: Option<Descriptor>,
}

impl Engine {
    pub fn load(spec: &EngineSpec) -> Result<Engine> {
        let detector = UltraFace::load(&crate::model::locate(&spec.models_dir, &spec.detector_file)?)?;
        let models = spec
            .descriptors
            .iter()
            .map(|d| Classifier::load(d, &spec.models_dir, spec.backend))
            .collect::<Result<_>>()?;
        let recognizer = spec.recognizer.as_ref().map(|d| Recognizer::load(d, &spec.models_dir)).transpose()?;
        Ok(Engine { detector, models, recognizer })
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

/// An image after decoding, detection and the quality gates: finished (a non-response), or holding the
/// decoded frame and chosen face until the classifiers run on a batch of such images.
pub struct Prepared {
    pub rec: ScoreRecord,
    pending: Option<(Frame, FaceBox)>,
}

/// Scores one image. Never fails for a problem with the image (that becomes a non-response with a reason);
/// only a failure of ONNX Runtime itself is returned as an error.
pub fn score(engine: &mut Engine, job: &Job, settings: &Settings) -> Result<ScoreRecord> {
    let mut batch = [prepare(engine, job, settings)?];
    classify(engine, &mut batch)?;
    let [p] = batch;
    Ok(p.rec)
}

/// Decode, detect and gate one image file.
pub fn prepare(engine: &mut Engine, job: &Job, settings: &Settings) -> Result<Prepared> {
    prepare_with(engine, &job.name, job.given_box, settings, || decode_file(&job.file, &settings.limits))
}

/// Decode (with `decode`: a file, or bytes a server received), detect and gate one image reported as `name`.
/// Files and uploads take this one path, so a server's score equals the command line's for the same bytes.
pub fn prepare_with(
    engine: &mut Engine,
    name: &str,
    given_box: Option<FaceBox>,
    settings: &Settings,
    decode: impl FnOnce() -> Result<Frame, DecodeError>,
) -> Result<Prepared> {
    let mut rec = ScoreRecord::new(name.to_string());
    let done = |rec: ScoreRecord| Ok(Prepared { rec, pending: None });
    let t0 = Instant::now();
    let frame = match decode() {
        Ok(f) => f,
        Err(e) => return done(rec.non_response(e.reason(), e.to_string())),
    };
    rec.width = frame.width;
    rec.height = frame.height;
    let t1 = Instant::now();
    let chosen = match given_box.or(settings.given_box) {
        Some(face) => Choice::Face(face),
        None => {
            rec.faces = engine.detector.detect(&frame)?;
            choose(&rec.faces, settings.policy.quality.multi_face)
        }
    };
    rec.timings = Timings { decode_ms: ms(t0, t1), detect_ms: ms(t1, Instant::now()), classify_ms: 0.0 };
    let face = match chosen {
        Choice::Face(face) => face,
        Choice::None => {
            return done(rec.non_response("no_face", format!("{name}: no face found by the detector")));
        }
        Choice::Several(n) => {
            return done(rec.non_response(
                "multiple_faces",
                format!("{name}: {n} faces found and the policy rejects several faces"),
            ));
        }
    };
    rec.face = Some(face);
    rec.quality = quality::measure(&frame, &face);
    let Some(q) = rec.quality else {
        return done(rec.non_response("crop_failed", format!("{name}: the face box {face:?} lies outside the image")));
    };
    if let Some(reason) = quality::gate(&q, &settings.policy.quality) {
        return done(rec.non_response(reason, format!("{name}: quality gate {reason} (measures: {q:?})")));
    }
    Ok(Prepared { rec, pending: Some((frame, face)) })
}

/// Runs every model on the pending faces of `batch` (one ONNX Runtime call per member and batch) and
/// completes their records; frames are released afterwards.
pub fn classify(engine: &mut Engine, batch: &mut [Prepared]) -> Result<()> {
    let t = Instant::now();
    let idx: Vec<usize> = (0..batch.len()).filter(|&i| batch[i].pending.is_some()).collect();
    if idx.is_empty() {
        return Ok(());
    }
    let faces: Vec<(&Frame, FaceBox)> =
        idx.iter().filter_map(|&i| batch[i].pending.as_ref().map(|(f, b)| (f, *b))).collect();
    let identities = match &mut engine.recognizer {
        Some(r) => r.describe(&faces)?.into_iter().map(Some).collect(),
        None => vec![None; idx.len()],
    };
    let mut results = Vec::with_capacity(engine.models.len());
    for model in &mut engine.models {
        results.push(model.classify(&faces)?);
    }
    let per_face = ms(t, Instant::now()) / idx.len() as f64;
    for ((k, &i), identity) in idx.iter().enumerate().zip(identities) {
        let p = &mut batch[i];
        p.pending = None;
        p.rec.identity = identity;
        p.rec.timings.classify_ms = per_face;
        for (model, verdicts) in engine.models.iter().zip(&results) {
            match &verdicts[k] {
                Ok(v) => p.rec.models.extend(model_scores(model, v)),
                Err(e) => {
                    let detail = format!("{}: {e}", p.rec.path);
                    p.rec.refuse("crop_failed", detail);
                    break;
                }
            }
        }
    }
    Ok(())
}

/// A model's scores of one face: its own, then (fused descriptors) each member model's, with the member
/// networks' live probabilities under the model they belong to.
fn model_scores(model: &Classifier, v: &FaceVerdict) -> Vec<ModelScore> {
    let d = &model.descriptor;
    let nets =
        |idx: &mut dyn Iterator<Item = usize>| idx.map(|i| (d.members[i].name.clone(), v.member_live[i])).collect();
    let mut out = vec![ModelScore { model: d.name.clone(), live: v.live, members: nets(&mut (0..d.members.len())) }];
    if let Some(f) = &d.fusion {
        for ((m, group), &live) in f.models.iter().zip(f.groups(&d.networks())).zip(&v.models) {
            out.push(ModelScore { model: m.name.clone(), live, members: nets(&mut group.into_iter()) });
        }
    }
    out
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
