//! Property tests of the bob/pyeer figures, the EPC, the legacy averages and the resolution, each
//! against a brute-force transcription of its definition over the raw scores (the strategy and the
//! brute-force rates of `properties`).

use proptest::prelude::*;

use super::bob::{BobMetrics, d_prime, eer_interval, min_hter};
use super::epc::{ALPHAS, epc};
use super::legacy;
use super::properties::{brute, presentations};
use super::resolution::{needed, resolution};
use super::rocch::eer_rocch;
use super::{Sweep, Threshold};
use crate::schema::Presentation;

/// The DET points (APCER pooled, BPCER) of every candidate, with their thresholds; `None` for one class.
fn det(ps: &[Presentation]) -> Option<Vec<(f64, f64, f64)>> {
    brute::candidates(ps).into_iter().map(|t| Some((brute::apcer_pooled(ps, t)?, brute::bpcer(ps, t)?, t))).collect()
}

/// The ROCCH EER by its meaning: the lowest equal error any mix of two thresholds reaches. A mix of
/// points p and q (gap y - x of opposite signs) crosses the diagonal at one weight.
fn brute_rocch(ps: &[Presentation]) -> Option<f64> {
    let pts = det(ps)?;
    let mut best = f64::INFINITY;
    for &(x1, y1, _) in &pts {
        for &(x2, y2, _) in &pts {
            let (g1, g2) = (y1 - x1, y2 - x2);
            if g1 >= 0.0 && g2 <= 0.0 {
                let w = if g1 == g2 { 0.0 } else { g1 / (g1 - g2) };
                best = best.min(x1 + w * (x2 - x1));
            }
        }
    }
    Some(best)
}

/// pyeer's interval, FVC2000 wording: t1 = max{t: FNMR(t) <= FMR(t)}, t2 = min{t: FNMR(t) >= FMR(t)}.
fn brute_interval(ps: &[Presentation]) -> Option<(f64, f64, f64)> {
    let pts = det(ps)?;
    let t1 = pts.iter().filter(|p| p.1 <= p.0).max_by(|a, b| a.2.total_cmp(&b.2))?;
    let t2 = pts.iter().filter(|p| p.1 >= p.0).min_by(|a, b| a.2.total_cmp(&b.2))?;
    Some(if t1.1 + t1.0 <= t2.1 + t2.0 { (t1.1, t1.0, t1.2) } else { (t2.0, t2.1, t2.2) })
}

fn brute_d_prime(ps: &[Presentation]) -> Option<f64> {
    let stats = |s: Vec<f64>| {
        let n = s.len() as f64;
        let m = s.iter().sum::<f64>() / n;
        (m, s.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n)
    };
    let (live, attack) = (brute::scored(ps, |p| p.bona_fide), brute::scored(ps, |p| !p.bona_fide));
    if live.is_empty() || attack.is_empty() {
        return None;
    }
    let ((m1, v1), (m2, v2)) = (stats(live), stats(attack));
    (v1 + v2 > 0.0).then(|| (m1 - m2).abs() / ((v1 + v2) / 2.0).sqrt())
}

