//! Fits Platt and isotonic calibration on `score,label` rows (label 1 = bona fide) read from standard input
//! and prints, as one JSON object, what `scripts/oracle-calibration.py` checks against scikit-learn and a
//! brute-force oracle: the Platt parameters, both fits' predictions at every input score and at a grid,
//! Cllr, min-Cllr, Brier and ECE (10 bins) of the raw scores (read as posteriors at a balanced prior) and of
//! both fits (posteriors at the input's bona fide share).
//!
//! `cargo run --release --example calibration_fit < rows.csv`

use std::io::Read;

use anyhow::{Context, Result, bail};
use liveness::metrics::calibration::{fit_quality, isotonic, platt};
use serde_json::json;

fn main() -> Result<()> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let (s, l) = line.split_once(',').with_context(|| format!("line {}: expected `score,label`", i + 1))?;
        let score: f64 = s.trim().parse().with_context(|| format!("line {}: score {s:?}", i + 1))?;
        pairs.push((score, l.trim() == "1"));
    }
    let (Some(p), Some(iso)) = (platt(&pairs), isotonic(&pairs)) else { bail!("need both classes") };
    let grid: Vec<f64> = (0..=100).map(|i| f64::from(i) / 100.0).collect();
    let on = |f: &dyn Fn(f64) -> f64, xs: &[f64]| xs.iter().map(|&x| f(x)).collect::<Vec<_>>();
    let scores: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let share = pairs.iter().filter(|p| p.1).count() as f64 / pairs.len() as f64;
    let quality = |f: &dyn Fn(f64) -> f64, prior: f64| {
        let q = fit_quality(&pairs.iter().map(|&(s, b)| (f(s), b)).collect::<Vec<_>>(), prior, 10);
        json!({"cllr": q.cllr, "min_cllr": q.min_cllr, "brier": q.brier, "ece": q.ece})
    };
    let out = json!({
        "platt": {"a": p.a, "b": p.b, "at_scores": on(&|s| p.predict(s), &scores), "at_grid": on(&|s| p.predict(s), &grid)},
        "isotonic": {"x": iso.x, "y": iso.y, "at_scores": on(&|s| iso.predict(s), &scores), "at_grid": on(&|s| iso.predict(s), &grid)},
        "bona_fide_share": share,
        "raw": quality(&|s| s, 0.5),
        "platt_quality": quality(&|s| p.predict(s), share),
        "isotonic_quality": quality(&|s| iso.predict(s), share),
    });
    println!("{out}");
    Ok(())
}
