//! Active liveness sessions over HTTP: create one (a randomized challenge order), upload its frames (scored
//! at once, by the engine of `liveness session score`), read its result.
//!
//! - `POST /v1/sessions {challenges?, count?, policy?}` -> 201 `{id, challenges, expires_in_s, ...}`.
//! - `POST /v1/sessions/{id}/frames` (JSON `{"frames": [{"image", "t"}]}` or multipart `frame` parts with
//!   optional `t` fields in the same order) -> the result; once only: a replay is 409.
//! - `GET /v1/sessions/{id}` -> the state, and the result once scored.
//!
//! A session not given its frames within the TTL expires (410); its entry is kept one more TTL so a late
//! client hears "expired" rather than "unknown", then forgotten. Entries are bounded in number; frames
//! live on disk only while their session is scored, in a folder of the server's own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Extension, Path as UrlPath, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::ApiError;
use super::guard::RequestId;
use super::pool::{SessionWork, Work};
use super::state::{App, hex, random_bytes};
use super::upload::{Encoding, decode_text_image, encoding, multipart_fields, parse_json, parse_number, read_body};
use crate::session::challenge::{Challenge, random_sequence};
use crate::session::input::{FrameRef, SessionInput};
use crate::session::output::{Scored, json_record};

/// Most frames one upload may carry (the session policy then samples `max_frames` of them).
pub const MAX_UPLOAD_FRAMES: usize = 32;
/// Challenges drawn when a request names none.
const DEFAULT_CHALLENGES: usize = 2;

enum Stage {
    AwaitingFrames,
    Scoring,
    /// The answer the frame upload got, kept for `GET`.
    Finished(StatusCode, Value),
}

struct Entry {
    created: Instant,
    challenges: Vec<Challenge>,
    /// The passive policy (its threshold judges the fused passive score).
    policy: String,
    stage: Stage,
}

pub struct Sessions {
    entries: Mutex<HashMap<String, Entry>>,
    ttl: Duration,
    max: usize,
    min_frames: usize,
    threshold: f64,
    spool: tempfile::TempDir,
}

