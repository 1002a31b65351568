//! Calibration against brute force: every candidate threshold evaluated by counting presentations
//! directly, the conventions applied as the oracle README states them.

use proptest::prelude::*;

use super::*;
use crate::metrics::{Threshold, apcer_at_bpcer, bpcer_at_apcer, clopper_pearson, pres};

const SPECIES: [&str; 3] = ["", "print", "replay"];

/// One candidate, counted by brute force.
struct Point {
    t: f64,
    bpcer: (u64, u64),
    /// (errors, scored) per species present among the scored attacks.
    apcer: Vec<(u64, u64)>,
}

impl Point {
    fn apcer_max(&self) -> f64 {
        self.apcer.iter().map(|&(k, n)| k as f64 / n as f64).fold(0.0, f64::max)
    }
}

fn bound_of(k: u64, n: u64, bound: Bound) -> f64 {
    match bound {
        Bound::Point => k as f64 / n as f64,
        Bound::Upper => clopper_pearson(k, n).upper,
    }
}

fn brute(ps: &[Presentation]) -> Vec<Point> {
    let mut ts: Vec<f64> = ps.iter().filter_map(|p| p.score).collect();
    ts.sort_by(|a, b| b.total_cmp(a));
    ts.dedup();
    ts.insert(0, f64::INFINITY);
    let scored = |f: &dyn Fn(&Presentation) -> bool| ps.iter().filter(|p| p.score.is_some() && f(p)).count() as u64;
    ts.into_iter()
        .map(|t| Point {
            t,
            bpcer: (scored(&|p| p.bona_fide && p.score < Some(t)), scored(&|p| p.bona_fide)),
            apcer: SPECIES[1..]
                .iter()
                .map(|s| (scored(&|p| p.species == *s && p.score >= Some(t)), scored(&|p| p.species == *s)))
                .filter(|&(_, n)| n > 0)
                .collect(),
        })
        .collect()
}

fn presentations() -> impl Strategy<Value = Vec<Presentation>> {
    // Scores on a coarse grid so that ties within and across classes are common.
    let one = (0..3usize, proptest::option::weighted(0.9, 0..12u32));
    proptest::collection::vec(one, 1..50)
        .prop_map(|v| v.into_iter().map(|(c, s)| pres(SPECIES[c], s.map(|s| f64::from(s) / 11.0))).collect())
}

fn both_classes(points: &[Point]) -> bool {
    points[0].bpcer.1 > 0 && !points[0].apcer.is_empty()
}

