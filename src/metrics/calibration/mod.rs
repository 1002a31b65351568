//! Calibrated probabilities: how a raw score becomes P(bona fide), and how well a score is calibrated.
//!
//! A vendor's "0.83" should mean an 83% chance of a live person under a stated prior; a model's softmax
//! does not. Two fits turn scores into probabilities on a dev set: [`platt`] (logistic regression on the
//! logit of the score, with Platt's smoothed targets, as scikit-learn's `CalibratedClassifierCV(method=
//! "sigmoid")`) and [`isotonic`] (pool-adjacent-violators, as scikit-learn's `IsotonicRegression` with
//! `out_of_bounds="clip"`). Both are written to match scikit-learn's conventions exactly (ties pooled,
//! the same PAV pass), so `scripts/oracle-calibration.py` can check them to 1e-9.
//!
//! Quality of fit ([`fit`]): Cllr and min-Cllr (Cllr after the best monotone recalibration, found by PAV:
//! the part of Cllr no recalibration can remove), the Brier score, and the expected calibration error
//! with its bins. Conventions: the positive class is bona fide; a probability `p` fitted on a dev set is a
//! posterior at the dev set's class balance, so its log-likelihood ratio is `logit(p) - logit(share of bona
//! fide)`; [`with_prior`] re-states it at a deployment prior.
//!
//! [`map`] fits and applies a policy's `[probability]` map; [`split`] is the `probability` block of an
//! evaluated split's metrics.

mod fit;
pub mod map;
mod pav;
mod platt;
pub mod split;

pub use fit::{EceBin, FitQuality, brier, cllr, ece, fit_quality, min_cllr};
pub use map::{BINS, Fitted, MIN_PER_CLASS, fit};
pub use pav::{IsotonicFit, isotonic};
pub use platt::{PlattFit, logit_clamped, platt};
pub use split::{ProbabilityReport, probability_report};

/// The posterior P(bona fide) at a deployment share of attacks `prior_attack` (0 < prior_attack < 1), for a
/// probability `p` that was fitted at a dev-set bona fide share `dev_bona_fide_share`: the likelihood ratio
/// is kept and only the prior odds change.
pub fn with_prior(p: f64, dev_bona_fide_share: f64, prior_attack: f64) -> f64 {
    let llr = logit(p) - logit(dev_bona_fide_share);
    sigmoid(llr + logit(1.0 - prior_attack))
}

