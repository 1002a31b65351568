//! McNemar's test on paired decisions, and the change of an error rate between two scorers of the same
//! presentations (`diff`, `fuse --compare-on`, the model comparison of a multi-model `eval`).
//!
//! - Exact: under "no change", each of the m discordant pairs is equally likely to go either way, so the
//!   smaller count is Binomial(m, 1/2). The exact test is valid for every m (the chi-square form is only
//!   an approximation for large m), so it is used throughout.
//! - The change of a rate, with a 95% interval conditional on the discordant count: the share of
//!   discordant pairs that got worse has a Clopper-Pearson interval [lo, hi], so the change
//!   (worse - better) / n lies in [m (2 lo - 1) / n, m (2 hi - 1) / n].

use super::clopper_pearson;

/// Two-sided exact McNemar p-value: `min(1, 2 P(X <= min(worse, better)))`, X ~ Bin(worse + better, 1/2).
pub fn mcnemar_exact(worse: u64, better: u64) -> f64 {
    let m = worse + better;
    if m == 0 {
        return 1.0;
    }
    let k = worse.min(better);
    // ln C(m, j) by the ratio recurrence, summed in log space from the largest term (j = k) down.
    let mut ln_terms = Vec::with_capacity(k as usize + 1);
    let mut ln_c = 0.0_f64;
    for j in 0..=k {
        ln_terms.push(ln_c);
        ln_c += ((m - j) as f64).ln() - ((j + 1) as f64).ln();
    }
    let top = ln_terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = ln_terms.iter().map(|t| (t - top).exp()).sum();
    let ln_tail = top + sum.ln() - m as f64 * std::f64::consts::LN_2;
    (2.0 * ln_tail.exp()).min(1.0)
}

/// The change of a rate over n paired presentations, `worse` of which went from right to wrong and
/// `better` from wrong to right: the point change and its conditional 95% interval.
pub fn paired_change(worse: u64, better: u64, n: u64) -> (f64, (f64, f64)) {
    let nf = n.max(1) as f64;
    let change = (worse as f64 - better as f64) / nf;
    let m = worse + better;
    if m == 0 {
        return (0.0, (0.0, 0.0));
    }
    let ci = clopper_pearson(worse, m);
    let mf = m as f64;
    (change, (mf * (2.0 * ci.lower - 1.0) / nf, mf * (2.0 * ci.upper - 1.0) / nf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcnemar_exact_matches_binomial_sums() {
        // m = 10, k = 2: P(X <= 2) = (1 + 10 + 45) / 1024; two-sided 112/1024.
        assert!((mcnemar_exact(2, 8) - 112.0 / 1024.0).abs() < 1e-14);
        assert!((mcnemar_exact(8, 2) - 112.0 / 1024.0).abs() < 1e-14);
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert_eq!(mcnemar_exact(5, 5), 1.0);
        // m = 1: 2 * 1/2 = 1.
        assert_eq!(mcnemar_exact(1, 0), 1.0);
        // Large m, very unequal split: 2 * 2^-2000 * (1 + 2000) underflows to 0, not NaN.
        let p = mcnemar_exact(0, 2000);
        assert!((0.0..1e-300).contains(&p));
        // scipy.stats.binomtest(40, 100).pvalue = 0.056887933640980784
        assert!((mcnemar_exact(40, 60) - 0.056_887_933_640_980_78).abs() < 1e-12, "{}", mcnemar_exact(40, 60));
    }

    #[test]
    fn paired_change_interval_brackets_the_change() {
        let (change, (lo, hi)) = paired_change(6, 2, 100);
        assert_eq!(change, 0.04);
        assert!(lo < change && change < hi && lo > -0.08 && hi < 0.08);
        assert_eq!(paired_change(0, 0, 50), (0.0, (0.0, 0.0)));
    }
}