impl Sessions {
    pub fn new(ttl: Duration, max: usize, min_frames: usize, threshold: f64) -> anyhow::Result<Sessions> {
        let spool = tempfile::Builder::new().prefix("liveness-serve-sessions-").tempdir()?;
        Ok(Sessions { entries: Mutex::new(HashMap::new()), ttl, max, min_frames, threshold, spool })
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn count(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Entry>>, ApiError> {
        self.entries.lock().map_err(|_| ApiError::internal("the session table is poisoned"))
    }

    /// Past its TTL without frames: `Finished` results stay readable for one more TTL.
    fn expired(&self, e: &Entry) -> bool {
        e.created.elapsed() > self.ttl && !matches!(e.stage, Stage::Finished(..))
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    challenges: Option<Vec<String>>,
    count: Option<usize>,
    policy: Option<String>,
}

pub async fn create(State(app): State<Arc<App>>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body, &parts.headers, app.max_body).await?;
    let asked: CreateBody =
        if bytes.iter().all(u8::is_ascii_whitespace) { CreateBody::default() } else { parse_json(&bytes)? };
    let policy = app.settings(asked.policy.as_deref(), None)?.policy.name.clone();
    let seed =
        u64::from_le_bytes(random_bytes::<8>().map_err(|e| ApiError::internal(format!("no random source: {e}")))?);
    let challenges = match (asked.challenges, asked.count) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("bad_field", "give `challenges` or `count`, not both")),
        (Some(names), None) => shuffled(parse_challenges(&names)?, seed),
        (None, count) => {
            let n = count.unwrap_or(DEFAULT_CHALLENGES);
            if n > 8 {
                return Err(ApiError::bad_request("bad_field", format!("count {n}: at most 8 challenges")));
            }
            random_sequence(n, seed)
        }
    };
    let id = hex(&random_bytes::<16>().map_err(|e| ApiError::internal(format!("no random source: {e}")))?);
    let s = &app.sessions;
    {
        let mut entries = s.lock()?;
        let now = Instant::now();
        entries.retain(|_, e| now.duration_since(e.created) <= 2 * s.ttl);
        if entries.len() >= s.max {
            return Err(ApiError::unavailable(
                "too_many_sessions",
                format!("{} sessions are held (the server's --max-sessions); retry when some expire", s.max),
                s.ttl.as_secs().max(1),
            ));
        }
        entries.insert(
            id.clone(),
            Entry {
                created: now,
                challenges: challenges.clone(),
                policy: policy.clone(),
                stage: Stage::AwaitingFrames,
            },
        );
    }
    let body = json!({
        "id": id,
        "state": "awaiting_frames",
        "challenges": challenges,
        "ordered": true,
        "policy": policy,
        "expires_in_s": s.ttl.as_secs_f64(),
        "frames": {"min": s.min_frames, "max": MAX_UPLOAD_FRAMES},
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn parse_challenges(names: &[String]) -> Result<Vec<Challenge>, ApiError> {
    let unknown: Vec<&String> = names.iter().filter(|n| Challenge::parse(n).is_none()).collect();
    if !unknown.is_empty() {
        return Err(ApiError::bad_request(
            "unknown_challenge",
            format!("unknown challenge(s) {unknown:?}; known: {}", Challenge::names()),
        ));
    }
    if names.len() > 8 {
        return Err(ApiError::bad_request("bad_field", "at most 8 challenges"));
    }
    Ok(names.iter().filter_map(|n| Challenge::parse(n)).collect())
}

/// Fisher-Yates with SplitMix64 steps: the asked challenges in an order the client cannot predict.
fn shuffled(mut v: Vec<Challenge>, seed: u64) -> Vec<Challenge> {
    let mut state = seed;
    for i in (1..v.len()).rev() {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        v.swap(i, ((z ^ (z >> 31)) % (i as u64 + 1)) as usize);
    }
    v
}

/// The session `id`, checked: 404 unknown, 410 expired.
fn check<'a>(s: &Sessions, entries: &'a mut HashMap<String, Entry>, id: &str) -> Result<&'a mut Entry, ApiError> {
    let expired_msg = || format!("session {id} expired ({} s after it was created)", s.ttl.as_secs());
    match entries.get_mut(id) {
        None => Err(ApiError::new(StatusCode::NOT_FOUND, "unknown_session", format!("no session {id}"))),
        Some(e) if s.expired(e) => Err(ApiError::new(StatusCode::GONE, "session_expired", expired_msg())),
        Some(e) => Ok(e),
    }
}

pub async fn status(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Result<Response, ApiError> {
    let s = &app.sessions;
    let mut entries = s.lock()?;
    let e = check(s, &mut entries, &id)?;
    if e.created.elapsed() > 2 * s.ttl {
        return Err(ApiError::new(StatusCode::GONE, "session_expired", format!("session {id} and its result expired")));
    }
    Ok(match &e.stage {
        Stage::Finished(code, body) => (*code, Json(body.clone())).into_response(),
        stage => Json(json!({
            "id": id,
            "state": if matches!(stage, Stage::Scoring) { "scoring" } else { "awaiting_frames" },
            "challenges": e.challenges,
            "policy": e.policy,
            "expires_in_s": s.ttl.saturating_sub(e.created.elapsed()).as_secs_f64(),
        }))
        .into_response(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FramesBody {
    frames: Vec<FrameBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameBody {
    image: String,
    t: Option<f64>,
}

/// A frame as uploaded: its bytes and timestamp (seconds from the session start).
struct Upload {
    bytes: axum::body::Bytes,
    t: Option<f64>,
}

async fn frames_of(req: Request, max_body: usize) -> Result<Vec<Upload>, ApiError> {
    let (parts, body) = req.into_parts();
    let enc = encoding(&parts.headers)?;
    let bytes = read_body(body, &parts.headers, max_body).await?;
    match enc {
        Encoding::Json => {
            let b: FramesBody = parse_json(&bytes)?;
            b.frames.iter().map(|f| Ok(Upload { bytes: decode_text_image(&f.image)?, t: f.t })).collect()
        }
        Encoding::Multipart => {
            let (mut frames, mut times) = (Vec::new(), Vec::new());
            for f in multipart_fields(parts, bytes).await? {
                match f.name.as_str() {
                    "frame" => frames.push(Upload { bytes: f.data, t: None }),
                    "t" => times.push(parse_number(&f.text()?, "t")?),
                    other => {
                        return Err(ApiError::bad_request(
                            "unknown_field",
                            format!("multipart field {other:?} is not accepted; send `frame` parts and optional `t`"),
                        ));
                    }
                }
            }
            if !times.is_empty() && times.len() != frames.len() {
                return Err(ApiError::bad_request(
                    "bad_field",
                    format!("{} `t` fields for {} frames: give one per frame or none", times.len(), frames.len()),
                ));
            }
            for (f, t) in frames.iter_mut().zip(times) {
                f.t = Some(t);
            }
            Ok(frames)
        }
        Encoding::Raw => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "session frames come as JSON {\"frames\": [...]} or multipart `frame` parts",
        )),
    }
}

pub async fn frames(
    State(app): State<Arc<App>>,
    Extension(rid): Extension<RequestId>,
    UrlPath(id): UrlPath<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let s = &app.sessions;
    // Known and open before the body is read, so a replay is refused without reading its frames.
    let (challenges, policy) = {
        let mut entries = s.lock()?;
        let e = check(s, &mut entries, &id)?;
        if !matches!(e.stage, Stage::AwaitingFrames) {
            return Err(finished(&id));
        }
        (e.challenges.clone(), e.policy.clone())
    };
    let uploads = frames_of(req, app.max_body).await?;
    if uploads.len() < s.min_frames || uploads.len() > MAX_UPLOAD_FRAMES {
        return Err(ApiError::bad_request(
            "frame_count",
            format!("{} frames sent; a session takes {}..={MAX_UPLOAD_FRAMES}", uploads.len(), s.min_frames),
        ));
    }
    {
        // Claimed under the lock: of two concurrent uploads, one is scored and the other refused.
        let mut entries = s.lock()?;
        let e = check(s, &mut entries, &id)?;
        if !matches!(e.stage, Stage::AwaitingFrames) {
            return Err(finished(&id));
        }
        e.stage = Stage::Scoring;
    }
    let settings = app.settings(Some(&policy), None)?;
    let dir = s.spool.path().join(&id);
    let scored = score(&app, &dir, &id, uploads, challenges, settings.policy.threshold).await;
    let _ = std::fs::remove_dir_all(&dir);
    let (code, body) = match scored {
        Ok(scored) => result(&app, &scored, &policy, s.threshold, &rid),
        Err(e) => {
            // A server failure: the session may be retried.
            if let Ok(mut entries) = s.lock()
                && let Some(e) = entries.get_mut(&id)
            {
                e.stage = Stage::AwaitingFrames;
            }
            return Err(e);
        }
    };
    if let Ok(mut entries) = s.lock()
        && let Some(e) = entries.get_mut(&id)
    {
        e.stage = Stage::Finished(code, body.clone());
    }
    Ok((code, Json(body)).into_response())
}

fn finished(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "session_finished",
        format!("session {id} has its frames already; create a new session"),
    )
}

/// Writes the frames into `dir` and has a worker score the session.
async fn score(
    app: &App,
    dir: &Path,
    id: &str,
    uploads: Vec<Upload>,
    challenges: Vec<Challenge>,
    passive_threshold: f64,
) -> Result<Scored, ApiError> {
    let io = |e: std::io::Error| ApiError::internal(format!("cannot store the session's frames: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut frames = Vec::with_capacity(uploads.len());
    for (i, u) in uploads.iter().enumerate() {
        let path: PathBuf = dir.join(format!("frame_{:02}", i + 1));
        std::fs::write(&path, &u.bytes).map_err(io)?;
        frames.push(FrameRef { path, t: u.t });
    }
    let input = SessionInput {
        id: id.to_string(),
        label: None,
        species: String::new(),
        meta: Default::default(),
        frames,
        challenges,
        ordered: true,
        problem: None,
    };
    app.infer(move |reply| Work::Session(SessionWork { input, passive_threshold, reply })).await
}

/// The answer to a scored session: `session score --json`'s record (frames named by position) with the
/// seed's flat fields; 422 with the reason when the session could not be judged.
fn result(app: &App, scored: &Scored, policy: &str, threshold: f64, rid: &RequestId) -> (StatusCode, Value) {
    let mut body = json_record(scored);
    if let Some(o) = body.as_object_mut() {
        for k in ["path", "label", "attack_type", "meta"] {
            o.remove(k);
        }
        o.insert("id".into(), json!(scored.input.id));
        o.insert("state".into(), json!("finished"));
        o.insert("policy".into(), json!(policy));
        o.insert("model".into(), app.model.clone());
        o.insert("request_id".into(), json!(rid.0));
        if let Some(frames) = o.get_mut("frames").and_then(Value::as_array_mut) {
            for f in frames {
                let name = f["file"].as_str().and_then(|p| Path::new(p).file_name()?.to_str()).map(str::to_string);
                f["file"] = json!(name);
            }
        }
        let v = scored.verdict.as_ref();
        o.insert("liveness_mode".into(), json!(v.map(|v| v.mode.as_str())));
        o.insert("liveness_score".into(), json!(v.map(|v| v.liveness_score)));
        o.insert("liveness_passed".into(), json!(v.map(|v| v.liveness_passed)));
        o.insert("liveness_threshold".into(), json!(threshold));
        o.insert("challenges_completed".into(), json!(v.map(|v| v.completed())));
        o.insert("pose_variation_score".into(), json!(v.map(|v| v.pose_variation_score)));
        o.insert("expression_variation_score".into(), json!(v.map(|v| v.expression_variation_score)));
        o.insert("passive_score".into(), json!(v.and_then(|v| v.passive_score)));
        o.insert("band".into(), json!(v.map(|v| v.band)));
    }
    app.audit(json!({
        "request_id": rid.0,
        "time": crate::run::utc_now_iso(),
        "endpoint": "/v1/sessions/{id}/frames",
        "session": scored.input.id,
        "policy": policy,
        "liveness_score": body["liveness_score"],
        "passive_score": body["passive_score"],
        "decision": body["decision"],
        "reason": body["reason"],
        "model": app.model,
    }));
    match (&scored.verdict, scored.failure()) {
        (Some(v), _) => {
            app.metrics.session(Ok((v.mode.as_str(), crate::schema::Decision::of(v.live).as_str())));
            (StatusCode::OK, body)
        }
        (None, failure) => {
            let (reason, detail) = failure.unwrap_or(("no_usable_frames", ""));
            app.metrics.session(Err(reason));
            let err = ApiError::unprocessable(reason, detail);
            let mut full = err.body();
            if let (Some(f), Some(b)) = (full.as_object_mut(), body.as_object()) {
                f.extend(b.clone());
            }
            (StatusCode::UNPROCESSABLE_ENTITY, full)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffles_keep_the_asked_challenges_and_vary_the_order() {
        let asked = vec![Challenge::HeadLeft, Challenge::Blink, Challenge::Smile, Challenge::HeadRight];
        let mut orders = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let s = shuffled(asked.clone(), seed);
            let mut sorted = s.clone();
            sorted.sort();
            let mut want = asked.clone();
            want.sort();
            assert_eq!(sorted, want);
            orders.insert(s);
        }
        assert!(orders.len() > 12, "only {} orders in 64 seeds", orders.len());
        assert_eq!(parse_challenges(&["nod".into()]).unwrap_err().code, "unknown_challenge");
    }
}