fn threshold_for_bound(ps: &[Presentation], target: Target, bound: Bound) -> Result<f64> {
    let sweep = Sweep::build(ps)?;
    Ok(sweep.threshold(choose(&sweep, target, bound)?))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// BPCER at APCER_max <= x: the threshold meets the limit, no feasible candidate has a lower BPCER,
    /// and among those with the same BPCER it is the highest; on the point estimate it is also the
    /// engine's `bpcer_at_apcer`.
    #[test]
    fn bpcer_at_apcer_is_the_brute_force_optimum(ps in presentations(), x in 0.0..0.6f64, upper in any::<bool>()) {
        let bound = if upper { Bound::Upper } else { Bound::Point };
        let points = brute(&ps);
        let got = threshold_for_bound(&ps, Target::BpcerAtApcer(x), bound);
        let limit_possible = points[0].apcer.iter().all(|&(_, n)| bound_of(0, n, bound) <= x);
        if !both_classes(&points) || !limit_possible {
            prop_assert!(got.is_err());
            return Ok(());
        }
        let t = got.unwrap();
        let feasible: Vec<&Point> =
            points.iter().filter(|p| p.apcer.iter().all(|&(k, n)| bound_of(k, n, bound) <= x)).collect();
        let at = feasible.iter().find(|p| p.t == t);
        prop_assert!(at.is_some(), "chosen {} is not feasible", t);
        let best = feasible.iter().map(|p| p.bpcer.0).min().unwrap();
        prop_assert_eq!(at.unwrap().bpcer.0, best, "a feasible candidate has lower BPCER");
        let highest = feasible.iter().find(|p| p.bpcer.0 == best).unwrap().t;
        prop_assert_eq!(t, highest);
        if bound == Bound::Point {
            let engine = bpcer_at_apcer(&Sweep::build(&ps).unwrap(), x);
            prop_assert_eq!(engine.value().unwrap().threshold, Threshold(t));
        }
    }

    /// APCER_max at BPCER <= x: feasible, lowest worst-species APCER, lowest threshold among ties.
    #[test]
    fn apcer_at_bpcer_is_the_brute_force_optimum(ps in presentations(), x in 0.0..0.6f64, upper in any::<bool>()) {
        let bound = if upper { Bound::Upper } else { Bound::Point };
        let points = brute(&ps);
        let got = threshold_for_bound(&ps, Target::ApcerAtBpcer(x), bound);
        if !both_classes(&points) || bound_of(0, points[0].bpcer.1, bound) > x {
            prop_assert!(got.is_err());
            return Ok(());
        }
        let t = got.unwrap();
        let feasible: Vec<&Point> = points.iter().filter(|p| bound_of(p.bpcer.0, p.bpcer.1, bound) <= x).collect();
        let best = feasible.iter().map(|p| p.apcer_max()).fold(f64::INFINITY, f64::min);
        let lowest = feasible.iter().rev().find(|p| p.apcer_max() == best).unwrap().t;
        prop_assert_eq!(t, lowest);
        if bound == Bound::Point {
            let engine = apcer_at_bpcer(&Sweep::build(&ps).unwrap(), x);
            prop_assert_eq!(engine.value().unwrap().threshold, Threshold(t));
        }
    }

    /// Lowest cost, highest threshold among ties; a fixed threshold measures the candidate that decides
    /// exactly like it.
    #[test]
    fn cost_and_fixed_match_brute_force(ps in presentations(), a in 0.0..10.0f64, b in 0.1..10.0f64, fixed in -0.2..1.2f64) {
        let points = brute(&ps);
        prop_assume!(both_classes(&points));
        let cost = |p: &Point| a * p.apcer_max() + b * (p.bpcer.0 as f64 / p.bpcer.1 as f64);
        let best = points.iter().map(cost).fold(f64::INFINITY, f64::min);
        let t = threshold_for_bound(&ps, Target::Cost { apcer: a, bpcer: b }, Bound::Point).unwrap();
        prop_assert_eq!(t, points.iter().find(|p| cost(p) == best).unwrap().t);
        let sweep = Sweep::build(&ps).unwrap();
        let f = figures(&sweep, choose(&sweep, Target::Fixed(fixed), Bound::Point).unwrap()).unwrap();
        let errors = ps.iter().filter(|p| p.bona_fide && p.score.is_some_and(|s| s < fixed)).count() as u64;
        prop_assert_eq!(f.bpcer.k, errors);
        let accepted = ps.iter().filter(|p| !p.bona_fide && p.score.is_some_and(|s| s >= fixed)).count() as u64;
        prop_assert_eq!(f.apcer_pooled.k, accepted);
    }
}

/// live 0.9 0.75 0.6 0.3 | print 0.7 0.2 0.1 | replay 0.6 0.05
fn sample() -> Vec<Presentation> {
    let mut v: Vec<Presentation> = [0.9, 0.75, 0.6, 0.3].into_iter().map(|s| pres("", Some(s))).collect();
    v.extend([0.7, 0.2, 0.1].map(|s| pres("print", Some(s))));
    v.extend([0.6, 0.05].map(|s| pres("replay", Some(s))));
    v
}

