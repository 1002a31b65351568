//! The HTTP server: routes, the accept loop and graceful shutdown.
//!
//! axum routes requests; the accept loop is written out (hyper's HTTP/1 connection builder) because it sets
//! the header-read timeout that closes slow-header (slowloris) and idle connections, caps open
//! connections, and drains connections on SIGTERM/SIGINT: the listener closes at once, in-flight requests
//! finish (up to the shutdown grace) and get their responses.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, oneshot};

use super::audit::Audit;
use super::collect::Collector;
use super::errors::ApiError;
use super::gallery::{FaceMatch, ServedGallery};
use super::guard;
use super::metrics::Metrics;
use super::options::ServeOptions;
use super::pool::{Pool, SessionSetup};
use super::sessions::{self, Sessions};
use super::state::{App, Ids, not_ready};
use super::tokens::PageTokens;
use super::{collect, compare, openapi, page, passive, quality};

async fn healthz(State(app): State<Arc<App>>) -> Json {
    axum::Json(json!({ "status": "ok", "uptime_s": app.started.elapsed().as_secs_f64() }))
}

type Json = axum::Json<Value>;

async fn readyz(State(app): State<Arc<App>>) -> Result<Json, ApiError> {
    app.pool.get().ok_or_else(not_ready)?;
    let runtime =
        crate::runtime::init().map_err(|e| ApiError::unavailable("runtime_unavailable", format!("{e:#}"), 5))?;
    let policies: Vec<&str> = app.policies.iter().map(|s| s.policy.name.as_str()).collect();
    let face = app.face.as_ref().map(|f| {
        let gallery = f.gallery.as_ref().map(|g| {
            let (persons, descriptors) = g.size();
            json!({"persons": persons, "descriptors": descriptors})
        });
        json!({"recognizer": f.recognizer, "match_threshold": f.threshold, "gallery": gallery})
    });
    Ok(axum::Json(json!({
        "status": "ready",
        "workers": app.workers,
        "model": app.model,
        "backend": app.backend,
        "policies": policies,
        "face_match": face,
        "onnxruntime": runtime.library.display().to_string(),
    })))
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let gauges = [
        ("liveness_ready", "1 once every worker has loaded its models.", f64::from(u8::from(app.pool.get().is_some()))),
        ("liveness_workers", "Inference worker threads.", app.workers as f64),
        (
            "liveness_in_flight_requests",
            "Requests on /v1 being handled.",
            (app.max_in_flight - app.in_flight.available_permits()) as f64,
        ),
        (
            "liveness_sessions_held",
            "Sessions held (awaiting frames, scoring or finished).",
            app.sessions.count() as f64,
        ),
        ("liveness_uptime_seconds", "Seconds since the server started.", app.started.elapsed().as_secs_f64()),
    ];
    ([("content-type", "text/plain; version=0.0.4")], app.metrics.render(&gauges)).into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint; see GET /openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this endpoint does not take that method")
}

fn router(app: Arc<App>) -> Router {
    // What the capture page may call with its page token; the rest needs the API token.
    let capture = Router::new()
        .route("/v1/liveness", post(passive::liveness))
        .route("/v1/quality", post(quality::quality))
        .route("/v1/sessions", post(sessions::create))
        .route("/v1/sessions/{id}", get(sessions::status))
        .route("/v1/sessions/{id}/frames", post(sessions::frames))
        .route("/v1/collect", post(collect::collect))
        .route("/v1/capture/config", get(page::config))
        .route_layer(from_fn_with_state(app.clone(), guard::limit))
        .route_layer(from_fn_with_state(app.clone(), guard::auth_capture));
    let protected = Router::new()
        .route("/v1/compare", post(compare::compare))
        .route("/v1/search", post(compare::search))
        .route("/v1/page-tokens", post(page::page_token))
        .route_layer(from_fn_with_state(app.clone(), guard::limit))
        .route("/metrics", get(metrics))
        .route_layer(from_fn_with_state(app.clone(), guard::auth));
    Router::new()
        .route("/", get(page::index))
        .route("/capture.js", get(page::script))
        .route("/capture.css", get(page::style))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi::document))
        .merge(capture)
        .merge(protected)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route_layer(from_fn(guard::mark_route))
        .layer(DefaultBodyLimit::disable())
        .layer(from_fn_with_state(app.clone(), guard::observe))
        .with_state(app)
}

