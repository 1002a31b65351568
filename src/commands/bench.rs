//! `liveness bench`: images/s of the real pipeline, where the time goes, and the floor it is up against.
//!
//! The floor is what no implementation on ONNX Runtime can beat: ONNX Runtime's own single-threaded time
//! for the detector and every classifier member, plus decoding the image. Comparing the pipeline with it
//! shows how much our own code (resizing, cropping, tensor filling, scheduling) costs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, bail};
use ort::value::TensorRef;

use super::{Context, workers};
use crate::cli::BenchArgs;
use crate::decode::decode_file;
use crate::detect::ultraface;
use crate::input;
use crate::model::classifier::input_tensor;
use crate::model::descriptor::Member;
use crate::model::{locate, session};
use crate::schema::DETECTOR_FILE;
use crate::score::parallel::score_all;
use crate::score::pipeline::{Engine, EngineSpec, Job, Settings, score};
use crate::score::record::Timings;

pub fn run(ctx: &Context, args: &BenchArgs) -> Result<ExitCode> {
    let (spec, settings) = ctx.scoring_setup(&args.model)?;
    let (mut files, _) = input::expand(&args.inputs, &mut std::io::stdin().lock());
    files.truncate(args.limit.unwrap_or(usize::MAX));
    if files.is_empty() {
        bail!("bench: no images among the inputs");
    }
    let jobs: Vec<Job> =
        files.iter().map(|f| Job { file: f.clone(), name: f.display().to_string(), given_box: None }).collect();
    let n_workers = workers(args.model.workers);
    let models: Vec<&str> = spec.descriptors.iter().map(|d| d.name.as_str()).collect();
    println!(
        "bench: {} images, models {}, {n_workers} workers, best of {} passes",
        jobs.len(),
        models.join(","),
        args.repeat.max(1)
    );

    let (ips, stages, scored) = best_pass(&jobs, &spec, &settings, n_workers, args.repeat.max(1))?;
    let n = jobs.len() as f64;
    let total = stages.decode_ms + stages.detect_ms + stages.classify_ms;
    println!("pipeline: {ips:.1} images/s ({scored} of {} scored)", jobs.len());
    println!(
        "stages (ms per image, one worker): decode {:.2} ({:.0}%) | detect {:.2} ({:.0}%) | classify {:.2} ({:.0}%)",
        stages.decode_ms / n,
        100.0 * stages.decode_ms / total,
        stages.detect_ms / n,
        100.0 * stages.detect_ms / total,
        stages.classify_ms / n,
        100.0 * stages.classify_ms / total
    );

    let floor = Floor::new(&spec, &settings, &files)?;
    floor.print_single_thread()?;
    let floor_ips = floor.throughput(&files, &settings, n_workers)?;
    println!(
        "floor: {floor_ips:.1} images/s on {n_workers} workers = {:.2} ms per image per worker (ONNX Runtime + decode only)",
        n_workers as f64 * 1000.0 / floor_ips
    );
    println!("pipeline reaches {:.0}% of the floor's throughput", 100.0 * ips / floor_ips);
    Ok(ExitCode::SUCCESS)
}

/// Runs the pipeline `repeat` times; returns the best images/s and that pass's summed stage times.
fn best_pass(
    jobs: &[Job],
    spec: &EngineSpec,
    settings: &Settings,
    workers: usize,
    repeat: usize,
) -> Result<(f64, Timings, usize)> {
    let mut best = (0.0, Timings::default(), 0);
    for _ in 0..repeat {
        let mut sum = Timings::default();
        let mut scored = 0;
        let start = Instant::now();
        score_all(jobs, spec, settings, workers, |rec| {
            sum.decode_ms += rec.timings.decode_ms;
            sum.detect_ms += rec.timings.detect_ms;
            sum.classify_ms += rec.timings.classify_ms;
            scored += usize::from(rec.live().is_some());
            Ok(())
        })?;
        let ips = jobs.len() as f64 / start.elapsed().as_secs_f64();
        if ips > best.0 {
            best = (ips, sum, scored);
        }
    }
    Ok(best)
}

/// The networks one image goes through: the detector and every classifier member, with their input shapes.
struct Floor {
    nets: Vec<(String, PathBuf, String, [usize; 4])>,
    /// One real input per network, from the first image with a face: ONNX Runtime's speed depends on the
    /// values (a constant tensor runs about 25% faster than a real crop), so the floor uses real ones.
    tensors: Vec<Vec<f32>>,
}

