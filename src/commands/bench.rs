//! `liveness bench`: images/s of the real pipeline, where the time goes, and the floor it is up against.
//!
//! The floor is what no pipeline built on these runtimes can beat: decoding each image, running the detector
//! on it, and running every classifier member at the batch size the pipeline really uses (8 faces per run),
//! each network on whichever backend (ONNX Runtime or OpenVINO) is the faster for it on this machine. The
//! pipeline is measured against that floor, so the gap is what our own code costs (resizing, cropping,
//! tensor filling, scheduling), stated per stage.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::Instant;

use anyhow::{Result, bail};

use super::{Context, workers};
use crate::cli::BenchArgs;
use crate::decode::decode_file;
use crate::detect::ultraface;
use crate::input;
use crate::model::backend::{Backend, Net};
use crate::model::classifier::{BATCH, input_tensor};
use crate::model::descriptor::{Member, Precision};
use crate::model::locate;
use crate::schema::DETECTOR_FILE;
use crate::score::parallel::score_all;
use crate::score::pipeline::{Engine, EngineSpec, Job, Settings, score};
use crate::score::record::Timings;

pub fn run(ctx: &Context, args: &BenchArgs) -> Result<ExitCode> {
    let (spec, settings) = ctx.scoring_setup(&args.model)?;
    let (mut files, problems) = input::expand(&args.inputs, &mut std::io::stdin().lock());
    // Reported as `score` reports them: a benchmark over fewer images than asked must say so.
    for p in &problems {
        eprintln!("liveness: {}: {}", p.reason, p.detail);
    }
    files.truncate(args.limit.unwrap_or(usize::MAX));
    if files.is_empty() {
        bail!("bench: no images among the inputs");
    }
    let jobs: Vec<Job> =
        files.iter().map(|f| Job { file: f.clone(), name: f.display().to_string(), given_box: None }).collect();
    let n_workers = workers(args.model.workers);
    let models: Vec<&str> = spec.descriptors.iter().map(|d| d.name.as_str()).collect();
    println!(
        "bench: {} images, models {}, classifiers on {}, {n_workers} workers, best of {} passes",
        jobs.len(),
        models.join(","),
        spec.backend.name(),
        args.repeat.max(1)
    );

    let best = best_pass(&jobs, &spec, &settings, n_workers, args.repeat.max(1))?;
    let n = jobs.len() as f64;
    let s = &best.stages;
    let total = s.decode_ms + s.detect_ms + s.classify_ms;
    println!(
        "pipeline: {:.1} images/s whole pass, steady state: {:.1} images/s ({} of {} scored)",
        best.whole_ips,
        best.steady_ips,
        best.scored,
        jobs.len()
    );
    println!(
        "stages (ms per image, one worker): decode {:.2} ({:.0}%) | detect {:.2} ({:.0}%) | classify {:.2} ({:.0}%)",
        s.decode_ms / n,
        100.0 * s.decode_ms / total,
        s.detect_ms / n,
        100.0 * s.detect_ms / total,
        s.classify_ms / n,
        100.0 * s.classify_ms / total
    );
    if args.no_floor {
        return Ok(ExitCode::SUCCESS);
    }

    let mut floor = Floor::new(&spec, &settings, &files)?;
    floor.choose_backends()?;
    let (floor_ips, per_stage) = floor.throughput(&files, &settings, n_workers)?;
    println!(
        "floor: {floor_ips:.1} images/s on {n_workers} workers = {:.2} ms per image per worker \
         (decode {:.2} + detect {:.2} + classify {:.2}; networks on their fastest backend, classifiers at batch {BATCH})",
        n_workers as f64 * 1000.0 / floor_ips,
        per_stage.decode_ms,
        per_stage.detect_ms,
        per_stage.classify_ms,
    );
    println!(
        "pipeline reaches {:.0}% of the floor's throughput (steady state); beyond the floor, per image and worker: \
         detect {:+.2} ms (resize, tensor, box decoding, quality), classify {:+.2} ms (crop, resize, tensor)",
        100.0 * best.steady_ips / floor_ips,
        s.detect_ms / n - per_stage.detect_ms,
        s.classify_ms / n - per_stage.classify_ms,
    );
    Ok(ExitCode::SUCCESS)
}

struct Pass {
    whole_ips: f64,
    /// Results per second between the first and the last result: engines loaded, pipeline full.
    steady_ips: f64,
    stages: Timings,
    scored: usize,
}

