//! Scoring many images on all cores, delivering results in input order as soon as they are ready.
//!
//! Each rayon worker owns one [`Engine`] (ONNX sessions are created once per worker and reused; `ort`
//! sessions need `&mut` to run) and pulls the next few jobs from a shared counter: it decodes and detects
//! each, then runs the classifiers once on the whole chunk (batched runs are cheaper per face). Pulling in
//! index order,
//! rather than splitting the list into halves as `par_iter` does, keeps results nearly in order, so the
//! reorder buffer stays a few records long and every finished record reaches the sink (and the score file)
//! within moments: a killed run loses almost nothing, and memory stays flat however long the list is.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use anyhow::{Context, Result, anyhow};

use super::pipeline::{Engine, EngineSpec, Job, Settings, classify, prepare};
use super::record::ScoreRecord;
use crate::model::classifier::BATCH;

/// Scores `jobs` on `workers` threads and calls `sink` with each record, in job order.
pub fn score_all(
    jobs: &[Job],
    spec: &EngineSpec,
    settings: &Settings,
    workers: usize,
    mut sink: impl FnMut(ScoreRecord) -> Result<()>,
) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    // Load one engine up front: a missing model or runtime is reported once, before any work starts.
    let engines = Mutex::new(vec![Engine::load(spec)?]);
    let workers = workers.clamp(1, jobs.len());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(workers).build().context("starting worker threads")?;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Result<ScoreRecord>)>();
    std::thread::scope(|s| {
        let producer = s.spawn(|| {
            pool.broadcast(|_| {
                let tx = tx.clone();
                let taken = engines.lock().map_err(|_| anyhow!("engine pool poisoned")).map(|mut e| e.pop());
                let mut engine = match taken {
                    Ok(Some(e)) => e,
                    Ok(None) => match Engine::load(spec) {
                        Ok(e) => e,
                        Err(e) => {
                            let _ = tx.send((usize::MAX, Err(e)));
                            return;
                        }
                    },
                    Err(e) => {
                        let _ = tx.send((usize::MAX, Err(e)));
                        return;
                    }
                };
                while !stop.load(Ordering::Relaxed) {
                    let start = next.fetch_add(BATCH, Ordering::Relaxed);
                    if start >= jobs.len() {
                        break;
                    }
                    let chunk = &jobs[start..(start + BATCH).min(jobs.len())];
                    let sent = match score_chunk(&mut engine, chunk, settings) {
                        Ok(recs) => recs.into_iter().enumerate().all(|(k, r)| tx.send((start + k, Ok(r))).is_ok()),
                        Err(e) => tx.send((start, Err(e))).is_ok(),
                    };
                    if !sent {
                        break;
                    }
                }
            });
            drop(tx);
        });
        let outcome = deliver_in_order(rx, &mut sink).map(|_| ());
        if outcome.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        let joined = producer.join();
        outcome.and(joined.map_err(|_| anyhow!("a scoring worker panicked")))
    })
}

/// Prepares each image of the chunk, then classifies the whole chunk at once.
fn score_chunk(engine: &mut Engine, chunk: &[Job], settings: &Settings) -> Result<Vec<ScoreRecord>> {
    let mut prepared = chunk.iter().map(|job| prepare(engine, job, settings)).collect::<Result<Vec<_>>>()?;
    classify(engine, &mut prepared)?;
    Ok(prepared.into_iter().map(|p| p.rec).collect())
}

/// Hands results to `sink` in index order as soon as each one's predecessors have arrived; the number delivered.
/// Shared with session scoring, which runs its own workers but needs the same ordering.
pub fn deliver_in_order<T>(
    rx: mpsc::Receiver<(usize, Result<T>)>,
    sink: &mut impl FnMut(T) -> Result<()>,
) -> Result<usize> {
    let mut pending = BTreeMap::new();
    let mut next = 0;
    for (i, rec) in rx {
        pending.insert(i, rec?);
        while let Some(rec) = pending.remove(&next) {
            sink(rec)?;
            next += 1;
        }
    }
    Ok(next)
}