/// The lowest value of `cost` over the candidates, ties (within 1e-12: distinct rationals of these
/// small counts differ by far more) to the highest threshold: (value, threshold).
fn brute_argmin(pts: &[(f64, f64, f64)], cost: impl Fn(f64, f64) -> f64) -> (f64, f64) {
    let min = pts.iter().map(|p| cost(p.0, p.1)).fold(f64::INFINITY, f64::min);
    let t = pts.iter().filter(|p| cost(p.0, p.1) <= min + 1e-12).map(|p| p.2).fold(f64::NEG_INFINITY, f64::max);
    (min, t)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn bob_figures_match_brute_force(ps in presentations()) {
        let sweep = Sweep::build(&ps).unwrap();
        let rocch = eer_rocch(&sweep);
        match brute_rocch(&ps) {
            None => prop_assert!(rocch.reason().is_some()),
            Some(want) => {
                let got = rocch.value().unwrap().value;
                prop_assert!((got - want).abs() < 1e-12, "rocch {got} vs {want}");
                // The hull lies on or below the DET curve: never above the interpolated EER.
                let eer = brute::eer(&ps).unwrap().0;
                prop_assert!(got <= eer + 1e-12, "rocch {got} > eer {eer}");
            }
        }
        let interval = eer_interval(&sweep);
        match brute_interval(&ps) {
            None => prop_assert!(interval.reason().is_some()),
            Some((low, high, t)) => {
                let i = interval.value().unwrap();
                prop_assert_eq!((i.low, i.high, i.threshold), (low, high, Threshold(t)));
                prop_assert!(i.low <= i.high);
            }
        }
        let d = d_prime(&sweep);
        match brute_d_prime(&ps) {
            None => prop_assert!(d.reason().is_some()),
            Some(want) => prop_assert!((d.value().unwrap().value - want).abs() < 1e-9 * want.max(1.0)),
        }
        let hter = min_hter(&sweep);
        match det(&ps) {
            None => prop_assert!(hter.reason().is_some()),
            Some(pts) => {
                let (value, t) = brute_argmin(&pts, |a, b| (a + b) / 2.0);
                let h = hter.value().unwrap();
                prop_assert!((h.value - value).abs() < 1e-12);
                prop_assert_eq!(h.threshold, Threshold(t));
            }
        }
        let b = BobMetrics::from_sweep(&sweep, None, "eval");
        prop_assert_eq!(b.bpcer_at_zero_apcer.value().map(|p| (p.value, p.threshold.0)), brute::bpcer_at_apcer(&ps, 0.0));
        prop_assert_eq!(b.apcer_at_zero_bpcer.value().map(|p| (p.value, p.threshold.0)), brute::apcer_at_bpcer(&ps, 0.0));
    }

    #[test]
    fn epc_matches_brute_force(dev in presentations(), eval in presentations()) {
        let curve = epc(&Sweep::build(&dev).unwrap(), &Sweep::build(&eval).unwrap(), "dev");
        let (Some(pts), Some(_)) = (det(&dev), det(&eval)) else {
            prop_assert!(curve.reason().is_some());
            return Ok(());
        };
        let curve = curve.value().unwrap();
        prop_assert_eq!(curve.points.len(), ALPHAS);
        for p in &curve.points {
            let (cost, t) = brute_argmin(&pts, |a, b| p.alpha * a + (1.0 - p.alpha) * b);
            prop_assert_eq!(p.threshold, Threshold(t), "alpha {}", p.alpha);
            prop_assert!((p.dev_cost - cost).abs() < 1e-12);
            let (a, b) = (brute::apcer_pooled(&eval, t).unwrap(), brute::bpcer(&eval, t).unwrap());
            prop_assert_eq!((p.apcer_pooled, p.bpcer, p.apcer_max), (a, b, brute::apcer_max(&eval, t).unwrap()));
            prop_assert!((p.hter - (a + b) / 2.0).abs() < 1e-15);
        }
    }

    #[test]
    fn legacy_and_resolution_match_brute_force(ps in presentations(), t in 0..6u8, x in 1..1000u32) {
        let t = f64::from(t) / 4.0 - 0.125;
        let sweep = Sweep::build(&ps).unwrap();
        let l = legacy::at_threshold(&sweep, t);
        let (amax, apool, b) = (brute::apcer_max(&ps, t), brute::apcer_pooled(&ps, t), brute::bpcer(&ps, t));
        prop_assert_eq!(l.acer.value().map(|v| v.value), amax.zip(b).map(|(a, b)| (a + b) / 2.0));
        prop_assert_eq!(l.hter.value().map(|v| v.value), apool.zip(b).map(|(a, b)| (a + b) / 2.0));
        let p = f64::from(x) / 1000.0;
        let n = (1..).find(|&n: &u64| 3.0 / n as f64 <= p).unwrap();
        prop_assert_eq!(needed(p), Some(n));
        let r = resolution(&sweep, &[p]);
        let counts = |s: &str| brute::scored(&ps, |q| !q.bona_fide && q.species == s).len() as u64;
        let species: Vec<String> = sweep.species().to_vec();
        let short: Vec<String> = species.iter().filter(|s| counts(s) < n).cloned().collect();
        let key = p.to_string();
        prop_assert_eq!(&r.bpcer_at_apcer[&key].short, &short);
        prop_assert_eq!(r.bpcer_at_apcer[&key].resolved, short.is_empty());
        let live = brute::scored(&ps, |q| q.bona_fide).len() as u64;
        prop_assert_eq!(r.apcer_at_bpcer[&key].resolved, live >= n);
    }
}
