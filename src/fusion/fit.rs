//! Unregularised logistic regression by Newton's method (iteratively reweighted least squares), in f64.
//!
//! Why Newton and no library: the fit has a handful of parameters (one weight per member model and a
//! bias), the log-likelihood is concave, and Newton converges quadratically from zero; every step is a
//! small dense solve, so the result is deterministic to the last bit on a given platform. A step that
//! lowers the likelihood is halved (it never happens near the optimum, but keeps a bad start safe).
//! Perfectly separated classes have no maximum-likelihood estimate (the weights grow without bound): that
//! is detected and refused rather than returned as huge numbers.

use anyhow::{Result, bail};

use crate::stats::{sigmoid, softplus};

/// Newton iterations allowed; the NUAA fit converges in under 10.
const MAX_ITER: usize = 100;
/// Converged when no coordinate moves by more than this (relative to max(1, |beta|)).
const STEP_TOL: f64 = 1e-13;
/// Beyond this size of a coefficient the classes are taken to be separated.
const DIVERGED: f64 = 1e6;

/// A fitted model: `P(y = 1 | x) = sigmoid(bias + weights . x)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    pub bias: f64,
    pub weights: Vec<f64>,
    pub iterations: usize,
}

/// The mean negative log-likelihood (nats) of labels `y` under linear predictors `eta`.
pub fn log_loss(eta: &[f64], y: &[bool]) -> f64 {
    let sum: f64 = eta.iter().zip(y).map(|(&e, &y)| if y { softplus(-e) } else { softplus(e) }).sum();
    sum / eta.len() as f64
}

/// The linear predictor `bias + w . x` of each row.
pub fn predictors(x: &[Vec<f64>], bias: f64, weights: &[f64]) -> Vec<f64> {
    x.iter().map(|r| bias + r.iter().zip(weights).map(|(a, b)| a * b).sum::<f64>()).collect()
}

/// The gradient of the total log-likelihood with respect to (bias, weights): `X1^T (y - mu)`.
pub fn gradient(x: &[Vec<f64>], y: &[bool], bias: f64, weights: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; weights.len() + 1];
    for (row, (&eta, &y)) in x.iter().zip(predictors(x, bias, weights).iter().zip(y)) {
        let r = f64::from(u8::from(y)) - sigmoid(eta);
        g[0] += r;
        for (gj, xj) in g[1..].iter_mut().zip(row) {
            *gj += r * xj;
        }
    }
    g
}

/// Fits `y ~ x` (rows of features, labels); needs both labels present. Errors on separation, a singular
/// design (a feature constant or equal to another) and non-finite features.
pub fn fit(x: &[Vec<f64>], y: &[bool]) -> Result<Logistic> {
    let k = x.first().map_or(0, Vec::len);
    if x.iter().any(|r| r.len() != k || r.iter().any(|v| !v.is_finite())) {
        bail!("the features must be finite and of one length");
    }
    let mut beta = vec![0.0; k + 1];
    let nll = |b: &[f64]| log_loss(&predictors(x, b[0], &b[1..]), y);
    let mut current = nll(&beta);
    let mut converged = None;
    for iteration in 1..=MAX_ITER {
        let g = gradient(x, y, beta[0], &beta[1..]);
        let h = hessian(x, &predictors(x, beta[0], &beta[1..]));
        let Some(step) = solve(h, g) else {
            // Singular at the start (every weight 1/4): the design itself. Later: the weights grew until
            // every presentation is fitted with certainty, which only separation allows.
            if iteration > 1 {
                break;
            }
            bail!(
                "the fit's Hessian is singular: a member's logits are constant on the dev set or a linear \
                 function of another's (fuse models that disagree somewhere)"
            )
        };
        let mut scale = 1.0;
        let accepted = loop {
            let next: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + scale * s).collect();
            let value = nll(&next);
            if value <= current {
                break Some((next, value));
            }
            scale /= 2.0;
            if scale < 1e-18 {
                break None;
            }
        };
        // No step lowers the likelihood any more: at the optimum to rounding, or stalled on separation.
        let Some((next, value)) = accepted else { break };
        let moved = beta.iter().zip(&next).map(|(a, b)| (a - b).abs() / a.abs().max(1.0)).fold(0.0, f64::max);
        beta = next;
        current = value;
        if beta.iter().any(|b| !b.is_finite() || b.abs() > DIVERGED) {
            break;
        }
        if moved <= STEP_TOL {
            converged = Some(iteration);
            break;
        }
    }
    // The estimate exists iff no line separates the classes; a line that classifies every presentation
    // right (or puts some on the boundary) proves that one does, whatever the iterations did.
    let eta = predictors(x, beta[0], &beta[1..]);
    let separated = eta.iter().zip(y).all(|(&e, &live)| if live { e >= 0.0 } else { e <= 0.0 });
    match converged {
        Some(iterations) if !separated => Ok(Logistic { bias: beta[0], weights: beta[1..].to_vec(), iterations }),
        _ => bail!(
            "the logistic fit has no optimum (coefficients reached {beta:?}, mean log-loss {current:.3e}): the dev \
             classes are {}perfectly separated by the members' logits, so the unregularised maximum-likelihood \
             weights do not exist; use --method mean or max, or a dev split where the members err",
            if separated { "" } else { "(almost) " }
        ),
    }
}

