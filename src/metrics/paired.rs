//! Two scorers of the same presentations, compared pairwise (`liveness fuse --compare-on`: a fusion
//! against each of its members; a multi-model `eval`: every pair of models): McNemar on their decisions
//! per class, and a paired, clustered bootstrap of the difference of their AUC, EER, BPCER and worst-species
//! APCER.
//!
//! Paired: both scorers are evaluated on the same resample of subjects, so the difference keeps the
//! correlation between them (two models that fail on the same hard person), and its interval is much
//! narrower than one built from two independent intervals. Clustered: whole subjects are resampled, as
//! in [`super::bootstrap`], because a person's presentations are not independent. Without a subject
//! column each presentation is its own cluster, and the result says so (`unit`). Each resample's metrics
//! come from the same [`Sweep`] functions as the reported figures.

use serde::{Deserialize, Serialize};

use super::bootstrap::{BootstrapOptions, SplitMix64, quantile};
use super::mcnemar::{mcnemar_exact, paired_change};
use super::operating::{auc_pooled, eer_pooled};
use super::population::{BONA_FIDE, Population};
use super::radix;
use super::subjects::Subjects;
use super::sweep::Sweep;
use crate::schema::{Presentation, is_bona_fide};

/// One metric of both scorers and their difference (a - b) over the resamples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// On all presentations.
    pub a: f64,
    pub b: f64,
    pub difference: f64,
    /// Median and 95% percentile interval of the resampled differences.
    pub median: f64,
    pub lower: f64,
    pub upper: f64,
    /// Resamples where the metric was defined for both (a resample can lack a class).
    pub resamples: usize,
}

/// AUC, EER, BPCER and worst-species APCER (each at its scorer's threshold), paired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedDifferences {
    /// What was resampled: `subject` (whole people, the honest unit for frames) or `presentation` (no
    /// subject column: presentations taken as independent).
    pub unit: String,
    /// Clusters resampled (subjects, or presentations).
    pub subjects: usize,
    pub auc: Option<Difference>,
    pub eer: Option<Difference>,
    pub bpcer: Option<Difference>,
    pub apcer_max: Option<Difference>,
}

/// One scorer's presentations made ready for resampling: its scores sorted once (with each score's class
/// and cluster), and per cluster and class the scored and accepted counts at its threshold. A resample is
/// then a count of draws per cluster, and its figures come from [`Sweep::weighted`], the same sweep
/// (point for point) as that of the resampled presentations, without cloning or sorting them again.
struct Prepared {
    species: Vec<String>,
    keys: Vec<u64>,
    classes: Vec<u32>,
    clusters: Vec<u32>,
    /// `[cluster][class]`: (scored, accepted at the threshold).
    at: Vec<Vec<(u64, u64)>>,
}

impl Prepared {
    /// `None` when the scores cannot be evaluated (a non-finite score).
    fn new(p: &[Presentation], cluster_of: &[usize], clusters: usize, threshold: f64) -> Option<Prepared> {
        let population = Population::new(p).ok()?;
        let mut at = vec![vec![(0u64, 0u64); population.classes()]; clusters];
        let (mut keys, mut order) = (Vec::with_capacity(p.len()), Vec::with_capacity(p.len()));
        for (i, item) in population.items.iter().enumerate() {
            if let Some(s) = item.score() {
                keys.push(radix::key(s));
                order.push(i as u32);
                let cell = &mut at[cluster_of[i]][item.class];
                cell.0 += 1;
                cell.1 += u64::from(is_bona_fide(s, threshold));
            }
        }
        radix::sort_with(&mut keys, &mut order);
        let classes = order.iter().map(|&i| population.items[i as usize].class as u32).collect();
        let clusters = order.iter().map(|&i| cluster_of[i as usize] as u32).collect();
        Some(Prepared { species: population.species, keys, classes, clusters, at })
    }

