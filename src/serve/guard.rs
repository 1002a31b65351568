//! What requests pass through around the handlers: a request id, the access log and metrics (every
//! request), bearer-token auth (`/v1/*`, `/metrics`; page tokens on the capture endpoints), the in-flight
//! limit and the per-request timeout (`/v1/*`), and the caching and content-security headers.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::errors::{ApiError, ErrorCode};
use super::state::App;
use super::tokens::Check;

/// The id of the request being handled; also sent back as `X-Request-Id`.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Outermost: gives the request its id, then logs one JSON line (never the body) and counts it.
pub async fn observe(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let id = app.ids.next();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let t = Instant::now();
    let mut resp = next.run(req).await;
    let seconds = t.elapsed().as_secs_f64();
    let endpoint = resp.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_string();
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    // Results and the images behind them must not be kept by a browser or a proxy; the page's files are
    // a few kilobytes, so nothing is worth caching.
    resp.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    let status = resp.status().as_u16();
    app.metrics.request(&endpoint, status, seconds);
    let code = resp.extensions().get::<ErrorCode>().map(|c| c.0.clone());
    let line = serde_json::json!({
        "ts": crate::run::utc_now_iso(),
        "event": "request",
        "request_id": id,
        "method": method,
        "endpoint": endpoint,
        "status": status,
        "latency_ms": (seconds * 1e6).round() / 1e3,
        "error": code,
    });
    eprintln!("{line}");
    resp
}

/// Inside the router: hands the matched route template to [`observe`] through the response.
pub async fn mark_route(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    if let Some(r) = route {
        resp.extensions_mut().insert(r);
    }
    resp
}

/// `Authorization: Bearer <token>` when the server has a token. The two tokens' SHA-256 digests are
/// compared in constant time, so neither the content nor the length of the token leaks through timing.
/// A page token is refused here (403): these endpoints are for the deployer's back end, not the page.
pub async fn auth(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    match bearer(&app, &req) {
        Bearer::Open | Bearer::Api => next.run(req).await,
        Bearer::Page(Check::Valid) => ApiError::new(
            StatusCode::FORBIDDEN,
            "api_token_required",
            "a page token only opens the capture endpoints; this one needs the API token",
        )
        .into_response(),
        other => refuse(other).into_response(),
    }
}

/// The capture endpoints: the API token or a valid page token (see `tokens`).
pub async fn auth_capture(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    match bearer(&app, &req) {
        Bearer::Open | Bearer::Api | Bearer::Page(Check::Valid) => next.run(req).await,
        other => refuse(other).into_response(),
    }
}

/// Who a request says it is.
enum Bearer {
    /// The server has no token: everything is open (loopback only, unless --insecure-bind-any).
    Open,
    Missing,
    Api,
    Page(Check),
}

fn bearer(app: &App, req: &Request) -> Bearer {
    let Some(want) = &app.token_digest else { return Bearer::Open };
    let given = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match given.and_then(|v| v.strip_prefix("Bearer ")) {
        None => Bearer::Missing,
        Some(t) if bool::from(Sha256::digest(t.trim().as_bytes()).as_slice().ct_eq(want.as_slice())) => Bearer::Api,
        Some(t) => Bearer::Page(app.page_tokens.check(t)),
    }
}

fn refuse(b: Bearer) -> ApiError {
    match b {
        Bearer::Page(Check::Expired) => super::tokens::expired(),
        Bearer::Missing => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "this server requires `Authorization: Bearer <token>` (the capture page: open the link with \
             #token=... that POST /v1/page-tokens gives)",
        ),
        _ => ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", "the bearer token is not valid"),
    }
}

/// The in-flight limit (503 `overloaded` with `Retry-After` beyond it) and the per-request timeout
/// (503 `timeout`).
pub async fn limit(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let Ok(_permit) = app.in_flight.clone().try_acquire_owned() else {
        return ApiError::unavailable(
            "overloaded",
            format!(
                "{} requests are already being handled (the server's --max-in-flight); retry shortly",
                app.max_in_flight
            ),
            1,
        )
        .into_response();
    };
    match tokio::time::timeout(app.request_timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::unavailable(
            "timeout",
            format!("the request took longer than {:?} (the server's --request-timeout)", app.request_timeout),
            1,
        )
        .into_response(),
    }
}
