//! Subject-clustered bootstrap intervals for the at-threshold rates.
//!
//! Clopper-Pearson assumes independent presentations; a PAD test set has many images per person, and
//! one person who is hard to accept makes many errors at once. Resampling whole subjects with
//! replacement keeps that correlation, so the interval widens as it should. Each subject's
//! [`Tally`] is computed once; a resample is a sum of tallies, and every rate of a resample comes
//! from the same [`RateKind::counts`] as the point estimate.
//!
//! Reproducible by construction: the generator is a local SplitMix64 seeded from the options, so the
//! same input and seed give the same intervals on every platform and crate version.

use serde::{Deserialize, Serialize};

use super::ci::BootstrapInterval;
use super::metric::Metric;
use super::population::Population;
use super::rates::{BootstrapIntervals, RateKind};
use super::subjects::Subjects;
use super::tally::Tally;

/// How to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootstrapOptions {
    /// Number of resamples.
    pub resamples: usize,
    /// Generator seed.
    pub seed: u64,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        BootstrapOptions { resamples: 1000, seed: 1 }
    }
}

/// What was run (report section `bootstrap`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapSummary {
    /// Always "subject-clustered percentile".
    pub method: String,
    /// Number of subjects resampled.
    pub clusters: usize,
    pub resamples: usize,
    pub seed: u64,
}

/// Bootstraps every rate in `kinds`; `subjects` is indexed like `population.items`.
pub(crate) fn clustered(
    population: &Population,
    subjects: &Subjects,
    threshold: f64,
    options: BootstrapOptions,
    kinds: &[RateKind],
) -> (BootstrapSummary, BootstrapIntervals) {
    let mut per_subject = vec![Tally::zero(population.classes()); subjects.count];
    for (item, &subject) in population.items.iter().zip(&subjects.of) {
        per_subject[subject].record(item, threshold);
    }
    let mut values: Vec<Vec<f64>> = vec![Vec::with_capacity(options.resamples); kinds.len()];
    let mut rng = SplitMix64(options.seed);
    for _ in 0..options.resamples {
        let mut sample = Tally::zero(population.classes());
        for _ in 0..subjects.count {
            sample.add(&per_subject[rng.below(subjects.count)]);
        }
        for (kind, values) in kinds.iter().zip(values.iter_mut()) {
            let c = kind.counts(&sample);
            if c.n > 0 {
                values.push(c.k as f64 / c.n as f64);
            }
        }
    }
    let intervals = kinds.iter().zip(values).map(|(kind, v)| (*kind, percentile_interval(v))).collect();
    let summary = BootstrapSummary {
        method: "subject-clustered percentile".into(),
        clusters: subjects.count,
        resamples: options.resamples,
        seed: options.seed,
    };
    (summary, intervals)
}

fn percentile_interval(mut values: Vec<f64>) -> Metric<BootstrapInterval> {
    if values.is_empty() {
        return Metric::na("undefined in every resample");
    }
    values.sort_by(f64::total_cmp);
    Metric::Value(BootstrapInterval {
        lower: quantile(&values, 0.025),
        upper: quantile(&values, 0.975),
        resamples: values.len(),
    })
}

/// Quantile of sorted, non-empty values with linear interpolation (numpy's default, "type 7").
pub(super) fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let below = h.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (h - below as f64) * (sorted[above] - sorted[below])
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast, and statistically sound for resampling.
pub(crate) struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0) by multiply-high; the bias, n / 2^64, is far below resampling noise.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::rates::{Measure, Scope};
    use crate::schema::Presentation;
    use crate::test_support::of_subject;
    use crate::test_support::pres;

    const BPCER: RateKind = RateKind { measure: Measure::Error, scope: Scope::BonaFide };
    const APCER_MAX: RateKind = RateKind { measure: Measure::Error, scope: Scope::Worst };

    fn run(ps: &[Presentation], seed: u64) -> (BootstrapSummary, BootstrapIntervals) {
        let pop = Population::new(ps).unwrap();
        let subjects = Subjects::from_meta(ps).unwrap();
        clustered(&pop, &subjects, 0.5, BootstrapOptions { resamples: 400, seed }, &[BPCER, APCER_MAX])
    }

    fn interval(i: &BootstrapIntervals, kind: RateKind) -> BootstrapInterval {
        *i[&kind].value().unwrap()
    }

    #[test]
    fn splitmix_reference_values_and_range() {
        // First outputs for seed 0 (from the reference C implementation).
        let mut rng = SplitMix64(0);
        assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
        assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
        assert!((0..1000).all(|_| rng.below(7) < 7));
    }

    #[test]
    fn quantile_interpolates_like_numpy() {
        // numpy.quantile([1, 2, 3, 4], 0.025) = 1.075; 0.975 → 3.925.
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile(&v, 0.025) - 1.075).abs() < 1e-12);
        assert!((quantile(&v, 0.975) - 3.925).abs() < 1e-12);
        assert_eq!(quantile(&[5.0], 0.975), 5.0);
    }

    #[test]
    fn identical_subjects_give_a_degenerate_interval() {
        // Every subject: one live error of two → BPCER is 1/2 in every resample.
        let ps: Vec<Presentation> =
            ["a", "b", "c"].iter().flat_map(|s| [of_subject("", Some(0.9), s), of_subject("", Some(0.1), s)]).collect();
        let (summary, intervals) = run(&ps, 7);
        assert_eq!((summary.clusters, summary.resamples), (3, 400));
        assert_eq!(interval(&intervals, BPCER), BootstrapInterval { lower: 0.5, upper: 0.5, resamples: 400 });
        assert_eq!(intervals[&APCER_MAX].reason(), Some("undefined in every resample"));
    }

    #[test]
    fn resamples_whole_subjects_and_is_reproducible() {
        // Clusters: a (3 live errors of 3), b (0 of 1), c (0 of 1 live, 1 print accepted) and "" (the
        // subject-less print). A resample of 4 draws has BPCER 0 when a is missing (p = 0.32) and 1
        // when only a and "" are drawn (p = 0.059): both beyond the 2.5% tails, so the interval is [0, 1].
        let mut ps = vec![of_subject("", Some(0.1), "a"); 3];
        ps.push(of_subject("", Some(0.9), "b"));
        ps.push(of_subject("", Some(0.9), "c"));
        ps.push(of_subject("print", Some(0.9), "c"));
        ps.push(pres("print", Some(0.1)));
        let (_, first) = run(&ps, 11);
        let (_, again) = run(&ps, 11);
        assert_eq!(interval(&first, BPCER), interval(&again, BPCER));
        let b = interval(&first, BPCER);
        assert_eq!((b.lower, b.upper), (0.0, 1.0));
        // APCER (print) is defined unless neither c nor "" is drawn (p = 1/16, ~25 of 400 resamples).
        let a = interval(&first, APCER_MAX);
        assert!(a.resamples < 400 && a.resamples > 300, "{}", a.resamples);
        let (_, other_seed) = run(&ps, 12);
        assert_ne!(interval(&other_seed, APCER_MAX).resamples, a.resamples);
    }
}
