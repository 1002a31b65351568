//! `POST /v1/compare` (1:1) and `POST /v1/search` (1:N): face match with liveness, decided by the
//! functions `liveness compare` and `liveness search` use (`recognition::verify`), on images analysed as
//! those commands analyse files (probe and references in one pass on one worker), so a distance from the
//! server equals the command line's bit for bit.
//!
//! The answer is the command's JSON (without the probe's file name) plus `policy`, `model` (the PAD model
//! with its sha256s), `recognizer_model` (with its sha256 and crop rule), `request_id` and `latency_ms`. `passed` is the one combined decision: matched (or identified) AND live.
//! A probe that cannot be analysed is a 422 whose code is its non-response reason (`no_face`, ...).

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Extension, Request, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::errors::ApiError;
use super::gallery::{FaceMatch, ServedGallery};
use super::guard::RequestId;
use super::passive::strip_unscored;
use super::pool::{FaceWork, Work};
use super::state::App;
use super::upload::{FaceUpload, face_upload};
use crate::recognition::verify::{Matcher, NoReferenceFace, Reference};
use crate::score::output::json_record;
use crate::score::pipeline::Settings;
use crate::score::record::ScoreRecord;

/// Reference images one compare may carry.
pub const MAX_GALLERY: usize = 16;
/// Candidates one search may list.
pub const MAX_TOP: usize = 100;
const DEFAULT_TOP: usize = 5;

const COMPARE_FIELDS: [&str; 6] = ["probe", "gallery", "person", "policy", "threshold", "liveness_threshold"];
const SEARCH_FIELDS: [&str; 5] = ["probe", "top", "policy", "threshold", "liveness_threshold"];

pub async fn compare(
    State(app): State<Arc<App>>,
    Extension(id): Extension<RequestId>,
    req: Request,
) -> Result<Json<Value>, ApiError> {
    let t = Instant::now();
    let face = enabled(&app)?;
    let up = face_upload(req, app.max_body, &COMPARE_FIELDS).await?;
    let (settings, threshold) = thresholds(&app, face, &up)?;
    // The claimed identity's references: enrolled descriptors, or images analysed with the probe.
    let enrolled = match (&up.person, up.gallery.len()) {
        (Some(_), 0) => Some(gallery(face)?.index().await?),
        (None, 1..=MAX_GALLERY) => None,
        (Some(_), _) => return Err(bad_gallery("give either `gallery` images or a `person`, not both")),
        (None, 0) => return Err(bad_gallery("give the claimed identity: `gallery` images, or an enrolled `person`")),
        (None, n) => return Err(bad_gallery(&format!("{n} gallery images; at most {MAX_GALLERY} per request"))),
    };
    let stored = match (&up.person, &enrolled) {
        (Some(name), Some(index)) => Some(index.person(name).ok_or_else(|| unknown_person(name))?),
        _ => None,
    };
    let mut images = vec![("probe".to_string(), up.probe)];
    images.extend(up.gallery.into_iter().enumerate().map(|(i, b)| (format!("gallery[{i}]"), b)));
    let recs = analyse(&app, images, &settings).await?;
    let (probe, analysed) = recs.split_first().ok_or_else(|| ApiError::internal("no record for the probe"))?;
    probe_usable(probe, &settings)?;
    let references: Vec<Reference> = match (&up.person, &stored) {
        (Some(name), Some(rows)) => rows
            .iter()
            .enumerate()
            .map(|(i, d)| Reference { image: format!("{name}[{i}]"), descriptor: Some(d), chip: None, reason: None })
            .collect(),
        _ => analysed.iter().map(Reference::of).collect(),
    };
    let result = matcher(face, &settings, threshold).compare(probe, &references).map_err(no_reference)?;
    app.metrics.face("/v1/compare", result.matched, result.liveness.passed);
    let mut body = answer(serde_json::to_value(&result), &app, face, &settings, &id, t)?;
    body.insert("person".into(), json!(up.person));
    audit(&app, &id, "/v1/compare", &settings, &body);
    Ok(Json(Value::Object(body)))
}

pub async fn search(
    State(app): State<Arc<App>>,
    Extension(id): Extension<RequestId>,
    req: Request,
) -> Result<Json<Value>, ApiError> {
    let t = Instant::now();
    let face = enabled(&app)?;
    let served = gallery(face)?;
    let up = face_upload(req, app.max_body, &SEARCH_FIELDS).await?;
    let (settings, threshold) = thresholds(&app, face, &up)?;
    let top = up.top.unwrap_or(DEFAULT_TOP);
    if !(1..=MAX_TOP).contains(&top) {
        return Err(ApiError::bad_request("bad_field", format!("top must be within 1..{MAX_TOP}, got {top}")));
    }
    let index = served.index().await?;
    let mut recs = analyse(&app, vec![("probe".to_string(), up.probe)], &settings).await?;
    let probe = recs.pop().ok_or_else(|| ApiError::internal("no record for the probe"))?;
    probe_usable(&probe, &settings)?;
    // An exact scan of the whole gallery: milliseconds at 100k descriptors, still off the async threads.
    let (names, s) = ((face.recognizer_name.clone(), face.pad_model.clone()), settings.clone());
    let result = tokio::task::spawn_blocking(move || {
        let matcher = Matcher { policy: &s.policy, threshold, recognizer: &names.0, pad_model: &names.1 };
        matcher.search(&probe, &index, top)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the gallery scan stopped: {e}")))?;
    app.metrics.face("/v1/search", result.identity.is_some(), result.liveness.passed);
    let body = answer(serde_json::to_value(&result), &app, face, &settings, &id, t)?;
    audit(&app, &id, "/v1/search", &settings, &body);
    Ok(Json(Value::Object(body)))
}

fn enabled(app: &App) -> Result<&FaceMatch, ApiError> {
    app.face.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "face_match_disabled",
            "face match is not served here: start the server with --face-match (or --gallery-db DIR)",
        )
    })
}

