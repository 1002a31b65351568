//! Times the metrics engine on 10 million random scores (half bona fide, half attacks of 3 species,
//! nearly all distinct, so the sweep has ~10M candidate thresholds: the worst case). The full
//! evaluate covers counts, at-threshold rates with Clopper-Pearson intervals, the sweep, EER,
//! operating points, AUC and decision bands (no segments or bootstrap: the data has no metadata).
//!
//! `cargo run --release --example bench_metrics_10m [OUT_DIR]`; with OUT_DIR, also writes the scores as
//! `scores.f64` (little-endian f64) and `labels.u8` (1 = bona fide) for `scripts/bench-sklearn.py`.

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result};
use liveness::metrics::{BandOptions, DEFAULT_OPERATING_RATES, EvalOptions, Sweep, ThresholdFree, evaluate};
use liveness::schema::Presentation;

const N: usize = 10_000_000;
const RUNS: usize = 3;
const SPECIES: [&str; 3] = ["print", "replay", "mask"];

/// xorshift64*: enough randomness for benchmark data.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn data() -> Vec<Presentation> {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    (0..N)
        .map(|i| {
            let bona_fide = i % 2 == 0;
            let bump = (rng.unit() + rng.unit()) / 2.0;
            Presentation {
                id: String::new(),
                bona_fide,
                species: if bona_fide { String::new() } else { SPECIES[i / 2 % 3].to_owned() },
                score: Some(if bona_fide { 0.3 + 0.7 * bump } else { 0.7 * bump }),
                reason: None,
                meta: Default::default(),
                decision: None,
            }
        })
        .collect()
}

/// This thread's CPU time (Linux `/proc/thread-self/schedstat`, first field in ns), if readable.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

fn write_for_sklearn(dir: &str, presentations: &[Presentation]) -> Result<()> {
    let scores: Vec<u8> = presentations.iter().flat_map(|p| p.score.unwrap_or(f64::NAN).to_le_bytes()).collect();
    let labels: Vec<u8> = presentations.iter().map(|p| u8::from(p.bona_fide)).collect();
    std::fs::File::create(format!("{dir}/scores.f64"))?.write_all(&scores).context("writing scores.f64")?;
    std::fs::File::create(format!("{dir}/labels.u8"))?.write_all(&labels).context("writing labels.u8")?;
    Ok(())
}

fn main() -> Result<()> {
    let presentations = data();
    if let Some(dir) = std::env::args().nth(1) {
        write_for_sklearn(&dir, &presentations)?;
    }
    let mut options = EvalOptions::new(0.5);
    options.policy = Some(BandOptions { pass: 0.6, retry: 0.4, attempts: vec![1, 2, 3] });
    // Several runs, wall and CPU time: on a shared machine the wall time of one run varies by 2x.
    for run in 1..=RUNS {
        let (start, cpu) = (Instant::now(), cpu_seconds());
        let evaluation = evaluate(&presentations, &options)?;
        let seconds = start.elapsed().as_secs_f64();
        let tf = &evaluation.report.threshold_free;
        let cpu = cpu_seconds().zip(cpu).map_or("n/a".to_owned(), |(end, start)| format!("{:.3} s", end - start));
        println!(
            "run {run}: full evaluate of {N} scores ({} candidates): wall {seconds:.3} s, cpu {cpu}",
            tf.candidates
        );
        if run == RUNS {
            println!(
                "  EER {:?}, AUC {:?}",
                tf.eer_pooled.value().map(|e| e.value),
                tf.auc_pooled.value().map(|a| a.value)
            );
        }
        drop(evaluation);
        let start = Instant::now();
        let sweep = Sweep::build(&presentations)?;
        let built = start.elapsed().as_secs_f64();
        ThresholdFree::from_sweep(&sweep, &DEFAULT_OPERATING_RATES);
        println!(
            "run {run}: sweep alone: build {built:.3} s, + EER/operating points/AUC {:.3} s",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
