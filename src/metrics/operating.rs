//! Threshold-free metrics, each one linear scan of a [`Sweep`], following the oracle conventions
//! (`shared/oracles/README.md`) to the letter so that results match its brute-force numbers:
//!
//! - `eer_pooled`: from the highest threshold down, the first candidate i with
//!   `apcer_pooled >= bpcer`; the EER is where the segment between candidates i-1 and i crosses the
//!   diagonal; the threshold reported is candidate i's.
//! - `bpcer_at_apcer[x]`: among candidates with worst-species `apcer_max <= x`, the lowest BPCER;
//!   ties go to the highest threshold (the most secure of the equally convenient settings).
//! - `apcer_at_bpcer[x]`: among candidates with `bpcer <= x`, the lowest `apcer_max`; ties go to the
//!   lowest threshold (the most convenient of the equally secure settings).
//! - `auc_pooled`: P(bona fide score > attack score) + ½ P(equal), from exact integer counts.
//!
//! Rates are compared exactly (no tolerance): k/n and a decimal x are both correctly rounded, so
//! k/n == x as rationals gives equal floats, and distinct rationals with n < 2^53 never round together.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::metric::{Metric, Threshold};
use super::sweep::Sweep;

/// The equal error rate of pooled APCER and BPCER.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Eer {
    /// The interpolated EER.
    pub value: f64,
    /// Candidate i's threshold (no interpolation in score space).
    pub threshold: Threshold,
    /// Pooled APCER at candidate i.
    pub apcer_pooled: f64,
    /// BPCER at candidate i.
    pub bpcer: f64,
}

/// A chosen candidate threshold and the rates there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    /// The optimized rate: `bpcer` for `bpcer_at_apcer`, `apcer_max` for `apcer_at_bpcer`.
    pub value: f64,
    pub threshold: Threshold,
    pub apcer_max: f64,
    pub apcer_pooled: f64,
    pub bpcer: f64,
}

/// Area under the ROC of bona fide vs pooled attack scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Auc {
    pub value: f64,
}

/// Every threshold-free metric of one sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdFree {
    /// Number of candidate thresholds (distinct scores + 1).
    pub candidates: usize,
    pub eer_pooled: Metric<Eer>,
    /// Keyed by x as written by Rust's shortest float format ("0.1", "0.05", "0.01").
    pub bpcer_at_apcer: BTreeMap<String, Metric<OperatingPoint>>,
    pub apcer_at_bpcer: BTreeMap<String, Metric<OperatingPoint>>,
    pub auc_pooled: Metric<Auc>,
}

impl ThresholdFree {
    /// Derives everything from one sweep; `rates` are the x of the operating points.
    pub fn from_sweep(sweep: &Sweep, rates: &[f64]) -> ThresholdFree {
        let at = |f: fn(&Sweep, f64) -> Metric<OperatingPoint>| {
            rates.iter().map(|&x| (x.to_string(), f(sweep, x))).collect()
        };
        ThresholdFree {
            candidates: sweep.candidates(),
            eer_pooled: eer_pooled(sweep),
            bpcer_at_apcer: at(bpcer_at_apcer),
            apcer_at_bpcer: at(apcer_at_bpcer),
            auc_pooled: auc_pooled(sweep),
        }
    }
}

/// The pooled EER; n/a without scored presentations of both classes.
pub fn eer_pooled(sweep: &Sweep) -> Metric<Eer> {
    with_curve(sweep, |c| {
        let gap = |i: usize| c.bpcer(i) - c.apcer_pooled(i);
        // Point 0 (+inf) has gap 1 and the last point (accept all) gap -1: i exists and is >= 1.
        let i = (1..c.len()).find(|&i| gap(i) <= 0.0).unwrap_or(c.len() - 1);
        let a = gap(i - 1) / (gap(i - 1) - gap(i));
        let value = c.apcer_pooled(i - 1) + a * (c.apcer_pooled(i) - c.apcer_pooled(i - 1));
        Metric::Value(Eer {
            value,
            threshold: Threshold(c.sweep.threshold(i)),
            apcer_pooled: c.apcer_pooled(i),
            bpcer: c.bpcer(i),
        })
    })
}

/// Lowest BPCER with worst-species APCER <= x (ties: highest threshold).
pub fn bpcer_at_apcer(sweep: &Sweep, x: f64) -> Metric<OperatingPoint> {
    with_curve(sweep, |c| {
        let mut best: Option<usize> = None;
        for i in (0..c.len()).filter(|&i| c.apcer_max(i) <= x) {
            if best.is_none_or(|b| c.bpcer(i) < c.bpcer(b)) {
                best = Some(i);
            }
        }
        c.chosen(best, |i| c.bpcer(i), || format!("no candidate threshold has apcer_max <= {x}"))
    })
}