fn gallery(face: &FaceMatch) -> Result<&Arc<ServedGallery>, ApiError> {
    face.gallery.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_gallery",
            "no persons gallery is served here: start the server with --gallery-db DIR",
        )
    })
}

/// The request's PAD settings (policy, liveness threshold) and match threshold; overrides only where the
/// server allows them, as for `/v1/liveness`.
fn thresholds(app: &App, face: &FaceMatch, up: &FaceUpload) -> Result<(Arc<Settings>, f64), ApiError> {
    let settings = app.settings(up.policy.as_deref(), up.liveness_threshold)?;
    let Some(t) = up.threshold else { return Ok((settings, face.threshold)) };
    if !app.allow_threshold_override {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "threshold_override_forbidden",
            "this server does not allow a per-request threshold (start it with --allow-threshold-override)",
        ));
    }
    if !(t.is_finite() && t > 0.0) {
        return Err(ApiError::bad_request("bad_threshold", format!("threshold is a positive distance, got {t}")));
    }
    Ok((settings, t))
}

fn matcher<'a>(face: &'a FaceMatch, settings: &'a Settings, threshold: f64) -> Matcher<'a> {
    Matcher { policy: &settings.policy, threshold, recognizer: &face.recognizer_name, pad_model: &face.pad_model }
}

async fn analyse(
    app: &App,
    images: Vec<(String, axum::body::Bytes)>,
    settings: &Arc<Settings>,
) -> Result<Vec<ScoreRecord>, ApiError> {
    let settings = settings.clone();
    app.infer(move |reply| Work::Faces(FaceWork { images, settings, reply })).await
}

/// A probe without a descriptor cannot be compared: 422 with its non-response reason as the code and
/// what was measured beside it.
fn probe_usable(probe: &ScoreRecord, settings: &Settings) -> Result<(), ApiError> {
    if probe.identity.is_some() {
        return Ok(());
    }
    let reason = probe.reason().unwrap_or("no_face").to_string();
    let detail = match &probe.outcome {
        crate::score::record::Outcome::NonResponse { detail, .. } => detail.clone(),
        crate::score::record::Outcome::Scored => "the probe gave no face descriptor".into(),
    };
    let mut fields = match json_record(probe, &settings.policy) {
        Value::Object(o) => o,
        _ => Map::new(),
    };
    strip_unscored(&mut fields);
    fields.insert("policy".into(), json!(settings.policy.name));
    Err(ApiError::unprocessable(&reason, detail).with_fields(fields))
}

fn no_reference(e: NoReferenceFace) -> ApiError {
    let images: Vec<Value> = e.0.iter().map(|(image, reason)| json!({"image": image, "reason": reason})).collect();
    let mut fields = Map::new();
    fields.insert("gallery".into(), Value::Array(images));
    ApiError::unprocessable("no_gallery_face", e.to_string()).with_fields(fields)
}

fn bad_gallery(message: &str) -> ApiError {
    ApiError::bad_request("bad_gallery", message)
}

fn unknown_person(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_person",
        format!("{name:?} is not enrolled in the served gallery (enrol with `liveness persons add`)"),
    )
}

/// The command's JSON without the probe's name (a server has no file path), with what served it.
fn answer(
    result: serde_json::Result<Value>,
    app: &App,
    face: &FaceMatch,
    settings: &Settings,
    id: &RequestId,
    t: Instant,
) -> Result<Map<String, Value>, ApiError> {
    let Ok(Value::Object(mut body)) = result else { return Err(ApiError::internal("the result is not an object")) };
    body.remove("probe");
    body.insert("policy".into(), json!(settings.policy.name));
    body.insert("model".into(), app.model.clone());
    body.insert("recognizer_model".into(), face.recognizer.clone());
    body.insert("request_id".into(), json!(id.0));
    body.insert("latency_ms".into(), json!(t.elapsed().as_secs_f64() * 1000.0));
    Ok(body)
}

fn audit(app: &App, id: &RequestId, endpoint: &str, settings: &Settings, body: &Map<String, Value>) {
    app.audit(json!({
        "request_id": id.0,
        "time": crate::run::utc_now_iso(),
        "endpoint": endpoint,
        "policy": settings.policy.name,
        "threshold": settings.policy.threshold,
        "live_probability": body["liveness"]["score"],
        "distance": body.get("distance").or_else(|| body["candidates"].get(0).map(|c| &c["distance"])),
        "match_threshold": body["match_threshold"],
        "identity": body.get("identity"),
        "person": body.get("person"),
        "passed": body["passed"],
        "model": app.model,
        "recognizer": body["recognizer_model"],
    }));
}
