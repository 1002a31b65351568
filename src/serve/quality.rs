//! `POST /v1/quality`: is this frame worth capturing? The capture page asks about its preview before it
//! captures, and tells the user what to fix (too dark, too far, several faces, ...).
//!
//! The check is `liveness score`'s own up to its classifiers (decode, detect, the policy's quality gates:
//! `prepare_with` in `src/score/pipeline.rs`), plus the session policy's rule for a second person in view
//! (a face at least `second_face_share` of the largest face's area), so what the page reports is what the
//! capture will be judged by. No classifier runs: it is cheap enough to ask every second or so.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Request, State};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::guard::RequestId;
use super::pool::{QualityWork, Work};
use super::state::App;
use super::upload::image_upload;
use crate::score::record::Outcome;

pub async fn quality(
    State(app): State<Arc<App>>,
    Extension(id): Extension<RequestId>,
    req: Request,
) -> Result<Json<Value>, ApiError> {
    let up = image_upload(req, app.max_body).await?;
    if up.threshold.is_some() {
        return Err(ApiError::bad_request("unknown_field", "/v1/quality takes no threshold: it runs no classifier"));
    }
    let settings = app.settings(up.policy.as_deref(), None)?;
    let (name, image, s) = (format!("request {}", id.0), up.image, settings.clone());
    let (rec, people) =
        app.infer(move |reply| Work::Quality(QualityWork { name, bytes: image, settings: s, reply })).await?;
    let gate = match &rec.outcome {
        // Not decoded (no size known): the image itself is unusable, 422 as on /v1/liveness.
        Outcome::NonResponse { reason, detail } if rec.width == 0 => {
            return Err(ApiError::unprocessable(reason, detail.clone()));
        }
        Outcome::NonResponse { reason, .. } => Some(reason.clone()),
        Outcome::Scored => None,
    };
    let reason = gate.or_else(|| (people > 1).then(|| "multiple_faces".to_string()));
    Ok(Json(json!({
        "ready": reason.is_none(),
        "reason": reason,
        "people": people,
        "face_count": rec.faces.len(),
        "box": rec.face.map(|f| [f.x1, f.y1, f.x2, f.y2]),
        "quality": rec.quality,
        "width": rec.width,
        "height": rec.height,
        "policy": settings.policy.name,
        "request_id": id.0,
    })))
}
