//! `liveness serve`: the scoring engine behind a REST API, for on-premises deployment.
//!
//! options (what is served, resolved from the command line) -> pool (one engine per core on worker
//! threads, micro-batched) -> upload (request bodies to image bytes) -> passive / sessions / compare (the
//! endpoints; gallery: what face match serves with)
//! -> errors (JSON error bodies with stable codes) -> metrics, audit, openapi -> state (what handlers
//! share) -> guard (request ids, logs, auth, limits) -> server (routes, accept loop, graceful shutdown).

pub mod audit;
pub mod compare;
pub mod errors;
pub mod gallery;
pub mod guard;
pub mod metrics;
pub mod openapi;
pub mod options;
pub mod passive;
pub mod pool;
pub mod server;
pub mod sessions;
pub mod state;
pub mod upload;

pub use options::ServeOptions;
pub use server::run;
