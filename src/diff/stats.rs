//! The two-sample statistics of a diff (the paired ones, McNemar and the conditional change, are the
//! engine's: `metrics::mcnemar`).
//!
//! - The two-sample Kolmogorov-Smirnov statistic D of two score distributions, with the asymptotic
//!   p-value (Numerical Recipes' `probks` with the Stephens small-sample correction).

use serde::Serialize;

/// Two-sample Kolmogorov-Smirnov: the largest gap between the empirical distribution functions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ks {
    pub d: f64,
    /// Asymptotic two-sided p-value.
    pub p_value: f64,
    pub n_base: usize,
    pub n_current: usize,
}

/// `None` when either sample is empty.
pub fn ks_two_sample(base: &[f64], current: &[f64]) -> Option<Ks> {
    if base.is_empty() || current.is_empty() {
        return None;
    }
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v
    };
    let (a, b) = (sorted(base), sorted(current));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0, 0, 0.0_f64);
    while i < a.len() && j < b.len() {
        // Step past every copy of the smaller value in both samples, so ties move together.
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] == x {
            i += 1;
        }
        while j < b.len() && b[j] == x {
            j += 1;
        }
        d = d.max((i as f64 / na - j as f64 / nb).abs());
    }
    let ne = (na * nb / (na + nb)).sqrt();
    Some(Ks { d, p_value: kolmogorov_q((ne + 0.12 + 0.11 / ne) * d), n_base: a.len(), n_current: b.len() })
}

/// Q_KS(λ) = 2 Σ_{j>=1} (-1)^(j-1) exp(-2 j² λ²), the Kolmogorov distribution's upper tail.
fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 0.2 {
        return 1.0; // the series converges too slowly here, and Q is 1 to 7 digits
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    for j in 1..=100 {
        let j = f64::from(j);
        let term = sign * (-2.0 * j * j * lambda * lambda).exp();
        sum += term;
        if term.abs() < 1e-12 {
            break;
        }
        sign = -sign;
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_statistic_by_hand() {
        // base 1 2 3 4, current 3 4 5 6: at x = 2, F_base = 1/2 and F_current = 0 -> D = 1/2.
        let ks = ks_two_sample(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0]).unwrap();
        assert_eq!(ks.d, 0.5);
        assert!(ks.p_value > 0.3 && ks.p_value <= 1.0);
        let same = ks_two_sample(&[0.1, 0.2, 0.2], &[0.2, 0.1, 0.2]).unwrap();
        assert_eq!((same.d, same.p_value), (0.0, 1.0));
        let apart = ks_two_sample(&[0.0; 200], &[1.0; 200]).unwrap();
        assert!(apart.d == 1.0 && apart.p_value < 1e-10);
        assert!(ks_two_sample(&[], &[1.0]).is_none());
    }
}
