//! Exact (Clopper-Pearson) 95% confidence intervals for a binomial rate k/n.
//!
//! Clopper-Pearson is the conservative choice ISO/IEC 19795-1 practice uses: its coverage is at least
//! 95% for every true rate, which matters most where PAD evaluations live, at k = 0 or a handful of
//! errors, where the normal approximation is useless. The bounds are beta quantiles; rather than pull
//! in a statistics crate for one function, the regularized incomplete beta is computed here (Lentz's
//! continued fraction) and inverted by bisection, which is monotone and cannot fail to converge.

use serde::{Deserialize, Serialize};

/// Two-sided miss probability: 95% intervals.
const ALPHA: f64 = 0.05;

/// A closed interval `[lower, upper]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub lower: f64,
    pub upper: f64,
}

/// The two-sided 95% Clopper-Pearson interval of k errors in n trials (`0 <= k <= n`, `n > 0`).
/// At k = 0 the lower bound is 0 and the upper bound `1 - 0.025^(1/n)` (about 3.69/n, wider than the
/// one-sided rule of three, 3/n); symmetrically at k = n.
pub fn clopper_pearson(k: u64, n: u64) -> Interval {
    let (kf, nf) = (k as f64, n as f64);
    let edge = -f64::exp_m1((ALPHA / 2.0).ln() / nf); // 1 - (α/2)^(1/n), without cancellation
    let lower = if k == 0 {
        0.0
    } else if k == n {
        1.0 - edge
    } else {
        beta_quantile(ALPHA / 2.0, kf, nf - kf + 1.0)
    };
    let upper = if k == n {
        1.0
    } else if k == 0 {
        edge
    } else {
        beta_quantile(1.0 - ALPHA / 2.0, kf + 1.0, nf - kf)
    };
    Interval { lower, upper }
}

/// The x in [0, 1] with `I_x(a, b) = p`, by bisection to adjacent floats (or 200 halvings).
fn beta_quantile(p: f64, a: f64, b: f64) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if regularized_beta(mid, a, b) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The regularized incomplete beta function `I_x(a, b)` for `a, b > 0`, `0 < x < 1`.
pub(crate) fn regularized_beta(x: f64, a: f64, b: f64) -> f64 {
    let ln_front = a * x.ln() + b * (-x).ln_1p() - ln_beta(a, b);
    let front = ln_front.exp();
    // The continued fraction converges fast only below the mean; use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) above it.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

/// Lentz's evaluation of the incomplete-beta continued fraction (Numerical Recipes `betacf`).
/// It needs O(sqrt(max(a, b))) terms, so the cap grows with the arguments instead of the usual 100.
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let max_terms = 200 + 20 * (a.max(b).sqrt() as usize);
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=max_terms {
        let m = m as f64;
        let m2 = 2.0 * m;
        let even = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / guard(1.0 + even * d);
        c = guard(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / guard(1.0 + odd * d);
        c = guard(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// ln B(a, b). With n = 10^7 trials, ln Γ(a + b) - ln Γ(a) - ln Γ(b) would subtract numbers near
/// 1.5e8 and keep only ~8 digits; the Stirling form (as in R's `lbeta`) keeps the large parts
/// analytic so that only their small corrections are subtracted.
fn ln_beta(a: f64, b: f64) -> f64 {
    let (p, q) = (a.min(b), a.max(b));
    let share = p / (p + q);
    if p >= 10.0 {
        let corr = stirling_tail(p) + stirling_tail(q) - stirling_tail(p + q);
        -0.5 * q.ln() + 0.5 * (2.0 * std::f64::consts::PI).ln() + corr + (p - 0.5) * share.ln() + q * (-share).ln_1p()
    } else if q >= 10.0 {
        let corr = stirling_tail(q) - stirling_tail(p + q);
        ln_gamma(p) + corr + p - p * (p + q).ln() + (q - 0.5) * (-share).ln_1p()
    } else {
        ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q)
    }
}

/// ln Γ(x) - ((x - ½) ln x - x + ½ ln 2π) for x >= 10: the Stirling series to the x^-9 term
/// (truncation error below 2e-14).
fn stirling_tail(x: f64) -> f64 {
    let inv2 = 1.0 / (x * x);
    (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0 - inv2 / 1188.0)))) / x
}