/// `X1^T W X1` with `W = mu (1 - mu)`, X1 = [1, x].
fn hessian(x: &[Vec<f64>], eta: &[f64]) -> Vec<Vec<f64>> {
    let k = x.first().map_or(0, Vec::len) + 1;
    let mut h = vec![vec![0.0; k]; k];
    for (row, &e) in x.iter().zip(eta) {
        let mu = sigmoid(e);
        let w = mu * (1.0 - mu);
        let full: Vec<f64> = std::iter::once(1.0).chain(row.iter().copied()).collect();
        for i in 0..k {
            for j in 0..k {
                h[i][j] += w * full[i] * full[j];
            }
        }
    }
    h
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` when `a` is (numerically) singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    let scale = a.iter().flatten().fold(0.0_f64, |m, v| m.max(v.abs()));
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= scale * 1e-14 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for r in col + 1..n {
            let f = a[r][col] / pivot_row[col];
            for (x, p) in a[r][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels `live` ones and `attack` zeros at feature value `x`.
    fn group(x: f64, live: usize, attack: usize) -> impl Iterator<Item = (Vec<f64>, bool)> {
        std::iter::repeat_n((vec![x], true), live).chain(std::iter::repeat_n((vec![x], false), attack))
    }

    #[test]
    fn two_valued_feature_fits_the_group_frequencies_by_hand() {
        // x = 0: 3 live, 1 attack -> sigmoid(b) = 3/4, b = ln 3; x = 1: 1 live, 3 attacks ->
        // sigmoid(b + w) = 1/4, b + w = -ln 3, so w = -2 ln 3 (the saturated model's MLE).
        let (x, y): (Vec<_>, Vec<_>) = group(0.0, 3, 1).chain(group(1.0, 1, 3)).unzip();
        let f = fit(&x, &y).unwrap();
        let ln3 = 3f64.ln();
        assert!((f.bias - ln3).abs() < 1e-12 && (f.weights[0] + 2.0 * ln3).abs() < 1e-12, "{f:?}");
        // The log-loss there: every group of 4 contributes -(3 ln 3/4 + ln 1/4).
        let want = -(3.0 * 0.75f64.ln() + 0.25f64.ln()) / 4.0;
        assert!((log_loss(&predictors(&x, f.bias, &f.weights), &y) - want).abs() < 1e-12);
    }

    #[test]
    fn fitted_weights_zero_the_gradient_on_random_data() {
        // A 64-bit LCG (Knuth's MMIX constants): fixed data, no crate needed.
        let mut state = 7u64;
        let mut uniform = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for trial in 0..20 {
            let (n, k) = (50 + 10 * trial, 1 + trial % 3);
            let x: Vec<Vec<f64>> = (0..n).map(|_| (0..k).map(|_| 4.0 * uniform() - 2.0).collect()).collect();
            // Labels from a true model plus noise, so that the classes overlap.
            let y: Vec<bool> = x.iter().map(|r| uniform() < sigmoid(r[0] - 0.3)).collect();
            let f = fit(&x, &y).unwrap();
            let g = gradient(&x, &y, f.bias, &f.weights);
            assert!(g.iter().all(|v| v.abs() < 1e-9 * n as f64), "trial {trial}: gradient {g:?}");
        }
    }

    #[test]
    fn separation_and_singular_designs_are_refused() {
        let (x, y): (Vec<_>, Vec<_>) = group(0.0, 0, 5).chain(group(1.0, 5, 0)).unzip();
        let e = fit(&x, &y).unwrap_err().to_string();
        assert!(e.contains("separated"), "{e}");
        let x2: Vec<Vec<f64>> = x.iter().map(|r| vec![r[0], 2.0 * r[0]]).collect();
        let y2: Vec<bool> = (0..10).map(|i| i % 3 == 0).collect();
        let e = fit(&x2, &y2).unwrap_err().to_string();
        assert!(e.contains("singular"), "{e}");
        assert!(fit(&[vec![f64::NAN]], &[true]).is_err());
    }
}
