//! DeLong's test for the difference of two correlated AUCs (DeLong, DeLong & Clarke-Pearson 1988), in
//! the O(N log N) form of Sun & Xu (2014): the structural components come from midranks instead of the
//! m × n comparison matrix.
//!
//! Both scorers score the same presentations, so their AUCs are correlated; DeLong's variance of the
//! difference keeps that covariance. It treats presentations as independent: frames of one person are
//! not, and then the subject-clustered bootstrap ([`super::paired`]) is the honest interval. The
//! comparison says which one decided.
//!
//! AUC here is the engine's ([`super::auc_pooled`]): the probability that a bona fide presentation scores
//! above an attack, ties counted one half.

use serde::{Deserialize, Serialize};

/// The two AUCs, their covariance and the test of their difference (`a - b`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeLong {
    pub auc_a: f64,
    pub auc_b: f64,
    /// Variances of each AUC and their covariance.
    pub var_a: f64,
    pub var_b: f64,
    pub covariance: f64,
    pub difference: f64,
    /// Standard error of the difference; 0 when the two scorers rank every pair alike.
    pub se: f64,
    pub z: f64,
    /// Two-sided p-value, normal approximation.
    pub p_value: f64,
    /// Normal 95% interval of the difference.
    pub ci95: (f64, f64),
}

/// The normal quantile at 0.975.
pub const Z975: f64 = 1.959_963_984_540_054;

/// 1-based midranks of `values` (ties get the mean of the ranks they span).
fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end, mean (start + 1 + end) / 2.
        let mid = (start + 1 + end) as f64 / 2.0;
        for &k in &order[start..end] {
            ranks[k] = mid;
        }
        start = end;
    }
    ranks
}

