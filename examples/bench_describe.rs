//! The face-descriptor stage's own time per image: what `eval --match` adds to the PAD pass. The frames
//! are decoded and the faces detected first and not timed (PAD does that work anyway and the descriptor
//! shares it); timed are the face mesh and the 5-point chip (`Recognizer::chip`) and the recognition
//! network (`Recognizer::embed`, batches of 8 chips as the pipeline calls it), on one thread, as one
//! `eval` worker runs them. Prints the median over rounds of ms per image. `scripts/bench-match.sh`
//! sets this beside the wall-time difference of `eval` and `eval --match`.
//!
//! `cargo run --release --example bench_describe -- IMAGES_DIR [ROUNDS]` (models: $LIVENESS_MODELS)

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use liveness::decode::{DecodeLimits, decode_file};
use liveness::detect::{largest, ultraface::UltraFace};
use liveness::frame::{FaceBox, Frame};
use liveness::model::descriptor::{DEFAULT_RECOGNIZER, catalog, resolve_embedding};
use liveness::recognition::Recognizer;

const BATCH: usize = 8;

fn images(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            images(&p, out)?;
        } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("jpg") || x.eq_ignore_ascii_case("png")) {
            out.push(p);
        }
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().context("give IMAGES_DIR")?);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let models = PathBuf::from(std::env::var_os("LIVENESS_MODELS").unwrap_or_else(|| "models".into()));
    let mut files = Vec::new();
    images(&dir, &mut files)?;
    files.sort();
    let mut detector = UltraFace::load(&liveness::model::locate(&models, liveness::schema::DETECTOR_FILE)?)?;
    let mut faces: Vec<(Frame, FaceBox)> = Vec::new();
    for f in &files {
        let Ok(frame) = decode_file(f, &DecodeLimits::default()) else { continue };
        if let Some(d) = largest(&detector.detect(&frame)?) {
            faces.push((frame, d.face));
        }
    }
    let descriptor = resolve_embedding(DEFAULT_RECOGNIZER, &catalog(&[])?)?;
    let mut recognizer = Recognizer::load(&descriptor, &models)?;
    let n = faces.len();
    let (mut chip_ms, mut net_ms) = (Vec::new(), Vec::new());
    for round in 0..=rounds {
        let (mut chip_s, mut net_s) = (0.0, 0.0);
        for batch in faces.chunks(BATCH) {
            let t = Instant::now();
            let chips: Vec<Frame> =
                batch.iter().map(|(f, b)| recognizer.chip(f, b).map(|c| c.0)).collect::<Result<_>>()?;
            let t1 = Instant::now();
            let refs: Vec<&Frame> = chips.iter().collect();
            let d = recognizer.embed(&refs)?;
            assert_eq!(d.len(), batch.len());
            net_s += t1.elapsed().as_secs_f64();
            chip_s += (t1 - t).as_secs_f64();
        }
        if round > 0 {
            // Round 0 warms the sessions and caches.
            chip_ms.push(chip_s * 1000.0 / n as f64);
            net_ms.push(net_s * 1000.0 / n as f64);
        }
    }
    let (c, e) = (median(chip_ms), median(net_ms));
    println!(
        "descriptor stage on {n} faces ({} images), one thread, median of {rounds} rounds: mesh + chip {c:.2} \
         ms/image, recognition network {e:.2} ms/image, together {:.2} ms/image",
        files.len(),
        c + e
    );
    Ok(())
}
