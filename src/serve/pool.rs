//! The inference workers: one set of engines per core, loaded once at start, fed from one bounded queue.
//!
//! ONNX Runtime sessions need `&mut` to run, so each worker thread owns its engines (detector and PAD
//! classifiers for images; detector, face mesh and passive classifier for sessions) and a request goes to
//! whichever worker is free. Inference never runs on the async executor's threads: a handler queues its
//! work here and awaits a one-shot reply. A free worker takes the next request and, without waiting, every
//! other request already queued up to the classifier batch size, then runs the classifiers once over all
//! their faces: under load the classifiers run batched (cheaper per face), while a lone request on an idle
//! server waits for nothing.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

use anyhow::{Result, anyhow};
use axum::body::Bytes;
use tokio::sync::oneshot;

use super::metrics::Metrics;
use crate::decode::{DecodeLimits, decode_bytes};
use crate::model::classifier::BATCH;
use crate::model::descriptor::Descriptor;
use crate::score::pipeline::{Engine, EngineSpec, Prepared, Settings, classify, prepare_with};
use crate::score::record::ScoreRecord;
use crate::session::analyze::SessionEngine;
use crate::session::input::SessionInput;
use crate::session::output::Scored;
use crate::session::policy::SessionPolicy;

/// One image to score under `settings`, reported as `name` in messages.
pub struct ImageWork {
    pub name: String,
    pub bytes: Bytes,
    pub settings: Arc<Settings>,
    pub reply: oneshot::Sender<Result<ScoreRecord>>,
}

/// One session (its frames on disk) to analyse and judge, with the passive verdict at `passive_threshold`.
pub struct SessionWork {
    pub input: SessionInput,
    pub passive_threshold: f64,
    pub reply: oneshot::Sender<Result<Scored>>,
}

pub enum Work {
    Image(ImageWork),
    Session(SessionWork),
}

/// What a session worker needs besides the frames.
pub struct SessionSetup {
    pub policy: SessionPolicy,
    pub passive: Option<Descriptor>,
    pub limits: DecodeLimits,
}

pub struct Pool {
    tx: mpsc::SyncSender<Work>,
}

/// The queue is full; the caller answers 503 with `Retry-After`.
#[derive(Debug)]
pub struct Busy;

impl Pool {
    /// Starts `workers` threads, each loading its engines; returns once all are loaded (or the first
    /// failure: a missing model or runtime). At most `queue` requests wait beyond those being run.
    pub fn start(
        spec: &EngineSpec,
        session: SessionSetup,
        workers: usize,
        queue: usize,
        metrics: Arc<Metrics>,
    ) -> Result<Pool> {
        let (tx, rx) = mpsc::sync_channel::<Work>(queue);
        let rx = Arc::new(Mutex::new(rx));
        let session = Arc::new(session);
        let (ready_tx, ready_rx) = mpsc::channel::<Result<()>>();
        for i in 0..workers.max(1) {
            let (rx, session, spec, metrics, ready) =
                (rx.clone(), session.clone(), spec.clone(), metrics.clone(), ready_tx.clone());
            std::thread::Builder::new().name(format!("liveness-worker-{i}")).spawn(move || {
                let loaded = Engine::load(&spec)
                    .and_then(|e| SessionEngine::load(&spec.models_dir, session.passive.as_ref()).map(|s| (e, s)));
                let (mut engine, mut session_engine) = match loaded {
                    Ok(e) => {
                        let _ = ready.send(Ok(()));
                        e
                    }
                    Err(e) => return drop(ready.send(Err(e))),
                };
                while let Some(batch) = take(&rx) {
                    metrics.batch(batch.iter().filter(|w| matches!(w, Work::Image(_))).count());
                    run(&mut engine, &mut session_engine, &session, batch);
                }
            })?;
        }
        drop(ready_tx);
        for _ in 0..workers.max(1) {
            ready_rx.recv().map_err(|_| anyhow!("an inference worker stopped while loading"))??;
        }
        Ok(Pool { tx })
    }

    /// Queues `work`, or refuses it at once when the queue is full.
    pub fn submit(&self, work: Work) -> Result<(), Busy> {
        self.tx.try_send(work).map_err(|_| Busy)
    }
}

/// The next request, and every request already waiting behind it up to the batch size; `None` once the
/// pool is dropped.
fn take(rx: &Mutex<mpsc::Receiver<Work>>) -> Option<Vec<Work>> {
    let rx = rx.lock().ok()?;
    let mut batch = vec![rx.recv().ok()?];
    while batch.len() < BATCH {
        match rx.try_recv() {
            Ok(w) => batch.push(w),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Runs a batch: the images' classifiers in one call, then each session. A panic answers its batch with
/// dropped replies (the handlers report an internal error) and leaves the worker serving.
fn run(engine: &mut Engine, session_engine: &mut SessionEngine, setup: &SessionSetup, batch: Vec<Work>) {
    let (mut images, mut sessions) = (Vec::new(), Vec::new());
    for w in batch {
        match w {
            Work::Image(i) => images.push(i),
            Work::Session(s) => sessions.push(s),
        }
    }
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| score_images(engine, images)));
    for s in sessions {
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let scored =
                Scored::score(session_engine, s.input, &setup.policy, &setup.limits, s.passive_threshold, false);
            let _ = s.reply.send(scored);
        }));
    }
}

fn score_images(engine: &mut Engine, images: Vec<ImageWork>) {
    let mut prepared: Vec<Prepared> = Vec::with_capacity(images.len());
    let mut replies = Vec::with_capacity(images.len());
    for w in images {
        let decode = || decode_bytes(&w.bytes, Path::new(&w.name), &w.settings.limits);
        match prepare_with(engine, &w.name, None, &w.settings, decode) {
            Ok(p) => {
                prepared.push(p);
                replies.push(w.reply);
            }
            Err(e) => drop(w.reply.send(Err(e))),
        }
    }
    match classify(engine, &mut prepared) {
        Ok(()) => {
            for (p, reply) in prepared.into_iter().zip(replies) {
                let _ = reply.send(Ok(p.rec));
            }
        }
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(anyhow!("{e:#}")));
            }
        }
    }
}