/// Runs the pipeline `repeat` times; returns the pass with the best steady state.
fn best_pass(jobs: &[Job], spec: &EngineSpec, settings: &Settings, workers: usize, repeat: usize) -> Result<Pass> {
    let mut best: Option<Pass> = None;
    for _ in 0..repeat {
        let mut stages = Timings::default();
        let mut scored = 0;
        let (mut first, mut last) = (None::<Instant>, None::<Instant>);
        let start = Instant::now();
        score_all(jobs, spec, settings, workers, |rec| {
            let now = Instant::now();
            first.get_or_insert(now);
            last = Some(now);
            stages.decode_ms += rec.timings.decode_ms;
            stages.detect_ms += rec.timings.detect_ms;
            stages.classify_ms += rec.timings.classify_ms;
            scored += usize::from(rec.live().is_some());
            Ok(())
        })?;
        let whole_ips = jobs.len() as f64 / start.elapsed().as_secs_f64();
        let steady_ips = match (first, last) {
            (Some(a), Some(b)) if jobs.len() > 1 && b > a => (jobs.len() - 1) as f64 / (b - a).as_secs_f64(),
            _ => whole_ips,
        };
        if best.as_ref().is_none_or(|b| steady_ips > b.steady_ips) {
            best = Some(Pass { whole_ips, steady_ips, stages, scored });
        }
    }
    best.ok_or_else(|| anyhow::anyhow!("bench: no pass ran"))
}

/// One network of the floor: the detector (batch 1, on ONNX Runtime or OpenVINO) or a classifier member.
struct FloorNet {
    name: String,
    path: PathBuf,
    input: String,
    output: String,
    /// Shape of one item, batch dimension 1.
    shape: [usize; 4],
    /// Items per run in the pipeline: 1 for the detector, [`BATCH`] for classifiers.
    batch: usize,
    is_detector: bool,
    /// One real input item, from the first image with a face: runtimes' speed depends on the values (a
    /// constant tensor runs about 25% faster than a real crop), so the floor uses real ones.
    item: Vec<f32>,
    backend: Backend,
}

struct Floor {
    nets: Vec<FloorNet>,
}

impl Floor {
    fn new(spec: &EngineSpec, settings: &Settings, files: &[PathBuf]) -> Result<Floor> {
        let members: Vec<&Member> = spec.descriptors.iter().flat_map(|d| &d.members).collect();
        let mut engine = Engine::load(spec)?;
        for file in files {
            let job = Job { file: file.clone(), name: file.display().to_string(), given_box: None };
            let (Ok(frame), Ok(rec)) = (decode_file(file, &settings.limits), score(&mut engine, &job, settings)) else {
                continue;
            };
            let Some(face) = rec.face else { continue };
            let mut det = Vec::new();
            ultraface::input_tensor(&frame, &mut det);
            let Ok(crops) = members.iter().map(|m| input_tensor(m, &frame, &face)).collect::<Result<Vec<_>, _>>()
            else {
                continue;
            };
            let mut nets = vec![FloorNet {
                name: "detector".into(),
                path: locate(&spec.models_dir, DETECTOR_FILE)?,
                input: "input".into(),
                output: "scores".into(),
                shape: [1, 3, 240, 320],
                batch: 1,
                is_detector: true,
                item: det,
                backend: Backend::Ort,
            }];
            for (m, item) in members.iter().zip(crops) {
                nets.push(FloorNet {
                    name: m.name.clone(),
                    path: locate(&spec.models_dir, &m.file)?,
                    input: m.input.name.clone(),
                    output: m.output.name.clone(),
                    shape: m.input_shape().map(|v| v as usize),
                    batch: BATCH,
                    is_detector: false,
                    item,
                    backend: spec.backend,
                });
            }
            return Ok(Floor { nets });
        }
        bail!("bench: no image with a usable face to measure the floor with")
    }

