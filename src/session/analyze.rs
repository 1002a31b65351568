//! One session's frames through decode -> detect -> landmarks (two passes) -> passive PAD.
//!
//! A frame that cannot be used (undecodable, no face, two people, landmarks without a face) is dropped with
//! its reason; the session as a whole becomes a non-response only when it cannot be judged (no frames, frames
//! of different sizes, too few usable frames), so one bad frame does not cost a session.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use serde::Serialize;

use super::input::{Problem, SessionInput, select};
use super::policy::SessionPolicy;
use crate::decode::{DecodeLimits, decode_file};
use crate::detect::{Detection, largest, ultraface::UltraFace};
use crate::frame::{FaceBox, Frame};
use crate::landmarks::{FaceMesh, Geometry, MIN_PRESENCE, mesh::MODEL_FILE};
use crate::model::backend::Backend;
use crate::model::classifier::Classifier;
use crate::model::descriptor::Descriptor;
use crate::model::locate;

/// One worker's networks: detector, face mesh, and the passive PAD classifier when asked for.
pub struct SessionEngine {
    detector: UltraFace,
    mesh: FaceMesh,
    passive: Option<Classifier>,
}

impl SessionEngine {
    pub fn load(models_dir: &Path, passive: Option<&Descriptor>) -> Result<SessionEngine> {
        Ok(SessionEngine {
            detector: UltraFace::load(&locate(models_dir, crate::schema::DETECTOR_FILE)?)?,
            mesh: FaceMesh::load(&locate(models_dir, MODEL_FILE)?)?,
            passive: passive.map(|d| Classifier::load(d, models_dir, Backend::Ort)).transpose()?,
        })
    }
}

/// What happened to one frame.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FrameReport {
    pub file: String,
    pub t: Option<f64>,
    pub faces: usize,
    #[serde(rename = "box")]
    pub face: Option<FaceBox>,
    pub presence: Option<f32>,
    pub geometry: Option<Geometry>,
    /// Passive PAD live probability of this frame.
    pub passive: Option<f64>,
    /// Why the frame is not used; `None` for a usable frame.
    pub dropped: Option<&'static str>,
    /// The 468 landmarks in image pixels, when asked for (`session frames --points`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<Vec<[f64; 3]>>,
}

impl FrameReport {
    pub fn usable(&self) -> bool {
        self.dropped.is_none() && self.geometry.is_some()
    }
}

/// Wall time per stage over a session, milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Stages {
    pub decode: f64,
    pub detect: f64,
    pub landmarks: f64,
    pub passive: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// Frames the session holds.
    pub frames_captured: usize,
    /// The selected frames, in timeline order.
    pub frames: Vec<FrameReport>,
    pub problem: Option<Problem>,
    pub stages: Stages,
}

impl Analysis {
    pub fn usable(&self) -> impl Iterator<Item = &FrameReport> {
        self.frames.iter().filter(|f| f.usable())
    }
}

/// Analyses the selected frames of `session`. Only an ONNX Runtime failure is an error.
pub fn analyze(
    engine: &mut SessionEngine,
    session: &SessionInput,
    policy: &SessionPolicy,
    limits: &DecodeLimits,
    points: bool,
) -> Result<Analysis> {
    let mut a = Analysis {
        frames_captured: session.frames.len(),
        frames: Vec::new(),
        problem: session.problem.clone(),
        stages: Stages::default(),
    };
    if a.problem.is_some() {
        return Ok(a);
    }
    let mut size: Option<(usize, usize, String)> = None;
    for i in select(&session.frames, policy.max_frames) {
        let frame_ref = &session.frames[i];
        let file = frame_ref.path.display().to_string();
        let mut r = FrameReport {
            file: file.clone(),
            t: frame_ref.t,
            faces: 0,
            face: None,
            presence: None,
            geometry: None,
            passive: None,
            dropped: None,
            points: None,
        };
        let t0 = Instant::now();
        let decoded = decode_file(&frame_ref.path, limits);
        a.stages.decode += ms(t0);
        let frame = match decoded {
            Ok(f) => f,
            Err(e) => {
                r.dropped = Some(e.reason());
                a.frames.push(r);
                continue;
            }
        };
        match &size {
            Some((w, h, first)) if (*w, *h) != (frame.width, frame.height) => {
                let detail = format!(
                    "{file} is {}x{} but {first} is {w}x{h}: a session's frames come from one camera stream",
                    frame.width, frame.height
                );
                a.problem = Some(Problem { reason: "mixed_frame_sizes", detail });
                return Ok(a);
            }
            Some(_) => {}
            None => size = Some((frame.width, frame.height, file.clone())),
        }
        frame_geometry(engine, &frame, policy, points, &mut r, &mut a.stages)?;
        a.frames.push(r);
    }
    let usable = a.usable().count();
    if usable < policy.min_frames {
        a.problem = Some(too_few(&a, usable, policy.min_frames));
    }
    Ok(a)
}

/// Detect, landmarks and passive score of one decoded frame, into `r`.
fn frame_geometry(
    engine: &mut SessionEngine,
    frame: &Frame,
    policy: &SessionPolicy,
    points: bool,
    r: &mut FrameReport,
    stages: &mut Stages,
) -> Result<()> {
    let t = Instant::now();
    let detections = engine.detector.detect(frame)?;
    stages.detect += ms(t);
    r.faces = detections.len();
    let Some(face) = largest(&detections).map(|d| d.face) else {
        r.dropped = Some("no_face");
        return Ok(());
    };
    r.face = Some(face);
    if people(&detections, &face, policy.second_face_share) > 1 {
        r.dropped = Some("multiple_faces");
        return Ok(());
    }
    let t = Instant::now();
    let mesh = engine.mesh.landmarks(frame, &face, MIN_PRESENCE)?;
    stages.landmarks += ms(t);
    r.presence = Some(mesh.presence);
    if mesh.presence < MIN_PRESENCE {
        r.dropped = Some("no_face_landmarks");
        return Ok(());
    }
    r.geometry = Some(Geometry::measure(&mesh.points));
    if points {
        r.points = Some(mesh.points);
    }
    if let Some(clf) = engine.passive.as_mut() {
        let t = Instant::now();
        // A crop the classifier cannot make leaves the frame without a passive score; its geometry still counts.
        r.passive = clf.classify(&[(frame, face)])?.pop().and_then(|v| v.ok()).map(|v| v.live);
        stages.passive += ms(t);
    }
    Ok(())
}

/// Faces at least `share` of the chosen face's area: a second person, not a detector echo or a tiny face in
/// the background.
pub fn people(detections: &[Detection], chosen: &FaceBox, share: f64) -> usize {
    detections.iter().filter(|d| d.face.area() as f64 >= share * chosen.area() as f64).count()
}

/// The non-response of a session with too few usable frames: the most common drop reason names it.
fn too_few(a: &Analysis, usable: usize, min: usize) -> Problem {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for reason in a.frames.iter().filter_map(|f| f.dropped) {
        match counts.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n += 1,
            None => counts.push((reason, 1)),
        }
    }
    counts.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    let reason = counts.first().map_or("too_few_frames", |(r, _)| r);
    let listed: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
    let detail = format!(
        "{usable} usable frame(s) of {} analysed, {min} needed; dropped: {}",
        a.frames.len(),
        listed.join(", ")
    );
    Problem { reason, detail }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