/// ln Γ(x) for x > 0: Lanczos approximation (g = 7, 9 terms), relative error ~1e-15.
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let sum = COEF[1..].iter().enumerate().fold(COEF[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// A bootstrap percentile interval (computed in `bootstrap`, kept beside the other intervals so the
/// rates that carry it need not import the resampler): the 2.5% and 97.5% quantiles (linear interpolation between order
/// statistics, numpy's default) of the rate over the resamples where it was defined.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BootstrapInterval {
    pub lower: f64,
    pub upper: f64,
    /// Resamples in which the rate was defined (its n was > 0).
    pub resamples: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-300)
    }

    #[test]
    fn known_intervals() {
        // Reference values: scipy.stats.beta.ppf, except n = 10^7: binomial tails summed in 50-digit
        // mpmath (scipy's upper bound there is off by 3e-11 relative).
        let cases: [(u64, u64, f64, f64); 6] = [
            (0, 10, 0.0, 0.308_497_107_818_760_7),
            (1, 10, 0.002_528_578_544_461_784_8, 0.445_016_117_028_195_4),
            (5, 10, 0.187_086_028_447_398_55, 0.812_913_971_552_601_5),
            (10, 10, 0.691_502_892_181_239_2, 1.0),
            (20, 446, 0.027_603_181_509_800_984, 0.068_408_937_981_340_15),
            (3, 10_000_000, 6.186_721_656_250_59e-8, 8.767_270_541_579_751e-7),
        ];
        for (k, n, lo, hi) in cases {
            let ci = clopper_pearson(k, n);
            assert!(close(ci.lower, lo, 1e-10), "k={k} n={n} lower {} vs {lo}", ci.lower);
            assert!(close(ci.upper, hi, 1e-10), "k={k} n={n} upper {} vs {hi}", ci.upper);
        }
    }

    #[test]
    fn large_balanced_counts_converge() {
        // scipy's values; the continued fraction needs thousands of terms here.
        let ci = clopper_pearson(5_000_000, 10_000_000);
        assert!(close(ci.lower, 0.499_690_052_521_371_1, 1e-9), "{}", ci.lower);
        assert!(close(ci.upper, 0.500_309_947_478_628_9, 1e-9), "{}", ci.upper);
    }

    #[test]
    fn ln_beta_forms_agree_where_they_meet() {
        // Each branch against the plain ln Γ difference, at sizes where that is still accurate.
        for (a, b) in [(12.0, 40.0), (3.0, 25.0), (25.0, 3.0), (2.5, 7.0), (10.0, 10.0)] {
            let plain = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
            assert!((ln_beta(a, b) - plain).abs() < 1e-12, "{a} {b}");
        }
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut fact = 1.0_f64;
        for n in 1..30u32 {
            assert!(
                close(ln_gamma(f64::from(n)), fact.ln(), 1e-13) || fact == 1.0 && ln_gamma(f64::from(n)).abs() < 1e-13
            );
            fact *= f64::from(n);
        }
    }

    /// Binomial upper tail P(X >= k), X ~ Bin(n, p), by direct summation.
    fn binomial_tail(k: u64, n: u64, p: f64) -> f64 {
        let mut term = (1.0 - p).powi(n as i32); // P(X = 0)
        let mut tail = 0.0;
        for j in 0..=n {
            if j >= k {
                tail += term;
            }
            term *= (n - j) as f64 / (j + 1) as f64 * p / (1.0 - p);
        }
        tail
    }

    proptest! {
        /// I_p(k, n-k+1) = P(Bin(n, p) >= k): the identity Clopper-Pearson rests on.
        #[test]
        fn incomplete_beta_is_the_binomial_tail(n in 1u64..60, k_frac in 0.0..1.0f64, p in 0.01..0.99f64) {
            let k = 1 + ((n - 1) as f64 * k_frac) as u64;
            let got = regularized_beta(p, k as f64, (n - k + 1) as f64);
            prop_assert!((got - binomial_tail(k, n, p)).abs() < 1e-11, "{} vs {}", got, binomial_tail(k, n, p));
        }

        /// The bounds are where the binomial tails equal 2.5%, and they bracket k/n.
        #[test]
        fn bounds_solve_the_tail_equations(n in 1u64..60, k_frac in 0.0..=1.0f64) {
            let k = (n as f64 * k_frac).round() as u64;
            let ci = clopper_pearson(k, n);
            let rate = k as f64 / n as f64;
            prop_assert!(ci.lower <= rate && rate <= ci.upper);
            if k > 0 {
                prop_assert!((binomial_tail(k, n, ci.lower) - 0.025).abs() < 1e-9);
            }
            if k < n {
                prop_assert!((1.0 - binomial_tail(k + 1, n, ci.upper) - 0.025).abs() < 1e-9);
            }
        }
    }
}