/// Lowest worst-species APCER with BPCER <= x (ties: lowest threshold).
pub fn apcer_at_bpcer(sweep: &Sweep, x: f64) -> Metric<OperatingPoint> {
    with_curve(sweep, |c| {
        let mut best: Option<usize> = None;
        for i in (0..c.len()).filter(|&i| c.bpcer(i) <= x) {
            if best.is_none_or(|b| c.apcer_max(i) <= c.apcer_max(b)) {
                best = Some(i);
            }
        }
        c.chosen(best, |i| c.apcer_max(i), || format!("no candidate threshold has bpcer <= {x}"))
    })
}

/// P(bona fide > attack) + ½ P(equal), pooled over species, from exact integer counts.
pub fn auc_pooled(sweep: &Sweep) -> Metric<Auc> {
    with_curve(sweep, |c| {
        let (live, attack) = (sweep.bona_fide_scored(), sweep.attack_scored());
        // Between consecutive candidates i-1 and i, exactly the scores equal to threshold i change side.
        let twice_favourable: u128 = (1..c.len())
            .map(|i| {
                let live_equal = u128::from(sweep.bpcer_errors(i - 1) - sweep.bpcer_errors(i));
                let attack_equal = u128::from(sweep.apcer_errors_pooled(i) - sweep.apcer_errors_pooled(i - 1));
                let attack_below = u128::from(attack - sweep.apcer_errors_pooled(i));
                live_equal * (2 * attack_below + attack_equal)
            })
            .sum();
        Metric::Value(Auc { value: twice_favourable as f64 / (2.0 * live as f64 * attack as f64) })
    })
}

/// A sweep known to have scored presentations of both classes, so every rate is a number.
pub(super) struct Curve<'a> {
    pub(super) sweep: &'a Sweep,
    bona_fide: f64,
    attack: f64,
}

pub(super) fn with_curve<T>(sweep: &Sweep, f: impl FnOnce(&Curve) -> Metric<T>) -> Metric<T> {
    match (sweep.bona_fide_scored(), sweep.attack_scored()) {
        (0, 0) => Metric::na("no scored presentations"),
        (0, _) => Metric::na("no scored bona fide presentations"),
        (_, 0) => Metric::na("no scored attack presentations"),
        (b, a) => f(&Curve { sweep, bona_fide: b as f64, attack: a as f64 }),
    }
}

