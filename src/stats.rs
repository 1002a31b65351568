//! Small numeric helpers shared across layers (sessions, benchmarks), kept apart so that using one does
//! not mean importing the module that happened to need it first.

/// Median of the values (mean of the middle two for an even count), 0 for none.
pub fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Mean and population variance (numpy's default, ddof 0, two passes) of values given with their
/// counts: `(value, count)` pairs, a count of 1 for plain values.
pub fn moments(h: &[(f64, f64)]) -> (f64, f64) {
    let n: f64 = h.iter().map(|p| p.1).sum();
    let mean = h.iter().map(|&(x, c)| x * c).sum::<f64>() / n;
    let var = h.iter().map(|&(x, c)| c * (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var)
}

/// Probabilities are clipped to `[LOGIT_CLIP, 1 - LOGIT_CLIP]` by [`logit_clamped`], so that 0 and 1 (a
/// softmax that underflowed) give finite logits instead of infinite ones that would decide a fit alone.
pub const LOGIT_CLIP: f64 = 1e-12;

/// ln(p / (1 - p)); ±inf at 1 and 0.
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// logit(p) with p clamped to [1e-12, 1 - 1e-12] (Platt scaling's feature, fusion's features).
pub fn logit_clamped(p: f64) -> f64 {
    logit(p.clamp(LOGIT_CLIP, 1.0 - LOGIT_CLIP))
}

/// ln(1 + e^x) without overflow, exact at ±inf (Platt's loss, Cllr and the fusion fit need it).
pub fn softplus(x: f64) -> f64 {
    if x == f64::INFINITY {
        f64::INFINITY
    } else if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// 1 / (1 + e^-x), without overflow for large |x|.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_no_values() {
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), 2.0);
        assert_eq!(median([4.0, 1.0, 3.0, 2.0].into_iter()), 2.5);
        assert_eq!(median(std::iter::empty()), 0.0);
    }
}