pub(crate) use crate::stats::{logit, sigmoid, softplus};

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::pav::pav;
    use super::*;

    const LN2: f64 = std::f64::consts::LN_2;

    #[test]
    fn isotonic_pools_violators_and_interpolates_between_breakpoints() {
        let pairs = [(0.1, false), (0.2, true), (0.3, false), (0.4, true), (0.5, true)];
        let fit = isotonic(&pairs).unwrap();
        // Shares 0, 1, 0, 1, 1: the violating pair (1, 0) pools to 0.5, 0.5; the flat end (1, 1) keeps its ends.
        assert_eq!(fit.x, [0.1, 0.2, 0.3, 0.4, 0.5]);
        assert_eq!(fit.y, [0.0, 0.5, 0.5, 1.0, 1.0]);
        assert_eq!(fit.predict(0.25), 0.5);
        assert!((fit.predict(0.35) - 0.75).abs() < 1e-12);
        assert_eq!(fit.predict(0.0), 0.0, "clipped below the fitted range");
        assert_eq!(fit.predict(0.9), 1.0, "clipped above");
    }

    #[test]
    fn isotonic_ties_are_one_point_and_flat_runs_keep_their_ends() {
        let pairs = [(0.3, true), (0.1, false), (0.3, false), (0.5, true), (0.7, true), (0.9, true)];
        let fit = isotonic(&pairs).unwrap();
        // Points 0.1 -> 0, 0.3 -> 1/2, 0.5 -> 1, 0.7 -> 1, 0.9 -> 1: the inside of the last run (0.7) is dropped.
        assert_eq!(fit.x, [0.1, 0.3, 0.5, 0.9]);
        assert_eq!(fit.y, [0.0, 0.5, 1.0, 1.0]);
        let constant = isotonic(&[(0.4, true), (0.4, false)]).unwrap();
        assert_eq!((constant.x.as_slice(), constant.y.as_slice()), ([0.4].as_slice(), [0.5].as_slice()));
        assert_eq!(constant.predict(0.9), 0.5);
        assert!(isotonic(&[]).is_none());
    }

    #[test]
    fn platt_reaches_the_hand_computed_optimum() {
        // One attack at logit -1 and one bona fide at logit +1: Platt's targets are 1/3 and 2/3, met exactly by
        // z = a·f + b with a = -ln 2, b = 0.
        let s = |f: f64| 1.0 / (1.0 + (-f).exp());
        let fit = platt(&[(s(-1.0), false), (s(1.0), true)]).unwrap();
        assert!((fit.a + LN2).abs() < 1e-12 && fit.b.abs() < 1e-12, "{fit:?}");
        assert!((fit.predict(s(1.0)) - 2.0 / 3.0).abs() < 1e-12);
        assert!(platt(&[(0.2, true), (0.9, true)]).is_none(), "one class only");
        // Scores of exactly 0 and 1 stay finite.
        let edge = platt(&[(0.0, false), (1.0, true), (0.5, false), (0.5, true)]).unwrap();
        assert!(edge.a.is_finite() && edge.b.is_finite() && edge.predict(1.0) > 0.5);
    }

    #[test]
    fn cllr_min_cllr_brier_and_ece_by_hand() {
        // An uninformative system (llr 0 everywhere) costs 1 bit.
        assert_eq!(cllr(&[(0.0, true), (0.0, false)]), Some(1.0));
        // llr ln 3 for the bona fide, -ln 3 for the attack: each term is ln(4/3).
        let c = cllr(&[(3f64.ln(), true), (-(3f64.ln()), false)]).unwrap();
        assert!((c - (4.0f64 / 3.0).ln() / LN2).abs() < 1e-15);
        // Perfectly separated scores: the best monotone map is certain, min-Cllr 0; all-equal scores: 1 bit.
        assert_eq!(min_cllr(&[(0.1, false), (0.2, false), (0.8, true)]), Some(0.0));
        assert!((min_cllr(&[(0.5, false), (0.5, true), (0.5, true)]).unwrap() - 1.0).abs() < 1e-12);
        assert!(min_cllr(&[(0.5, true)]).is_none());
        assert!((brier(&[(0.8, true), (0.3, false)]).unwrap() - 0.065).abs() < 1e-15);
        let (e, bins) = ece(&[(0.2, false), (0.4, true), (0.7, true), (0.9, true)], 2).unwrap();
        assert!((e - 0.2).abs() < 1e-12, "{e}");
        assert_eq!((bins[0].count, bins[0].bona_fide, bins[1].count), (2, 1, 2));
        assert_eq!(bins[1].observed, Some(1.0));
        assert!(bins[0].observed_ci95.unwrap().lower < 0.5 && bins[0].observed_ci95.unwrap().upper > 0.5);
        // p = 1 falls in the last bin, not past it.
        assert_eq!(ece(&[(1.0, true)], 10).unwrap().1[9].count, 1);
    }

    #[test]
    fn a_deployment_prior_moves_the_posterior_and_keeps_the_likelihood_ratio() {
        // p = 0.5 on a balanced dev set is llr 0: at 1% attacks the posterior is the prior, 0.99.
        assert!((with_prior(0.5, 0.5, 0.01) - 0.99).abs() < 1e-12);
        // The same prior as the dev set changes nothing.
        assert!((with_prior(0.8, 0.3, 0.7) - 0.8).abs() < 1e-12);
    }

    /// Brute force over every contiguous partition of `y` into blocks: the block means of the best
    /// non-decreasing partition under `cost` (a function of the blocks as (sum of weights, weighted mean)).
    fn best_partition(
        n: usize,
        block_value: impl Fn(usize, usize) -> f64,
        cost: impl Fn(usize, usize, f64) -> f64,
    ) -> f64 {
        let mut best = f64::INFINITY;
        for mask in 0u32..(1 << (n - 1)) {
            let mut start = 0;
            let (mut total, mut last, mut ok) = (0.0, f64::NEG_INFINITY, true);
            for end in 1..=n {
                if end == n || mask & (1 << (end - 1)) != 0 {
                    let v = block_value(start, end);
                    ok &= v >= last;
                    last = v;
                    total += cost(start, end, v);
                    start = end;
                }
            }
            if ok {
                best = best.min(total);
            }
        }
        best
    }

    proptest! {
        #[test]
        fn pav_is_the_best_monotone_fit(y in prop::collection::vec(0.0..1.0f64, 1..8), w in prop::collection::vec(1.0..5.0f64, 8)) {
            let w = &w[..y.len()];
            let fit = pav(y.clone(), w.to_vec());
            prop_assert!(fit.windows(2).all(|p| p[0] <= p[1] + 1e-15));
            let sse = |v: &[f64]| v.iter().zip(&y).zip(w).map(|((a, b), w)| w * (a - b).powi(2)).sum::<f64>();
            let mean = |s: usize, e: usize| (s..e).map(|i| w[i] * y[i]).sum::<f64>() / w[s..e].iter().sum::<f64>();
            let brute = best_partition(y.len(), mean, |s, e, v| (s..e).map(|i| w[i] * (y[i] - v).powi(2)).sum());
            prop_assert!((sse(&fit) - brute).abs() < 1e-12, "pav {} brute {}", sse(&fit), brute);
        }

        #[test]
        fn min_cllr_is_the_best_monotone_recalibration(labels in prop::collection::vec((0u8..7, any::<bool>()), 2..14)) {
            let pairs: Vec<(f64, bool)> = labels.iter().map(|&(s, b)| (f64::from(s) / 10.0, b)).collect();
            let n_bf = pairs.iter().filter(|p| p.1).count();
            prop_assume!(n_bf > 0 && n_bf < pairs.len());
            // Groups of equal scores, in score order: (bona fide, total).
            let mut groups: Vec<(f64, usize, usize)> = Vec::new();
            let mut sorted = pairs.clone();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (s, b) in sorted {
                match groups.last_mut() {
                    Some(g) if g.0 == s => { g.1 += usize::from(b); g.2 += 1; }
                    _ => groups.push((s, usize::from(b), 1)),
                }
            }
            let (nb, na) = (n_bf as f64, (pairs.len() - n_bf) as f64);
            let offset = (nb / na).ln();
            let counts = |s: usize, e: usize| groups[s..e].iter().fold((0.0, 0.0), |acc, g| (acc.0 + g.1 as f64, acc.1 + (g.2 - g.1) as f64));
            let llr = |s: usize, e: usize| { let (b, a) = counts(s, e); (b / a).ln() - offset };
            let soft = |x: f64| if x == f64::INFINITY { f64::INFINITY } else if x == f64::NEG_INFINITY { 0.0 } else { x.exp().ln_1p() };
            let cost = |s: usize, e: usize, l: f64| {
                let (b, a) = counts(s, e);
                let part = |k: f64, x: f64| if k == 0.0 { 0.0 } else { k * soft(x) };
                (part(b, -l) / nb + part(a, l) / na) / (2.0 * LN2)
            };
            let brute = best_partition(groups.len(), llr, cost);
            let got = min_cllr(&pairs).unwrap();
            prop_assert!((got - brute).abs() < 1e-12, "min_cllr {} brute {}", got, brute);
            // No monotone map does better: the raw logit of the score is one.
            let raw: Vec<(f64, bool)> = pairs.iter().map(|&(s, b)| (logit(s.clamp(0.01, 0.99)) - offset, b)).collect();
            prop_assert!(got <= cllr(&raw).unwrap() + 1e-12);
        }

        #[test]
        fn platt_is_a_stationary_point_no_perturbation_improves(
            data in prop::collection::vec((0.001..0.999f64, any::<bool>()), 2..40),
            da in -0.5..0.5f64, db in -0.5..0.5f64,
        ) {
            let n_bf = data.iter().filter(|p| p.1).count();
            prop_assume!(n_bf > 0 && n_bf < data.len());
            let fit = platt(&data).unwrap();
            let (hi, lo) = ((n_bf as f64 + 1.0) / (n_bf as f64 + 2.0), 1.0 / ((data.len() - n_bf) as f64 + 2.0));
            let loss = |a: f64, b: f64| data.iter().map(|&(s, bf)| {
                let (t, p) = (if bf { hi } else { lo }, PlattFit { a, b }.predict(s));
                -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
            }).sum::<f64>();
            prop_assert!(loss(fit.a, fit.b) <= loss(fit.a + da * 1e-3, fit.b + db * 1e-3) + 1e-9);
            prop_assert!(loss(fit.a, fit.b) <= loss(fit.a + da, fit.b + db) + 1e-9);
        }
    }
}
