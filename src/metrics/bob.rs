//! The rest of bob.measure / bob.pad and pyeer, each on the same [`Sweep`] as every other metric: the
//! `bob` block of metrics.json.
//!
//! - `eer_rocch` (bob.measure): the EER on the ROC convex hull ([`super::rocch`]).
//! - `eer_interval` (pyeer, after FVC2000, Maio et al. 2002): with FNMR = BPCER and FMR = APCER pooled,
//!   t1 = the highest candidate with BPCER <= APCER, t2 = the lowest with BPCER >= APCER; the interval is
//!   [BPCER(t1), APCER(t1)] when BPCER(t1) + APCER(t1) <= BPCER(t2) + APCER(t2), else [APCER(t2),
//!   BPCER(t2)]; the EER is its midpoint.
//! - `d_prime` (pyeer's decidability): |μ_bf − μ_att| / sqrt((σ²_bf + σ²_att) / 2), population standard
//!   deviations (numpy's default, ddof 0) of the scored presentations, attacks pooled.
//! - `bpcer_at_zero_apcer` / `apcer_at_zero_bpcer` (pyeer's ZeroFMR / ZeroFNMR): the operating points
//!   `bpcer_at_apcer[0]` and `apcer_at_bpcer[0]`.
//! - `min-hter` (bob's criterion): the candidate minimising HTER = (APCER pooled + BPCER) / 2, compared
//!   exactly on integer counts; ties go to the highest threshold. HTER is bob's verification measure,
//!   not an ISO/IEC 30107-3 metric.
//! - `epc` ([`super::epc`]).

use serde::{Deserialize, Serialize};

use super::epc::{Epc, epc};
use super::metric::{Metric, Threshold};
use super::operating::{OperatingPoint, apcer_at_bpcer, bpcer_at_apcer, with_curve};
use super::rocch::{Value, eer_rocch};
use super::sweep::Sweep;
use crate::stats::moments;

/// pyeer's EER interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EerInterval {
    /// (low + high) / 2.
    pub value: f64,
    pub low: f64,
    pub high: f64,
    /// The candidate (t1 or t2) the interval was read at.
    pub threshold: Threshold,
}

/// The `bob` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BobMetrics {
    pub eer_rocch: Metric<Value>,
    pub eer_interval: Metric<EerInterval>,
    pub d_prime: Metric<Value>,
    pub bpcer_at_zero_apcer: Metric<OperatingPoint>,
    pub apcer_at_zero_bpcer: Metric<OperatingPoint>,
    #[serde(rename = "min-hter")]
    pub min_hter: Metric<OperatingPoint>,
    pub epc: Metric<Epc>,
}

impl BobMetrics {
    /// Everything from the evaluation sweep; the EPC's thresholds are chosen on `dev` (`None`: on the
    /// evaluation set itself, named `dev_name`).
    pub fn from_sweep(sweep: &Sweep, dev: Option<&Sweep>, dev_name: &str) -> BobMetrics {
        BobMetrics {
            eer_rocch: eer_rocch(sweep),
            eer_interval: eer_interval(sweep),
            d_prime: d_prime(sweep),
            bpcer_at_zero_apcer: bpcer_at_apcer(sweep, 0.0),
            apcer_at_zero_bpcer: apcer_at_bpcer(sweep, 0.0),
            min_hter: min_hter(sweep),
            epc: epc(dev.unwrap_or(sweep), sweep, dev_name),
        }
    }
}

