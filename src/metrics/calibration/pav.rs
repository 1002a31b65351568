//! Isotonic regression by pool-adjacent-violators, with scikit-learn's conventions, so that its
//! predictions can be checked against `sklearn.isotonic.IsotonicRegression(out_of_bounds="clip")`:
//! - ties: scores closer than 1e-15 (float64 resolution, sklearn's `_make_unique`) are one point, whose
//!   target is the weighted mean of their labels;
//! - the PAV pass is sklearn's single-pass, backtracking one (`_inplace_contiguous_isotonic_regression`),
//!   pooling equal neighbours too;
//! - points inside a flat run are dropped, and prediction interpolates linearly between the kept points
//!   (sklearn's `interp1d`), with scores outside the fitted range clipped to it.

/// Scores closer than this are one point (sklearn: `np.finfo(np.float64).resolution`).
const TIE: f64 = 1e-15;

/// A fitted monotone (non-decreasing) map from score to P(bona fide) (the type is a policy contract).
pub use crate::schema::IsotonicFit;

/// Fits on `(score, is_bona_fide)` pairs (each of weight 1). `None` when there are no pairs.
pub fn isotonic(pairs: &[(f64, bool)]) -> Option<IsotonicFit> {
    let (x, y, w) = unique_points(pairs)?;
    let y = pav(y, w);
    // Drop the inside of flat runs: they change no prediction (sklearn keeps the ends of each run).
    let n = y.len();
    let keep: Vec<bool> = (0..n).map(|i| i == 0 || i == n - 1 || y[i - 1] != y[i] || y[i] != y[i + 1]).collect();
    let pick = |v: &[f64]| v.iter().zip(&keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect();
    Some(IsotonicFit { x: pick(&x), y: pick(&y) })
}

impl IsotonicFit {
    /// P(bona fide) at `score`: linear between breakpoints, clipped to the fitted range outside it (as
    /// sklearn's `interp1d` on the clipped score: the segment is the one whose upper end is the first
    /// breakpoint >= score).
    pub fn predict(&self, score: f64) -> f64 {
        let (x, y) = (&self.x, &self.y);
        let last = x.len() - 1;
        if last == 0 {
            return y[0];
        }
        let score = score.clamp(x[0], x[last]);
        let hi = x.partition_point(|&v| v < score).clamp(1, last);
        let lo = hi - 1;
        let slope = (y[hi] - y[lo]) / (x[hi] - x[lo]);
        slope * (score - x[lo]) + y[lo]
    }
}

/// Sorted unique scores with the mean label and the count of each (sklearn's `_make_unique` after its
/// lexsort by (score, label)).
fn unique_points(pairs: &[(f64, bool)]) -> Option<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    let mut sorted: Vec<(f64, f64)> = pairs.iter().map(|&(s, b)| (s, if b { 1.0 } else { 0.0 })).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let (&(first, first_y), rest) = sorted.split_first()?;
    let (mut xs, mut ys, mut ws) = (Vec::new(), Vec::new(), Vec::new());
    let (mut current, mut sum_y, mut sum_w) = (first, first_y, 1.0);
    for &(s, y) in rest {
        if s - current >= TIE {
            xs.push(current);
            ys.push(sum_y / sum_w);
            ws.push(sum_w);
            (current, sum_y, sum_w) = (s, 0.0, 0.0);
        }
        sum_y += y;
        sum_w += 1.0;
    }
    xs.push(current);
    ys.push(sum_y / sum_w);
    ws.push(sum_w);
    Some((xs, ys, ws))
}

/// The weighted PAV pass: the non-decreasing sequence closest to `y` in weighted least squares (which is
/// also the minimiser of every proper scoring rule among monotone maps: the reason min-Cllr uses it).
pub(super) fn pav(mut y: Vec<f64>, mut w: Vec<f64>) -> Vec<f64> {
    let n = y.len();
    // target[i]: for the first index of a block, its last index; for the last, its first.
    let mut target: Vec<usize> = (0..n).collect();
    let mut i = 0;
    while i < n {
        let mut k = target[i] + 1;
        if k == n {
            break;
        }
        if y[i] < y[k] {
            i = k;
            continue;
        }
        let (mut sum_wy, mut sum_w) = (w[i] * y[i], w[i]);
        loop {
            let prev_y = y[k];
            sum_wy += w[k] * y[k];
            sum_w += w[k];
            k = target[k] + 1;
            if k == n || prev_y < y[k] {
                y[i] = sum_wy / sum_w;
                w[i] = sum_w;
                target[i] = k - 1;
                target[k - 1] = i;
                if i > 0 {
                    i = target[i - 1];
                }
                break;
            }
        }
    }
    let mut i = 0;
    while i < n {
        let k = target[i] + 1;
        let v = y[i];
        y[i + 1..k].iter_mut().for_each(|e| *e = v);
        i = k;
    }
    y
}
