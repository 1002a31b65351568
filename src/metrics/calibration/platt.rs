//! Platt scaling: P(bona fide | s) = 1 / (1 + exp(a·f + b)) with f = logit(s), fitted by maximum likelihood
//! against Platt's smoothed targets, as scikit-learn's `_sigmoid_calibration` (the "sigmoid" method of
//! `CalibratedClassifierCV`): a bona fide target is (N+ + 1) / (N+ + 2), an attack target 1 / (N- + 2), which
//! keeps the optimum finite on separable data. scikit-learn stops its L-BFGS at a gradient tolerance of
//! 1e-6; this fit runs Newton's method (the problem is convex in (a, b)) to the optimum itself, so the two
//! agree as closely as sklearn's own tolerance allows (`scripts/oracle-calibration.py` reports both).

use super::{sigmoid, softplus};
/// logit(s) with s clamped to [1e-12, 1 - 1e-12]: the feature Platt scaling is fitted on.
pub use crate::stats::logit_clamped;

/// A fitted sigmoid over the logit of the score (the type is a policy contract).
pub use crate::schema::PlattFit;

impl PlattFit {
    /// P(bona fide) at `score` (a raw score in 0..1).
    pub fn predict(&self, score: f64) -> f64 {
        sigmoid(-(self.a * logit_clamped(score) + self.b))
    }
}

/// Fits on `(score, is_bona_fide)` pairs. `None` without at least one presentation of each class.
pub fn platt(pairs: &[(f64, bool)]) -> Option<PlattFit> {
    let positives = pairs.iter().filter(|p| p.1).count() as f64;
    let negatives = pairs.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    let (hi, lo) = ((positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0));
    let data: Vec<(f64, f64)> = pairs.iter().map(|&(s, b)| (logit_clamped(s), if b { hi } else { lo })).collect();
    let (mut a, mut b) = (0.0, ((negatives + 1.0) / (positives + 1.0)).ln());
    let mut current = loss(&data, a, b);
    for _ in 0..100 {
        let (ga, gb, haa, hab, hbb) = derivatives(&data, a, b);
        if ga.abs().max(gb.abs()) <= 1e-13 * pairs.len() as f64 {
            break;
        }
        // Newton direction, with Lin, Lin & Weng's tiny ridge so a flat direction (all scores equal) solves.
        let (haa, hbb) = (haa + 1e-12, hbb + 1e-12);
        let det = haa * hbb - hab * hab;
        let (da, db) = (-(hbb * ga - hab * gb) / det, -(haa * gb - hab * ga) / det);
        // Backtracking: halve the step until the loss does not rise. Near the optimum the loss no longer
        // resolves the gain (it changes below its own rounding), so a step that shrinks the gradient counts too.
        let norm = ga.abs().max(gb.abs());
        let mut step = 1.0;
        let mut improved = false;
        while step >= 1e-10 {
            let (na, nb) = (a + step * da, b + step * db);
            let next = loss(&data, na, nb);
            let (ga2, gb2, ..) = derivatives(&data, na, nb);
            if next <= current || ga2.abs().max(gb2.abs()) < norm {
                (a, b, current, improved) = (na, nb, next, true);
                break;
            }
            step /= 2.0;
        }
        if !improved {
            break;
        }
    }
    Some(PlattFit { a, b })
}

/// The cross-entropy against the targets, with z = a·f + b and P = 1 / (1 + e^z).
fn loss(data: &[(f64, f64)], a: f64, b: f64) -> f64 {
    data.iter().map(|&(f, t)| t * softplus(a * f + b) + (1.0 - t) * softplus(-(a * f + b))).sum()
}

/// Gradient (d/da, d/db) and Hessian (aa, ab, bb) of [`loss`].
fn derivatives(data: &[(f64, f64)], a: f64, b: f64) -> (f64, f64, f64, f64, f64) {
    let mut d = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(f, t) in data {
        let p = sigmoid(-(a * f + b));
        let (g, h) = (t - p, p * (1.0 - p));
        d.0 += g * f;
        d.1 += g;
        d.2 += h * f * f;
        d.3 += h * f;
        d.4 += h;
    }
    d
}