/// pyeer's (EER_low, EER_high) and their midpoint.
pub fn eer_interval(sweep: &Sweep) -> Metric<EerInterval> {
    with_curve(sweep, |c| {
        let gap = |i: usize| c.bpcer(i) - c.apcer_pooled(i);
        // The gap falls from 1 (+inf) to -1 (accept all): both candidates exist.
        let i1 = (0..c.len()).find(|&i| gap(i) <= 0.0).unwrap_or(c.len() - 1);
        let i2 = (0..c.len()).rev().find(|&i| gap(i) >= 0.0).unwrap_or(0);
        let sum = |i: usize| c.bpcer(i) + c.apcer_pooled(i);
        let (low, high, i) = if sum(i1) <= sum(i2) {
            (c.bpcer(i1), c.apcer_pooled(i1), i1)
        } else {
            (c.apcer_pooled(i2), c.bpcer(i2), i2)
        };
        Metric::Value(EerInterval { value: (low + high) / 2.0, low, high, threshold: Threshold(sweep.threshold(i)) })
    })
}

/// (distinct score, count) of one class.
type Histogram = Vec<(f64, f64)>;

/// The scores of each class (bona fide, attacks), read off the sweep: between candidates i-1 and i
/// exactly the scores equal to threshold i change side.
fn histograms(sweep: &Sweep) -> (Histogram, Histogram) {
    let (mut live, mut attack) = (Vec::new(), Vec::new());
    for i in 1..sweep.candidates() {
        let t = sweep.threshold(i);
        let l = sweep.bpcer_errors(i - 1) - sweep.bpcer_errors(i);
        let a = sweep.apcer_errors_pooled(i) - sweep.apcer_errors_pooled(i - 1);
        if l > 0 {
            live.push((t, l as f64));
        }
        if a > 0 {
            attack.push((t, a as f64));
        }
    }
    (live, attack)
}

/// pyeer's decidability index d′.
pub fn d_prime(sweep: &Sweep) -> Metric<Value> {
    with_curve(sweep, |_| {
        let (live, attack) = histograms(sweep);
        let ((m1, v1), (m2, v2)) = (moments(&live), moments(&attack));
        if v1 + v2 == 0.0 {
            return Metric::na("both classes have constant scores");
        }
        Metric::Value(Value { value: (m1 - m2).abs() / ((v1 + v2) / 2.0).sqrt() })
    })
}