impl Curve<'_> {
    pub(super) fn len(&self) -> usize {
        self.sweep.candidates()
    }

    pub(super) fn bpcer(&self, i: usize) -> f64 {
        self.sweep.bpcer_errors(i) as f64 / self.bona_fide
    }

    pub(super) fn apcer_pooled(&self, i: usize) -> f64 {
        self.sweep.apcer_errors_pooled(i) as f64 / self.attack
    }

    pub(super) fn apcer_max(&self, i: usize) -> f64 {
        self.sweep.worst_apcer(i)
    }

    pub(super) fn chosen(
        &self,
        best: Option<usize>,
        value: impl Fn(usize) -> f64,
        none: impl FnOnce() -> String,
    ) -> Metric<OperatingPoint> {
        match best {
            None => Metric::na(none()),
            Some(i) => Metric::Value(OperatingPoint {
                value: value(i),
                threshold: Threshold(self.sweep.threshold(i)),
                apcer_max: self.apcer_max(i),
                apcer_pooled: self.apcer_pooled(i),
                bpcer: self.bpcer(i),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::population::tests::pres;
    use crate::schema::Presentation;

    /// 4 live, 5 attacks of 2 species, with ties across classes.
    ///
    /// live 0.9 0.7 0.4 0.4 | print 0.7 0.2 0.1 | replay 0.4 0.3
    ///
    /// | i | t    | BPCER | APCER print | APCER replay | max  | pooled |
    /// |---|------|-------|-------------|--------------|------|--------|
    /// | 0 | +inf | 4/4   | 0           | 0            | 0    | 0      |
    /// | 1 | 0.9  | 3/4   | 0           | 0            | 0    | 0      |
    /// | 2 | 0.7  | 2/4   | 1/3         | 0            | 1/3  | 1/5    |
    /// | 3 | 0.4  | 0     | 1/3         | 1/2          | 1/2  | 2/5    |
    /// | 4 | 0.3  | 0     | 1/3         | 1            | 1    | 3/5    |
    /// | 5 | 0.2  | 0     | 2/3         | 1            | 1    | 4/5    |
    /// | 6 | 0.1  | 0     | 1           | 1            | 1    | 1      |
    fn sample() -> Vec<Presentation> {
        let live = [0.9, 0.7, 0.4, 0.4].map(|s| pres("", Some(s)));
        let print = [0.7, 0.2, 0.1].map(|s| pres("print", Some(s)));
        let replay = [0.4, 0.3].map(|s| pres("replay", Some(s)));
        live.into_iter().chain(print).chain(replay).collect()
    }

    fn sweep() -> Sweep {
        Sweep::build(&sample()).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn eer_interpolates_at_the_first_crossing() {
        // gap = BPCER - pooled: i=2: 1/2-1/5 = 0.3 > 0; i=3: 0-2/5 = -0.4 <= 0 → i = 3.
        // a = 0.3/0.7; EER = 1/5 + a(2/5 - 1/5) = 0.2 + 0.3/0.7*0.2 = 0.2857142857...
        let eer = eer_pooled(&sweep());
        let eer = eer.value().unwrap();
        assert!(close(eer.value, 0.2 + 0.3 / 0.7 * 0.2), "{}", eer.value);
        assert_eq!(eer.threshold, Threshold(0.4));
        assert_eq!((eer.apcer_pooled, eer.bpcer), (0.4, 0.0));
    }

    #[test]
    fn bpcer_at_apcer_uses_worst_species_and_highest_threshold_on_ties() {
        let s = sweep();
        // apcer_max <= 0.1: points 0, 1 → lowest BPCER 3/4 at t=0.9.
        let p = bpcer_at_apcer(&s, 0.1);
        let p = p.value().unwrap();
        assert_eq!((p.threshold, p.value, p.apcer_max), (Threshold(0.9), 0.75, 0.0));
        // apcer_max <= 0.5: points 0..=3 → BPCER 0 at t=0.4 (pooled would also admit 0.3, 0.2).
        let p = bpcer_at_apcer(&s, 0.5);
        let p = p.value().unwrap();
        assert_eq!((p.threshold, p.value, p.apcer_max, p.apcer_pooled), (Threshold(0.4), 0.0, 0.5, 0.4));
        // apcer_max <= 1: BPCER 0 at 0.4, 0.3, 0.2, 0.1 → highest threshold 0.4.
        assert_eq!(bpcer_at_apcer(&s, 1.0).value().unwrap().threshold, Threshold(0.4));
        // x = 0: only +inf and 0.9 → 0.9.
        assert_eq!(bpcer_at_apcer(&s, 0.0).value().unwrap().threshold, Threshold(0.9));
        let none = bpcer_at_apcer(&s, -0.1);
        assert_eq!(none.reason(), Some("no candidate threshold has apcer_max <= -0.1"));
    }

    #[test]
    fn apcer_at_bpcer_takes_lowest_threshold_on_ties() {
        let s = sweep();
        // BPCER <= 0.5: points 2..=6; lowest apcer_max 1/3 at t=0.7.
        let p = apcer_at_bpcer(&s, 0.5);
        let p = p.value().unwrap();
        assert_eq!((p.threshold, p.bpcer), (Threshold(0.7), 0.5));
        assert!(close(p.value, 1.0 / 3.0));
        // BPCER <= 0: points 3..=6 → apcer_max 1/2 at 0.4 only.
        assert_eq!(apcer_at_bpcer(&s, 0.0).value().unwrap().threshold, Threshold(0.4));
        // BPCER <= 1: apcer_max 0 at +inf and 0.9 → lowest threshold 0.9.
        assert_eq!(apcer_at_bpcer(&s, 1.0).value().unwrap().threshold, Threshold(0.9));
        assert!(apcer_at_bpcer(&s, -1.0).reason().is_some());
    }

    #[test]
    fn auc_counts_ties_as_half() {
        // Pairs (live, attack), 4 × 5 = 20:
        // 0.9 beats all 5 → 5; 0.7 beats 0.4 0.3 0.2 0.1, ties 0.7 → 4.5;
        // each 0.4 beats 0.3 0.2 0.1, ties 0.4 → 3.5 (twice). Total 16.5 / 20.
        let auc = auc_pooled(&sweep());
        assert!(close(auc.value().unwrap().value, 16.5 / 20.0));
    }

    #[test]
    fn single_class_is_not_available_with_a_reason() {
        let live_only = Sweep::build(&[pres("", Some(0.5))]).unwrap();
        assert_eq!(eer_pooled(&live_only).reason(), Some("no scored attack presentations"));
        let attack_only = Sweep::build(&[pres("print", Some(0.5))]).unwrap();
        assert_eq!(auc_pooled(&attack_only).reason(), Some("no scored bona fide presentations"));
        let none = Sweep::build(&[pres("print", None)]).unwrap();
        assert_eq!(bpcer_at_apcer(&none, 0.1).reason(), Some("no scored presentations"));
        let tf = ThresholdFree::from_sweep(&live_only, &[0.05]);
        assert_eq!(tf.apcer_at_bpcer["0.05"].reason(), Some("no scored attack presentations"));
    }

    #[test]
    fn from_sweep_keys_by_rate() {
        let tf = ThresholdFree::from_sweep(&sweep(), &[0.1, 0.05, 0.01]);
        assert_eq!(tf.candidates, 7);
        assert_eq!(tf.bpcer_at_apcer.keys().collect::<Vec<_>>(), ["0.01", "0.05", "0.1"]);
        assert_eq!(tf.eer_pooled, eer_pooled(&sweep()));
    }
}
