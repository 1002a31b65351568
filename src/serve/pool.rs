//! The inference workers: one set of engines per core, loaded once at start, fed from one bounded queue.
//!
//! ONNX Runtime sessions need `&mut` to run, so each worker thread owns its engines (detector and PAD
//! classifiers for images; detector, face mesh and passive classifier for sessions; with face match, a
//! second image engine that also runs the recognizer) and a request goes to whichever worker is free.
//! Inference never runs on the async executor's threads: a handler queues its work here and awaits a
//! one-shot reply. A free worker takes the next request and, without waiting, its share of the requests
//! already queued (all of them, up to the classifier batch size, when no other worker is idle; an even
//! split with the idle ones otherwise, so one worker does not take a whole burst while another waits),
//! then runs the classifiers once over all their faces: under load the classifiers run batched (cheaper
//! per face), while a lone request on an idle server waits for nothing.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
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
use crate::session::analyze::{SessionEngine, people};
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

/// A face compare or search: the probe and its references analysed together (decode, detect, PAD,
/// chip, descriptor) on one worker in one classifier run, as `liveness compare` analyses its files.
pub struct FaceWork {
    /// (name, bytes) of each image, probe first.
    pub images: Vec<(String, Bytes)>,
    pub settings: Arc<Settings>,
    pub reply: oneshot::Sender<Result<Vec<ScoreRecord>>>,
}

/// An image checked before capture (`/v1/quality`): decode, detect and the quality gates, no classifier.
pub struct QualityWork {
    pub name: String,
    pub bytes: Bytes,
    pub settings: Arc<Settings>,
    /// The record (a non-response when a gate failed) and the people in view: faces at least the session
    /// policy's `second_face_share` of the largest face's area.
    pub reply: oneshot::Sender<Result<(ScoreRecord, usize)>>,
}

pub enum Work {
    Image(ImageWork),
    Quality(QualityWork),
    Session(SessionWork),
    Faces(FaceWork),
}

/// What a session worker needs besides the frames.
pub struct SessionSetup {
    pub policy: SessionPolicy,
    pub passive: Option<Descriptor>,
    pub limits: DecodeLimits,
}

pub struct Pool {
    tx: mpsc::SyncSender<Work>,
    queue: Arc<Queue>,
}

/// What a worker needs to know to take its share of the queue.
#[derive(Default)]
struct Queue {
    /// Requests submitted and not yet taken by a worker.
    waiting: AtomicUsize,
    /// Workers waiting for work.
    idle: AtomicUsize,
}

/// The queue is full; the caller answers 503 with `Retry-After`.
#[derive(Debug)]
pub struct Busy;

impl Pool {
    /// Starts `workers` threads, each loading its engines; returns once all are loaded (or the first
    /// failure: a missing model or runtime). At most `queue` requests wait beyond those being run.
    pub fn start(
        spec: &EngineSpec,
        face: Option<&EngineSpec>,
        session: SessionSetup,
        workers: usize,
        queue: usize,
        metrics: Arc<Metrics>,
    ) -> Result<Pool> {
        let (tx, rx) = mpsc::sync_channel::<Work>(queue);
        let rx = Arc::new(Mutex::new(rx));
        let shared = Arc::new(Queue::default());
        let session = Arc::new(session);
        let (ready_tx, ready_rx) = mpsc::channel::<Result<()>>();
        for i in 0..workers.max(1) {
            let (rx, shared, session, metrics, ready) =
                (rx.clone(), shared.clone(), session.clone(), metrics.clone(), ready_tx.clone());
            let (spec, face) = (spec.clone(), face.cloned());
            std::thread::Builder::new().name(format!("liveness-worker-{i}")).spawn(move || {
                let loaded = Engines::load(&spec, face.as_ref(), session.passive.as_ref());
                let mut engines = match loaded {
                    Ok(e) => {
                        let _ = ready.send(Ok(()));
                        e
                    }
                    Err(e) => return drop(ready.send(Err(e))),
                };
                while let Some(batch) = take(&rx, &shared, workers.max(1)) {
                    metrics.batch(batch.iter().filter(|w| matches!(w, Work::Image(_))).count());
                    run(&mut engines, &session, batch);
                }
            })?;
        }
        drop(ready_tx);
        for _ in 0..workers.max(1) {
            ready_rx.recv().map_err(|_| anyhow!("an inference worker stopped while loading"))??;
        }
        Ok(Pool { tx, queue: shared })
    }

    /// Queues `work`, or refuses it at once when the queue is full.
    pub fn submit(&self, work: Work) -> Result<(), Busy> {
        // Counted before it is sent, so a worker taking it never sees the count below zero.
        self.queue.waiting.fetch_add(1, Ordering::SeqCst);
        self.tx.try_send(work).map_err(|_| {
            self.queue.waiting.fetch_sub(1, Ordering::SeqCst);
            Busy
        })
    }
}

/// One worker's engines.
struct Engines {
    images: Engine,
    sessions: SessionEngine,
    /// The image engine with the recognizer (face match only).
    faces: Option<Engine>,
}

impl Engines {
    fn load(spec: &EngineSpec, face: Option<&EngineSpec>, passive: Option<&Descriptor>) -> Result<Engines> {
        Ok(Engines {
            images: Engine::load(spec)?,
            sessions: SessionEngine::load(&spec.models_dir, passive)?,
            faces: face.map(Engine::load).transpose()?,
        })
    }
}