/// bob's `min-hter`: the lowest (APCER pooled + BPCER) / 2 (ties: the highest threshold).
pub fn min_hter(sweep: &Sweep) -> Metric<OperatingPoint> {
    with_curve(sweep, |c| {
        let (nb, na) = (u128::from(sweep.bona_fide_scored()), u128::from(sweep.attack_scored()));
        // 2·HTER·na·nb = apcer_errors·nb + bpcer_errors·na: exact integers, so ties are exact.
        let cost = |i: usize| u128::from(sweep.apcer_errors_pooled(i)) * nb + u128::from(sweep.bpcer_errors(i)) * na;
        let best = (0..c.len()).min_by_key(|&i| (cost(i), i));
        c.chosen(best, |i| (c.apcer_pooled(i) + c.bpcer(i)) / 2.0, || "no candidate thresholds".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Presentation;
    use crate::test_support::pres;

    /// live 0.9 0.6 0.4 | attack 0.7 0.3 (the sweep of `rocch`'s hand case).
    ///
    /// | i | t    | APCER | BPCER | gap   |
    /// |---|------|-------|-------|-------|
    /// | 0 | +inf | 0     | 1     | 1     |
    /// | 1 | 0.9  | 0     | 2/3   | 2/3   |
    /// | 2 | 0.7  | 1/2   | 2/3   | 1/6   |
    /// | 3 | 0.6  | 1/2   | 1/3   | -1/6  |
    /// | 4 | 0.4  | 1/2   | 0     | -1/2  |
    /// | 5 | 0.3  | 1     | 0     | -1    |
    fn sample() -> Vec<Presentation> {
        [("", 0.9), ("", 0.6), ("", 0.4), ("a", 0.7), ("a", 0.3)].iter().map(|&(s, v)| pres(s, Some(v))).collect()
    }

    #[test]
    fn the_blocks_read_back_as_written() {
        let s = Sweep::build(&sample()).unwrap();
        let bob = BobMetrics::from_sweep(&s, None, "dev");
        assert_eq!(serde_json::from_value::<BobMetrics>(serde_json::to_value(&bob).unwrap()).unwrap(), bob);
        let r = super::super::resolution::resolution(&s, &[0.0, 0.05]);
        let read: super::super::resolution::Resolution =
            serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(read, r);
        let l = super::super::legacy::at_threshold(&s, 0.5);
        assert_eq!(
            serde_json::from_value::<super::super::legacy::Legacy>(serde_json::to_value(&l).unwrap()).unwrap(),
            l
        );
        // The +inf candidate ("reject everything") is written as a string and read back as +inf.
        let inf = serde_json::to_value(Threshold(f64::INFINITY)).unwrap();
        assert_eq!(serde_json::from_value::<Threshold>(inf).unwrap(), Threshold(f64::INFINITY));
    }

    #[test]
    fn eer_interval_by_hand() {
        // i1 = 3 (first gap <= 0): sum 5/6; i2 = 2 (last gap >= 0): sum 7/6 → [BPCER(3), APCER(3)].
        let e = eer_interval(&Sweep::build(&sample()).unwrap());
        let e = e.value().unwrap();
        assert_eq!((e.low, e.high, e.threshold), (1.0 / 3.0, 0.5, Threshold(0.6)));
        assert!((e.value - 5.0 / 12.0).abs() < 1e-15);
    }

    #[test]
    fn d_prime_by_hand() {
        // live mean 19/30, var ((0.9-m)^2 + (0.6-m)^2 + (0.4-m)^2)/3; attack mean 0.5, var 0.04.
        let m: f64 = 1.9 / 3.0;
        let v1: f64 = ((0.9 - m) * (0.9 - m) + (0.6 - m) * (0.6 - m) + (0.4 - m) * (0.4 - m)) / 3.0;
        let want = (m - 0.5) / ((v1 + 0.04) / 2.0).sqrt();
        let got = d_prime(&Sweep::build(&sample()).unwrap()).value().unwrap().value;
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        let flat = [pres("", Some(0.5)), pres("a", Some(0.5))];
        assert_eq!(d_prime(&Sweep::build(&flat).unwrap()).reason(), Some("both classes have constant scores"));
    }

    #[test]
    fn min_hter_and_zero_points_by_hand() {
        // HTER: i0 1/2, i1 1/3, i2 7/12, i3 5/12, i4 1/4, i5 1/2 → i4 (t 0.4).
        let s = Sweep::build(&sample()).unwrap();
        let m = min_hter(&s);
        let m = m.value().unwrap();
        assert_eq!((m.threshold, m.value, m.apcer_pooled, m.bpcer), (Threshold(0.4), 0.25, 0.5, 0.0));
        let b = BobMetrics::from_sweep(&s, None, "the evaluation set");
        // APCER 0 at +inf and 0.9: BPCER 2/3 at 0.9. BPCER 0 at 0.4 and 0.3: APCER 1/2 at 0.4.
        assert_eq!(b.bpcer_at_zero_apcer.value().unwrap().threshold, Threshold(0.9));
        assert_eq!(b.apcer_at_zero_bpcer.value().unwrap().value, 0.5);
        let tie = [pres("", Some(0.8)), pres("", Some(0.6)), pres("a", Some(0.7))];
        // i0 (0+1)/2, i1 0.8: (0 + 1/2)/2, i2 0.7: (1 + 1/2)/2, i3 0.6: (1+0)/2 → i1 alone at 1/4.
        assert_eq!(min_hter(&Sweep::build(&tie).unwrap()).value().unwrap().threshold, Threshold(0.8));
        let even = [pres("", Some(0.8)), pres("a", Some(0.7)), pres("", Some(0.6)), pres("a", Some(0.5))];
        // i1 0.8: (0+1/2)/2 = 1/4; i3 0.6: (1/2+0)/2 = 1/4: tie, the highest threshold wins.
        assert_eq!(min_hter(&Sweep::build(&even).unwrap()).value().unwrap().threshold, Threshold(0.8));
    }
}