    /// `(AUC, EER, BPCER, APCER_max at threshold)` of the resample drawing cluster `c` `draws[c]` times,
    /// `None` each where undefined.
    fn metrics(&self, draws: &[u32]) -> [Option<f64>; 4] {
        let sweep = Sweep::weighted(&self.species, &self.keys, &self.classes, |i| draws[self.clusters[i] as usize]);
        let mut totals = vec![(0u64, 0u64); self.species.len() + 1];
        for (cells, &d) in self.at.iter().zip(draws).filter(|(_, d)| **d > 0) {
            for (total, &(n, k)) in totals.iter_mut().zip(cells) {
                total.0 += n * u64::from(d);
                total.1 += k * u64::from(d);
            }
        }
        let (n, accepted) = totals[BONA_FIDE];
        let bpcer = (n > 0).then(|| (n - accepted) as f64 / n as f64);
        let species = totals[BONA_FIDE + 1..].iter().filter(|(n, _)| *n > 0);
        let apcer_max = species.map(|&(n, k)| k as f64 / n as f64).max_by(f64::total_cmp);
        [auc_pooled(&sweep).value().map(|a| a.value), eer_pooled(&sweep).value().map(|e| e.value), bpcer, apcer_max]
    }
}

/// The resampling unit of `p`: its subjects (`subject` column), else each presentation.
fn clusters(p: &[Presentation]) -> (&'static str, Subjects) {
    match Subjects::from_meta(p) {
        Some(s) => ("subject", s),
        None => ("presentation", Subjects { of: (0..p.len()).collect(), count: p.len() }),
    }
}

/// One resample: as many draws of a cluster, uniformly with replacement, as there are clusters.
fn draw(rng: &mut SplitMix64, draws: &mut [u32]) {
    draws.fill(0);
    for _ in 0..draws.len() {
        draws[rng.below(draws.len())] += 1;
    }
}

/// The percentile 95% interval of one scorer's pooled EER over resamples of its subjects (of its
/// presentations without a `subject` column), the same resampling as [`paired_bootstrap`]; `None` when the
/// EER is undefined in every resample.
pub fn eer_interval(p: &[Presentation], options: BootstrapOptions) -> Option<(f64, f64)> {
    let (_, subjects) = clusters(p);
    let prepared = Prepared::new(p, &subjects.of, subjects.count, f64::INFINITY)?;
    let mut rng = SplitMix64(options.seed);
    let mut draws = vec![0u32; subjects.count];
    let mut eers = Vec::with_capacity(options.resamples);
    for _ in 0..options.resamples {
        draw(&mut rng, &mut draws);
        eers.extend(prepared.metrics(&draws)[1]);
    }
    eers.sort_by(f64::total_cmp);
    (!eers.is_empty()).then(|| (quantile(&eers, 0.025), quantile(&eers, 0.975)))
}

/// Compares scorer `a` against `b` on the same presentations (`a[i]` and `b[i]` are one presentation,
/// each with its scorer's score), BPCER and APCER at each one's own threshold. Resamples subjects, or
/// presentations without a `subject` column. `None` without presentations.
pub fn paired_bootstrap(
    a: &[Presentation],
    b: &[Presentation],
    thresholds: (f64, f64),
    options: BootstrapOptions,
) -> Option<PairedDifferences> {
    if a.is_empty() {
        return None;
    }
    let (unit, subjects) = clusters(a);
    let prepared = |p: &[Presentation], t: f64| Prepared::new(p, &subjects.of, subjects.count, t);
    let (Some(pa), Some(pb)) = (prepared(a, thresholds.0), prepared(b, thresholds.1)) else { return None };
    let all = vec![1; subjects.count];
    let (point_a, point_b) = (pa.metrics(&all), pb.metrics(&all));
    let mut diffs: [Vec<f64>; 4] = Default::default();
    let mut rng = SplitMix64(options.seed);
    let mut draws = vec![0u32; subjects.count];
    for _ in 0..options.resamples {
        draw(&mut rng, &mut draws);
        let (ma, mb) = (pa.metrics(&draws), pb.metrics(&draws));
        for ((d, x), y) in diffs.iter_mut().zip(ma).zip(mb) {
            if let (Some(x), Some(y)) = (x, y) {
                d.push(x - y);
            }
        }
    }
    let mut out = diffs.into_iter().zip(point_a.into_iter().zip(point_b)).map(|(mut d, (x, y))| {
        let (x, y) = (x?, y?);
        if d.is_empty() {
            return None;
        }
        d.sort_by(f64::total_cmp);
        Some(Difference {
            a: x,
            b: y,
            difference: x - y,
            median: quantile(&d, 0.5),
            lower: quantile(&d, 0.025),
            upper: quantile(&d, 0.975),
            resamples: d.len(),
        })
    });
    Some(PairedDifferences {
        unit: unit.to_owned(),
        subjects: subjects.count,
        auc: out.next().flatten(),
        eer: out.next().flatten(),
        bpcer: out.next().flatten(),
        apcer_max: out.next().flatten(),
    })
}

