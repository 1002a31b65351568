//! `POST /v1/liveness`: one image in, the score `liveness score --json` gives the same file out.
//!
//! The response is the command line's JSON record (the same fields, computed by the same function, so
//! the numbers match bit for bit) without `path`, plus `policy`, `model`, `quality_flags`, `request_id`
//! and `latency_ms`. An image the engine cannot score (a capture fault or a file that is no image) is a
//! 422 whose `error.code` is the non-response reason of score files, with the measured quality beside it.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Extension, Request, State};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::guard::RequestId;
use super::pool::{ImageWork, Work};
use super::state::App;
use super::upload::image_upload;
use crate::score::output::json_record;
use crate::score::record::{Outcome, ScoreRecord};

/// Fields of the command line's record that a 422 leaves out: they have no value for an unscored image,
/// and the reason is in `error`.
const UNSCORED: [&str; 9] =
    ["status", "reason", "detail", "live_probability", "score", "decision", "band", "path", "calibrated"];

pub async fn liveness(
    State(app): State<Arc<App>>,
    Extension(id): Extension<RequestId>,
    req: Request,
) -> Result<Json<Value>, ApiError> {
    let t = Instant::now();
    let up = image_upload(req, app.max_body).await?;
    let settings = app.settings(up.policy.as_deref(), up.threshold)?;
    let name = format!("request {}", id.0);
    let (image, s) = (up.image, settings.clone());
    let rec = app.infer(move |reply| Work::Image(ImageWork { name, bytes: image, settings: s, reply })).await?;
    let policy = &settings.policy;
    let mut body = json_record(&rec, policy);
    let Some(obj) = body.as_object_mut() else { return Err(ApiError::internal("the score record is not an object")) };
    obj.remove("path");
    obj.insert("policy".into(), json!(policy.name));
    obj.insert("model".into(), app.model.clone());
    obj.insert("quality_flags".into(), json!(flags(&rec)));
    obj.insert("request_id".into(), json!(id.0));
    obj.insert("latency_ms".into(), json!(t.elapsed().as_secs_f64() * 1000.0));
    let audit = |decision: Option<&str>, reason: Option<&str>| {
        json!({
            "request_id": id.0,
            "time": crate::run::utc_now_iso(),
            "endpoint": "/v1/liveness",
            "policy": policy.name,
            "threshold": policy.threshold,
            "live_probability": rec.live(),
            "decision": decision,
            "reason": reason,
            "model": app.model,
        })
    };
    match (&rec.outcome, rec.live()) {
        (Outcome::Scored, Some(p)) => {
            let decision = crate::schema::Decision::of(policy.is_live(p)).as_str();
            app.metrics.scored(&policy.name, decision, policy.band(p).as_str(), p);
            app.audit(audit(Some(decision), None));
            Ok(Json(body))
        }
        (Outcome::NonResponse { reason, detail }, _) => {
            app.metrics.non_response(&policy.name, reason);
            app.audit(audit(None, Some(reason)));
            strip_unscored(obj);
            Err(ApiError::unprocessable(reason, detail.clone()).with_fields(std::mem::take(obj)))
        }
        (Outcome::Scored, None) => Err(ApiError::internal("a scored image without a model score")),
    }
}

/// Leaves out of a record the fields an unscored image has no value for (the reason is in `error`).
pub fn strip_unscored(obj: &mut serde_json::Map<String, Value>) {
    for k in UNSCORED {
        obj.remove(k);
    }
}

/// Conditions worth a look although the image was scored: several faces (the largest was scored), or a
/// face touching the image border (part of it is padding in the classifier's crop).
pub fn flags(rec: &ScoreRecord) -> Vec<&'static str> {
    let mut f = Vec::new();
    if rec.faces.len() > 1 {
        f.push("multiple_faces");
    }
    if rec.quality.is_some_and(|q| q.at_border) {
        f.push("face_at_border");
    }
    f
}
