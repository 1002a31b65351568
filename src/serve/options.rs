//! What `liveness serve` serves, resolved once from the command line: the rest of `serve` knows no CLI.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::gallery::GalleryKey;
use crate::model::descriptor::Descriptor;
use crate::schema::ModelInfo;
use crate::score::pipeline::{EngineSpec, Settings};
use crate::session::policy::SessionPolicy;

pub struct ServeOptions {
    pub addr: SocketAddr,
    pub engine: EngineSpec,
    /// The policies served, in the order given; the first is used when a request names none.
    pub policies: Vec<Settings>,
    /// The primary model as responses name it: descriptor and ONNX files with their sha256.
    pub model: ModelInfo,
    /// Inference worker threads (one engine each).
    pub workers: usize,
    pub limits: Limits,
    /// The bearer token `/v1/*` and `/metrics` require; `None` serves without authentication.
    pub token: Option<String>,
    /// Without a token the server binds only to loopback addresses, unless this is set.
    pub insecure_bind_any: bool,
    /// Whether a request may override its policy's threshold (`"threshold"` in the JSON body).
    pub allow_threshold_override: bool,
    pub sessions: SessionOptions,
    /// Decision audit log (JSON Lines, appended and flushed per decision).
    pub audit_log: Option<PathBuf>,
    /// Face compare and search (`/v1/compare`, `/v1/search`); `None` leaves them unserved.
    pub face: Option<FaceOptions>,
    /// The capture page at `/` and what it may do.
    pub capture: CaptureOptions,
}

/// The capture page (`/`): what it shows, which challenges it asks for, whether it collects a dataset.
pub struct CaptureOptions {
    /// Show the raw live probability and session scores on the page (hidden by default: pass / retry / fail).
    pub show_scores: bool,
    /// The challenges the page asks for (the server shuffles them per session); `None`: the server draws two.
    pub challenges: Option<Vec<crate::session::challenge::Challenge>>,
    /// Collection mode: captures labelled by the operator are stored in this folder as a dataset.
    pub collect: Option<PathBuf>,
    /// How long a page token (`POST /v1/page-tokens`) lasts.
    pub page_token_ttl: Duration,
}

pub struct FaceOptions {
    /// The PAD engine with the recognizer in the same pass (a second engine per worker, so
    /// `/v1/liveness` never pays for the descriptor).
    pub engine: EngineSpec,
    /// The recognizer as responses name it.
    pub recognizer: Value,
    /// Match iff distance < this, unless a request overrides it.
    pub threshold: f64,
    /// The persons gallery for search and compare by name, with the key it must have been made under.
    pub gallery: Option<(PathBuf, GalleryKey)>,
}

pub struct Limits {
    /// Largest request body, bytes (413 above).
    pub max_body: usize,
    /// Requests on `/v1/*` being handled at once; more are answered 503 with `Retry-After`.
    pub max_in_flight: usize,
    /// Open connections; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Longest a request may take from its headers to its response (503 `timeout` after).
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's headers (slowloris guard); the connection is closed.
    pub header_timeout: Duration,
    /// How long SIGTERM waits for in-flight requests before the process exits anyway.
    pub shutdown_grace: Duration,
}

pub struct SessionOptions {
    pub policy: SessionPolicy,
    /// A session not finished this long after creation expires (410).
    pub ttl: Duration,
    /// Sessions held at once (pending and finished, until they expire).
    pub max_sessions: usize,
    /// The passive PAD model run on every session frame (the primary model), unless disabled.
    pub passive: Option<Descriptor>,
}
