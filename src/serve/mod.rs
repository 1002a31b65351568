//! `liveness serve`: the scoring engine behind a REST API, for on-premises deployment.
//!
//! options (what is served, resolved from the command line) -> pool (one engine per core on worker
//! threads, micro-batched) -> upload (request bodies to image bytes) -> passive / sessions / compare (the
//! endpoints; gallery: what face match serves with; quality: the capture page's pre-capture check; page: the
//! capture page itself; tokens: its short-lived bearer tokens; collect: collection mode's dataset writer)
//! -> errors (JSON error bodies with stable codes) -> metrics, audit, openapi -> state (what handlers
//! share) -> guard (request ids, logs, auth, limits) -> server (routes, accept loop, graceful shutdown).

pub mod audit;
pub mod collect;
pub mod compare;
pub mod errors;
pub mod gallery;
pub mod guard;
pub mod metrics;
pub mod openapi;
pub mod options;
pub mod page;
pub mod passive;
pub mod pool;
pub mod quality;
pub mod server;
pub mod sessions;
pub mod state;
pub mod tokens;
pub mod upload;

pub use options::ServeOptions;
pub use server::run;
