//! What every handler shares: the served policies, the inference pool, metrics, the audit log, limits.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;
use tokio::sync::{Semaphore, oneshot};

use super::audit::Audit;
use super::errors::ApiError;
use super::metrics::Metrics;
use super::pool::{Busy, Pool, Work};
use crate::score::pipeline::Settings;

/// What every handler shares.
pub struct App {
    pub policies: Vec<Arc<Settings>>,
    pub allow_threshold_override: bool,
    /// The primary model as responses name it.
    pub model: Value,
    pub max_body: usize,
    pub max_in_flight: usize,
    pub request_timeout: Duration,
    pub in_flight: Arc<Semaphore>,
    pub token_digest: Option<Vec<u8>>,
    /// Set once every worker has loaded its engines: until then `/readyz` and `/v1/*` answer 503.
    pub pool: OnceLock<Pool>,
    pub workers: usize,
    pub metrics: Arc<Metrics>,
    pub audit: Option<Audit>,
    pub ids: Ids,
    pub sessions: super::sessions::Sessions,
    pub started: Instant,
    /// The classifiers' runtime (`ort` or `openvino`), as `/readyz` reports it.
    pub backend: &'static str,
    /// Face compare and search, when served.
    pub face: Option<super::gallery::FaceMatch>,
    /// Short-lived tokens of capture pages.
    pub page_tokens: super::tokens::PageTokens,
    /// The capture page shows raw scores.
    pub show_scores: bool,
    /// The challenges the capture page asks for (`None`: the server draws them).
    pub capture_challenges: Option<Vec<crate::session::challenge::Challenge>>,
    /// Collection mode's dataset folder.
    pub collect: Option<Arc<super::collect::Collector>>,
}

impl App {
    /// The served policy named `name` (the default when `None`), with the threshold overridden when the
    /// request asks and the server allows it.
    pub fn settings(&self, name: Option<&str>, threshold: Option<f64>) -> Result<Arc<Settings>, ApiError> {
        let found = match name {
            None => self.policies.first(),
            Some(n) => self.policies.iter().find(|s| s.policy.name == n),
        };
        let Some(settings) = found else {
            let served: Vec<&str> = self.policies.iter().map(|s| s.policy.name.as_str()).collect();
            return Err(ApiError::bad_request(
                "unknown_policy",
                format!("policy {:?} is not served here; served: {}", name.unwrap_or(""), served.join(", ")),
            ));
        };
        let Some(t) = threshold else { return Ok(settings.clone()) };
        if !self.allow_threshold_override {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "threshold_override_forbidden",
                "this server does not allow a per-request threshold (start it with --allow-threshold-override)",
            ));
        }
        if !(0.0..=1.0).contains(&t) {
            return Err(ApiError::bad_request("bad_threshold", format!("threshold must be within 0..1, got {t}")));
        }
        let mut s = Settings::clone(settings);
        s.policy.threshold = t;
        Ok(Arc::new(s))
    }

    /// Queues work on the inference pool and awaits its reply: 503 when not ready or the queue is full,
    /// 500 when the engine failed.
    pub async fn infer<T>(&self, work: impl FnOnce(oneshot::Sender<anyhow::Result<T>>) -> Work) -> Result<T, ApiError> {
        let pool = self.pool.get().ok_or_else(not_ready)?;
        let (tx, rx) = oneshot::channel();
        pool.submit(work(tx))
            .map_err(|Busy| ApiError::unavailable("overloaded", "the inference queue is full; retry shortly", 1))?;
        match rx.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(ApiError::internal(format!("inference failed: {e:#}"))),
            Err(_) => Err(ApiError::internal("the inference worker stopped while handling this request")),
        }
    }

    pub fn audit(&self, entry: Value) {
        if let Some(a) = &self.audit {
            a.record(entry);
        }
    }
}

pub fn not_ready() -> ApiError {
    ApiError::unavailable("not_ready", "the models are still loading", 1)
}

/// Request ids: a random prefix per process and a counter, unique across restarts and cheap.
pub struct Ids {
    prefix: String,
    next: AtomicU64,
}

impl Ids {
    pub fn new() -> Ids {
        // Not a secret: the clock stands in if the system has no random source.
        let bytes = random_bytes::<4>().unwrap_or_else(|_| {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            ((nanos as u32) ^ std::process::id()).to_le_bytes()
        });
        Ids { prefix: hex(&bytes), next: AtomicU64::new(1) }
    }

    pub fn next(&self) -> String {
        format!("{}-{:08}", self.prefix, self.next.fetch_add(1, Ordering::Relaxed))
    }
}

impl Default for Ids {
    fn default() -> Self {
        Ids::new()
    }
}

/// `N` bytes from the kernel's random source (session ids and challenge orders must not be guessable).
pub fn random_bytes<const N: usize>() -> std::io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    Ok(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