    /// Each network alone on one thread, on each backend at batch 1 and at the pipeline's batch size; each
    /// network then keeps the faster backend for the floor. A backend that cannot load is reported and skipped.
    fn choose_backends(&mut self) -> Result<()> {
        for net in &mut self.nets {
            let mut best: Option<(f64, Backend)> = None;
            let mut line = format!("  {}:", net.name);
            for backend in [Backend::Ort, Backend::Openvino] {
                let mut session = match open(net, backend) {
                    Ok(s) => s,
                    Err(e) => {
                        line += &format!(" {} unavailable ({e:#});", backend.name());
                        continue;
                    }
                };
                let one = median_ms(&mut session, net, 1, 50)?;
                let used =
                    if net.batch > 1 { median_ms(&mut session, net, net.batch, 10)? / net.batch as f64 } else { one };
                line += &format!(
                    " {} {one:.2} ms at batch 1, {used:.2} ms per image at batch {};",
                    backend.name(),
                    net.batch
                );
                if best.is_none_or(|(ms, _)| used < ms) {
                    best = Some((used, backend));
                }
            }
            let Some((_, backend)) = best else { bail!("bench: no backend could load {}", net.path.display()) };
            net.backend = backend;
            println!("{line} fastest: {}", backend.name());
        }
        Ok(())
    }

    /// Images/s when every worker only decodes its images, runs the detector on each and every classifier
    /// once per chunk of [`BATCH`] images (as the pipeline does): the throughput no pipeline on these runtimes
    /// can beat on this machine. Also returns the stage times per image and worker.
    fn throughput(&self, files: &[PathBuf], settings: &Settings, workers: usize) -> Result<(f64, Timings)> {
        let next = AtomicUsize::new(0);
        let start = Mutex::new(None::<Instant>);
        let barrier = Barrier::new(workers);
        let stages = Mutex::new(Timings::default());
        let results: Vec<Result<()>> = std::thread::scope(|sc| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    sc.spawn(|| -> Result<()> {
                        let mut sessions = self.nets.iter().map(|n| open(n, n.backend)).collect::<Result<Vec<_>>>()?;
                        let inputs: Vec<Vec<f32>> = self.nets.iter().map(|n| n.item.repeat(n.batch)).collect();
                        let mut mine = Timings::default();
                        barrier.wait();
                        start.lock().map(|mut s| s.get_or_insert_with(Instant::now).to_owned()).ok();
                        loop {
                            let first = next.fetch_add(BATCH, Ordering::Relaxed);
                            if first >= files.len() {
                                break;
                            }
                            let chunk = &files[first..(first + BATCH).min(files.len())];
                            for (k, (s, net)) in sessions.iter_mut().zip(&self.nets).enumerate() {
                                let t = Instant::now();
                                if net.is_detector {
                                    for file in chunk {
                                        let d = Instant::now();
                                        let _ = decode_file(file, &settings.limits);
                                        mine.decode_ms += ms(d);
                                        let r = Instant::now();
                                        run_net(s, net, 1, &inputs[k][..net.item.len()])?;
                                        mine.detect_ms += ms(r);
                                    }
                                } else {
                                    let n = chunk.len();
                                    run_net(s, net, n, &inputs[k][..net.item.len() * n])?;
                                    mine.classify_ms += ms(t);
                                }
                            }
                        }
                        if let Ok(mut all) = stages.lock() {
                            all.decode_ms += mine.decode_ms;
                            all.detect_ms += mine.detect_ms;
                            all.classify_ms += mine.classify_ms;
                        }
                        Ok(())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| bail!("floor worker panicked"))).collect()
        });
        results.into_iter().collect::<Result<Vec<()>>>()?;
        let t0 = start.lock().ok().and_then(|s| *s).unwrap_or_else(Instant::now);
        let ips = files.len() as f64 / t0.elapsed().as_secs_f64();
        let mut per = stages.into_inner().unwrap_or_default();
        let n = files.len() as f64;
        per.decode_ms /= n;
        per.detect_ms /= n;
        per.classify_ms /= n;
        Ok((ips, per))
    }
}

fn open(net: &FloorNet, backend: Backend) -> Result<Net> {
    Net::open(backend, &net.path, &net.input, &net.output, net.batch, Precision::F32)
}

fn run_net(s: &mut Net, net: &FloorNet, batch: usize, data: &[f32]) -> Result<()> {
    let mut shape = net.shape;
    shape[0] = batch;
    s.run(&net.input, &net.output, &shape, data)?;
    Ok(())
}

/// Median ms per run of `net` at `batch` over `runs` runs, after 5 warm-up runs.
fn median_ms(s: &mut Net, net: &FloorNet, batch: usize, runs: usize) -> Result<f64> {
    let data = net.item.repeat(batch);
    let mut times = Vec::new();
    for i in 0..runs + 5 {
        let t = Instant::now();
        run_net(s, net, batch, &data)?;
        if i >= 5 {
            times.push(ms(t));
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