impl Floor {
    fn new(spec: &EngineSpec, settings: &Settings, files: &[PathBuf]) -> Result<Floor> {
        let mut nets = vec![(
            "detector".to_string(),
            locate(&spec.models_dir, DETECTOR_FILE)?,
            "input".to_string(),
            [1, 3, 240, 320],
        )];
        let members: Vec<&Member> = spec.descriptors.iter().flat_map(|d| &d.members).collect();
        for m in &members {
            nets.push((
                m.name.clone(),
                locate(&spec.models_dir, &m.file)?,
                m.input.name.clone(),
                m.input_shape().map(|v| v as usize),
            ));
        }
        let mut engine = Engine::load(spec)?;
        for file in files {
            let job = Job { file: file.clone(), name: file.display().to_string(), given_box: None };
            let (Ok(frame), Ok(rec)) = (decode_file(file, &settings.limits), score(&mut engine, &job, settings)) else {
                continue;
            };
            let Some(face) = rec.face else { continue };
            let mut det = Vec::new();
            ultraface::input_tensor(&frame, &mut det);
            let crops: Result<Vec<_>, _> = members.iter().map(|m| input_tensor(m, &frame, &face)).collect();
            if let Ok(crops) = crops {
                let tensors = std::iter::once(det).chain(crops).collect();
                return Ok(Floor { nets, tensors });
            }
        }
        bail!("bench: no image with a usable face to measure the floor with")
    }

    /// ONNX Runtime alone, one thread, the other cores idle: median ms per run, at batch 1 and batch 8
    /// (to show whether batching faces across images would pay).
    fn print_single_thread(&self) -> Result<()> {
        for ((name, path, input, shape), data) in self.nets.iter().zip(&self.tensors) {
            let mut s = session::open(path)?;
            let one = median_ms(&mut s, input, *shape, data, 1, 50)?;
            let batched = match median_ms(&mut s, input, *shape, data, 8, 10) {
                Ok(ms) => format!("{:.2} ms per image", ms / 8.0),
                Err(_) => "fixed batch size 1".to_string(),
            };
            println!("  onnxruntime {name}: {one:.2} ms (batch 8: {batched})");
        }
        Ok(())
    }

    /// Images/s when every worker only decodes the image and runs each network once on a fixed tensor: the
    /// throughput no pipeline on ONNX Runtime can beat on this machine.
    fn throughput(&self, files: &[PathBuf], settings: &Settings, workers: usize) -> Result<f64> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let start = std::sync::Mutex::new(None::<Instant>);
        let barrier = std::sync::Barrier::new(workers);
        let results: Vec<Result<()>> = std::thread::scope(|sc| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    sc.spawn(|| -> Result<()> {
                        let mut sessions =
                            self.nets.iter().map(|(_, p, ..)| session::open(p)).collect::<Result<Vec<_>>>()?;
                        barrier.wait();
                        start.lock().map(|mut s| s.get_or_insert_with(Instant::now).to_owned()).ok();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(file) = files.get(i) else { return Ok(()) };
                            let _ = decode_file(file, &settings.limits);
                            for ((s, (_, _, input, shape)), d) in sessions.iter_mut().zip(&self.nets).zip(&self.tensors)
                            {
                                s.run(
                                    ort::inputs![input.as_str() => TensorRef::from_array_view((*shape, d.as_slice()))?],
                                )?;
                            }
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| bail!("floor worker panicked"))).collect()
        });
        results.into_iter().collect::<Result<Vec<()>>>()?;
        let t0 = start.lock().ok().and_then(|s| *s).unwrap_or_else(Instant::now);
        Ok(files.len() as f64 / t0.elapsed().as_secs_f64())
    }
}

fn median_ms(
    s: &mut ort::session::Session,
    input: &str,
    mut shape: [usize; 4],
    one: &[f32],
    batch: usize,
    runs: usize,
) -> Result<f64> {
    shape[0] = batch;
    let data = one.repeat(batch);
    let mut times = Vec::new();
    for i in 0..runs + 5 {
        let t = Instant::now();
        s.run(ort::inputs![input => TensorRef::from_array_view((shape, data.as_slice()))?])?;
        if i >= 5 {
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}