/// The structural components of one scorer: each bona fide presentation's share of attacks it beats
/// (`v10`) and each attack's share of bona fide presentations that beat it (`v01`), ties one half.
fn components(live: &[f64], attacks: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (m, n) = (live.len(), attacks.len());
    let all: Vec<f64> = live.iter().chain(attacks).copied().collect();
    let (tz, tx, ty) = (midranks(&all), midranks(live), midranks(attacks));
    let v10 = (0..m).map(|i| (tz[i] - tx[i]) / n as f64).collect();
    let v01 = (0..n).map(|j| 1.0 - (tz[m + j] - ty[j]) / m as f64).collect();
    (v10, v01)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample covariance (n - 1).
fn covariance(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / (a.len() - 1) as f64
}

/// One scorer's AUC and DeLong's variance of it, `(auc, variance)`: the interval of a single model's AUC,
/// without pairing it against anything. `None` with fewer than 2 presentations of a class.
pub fn auc_variance(live: &[f64], attacks: &[f64]) -> Option<(f64, f64)> {
    let (m, n) = (live.len(), attacks.len());
    if m < 2 || n < 2 {
        return None;
    }
    let (v10, v01) = components(live, attacks);
    Some((mean(&v10), covariance(&v10, &v10) / m as f64 + covariance(&v01, &v01) / n as f64))
}

/// DeLong's test of scorer A against B. `live[i]` and `attacks[j]` hold `(score of A, score of B)` of one
/// presentation. `None` with fewer than 2 presentations of a class (no variance to estimate).
pub fn delong(live: &[(f64, f64)], attacks: &[(f64, f64)]) -> Option<DeLong> {
    let (m, n) = (live.len(), attacks.len());
    if m < 2 || n < 2 {
        return None;
    }
    let side = |pick: fn(&(f64, f64)) -> f64| {
        let x: Vec<f64> = live.iter().map(pick).collect();
        let y: Vec<f64> = attacks.iter().map(pick).collect();
        components(&x, &y)
    };
    let (a10, a01) = side(|p| p.0);
    let (b10, b01) = side(|p| p.1);
    let s = |x10: &[f64], y10: &[f64], x01: &[f64], y01: &[f64]| {
        covariance(x10, y10) / m as f64 + covariance(x01, y01) / n as f64
    };
    let var_a = s(&a10, &a10, &a01, &a01);
    let var_b = s(&b10, &b10, &b01, &b01);
    let cov = s(&a10, &b10, &a01, &b01);
    let (auc_a, auc_b) = (mean(&a10), mean(&b10));
    let difference = auc_a - auc_b;
    // Rounding can leave a tiny negative variance when the scorers rank alike.
    let se = (var_a + var_b - 2.0 * cov).max(0.0).sqrt();
    let (z, p_value) = if se > 0.0 {
        let z = difference / se;
        (z, libm::erfc(z.abs() / std::f64::consts::SQRT_2))
    } else if difference == 0.0 {
        (0.0, 1.0)
    } else {
        (difference.signum() * f64::INFINITY, 0.0)
    };
    Some(DeLong {
        auc_a,
        auc_b,
        var_a,
        var_b,
        covariance: cov,
        difference,
        se,
        z,
        p_value,
        ci95: (difference - Z975 * se, difference + Z975 * se),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::bootstrap::SplitMix64;

    #[test]
    fn midranks_average_ties() {
        assert_eq!(midranks(&[0.3, 0.1, 0.3, 0.2]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    /// By hand: live A = (0.9, 0.6), attacks A = (0.5, 0.7); B ranks every pair right. A's components:
    /// v10 (share of attacks each live beats) = (1, 0.5), v01 (share of live above each attack) = (1, 0.5).
    #[test]
    fn a_hand_computed_case() {
        let live = [(0.9, 0.9), (0.6, 0.8)];
        let attacks = [(0.5, 0.1), (0.7, 0.2)];
        let d = delong(&live, &attacks).unwrap();
        // A: pairs (0.9>0.5, 0.9>0.7, 0.6>0.5, 0.6<0.7) -> AUC 3/4; B: 1.
        assert_eq!((d.auc_a, d.auc_b), (0.75, 1.0));
        // A: v10 = (1, 0.5), v01 = (1, 0.5): var = (0.125/2 + 0.125/2) = 0.125; B constant: 0.
        assert!((d.var_a - 0.125).abs() < 1e-15 && d.var_b == 0.0 && d.covariance == 0.0, "{d:?}");
        let se = 0.125f64.sqrt();
        assert!((d.se - se).abs() < 1e-15 && (d.z + 0.25 / se).abs() < 1e-12, "{d:?}");
        // p = 2 (1 - Phi(0.7071...)) = 0.4795001221869535.
        assert!((d.p_value - 0.479_500_122_186_953_5).abs() < 1e-12, "{d:?}");
    }

    /// The single-AUC variance is the paired test's `var_a`, on random scores with ties.
    #[test]
    fn the_single_auc_variance_is_the_paired_tests_own() {
        let mut rng = SplitMix64(11);
        for _ in 0..100 {
            let m = 2 + (rng.next_u64() % 10) as usize;
            let n = 2 + (rng.next_u64() % 10) as usize;
            let mut draw = || ((rng.next_u64() % 6) as f64 / 6.0, (rng.next_u64() % 6) as f64 / 6.0);
            let live: Vec<(f64, f64)> = (0..m).map(|_| draw()).collect();
            let attacks: Vec<(f64, f64)> = (0..n).map(|_| draw()).collect();
            let d = delong(&live, &attacks).unwrap();
            let x: Vec<f64> = live.iter().map(|p| p.0).collect();
            let y: Vec<f64> = attacks.iter().map(|p| p.0).collect();
            assert_eq!(auc_variance(&x, &y), Some((d.auc_a, d.var_a)));
        }
        assert_eq!(auc_variance(&[0.9], &[0.1, 0.2]), None);
    }

    /// By hand (the case above, scorer A): AUC 3/4, variance 0.125.
    #[test]
    fn a_hand_computed_single_variance() {
        assert_eq!(auc_variance(&[0.9, 0.6], &[0.5, 0.7]), Some((0.75, 0.125)));
    }

    #[test]
    fn identical_scorers_differ_by_nothing_with_p_one() {
        let live = [(0.9, 0.9), (0.6, 0.6), (0.6, 0.6)];
        let attacks = [(0.5, 0.5), (0.7, 0.7)];
        let d = delong(&live, &attacks).unwrap();
        assert_eq!((d.difference, d.se, d.z, d.p_value), (0.0, 0.0, 0.0, 1.0));
        assert!(delong(&live[..1], &attacks).is_none());
    }

    /// Brute force: the structural components from the m × n comparison matrix, on random scores
    /// with many ties.
    #[test]
    fn the_midrank_components_equal_the_pairwise_definition() {
        let psi = |x: f64, y: f64| {
            if x > y {
                1.0
            } else if x == y {
                0.5
            } else {
                0.0
            }
        };
        let mut rng = SplitMix64(7);
        for _ in 0..200 {
            let m = 2 + (rng.next_u64() % 12) as usize;
            let n = 2 + (rng.next_u64() % 12) as usize;
            let mut draw = || (rng.next_u64() % 8) as f64 / 8.0;
            let live: Vec<(f64, f64)> = (0..m).map(|_| (draw(), draw())).collect();
            let attacks: Vec<(f64, f64)> = (0..n).map(|_| (draw(), draw())).collect();
            let d = delong(&live, &attacks).unwrap();
            let brute = |pick: fn(&(f64, f64)) -> f64| {
                let v10: Vec<f64> = live
                    .iter()
                    .map(|x| attacks.iter().map(|y| psi(pick(x), pick(y))).sum::<f64>() / n as f64)
                    .collect();
                let v01: Vec<f64> = attacks
                    .iter()
                    .map(|y| live.iter().map(|x| psi(pick(x), pick(y))).sum::<f64>() / m as f64)
                    .collect();
                (v10, v01)
            };
            let ((a10, a01), (b10, b01)) = (brute(|p| p.0), brute(|p| p.1));
            let var = |x10: &[f64], y10: &[f64], x01: &[f64], y01: &[f64]| {
                covariance(x10, y10) / m as f64 + covariance(x01, y01) / n as f64
            };
            assert!((d.auc_a - mean(&a10)).abs() < 1e-12 && (d.auc_b - mean(&b10)).abs() < 1e-12);
            assert!((d.var_a - var(&a10, &a10, &a01, &a01)).abs() < 1e-12);
            assert!((d.var_b - var(&b10, &b10, &b01, &b01)).abs() < 1e-12);
            assert!((d.covariance - var(&a10, &b10, &a01, &b01)).abs() < 1e-12);
        }
    }
}
