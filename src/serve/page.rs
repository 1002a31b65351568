//! The capture page at `/`: passive and active liveness from the browser's camera (docs/capture.md).
//!
//! Three static files compiled into the binary (HTML, CSS, plain JavaScript: no framework, no CDN, no build
//! step) served with a Content-Security-Policy that allows no inline script and no other origin. What the
//! page needs to know (whether to show scores, which challenges to ask, collection mode) comes from
//! `GET /v1/capture/config`, behind the same auth as the capture endpoints.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::ApiError;
use super::state::App;
use super::upload::{parse_json, read_body};

const INDEX: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/capture.js");
const STYLE: &str = include_str!("page/capture.css");

/// Scripts and styles from this origin's files only (no inline script, no `eval`), requests to this origin
/// only, no framing, no plugins, no form posts elsewhere. `blob:` images: the captured frame shown back.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; \
                       media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                       form-action 'none'; frame-ancestors 'none'";

/// The page's capture rhythm: frames of the neutral pose first (the session's baseline), then per challenge.
const FRAME_INTERVAL_MS: u64 = 250;
const NEUTRAL_FRAMES: usize = 3;
const FRAMES_PER_CHALLENGE: usize = 6;

fn file(content_type: &'static str, body: &'static str) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(self), microphone=(), geolocation=()"));
    resp
}

pub async fn index() -> Response {
    file("text/html; charset=utf-8", INDEX)
}

pub async fn script() -> Response {
    file("text/javascript; charset=utf-8", SCRIPT)
}

pub async fn style() -> Response {
    file("text/css; charset=utf-8", STYLE)
}

/// `GET /v1/capture/config`: what the page shows and asks for.
pub async fn config(State(app): State<Arc<App>>) -> Json<Value> {
    let challenges = app.capture_challenges.as_ref().map(|c| c.iter().map(|c| c.as_str()).collect::<Vec<_>>());
    Json(json!({
        "show_scores": app.show_scores,
        "policy": app.policies.first().map(|s| s.policy.name.clone()),
        "challenges": challenges,
        "frames": {
            "interval_ms": FRAME_INTERVAL_MS,
            "neutral": NEUTRAL_FRAMES,
            "per_challenge": FRAMES_PER_CHALLENGE,
        },
        "session_ttl_s": app.sessions.ttl().as_secs_f64(),
        "collect": super::collect::describe(app.collect.as_deref()),
    }))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    ttl_s: Option<u64>,
}

/// `POST /v1/page-tokens` (API token only): a short-lived token for one capture page, and its link.
pub async fn page_token(State(app): State<Arc<App>>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body, &parts.headers, 4096).await?;
    let asked: TokenBody =
        if bytes.iter().all(u8::is_ascii_whitespace) { TokenBody::default() } else { parse_json(&bytes)? };
    if asked.ttl_s == Some(0) {
        return Err(ApiError::bad_request("bad_field", "ttl_s must be at least 1"));
    }
    let (token, ttl) = app.page_tokens.issue(asked.ttl_s.map(std::time::Duration::from_secs))?;
    let body = json!({"token": token, "expires_in_s": ttl.as_secs_f64(), "url": format!("/#token={token}")});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_has_no_inline_script_and_loads_only_its_own_files() {
        // The CSP forbids inline script; an inline handler or <script> body would silently not run.
        assert!(!INDEX.contains("onclick") && !INDEX.contains("onload") && !INDEX.contains("javascript:"));
        let scripts: Vec<&str> = INDEX.split("<script").skip(1).collect();
        assert_eq!(scripts.len(), 1);
        assert!(scripts[0].starts_with(" src=\"/capture.js\" defer></script>"), "{}", scripts[0]);
        assert!(!INDEX.contains("style=\""), "inline styles are refused by style-src 'self'");
        for text in [INDEX, SCRIPT, STYLE] {
            assert!(!text.contains("http://") && !text.contains("https://"), "no external origin");
        }
        assert!(!SCRIPT.contains("eval(") && !SCRIPT.contains("innerHTML"), "no eval, no HTML injection");
        assert!(CSP.starts_with("default-src 'self'; script-src 'self';"));
    }
}
