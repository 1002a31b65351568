//! bob's expected performance curve (EPC, Bengio & Mariéthoz 2004): for each weight α in [0, 1], the
//! threshold minimising α·APCER + (1 − α)·BPCER on a development set, applied to an evaluation set.
//!
//! As bob.measure's `epc`, APCER here is pooled over species (bob's FAR) and the curve's value is the
//! evaluation set's HTER at the chosen threshold; the worst-species APCER and the BPCER there are given
//! too. α runs over [`ALPHAS`] points 0, 0.01, ..., 1. Ties in the dev cost go to the highest threshold.
//! With no separate dev set (no `eval --calibrate-on DEV`) the thresholds are chosen on the evaluation
//! set itself, which makes the curve optimistic; `dev` names the set used so every output says so.

use std::io::Write;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::metric::{Metric, Threshold};
use super::sweep::Sweep;

/// Points of the curve: α = k / (ALPHAS − 1).
pub const ALPHAS: usize = 101;

/// One α of the curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpcPoint {
    pub alpha: f64,
    /// Chosen on the dev set.
    pub threshold: Threshold,
    /// α·APCER_pooled + (1 − α)·BPCER on the dev set at the threshold.
    pub dev_cost: f64,
    /// On the evaluation set at the threshold.
    pub apcer_pooled: f64,
    pub apcer_max: f64,
    pub bpcer: f64,
    /// α·APCER_pooled + (1 − α)·BPCER on the evaluation set.
    pub cost: f64,
    /// (APCER_pooled + BPCER) / 2 on the evaluation set (bob's EPC value; not an ISO/IEC 30107-3 metric).
    pub hter: f64,
}

/// The curve and where its thresholds came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Epc {
    /// The set the thresholds were chosen on ("the evaluation set itself" without a dev set).
    pub dev: String,
    pub points: Vec<EpcPoint>,
}

/// Both sets need scored presentations of both classes.
fn defined(sweep: &Sweep) -> bool {
    sweep.bona_fide_scored() > 0 && sweep.attack_scored() > 0
}

/// The EPC of thresholds chosen on `dev` and applied to `eval`.
pub fn epc(dev: &Sweep, eval: &Sweep, dev_name: &str) -> Metric<Epc> {
    if !defined(dev) {
        return Metric::na(format!("{dev_name} lacks scored presentations of a class"));
    }
    if !defined(eval) {
        return Metric::na("the evaluation set lacks scored presentations of a class");
    }
    let rates = |s: &Sweep, i: usize| (s.apcer_pooled(i).unwrap_or(0.0), s.bpcer(i).unwrap_or(0.0));
    let steps = (ALPHAS - 1) as u128;
    let (nb, na) = (u128::from(dev.bona_fide_scored()), u128::from(dev.attack_scored()));
    let points = (0..ALPHAS)
        .map(|k| {
            let alpha = k as f64 / steps as f64;
            let cost = |(a, b): (f64, f64)| alpha * a + (1.0 - alpha) * b;
            // The dev cost times steps·na·nb, in integers, so that equal costs tie exactly.
            let w = k as u128;
            let exact = |i: usize| {
                u128::from(dev.apcer_errors_pooled(i)) * nb * w + u128::from(dev.bpcer_errors(i)) * na * (steps - w)
            };
            let best = (0..dev.candidates()).min_by_key(|&i| (exact(i), i)).unwrap_or(0);
            let t = dev.threshold(best);
            let j = eval.index_at(t);
            let (a, b) = rates(eval, j);
            EpcPoint {
                alpha,
                threshold: Threshold(t),
                dev_cost: cost(rates(dev, best)),
                apcer_pooled: a,
                apcer_max: eval.apcer_max(j).unwrap_or(0.0),
                bpcer: b,
                cost: cost((a, b)),
                hter: (a + b) / 2.0,
            }
        })
        .collect();
    Metric::Value(Epc { dev: dev_name.to_owned(), points })
}

/// Writes the curve as CSV: `alpha,threshold,dev_cost,apcer_pooled,apcer_max,bpcer,cost,hter`.
pub fn write_epc_csv<W: Write>(curve: &Epc, out: W) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record(["alpha", "threshold", "dev_cost", "apcer_pooled", "apcer_max", "bpcer", "cost", "hter"])
        .context("writing the EPC CSV header")?;
    for p in &curve.points {
        let row = [p.alpha, p.dev_cost, p.apcer_pooled, p.apcer_max, p.bpcer, p.cost, p.hter].map(|v| v.to_string());
        let mut row = row.to_vec();
        row.insert(1, p.threshold.to_string());
        writer.write_record(&row).context("writing an EPC CSV row")?;
    }
    writer.flush().context("flushing the EPC CSV")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pres;

    fn sweep(ps: &[(&str, f64)]) -> Sweep {
        let ps: Vec<_> = ps.iter().map(|&(s, v)| pres(s, Some(v))).collect();
        Sweep::build(&ps).unwrap()
    }

    #[test]
    fn hand_computed_epc_on_dev_applied_to_eval() {
        // dev: live 0.9 0.6 | attack 0.7. Candidates +inf (A 0, B 1), 0.9 (0, 1/2), 0.7 (1, 1/2), 0.6 (1, 0).
        // α = 0: cost = BPCER → 0.6 (0). α = 1: cost = APCER → +inf (0; first of the ties).
        // α = 0.5: costs 1/2, 1/4, 3/4, 1/2 → 0.9.
        let dev = sweep(&[("", 0.9), ("", 0.6), ("a", 0.7)]);
        // eval: live 0.95 0.5 | attack 0.8 0.65: at 0.9 APCER 0, BPCER 1/2; at 0.6 APCER 1, BPCER 1/2.
        let eval = sweep(&[("", 0.95), ("", 0.5), ("a", 0.8), ("a", 0.65)]);
        let c = epc(&dev, &eval, "dev.csv");
        let c = c.value().unwrap();
        assert_eq!((c.points.len(), c.dev.as_str()), (101, "dev.csv"));
        let p0 = &c.points[0];
        assert_eq!((p0.alpha, p0.threshold, p0.apcer_pooled, p0.bpcer, p0.hter), (0.0, Threshold(0.6), 1.0, 0.5, 0.75));
        let p50 = &c.points[50];
        assert_eq!((p50.alpha, p50.threshold, p50.dev_cost), (0.5, Threshold(0.9), 0.25));
        assert_eq!((p50.apcer_pooled, p50.bpcer, p50.cost), (0.0, 0.5, 0.25));
        let p100 = &c.points[100];
        assert_eq!((p100.alpha, p100.threshold, p100.bpcer), (1.0, Threshold(f64::INFINITY), 1.0));
        let mut out = Vec::new();
        write_epc_csv(c, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().next().unwrap(), "alpha,threshold,dev_cost,apcer_pooled,apcer_max,bpcer,cost,hter");
        assert_eq!(text.lines().nth(101).unwrap(), "1,+inf,0,0,0,1,0,0.5");
        assert!(epc(&sweep(&[("", 0.5)]), &eval, "dev.csv").reason().unwrap().contains("dev.csv"));
    }
}
