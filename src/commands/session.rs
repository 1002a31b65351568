//! `liveness session`: score sessions, draw challenge sequences, show per-frame geometry, time sessions.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};

use super::{Context, workers};
use crate::cli::{ChallengeArgs, ModelOptions, SessionBenchArgs, SessionCommand, SessionFramesArgs, SessionScoreArgs};
use crate::dataset::{self, DatasetSpec};
use crate::decode::DecodeLimits;
use crate::model::descriptor::Descriptor;
use crate::score::output::Format;
use crate::score::parallel::deliver_in_order;
use crate::session::analyze::{SessionEngine, Stages};
use crate::session::challenge::random_sequence;
use crate::session::input::SessionInput;
use crate::session::output::{Printer, Scored};
use crate::session::policy::{self, SessionPolicy};

pub fn run(ctx: &Context, cmd: &SessionCommand) -> Result<ExitCode> {
    match cmd {
        SessionCommand::Score(args) => score(ctx, args),
        SessionCommand::Challenge(args) => challenge(args),
        SessionCommand::Frames(args) => frames(ctx, args),
        SessionCommand::Bench(args) => bench(ctx, args),
    }
}

/// What every session subcommand needs: where the models are, the passive model, the policies.
struct Setup {
    models_dir: std::path::PathBuf,
    passive: Option<Descriptor>,
    passive_threshold: f64,
    policy: SessionPolicy,
    limits: DecodeLimits,
}

impl Setup {
    fn new(ctx: &Context, model: &ModelOptions, session_policy: &str, passive: bool) -> Result<Setup> {
        let (spec, settings) = ctx.scoring_setup(model)?;
        Ok(Setup {
            models_dir: spec.models_dir,
            passive: if passive { spec.descriptors.into_iter().next() } else { None },
            passive_threshold: settings.policy.threshold,
            policy: policy::resolve(session_policy, &ctx.config_dirs)?,
            limits: settings.limits,
        })
    }

    fn engine(&self) -> Result<SessionEngine> {
        SessionEngine::load(&self.models_dir, self.passive.as_ref())
    }

    fn score(&self, engine: &mut SessionEngine, input: SessionInput, points: bool) -> Result<Scored> {
        Scored::score(engine, input, &self.policy, &self.limits, self.passive_threshold, points)
    }
}

fn score(ctx: &Context, args: &SessionScoreArgs) -> Result<ExitCode> {
    let mut setup = Setup::new(ctx, &args.model, &args.session_policy, !args.no_passive)?;
    if let Some(n) = args.frames {
        setup.policy.max_frames = n;
    }
    let sessions = match &args.dataset {
        Some(root) => {
            let spec = DatasetSpec {
                root: root.clone(),
                kind: args.kind.clone(),
                layout: args.layout.clone(),
                split: args.split.clone(),
            };
            let ds = dataset::open(&spec)?;
            for issue in &ds.issues {
                crate::escape::tell!("liveness: dataset: {issue}");
            }
            crate::session::dataset::sessions(&ds)
        }
        None => args.sessions.iter().map(|d| SessionInput::from_folder(d, d.display().to_string())).collect(),
    };
    let meta: Vec<String> =
        sessions.iter().flat_map(|s| s.meta.keys().cloned()).collect::<BTreeSet<_>>().into_iter().collect();
    let ids: Vec<String> = sessions.iter().map(|s| s.id.clone()).collect();
    let format = Format::from_flags(args.json, args.csv);
    let mut printer = Printer::new(format, meta.clone(), &ids, Box::new(std::io::stdout().lock()))?;
    let mut file = match &args.scores_out {
        Some(path) => {
            let f =
                std::fs::File::create(path).with_context(|| format!("cannot create score file {}", path.display()))?;
            Some(Printer::new(Format::Csv, meta, &ids, Box::new(std::io::BufWriter::new(f)))?)
        }
        None => None,
    };
    let mut not_scored = 0;
    score_in_parallel(&setup, sessions, workers(args.model.workers), |s| {
        if let Some((reason, detail)) = s.failure() {
            not_scored += 1;
            crate::escape::tell!("liveness: {}: {reason}: {detail}", s.input.id);
        }
        printer.print(&s)?;
        file.as_mut().map_or(Ok(()), |f| f.print(&s))
    })?;
    Ok(if not_scored > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

/// Scores sessions on `workers` threads (one engine each, sessions taken in order from a shared counter)
/// and hands them to `sink` in input order.
fn score_in_parallel(
    setup: &Setup,
    sessions: Vec<SessionInput>,
    workers: usize,
    mut sink: impl FnMut(Scored) -> Result<()>,
) -> Result<()> {
    if sessions.is_empty() {
        return Ok(());
    }
    // One engine up front: a missing model is reported once, before any work starts.
    let first = std::sync::Mutex::new(Some(setup.engine()?));
    let slots: Vec<std::sync::Mutex<Option<SessionInput>>> =
        sessions.into_iter().map(|s| std::sync::Mutex::new(Some(s))).collect();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Result<Scored>)>();
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, slots.len()) {
            let tx = tx.clone();
            let (first, slots, next) = (&first, &slots, &next);
            scope.spawn(move || {
                let taken = first.lock().ok().and_then(|mut f| f.take());
                let mut engine = match taken.map_or_else(|| setup.engine(), Ok) {
                    Ok(e) => e,
                    Err(e) => return drop(tx.send((usize::MAX, Err(e)))),
                };
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = slots.get(i).and_then(|s| s.lock().ok()?.take()) else { break };
                    if tx.send((i, setup.score(&mut engine, input, false))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let delivered = deliver_in_order(rx, &mut sink)?;
        if delivered < slots.len() {
            Err(anyhow!("{} session(s) were not scored", slots.len() - delivered))
        } else {
            Ok(())
        }
    })
}

fn challenge(args: &ChallengeArgs) -> Result<ExitCode> {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
    });
    let names: Vec<&str> = random_sequence(usize::from(args.count), seed).into_iter().map(|c| c.as_str()).collect();
    println!("{}", serde_json::json!({ "seed": seed, "challenges": names }));
    Ok(ExitCode::SUCCESS)
}