/// McNemar on the decisions of one class (or all presentations): `worse` = scorer A wrong where B was
/// right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decisions {
    pub class: String,
    pub n: u64,
    /// Errors of A and of B.
    pub a_errors: u64,
    pub b_errors: u64,
    pub worse: u64,
    pub better: u64,
    pub p_value: f64,
    /// Change of the error rate (A - B) and its conditional 95% interval.
    pub change: f64,
    pub change_ci95: (f64, f64),
}

/// McNemar per class (`bona fide`, `attack`) and over `all` scored presentations, each scorer at its own
/// threshold. A presentation either scorer did not score is left out.
pub fn paired_decisions(a: &[Presentation], b: &[Presentation], thresholds: (f64, f64)) -> Vec<Decisions> {
    let wrong = |p: &Presentation, t: f64| p.score.map(|s| is_bona_fide(s, t) != p.bona_fide);
    let errors: Vec<(bool, bool, bool)> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| Some((x.bona_fide, wrong(x, thresholds.0)?, wrong(y, thresholds.1)?)))
        .collect();
    [("bona fide", Some(true)), ("attack", Some(false)), ("all", None)]
        .into_iter()
        .map(|(class, keep)| decisions(class, errors.iter().filter(|e| keep.is_none_or(|k| e.0 == k))))
        .collect()
}

fn decisions<'a>(class: &'static str, errors: impl Iterator<Item = &'a (bool, bool, bool)>) -> Decisions {
    let (mut n, mut a_errors, mut b_errors, mut worse, mut better) = (0, 0, 0, 0, 0);
    for &(_, x, y) in errors {
        n += 1;
        a_errors += u64::from(x);
        b_errors += u64::from(y);
        worse += u64::from(x && !y);
        better += u64::from(y && !x);
    }
    let (change, change_ci95) = paired_change(worse, better, n);
    Decisions {
        class: class.to_owned(),
        n,
        a_errors,
        b_errors,
        worse,
        better,
        p_value: mcnemar_exact(worse, better),
        change,
        change_ci95,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::of_subject;

    #[test]
    fn a_scorer_against_itself_differs_by_zero_and_a_better_one_wins_in_every_resample() {
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for s in 0..6 {
            let subject = format!("{s:04}");
            for k in 0..5 {
                let x = f64::from(k) / 10.0;
                good.push(of_subject("", Some(0.6 + x / 2.0), &subject));
                good.push(of_subject("print", Some(0.1 + x / 2.0), &subject));
                // The worse scorer swaps the order of one pair per subject.
                bad.push(of_subject("", Some(if k == 0 { 0.05 } else { 0.6 + x / 2.0 }), &subject));
                bad.push(of_subject("print", Some(0.1 + x / 2.0), &subject));
            }
        }
        let opts = BootstrapOptions { resamples: 200, seed: 3 };
        let same = paired_bootstrap(&good, &good, (0.5, 0.5), opts).unwrap();
        let auc = same.auc.unwrap();
        assert_eq!((auc.difference, auc.lower, auc.upper, auc.a), (0.0, 0.0, 0.0, 1.0));
        let vs = paired_bootstrap(&good, &bad, (0.5, 0.5), opts).unwrap();
        let (auc, bpcer) = (vs.auc.unwrap(), vs.bpcer.unwrap());
        assert!(auc.difference > 0.0 && auc.lower > 0.0, "{auc:?}");
        // Every subject has 1 of 5 bona fide rejected by the worse scorer: the BPCER difference is -0.2 in
        // every resample.
        assert!((bpcer.difference + 0.2).abs() < 1e-12 && bpcer.lower == bpcer.upper, "{bpcer:?}");
        assert_eq!((vs.subjects, bpcer.resamples), (6, 200));
        assert!(paired_bootstrap(&[], &[], (0.5, 0.5), opts).is_none());
    }
}