/// The next request and this worker's share of those already waiting: `ceil(waiting / idle workers)`
/// counting this one, up to the batch size; `None` once the pool is dropped.
fn take(rx: &Mutex<mpsc::Receiver<Work>>, queue: &Queue, workers: usize) -> Option<Vec<Work>> {
    queue.idle.fetch_add(1, Ordering::SeqCst);
    let Ok(rx) = rx.lock() else {
        queue.idle.fetch_sub(1, Ordering::SeqCst);
        return None;
    };
    let first = rx.recv();
    // Idle workers, this one included (the count before it leaves).
    let idle = queue.idle.fetch_sub(1, Ordering::SeqCst).clamp(1, workers);
    let mut batch = vec![first.ok()?];
    let share = queue.waiting.load(Ordering::SeqCst).div_ceil(idle).clamp(1, BATCH);
    while batch.len() < share {
        match rx.try_recv() {
            Ok(w) => batch.push(w),
            Err(_) => break,
        }
    }
    queue.waiting.fetch_sub(batch.len(), Ordering::SeqCst);
    Some(batch)
}

/// Runs a batch: the images' classifiers in one call, then each face compare or search, then each
/// session. A panic answers its work with dropped replies (the handlers report an internal error) and
/// leaves the worker serving.
fn run(engines: &mut Engines, setup: &SessionSetup, batch: Vec<Work>) {
    let (mut images, mut faces, mut sessions) = (Vec::new(), Vec::new(), Vec::new());
    for w in batch {
        match w {
            Work::Image(i) => images.push(i),
            Work::Quality(q) => {
                let _ = std::panic::catch_unwind(AssertUnwindSafe(|| check_quality(&mut engines.images, setup, q)));
            }
            Work::Faces(f) => faces.push(f),
            Work::Session(s) => sessions.push(s),
        }
    }
    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| score_images(&mut engines.images, images)));
    for f in faces {
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let analysed = match &mut engines.faces {
                Some(engine) => {
                    let items: Vec<(&str, &Bytes)> = f.images.iter().map(|(n, b)| (n.as_str(), b)).collect();
                    analyse(engine, &items, &f.settings).into_iter().collect()
                }
                None => Err(anyhow!("face match is not enabled on this server")),
            };
            let _ = f.reply.send(analysed);
        }));
    }
    for s in sessions {
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let scored =
                Scored::score(&mut engines.sessions, s.input, &setup.policy, &setup.limits, s.passive_threshold, false);
            let _ = s.reply.send(scored);
        }));
    }
}

/// Decode, detect and gate one image, as `score` does before its classifiers.
fn check_quality(engine: &mut Engine, setup: &SessionSetup, w: QualityWork) {
    let decode = || decode_bytes(&w.bytes, Path::new(&w.name), &w.settings.limits);
    let checked = prepare_with(engine, &w.name, None, &w.settings, decode).map(|p| {
        let people = p.rec.face.map_or(0, |face| people(&p.rec.faces, &face, setup.policy.second_face_share));
        (p.rec, people)
    });
    let _ = w.reply.send(checked);
}

/// Micro-batched images, each under its own request's settings.
fn score_images(engine: &mut Engine, images: Vec<ImageWork>) {
    let mut replies = Vec::with_capacity(images.len());
    let mut prepared: Vec<Result<Prepared>> = Vec::with_capacity(images.len());
    for w in images {
        let decode = || decode_bytes(&w.bytes, Path::new(&w.name), &w.settings.limits);
        prepared.push(prepare_with(engine, &w.name, None, &w.settings, decode));
        replies.push(w.reply);
    }
    for (rec, reply) in finish(engine, prepared).into_iter().zip(replies) {
        let _ = reply.send(rec);
    }
}

/// Images under one request's settings, in one classifier run (as a chunk of `liveness score`).
fn analyse(engine: &mut Engine, images: &[(&str, &Bytes)], settings: &Settings) -> Vec<Result<ScoreRecord>> {
    let prepared = images
        .iter()
        .map(|&(name, bytes)| {
            prepare_with(engine, name, None, settings, || decode_bytes(bytes, Path::new(name), &settings.limits))
        })
        .collect();
    finish(engine, prepared)
}

/// Classifies the prepared images (one call over all their faces) and gives each its record, or the
/// engine's error.
fn finish(engine: &mut Engine, prepared: Vec<Result<Prepared>>) -> Vec<Result<ScoreRecord>> {
    let mut ok: Vec<Prepared> = Vec::with_capacity(prepared.len());
    let mut slots: Vec<Result<usize>> = Vec::with_capacity(prepared.len());
    for p in prepared {
        slots.push(p.map(|p| {
            ok.push(p);
            ok.len() - 1
        }));
    }
    let classified = classify(engine, &mut ok).map_err(|e| format!("{e:#}"));
    let mut records: Vec<Option<ScoreRecord>> = ok.into_iter().map(|p| Some(p.rec)).collect();
    slots
        .into_iter()
        .map(|slot| {
            let i = slot?;
            match &classified {
                Ok(()) => records[i].take().ok_or_else(|| anyhow!("an image was answered twice")),
                Err(e) => Err(anyhow!("{e}")),
            }
        })
        .collect()
}