fn frames(ctx: &Context, args: &SessionFramesArgs) -> Result<ExitCode> {
    let mut setup = Setup::new(ctx, &args.model, "default", false)?;
    setup.policy.max_frames = args.frames;
    let input = SessionInput::from_folder(&args.session, args.session.display().to_string());
    let mut engine = setup.engine()?;
    let scored = setup.score(&mut engine, input, args.points)?;
    let mut out = std::io::stdout().lock();
    for f in &scored.analysis.frames {
        use std::io::Write;
        writeln!(out, "{}", serde_json::to_string(f)?)?;
    }
    match scored.failure() {
        Some((reason, detail)) => {
            crate::escape::tell!("liveness: {}: {reason}: {detail}", scored.input.id);
            Ok(ExitCode::from(3))
        }
        None => Ok(ExitCode::SUCCESS),
    }
}

fn bench(ctx: &Context, args: &SessionBenchArgs) -> Result<ExitCode> {
    let mut setup = Setup::new(ctx, &args.model, "default", true)?;
    setup.policy.max_frames = args.frames;
    let inputs: Vec<SessionInput> =
        args.sessions.iter().map(|d| SessionInput::from_folder(d, d.display().to_string())).collect();
    if let Some(bad) = inputs.iter().find(|s| s.problem.is_some()) {
        bail!("bench: session {} cannot be read: {:?}", bad.id, bad.problem);
    }
    let mut engine = setup.engine()?;
    // A warm-up session: the first ONNX Runtime runs allocate.
    setup.score(&mut engine, inputs[0].clone(), false)?;
    crate::escape::say!(
        "session bench: {} sessions, {} frames each at most, 1 worker, best of {} passes",
        inputs.len(),
        args.frames,
        args.repeat.max(1)
    );
    let mut best: Option<(f64, Stages, usize)> = None;
    for _ in 0..args.repeat.max(1) {
        let (mut stages, mut frames) = (Stages::default(), 0);
        let t = Instant::now();
        for input in &inputs {
            let s = setup.score(&mut engine, input.clone(), false)?;
            let st = s.analysis.stages;
            (stages.decode, stages.detect, stages.landmarks, stages.passive) = (
                stages.decode + st.decode,
                stages.detect + st.detect,
                stages.landmarks + st.landmarks,
                stages.passive + st.passive,
            );
            frames += s.analysis.frames.len();
        }
        let wall = t.elapsed().as_secs_f64() * 1000.0;
        if best.as_ref().is_none_or(|(w, _, _)| wall < *w) {
            best = Some((wall, stages, frames));
        }
    }
    let Some((wall, st, frames)) = best else { bail!("bench: nothing ran") };
    let n = inputs.len() as f64;
    let per_frame = |v: f64| v / frames.max(1) as f64;
    crate::escape::say!("per session: {:.1} ms end to end ({:.1} frames)", wall / n, frames as f64 / n);
    crate::escape::say!(
        "per frame (ms): decode {:.2} | detect {:.2} | landmarks {:.2} (two passes, {:.2} per pass) | passive {:.2}",
        per_frame(st.decode),
        per_frame(st.detect),
        per_frame(st.landmarks),
        per_frame(st.landmarks) / 2.0,
        per_frame(st.passive)
    );
    let f = landmark_inference(&setup, &inputs[0])?;
    crate::escape::say!(
        "landmark floor (1 thread, a real face crop, {} runs): inference {:.2} ms best, {:.2} ms median; crop {:.2} ms",
        f.runs,
        f.best,
        f.median,
        f.crop
    );
    Ok(ExitCode::SUCCESS)
}

/// ONNX Runtime's own time for one face-mesh run (best and median of `runs`), and the mean time of one crop.
struct Floor {
    runs: usize,
    best: f64,
    median: f64,
    crop: f64,
}

/// The floor the landmark stage is up against, on the crop of the first frame with a face.
fn landmark_inference(setup: &Setup, input: &SessionInput) -> Result<Floor> {
    use crate::landmarks::crop::{Square, sample};
    let mut detector = crate::detect::ultraface::UltraFace::load(&crate::model::locate(
        &setup.models_dir,
        crate::schema::DETECTOR_FILE,
    )?)?;
    let mut mesh = crate::landmarks::FaceMesh::load(&crate::model::locate(
        &setup.models_dir,
        crate::landmarks::mesh::MODEL_FILE,
    )?)?;
    for f in &input.frames {
        let Ok(frame) = crate::decode::decode_file(&f.path, &setup.limits) else { continue };
        let Some(face) = crate::detect::largest(&detector.detect(&frame)?).map(|d| d.face) else { continue };
        let mut tensor = Vec::new();
        sample(&frame, &Square::around_box(&face), &mut tensor);
        let runs = 50;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            mesh.infer(&tensor)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let t = Instant::now();
        for _ in 0..runs {
            sample(&frame, &Square::around_box(&face), &mut tensor);
        }
        let crop = t.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        let best = times.iter().copied().fold(f64::MAX, f64::min);
        return Ok(Floor { runs, best, median: crate::stats::median(times.into_iter()), crop });
    }
    bail!("bench: no frame of {} has a face", input.id)
}