#[test]
fn hand_computed_threshold_figures_and_band() {
    // APCER_max <= 0.4: print allows 1 of 3, replay 0 of 2 -> candidates down to 0.7 (replay 0.6
    // would be 1/2). The lowest BPCER there, 2/4, holds at 0.75 and at 0.7 (no live score between):
    // ties go to the highest threshold, 0.75, where no attack passes at all.
    let edges = BandEdges { pass_apcer: 0.0, retry_bpcer: 0.0 };
    let out = calibrate(&sample(), Target::BpcerAtApcer(0.4), Bound::Point, edges).unwrap();
    assert_eq!(out.threshold.threshold, Threshold(0.75));
    assert_eq!((out.threshold.bpcer.k, out.threshold.bpcer.n), (2, 4));
    assert_eq!(out.threshold.apcer_max.species.as_deref(), Some("print"));
    assert_eq!((out.threshold.apcer_max.k, out.threshold.apcer_pooled.k), (0, 0));
    let at_07 = calibrate(&sample(), Target::Fixed(0.7), Bound::Point, edges).unwrap().threshold;
    assert_eq!((at_07.bpcer.k, at_07.apcer_max.k, at_07.apcer_pooled.k), (2, 1, 1));
    // Pass edge: no attack passes -> 0.75 (BPCER 2/4; 0.9 has 3/4); retry edge: no genuine user
    // fails -> 0.3 (APCER_max 1/2 there, the lowest).
    assert_eq!(out.pass.threshold, Threshold(0.75));
    assert_eq!(out.retry.threshold, Threshold(0.3));
    assert_eq!(out.retry.bpcer.k, 0);
}

#[test]
fn band_always_contains_the_threshold() {
    let edges = BandEdges { pass_apcer: 1.0, retry_bpcer: 1.0 };
    let out = calibrate(&sample(), Target::Fixed(0.5), Bound::Point, edges).unwrap();
    // The fixed threshold stays 0.5 (its rates are those of the candidate 0.6, which decides alike).
    assert_eq!(
        (out.pass.threshold, out.threshold.threshold, out.retry.threshold),
        (Threshold(0.6), Threshold(0.5), Threshold(0.5))
    );
    assert_eq!((out.threshold.index, out.pass.index, out.retry.index), (4, 4, 4));
    assert_eq!(threshold_for(&sample(), Target::Fixed(0.5)).unwrap(), 0.5);
}

#[test]
fn upper_bound_on_a_small_set_says_how_many_presentations_are_needed() {
    let e = format!("{:#}", threshold_for_bound(&sample(), Target::BpcerAtApcer(0.05), Bound::Upper).unwrap_err());
    // 1 - 0.025^(1/n) <= 0.05 needs n >= 72.
    assert!(e.contains("APCER of print") && e.contains("at least 72 presentations"), "{e}");
    let e = format!("{:#}", threshold_for_bound(&sample(), Target::Eer, Bound::Upper).unwrap_err());
    assert!(e.contains("--bound upper applies to a rate limit"), "{e}");
}

#[test]
fn count_limits_match_their_definitions() {
    assert_eq!(select::count_limit(0.05, 100, Bound::Point).unwrap(), 5);
    assert_eq!(select::count_limit(0.049, 100, Bound::Point).unwrap(), 4);
    let k = select::count_limit(0.05, 1000, Bound::Upper).unwrap();
    assert!(clopper_pearson(k, 1000).upper <= 0.05 && clopper_pearson(k + 1, 1000).upper > 0.05);
    assert!(select::count_limit(0.0, 10, Bound::Upper).is_err());
}

#[test]
fn single_class_sets_cannot_be_calibrated() {
    let e = threshold_for(&[pres("", Some(0.5))], Target::Eer).unwrap_err().to_string();
    assert!(e.contains("no scored attack presentations"), "{e}");
}

#[test]
fn eer_target_is_the_engines_eer_threshold() {
    let sweep = Sweep::build(&sample()).unwrap();
    let eer = crate::metrics::eer_pooled(&sweep);
    assert_eq!(Threshold(threshold_for(&sample(), Target::Eer).unwrap()), eer.value().unwrap().threshold);
}