/// Runs the server until SIGTERM or SIGINT, on a small I/O runtime; inference runs on its own threads.
pub fn run(opts: ServeOptions) -> Result<()> {
    if opts.token.is_none() && !opts.addr.ip().is_loopback() && !opts.insecure_bind_any {
        bail!(
            "refusing to serve {} without authentication: give --token-file FILE, bind a loopback address \
             (127.0.0.1), or pass --insecure-bind-any",
            opts.addr
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("liveness-http")
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(serve(opts))
}

async fn serve(opts: ServeOptions) -> Result<()> {
    let listener =
        tokio::net::TcpListener::bind(opts.addr).await.with_context(|| format!("cannot listen on {}", opts.addr))?;
    let local: SocketAddr = listener.local_addr()?;
    let audit = opts.audit_log.as_deref().map(Audit::open).transpose()?;
    let face = match &opts.face {
        Some(f) => Some(FaceMatch {
            recognizer: f.recognizer.clone(),
            recognizer_name: f.engine.recognizer.as_ref().map(|d| d.name.clone()).unwrap_or_default(),
            pad_model: opts.model.name.clone(),
            threshold: f.threshold,
            gallery: match &f.gallery {
                Some((dir, key)) => Some(Arc::new(
                    ServedGallery::open(dir, key.clone()).context("the --gallery-db gallery cannot be served")?,
                )),
                None => None,
            },
        }),
        None => None,
    };
    let collect = opts.capture.collect.as_deref().map(Collector::open).transpose()?.map(Arc::new);
    let app = Arc::new(App {
        policies: opts.policies.iter().cloned().map(Arc::new).collect(),
        allow_threshold_override: opts.allow_threshold_override,
        model: serde_json::to_value(&opts.model)?,
        max_body: opts.limits.max_body,
        max_in_flight: opts.limits.max_in_flight,
        request_timeout: opts.limits.request_timeout,
        in_flight: Arc::new(Semaphore::new(opts.limits.max_in_flight)),
        token_digest: opts.token.as_deref().map(|t| Sha256::digest(t.trim().as_bytes()).to_vec()),
        pool: OnceLock::new(),
        workers: opts.workers,
        metrics: Arc::new(Metrics::default()),
        audit,
        ids: Ids::new(),
        sessions: Sessions::new(
            opts.sessions.ttl,
            opts.sessions.max_sessions,
            opts.sessions.policy.min_frames,
            opts.sessions.policy.threshold,
        )?,
        started: Instant::now(),
        backend: opts.engine.backend.name(),
        face,
        page_tokens: PageTokens::new(opts.capture.page_token_ttl),
        show_scores: opts.capture.show_scores,
        capture_challenges: opts.capture.challenges.clone(),
        collect,
    });
    let policies: Vec<&str> = opts.policies.iter().map(|s| s.policy.name.as_str()).collect();
    log(json!({"event": "listening", "addr": local.to_string(), "policies": policies, "workers": opts.workers}));
    // Engines load off the executor while /healthz already answers; /readyz turns 200 when they are in.
    let (loaded_tx, mut loaded_rx) = oneshot::channel::<Result<()>>();
    {
        let (app, spec, workers, metrics) = (app.clone(), opts.engine.clone(), opts.workers, app.metrics.clone());
        let face_spec = opts.face.as_ref().map(|f| f.engine.clone());
        let setup = SessionSetup {
            policy: opts.sessions.policy.clone(),
            passive: opts.sessions.passive.clone(),
            limits: opts.policies.first().map(|s| s.limits).unwrap_or_default(),
        };
        // Queue: a batch per worker waiting behind the ones running, so a burst is batched, not refused.
        let queue = workers * crate::model::classifier::BATCH * 2;
        std::thread::spawn(move || {
            let t = Instant::now();
            let started = Pool::start(&spec, face_spec.as_ref(), setup, workers, queue, metrics).map(|pool| {
                let _ = app.pool.set(pool);
                log(json!({"event": "ready", "load_ms": t.elapsed().as_secs_f64() * 1000.0}));
            });
            let _ = loaded_tx.send(started);
        });
    }
    let router = router(app.clone());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(opts.limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown_signal());
    let mut loaded = false;
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => p?,
            () = &mut shutdown => break,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            result = &mut loaded_rx, if !loaded => {
                loaded = true;
                match result {
                    Ok(Ok(())) => continue,
                    Ok(Err(e)) => return Err(e.context("loading the models")),
                    Err(_) => return Err(anyhow!("the model loader stopped")),
                }
            }
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait a moment instead of spinning.
                log(json!({"event": "accept_error", "error": e.to_string()}));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(opts.limits.header_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    log(json!({"event": "shutting_down", "grace_s": opts.limits.shutdown_grace.as_secs_f64()}));
    if tokio::time::timeout(opts.limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        log(json!({"event": "shutdown_grace_expired"}));
    }
    if let Some(a) = &app.audit {
        a.close();
    }
    log(json!({"event": "stopped"}));
    Ok(())
}

/// Resolves on SIGTERM (the container runtime's stop) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = term => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// One JSON line on standard error: the server's log.
fn log(event: Value) {
    let mut event = event;
    if let Some(o) = event.as_object_mut() {
        o.insert("ts".into(), json!(crate::run::utc_now_iso()));
    }
    eprintln!("{event}");
}
