//! Threshold calibration: the decision threshold (and retry band) that meets a target on a calibration
//! split, chosen exactly as the oracle conventions define the operating points, so a calibrated
//! threshold reproduces the figures `eval` reports for the same presentations.
//!
//! `target` parses what is asked for, `select` picks the candidate threshold, `band` the retry band
//! edges, and `record` is the provenance written into a policy's `[calibration]` section.

mod band;
mod joint;
mod matcher;
mod record;
mod select;
mod target;

use anyhow::Result;

pub use band::{BandEdges, band_edges};
pub use joint::choose_pair;
pub use matcher::Distances;
pub use record::{Calibration, Figure, ModelFile, Reached};
pub use select::{Figures, choose, figures, index_at};
pub use target::{Bound, TARGET_SYNTAX, Target};

use crate::metrics::full_system::sweep::{default_axes, sweep};
use crate::metrics::full_system::{Comparisons, EnrolRule, FullSystemOptions, FullSystemReport};
use crate::metrics::{Sweep, Threshold};
use crate::schema::Presentation;
use crate::schema::policy::MatchTarget;

/// A calibrated threshold and band, each with the rates reached there.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibrated {
    pub threshold: Figures,
    /// Pass edge (>= threshold).
    pub pass: Figures,
    /// Retry edge (<= threshold).
    pub retry: Figures,
}

/// Calibrates on `presentations`.
pub fn calibrate(presentations: &[Presentation], target: Target, bound: Bound, edges: BandEdges) -> Result<Calibrated> {
    let sweep = Sweep::build(presentations)?;
    let index = choose(&sweep, target, bound)?;
    let applied = applied(&sweep, index, target);
    outcome_at(&sweep, index, applied, bound, edges)
}

/// The figures at candidate `index` (applied as threshold `applied`) and the band around it.
fn outcome_at(sweep: &Sweep, index: usize, applied: f64, bound: Bound, edges: BandEdges) -> Result<Calibrated> {
    let (pass, retry) = band_edges(sweep, index, edges, bound)?;
    let applied = Threshold(applied);
    let mut out =
        Calibrated { threshold: figures(sweep, index)?, pass: figures(sweep, pass)?, retry: figures(sweep, retry)? };
    out.threshold.threshold = applied;
    if retry == index {
        // The band holds the threshold: a retry edge on the threshold's candidate is the threshold.
        out.retry.threshold = applied;
    }
    Ok(out)
}

/// PAD and face match calibrated together on an `eval --match` run: the PAD outcome (threshold and band),
/// the match threshold, and the whole system's figures at the pair.
#[derive(Debug, Clone)]
pub struct FaceCalibrated {
    pub pad: Calibrated,
    pub match_threshold: f64,
    /// The full-system evaluation at (PAD threshold, match threshold).
    pub system: FullSystemReport,
    /// `--match-target`'s limit on impostor matches, when one was given.
    pub fmr_limit: Option<u64>,
}

/// Calibrates on an `eval --match` run's `presentations` and their `comparisons`. With
/// [`Target::FullSystem`] both thresholds come from the grid ([`choose_pair`]), a match target only
/// narrowing the match thresholds allowed; with a PAD target the PAD threshold comes from the PAD scores
/// alone and the match threshold from `match_target` on the comparisons ([`Distances::choose`]).
pub fn calibrate_face(
    presentations: &[Presentation],
    comparisons: &mut Comparisons,
    rule: EnrolRule,
    target: Target,
    match_target: Option<MatchTarget>,
    bound: Bound,
    edges: BandEdges,
) -> Result<FaceCalibrated> {
    let distances = Distances::new(comparisons.genuine_distances().iter().copied(), comparisons.impostor_distances());
    let fmr_limit = match_target.map(|m| distances.fmr_limit(m, bound)).transpose()?;
    let (pad, match_threshold) = match (target, match_target) {
        (Target::FullSystem(x), _) => {
            let (pads, matches) = default_axes();
            let grid = sweep(&comparisons.rows, &pads, &matches);
            let cell =
                &grid.cells[choose_pair(&grid, x, bound, |t| fmr_limit.is_none_or(|l| distances.fmr_errors(t) <= l))?];
            let pad_sweep = Sweep::build(presentations)?;
            let index = index_at(&pad_sweep, cell.pad_threshold);
            (outcome_at(&pad_sweep, index, cell.pad_threshold, bound, edges)?, cell.match_threshold)
        }
        (_, Some(m)) => (calibrate(presentations, target, bound, edges)?, distances.choose(m, bound)?),
        (_, None) => anyhow::bail!("{target} is a PAD target: give --match-target too to calibrate face match"),
    };
    let opts = FullSystemOptions { pad_threshold: pad.threshold.threshold.0, match_threshold, rule, bootstrap: None };
    let system = comparisons.evaluate(&opts);
    Ok(FaceCalibrated { pad, match_threshold, system, fmr_limit })
}

/// Only the threshold meeting `target` (point estimates); +inf when only rejecting everyone meets it.
pub fn threshold_for(presentations: &[Presentation], target: Target) -> Result<f64> {
    let sweep = Sweep::build(presentations)?;
    Ok(applied(&sweep, choose(&sweep, target, Bound::Point)?, target))
}

/// The threshold to apply: the chosen candidate, except that a fixed threshold stays as given. (Its
/// candidate, the lowest score >= t, decides the calibration presentations alike, but new scores can
/// fall between the two.)
fn applied(sweep: &Sweep, index: usize, target: Target) -> f64 {
    match target {
        Target::Fixed(t) => t,
        _ => sweep.threshold(index),
    }
}

#[cfg(test)]
mod tests {
    //! Calibration against brute force: every candidate threshold evaluated by counting presentations
    //! directly, the conventions applied as the oracle README states them.

    use proptest::prelude::*;

    use super::*;
    use crate::metrics::{Threshold, apcer_at_bpcer, bpcer_at_apcer, clopper_pearson};
    use crate::test_support::pres;

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
}

#[cfg(test)]
mod face_tests {
    //! The joint full-system target and the match target against cases counted on paper and against brute
    //! force: every grid pair (every candidate distance) counted directly from the rows.

    use proptest::prelude::*;

    use super::*;
    use crate::metrics::clopper_pearson;
    use crate::metrics::full_system::sweep::Grid;
    use crate::metrics::full_system::{Role, Row};

    fn row(role: Role, species: &str, pad: Option<f64>, d: Option<f64>) -> Row {
        Row {
            path: String::new(),
            subject: "S".into(),
            bona_fide: role == Role::Genuine,
            species: species.into(),
            role,
            pad_score: pad,
            pad_accept: false,
            distance: d,
            matched: false,
            accepted: false,
        }
    }

    /// Genuine g1..g4, prints p1 p2, replays r1 r2 (PAD score, distance); counted by hand in the tests.
    fn hand_rows() -> Vec<Row> {
        let g = |pad, d| row(Role::Genuine, "", Some(pad), Some(d));
        vec![
            g(0.9, 0.3),
            g(0.6, 0.5),
            g(0.2, 0.35),
            g(0.9, 0.7),
            row(Role::Attack, "print", Some(0.7), Some(0.2)),
            row(Role::Attack, "print", Some(0.1), Some(0.3)),
            row(Role::Attack, "replay", Some(0.5), Some(0.45)),
            row(Role::Attack, "replay", Some(0.95), Some(0.8)),
            // Enrolment and unenrolled rows are in no rate.
            row(Role::Enrolment, "", Some(0.0), None),
            row(Role::Unenrolled, "print", Some(1.0), Some(0.0)),
        ]
    }

    const PADS: [f64; 4] = [0.0, 0.4, 0.65, 0.8];
    const MATCHES: [f64; 3] = [0.4, 0.6, 0.9];

    fn pair(grid: &Grid, i: usize) -> (f64, f64, u64, Vec<u64>) {
        let c = &grid.cells[i];
        (c.pad_threshold, c.match_threshold, c.rejected, c.accepted.clone())
    }

    #[test]
    fn joint_pair_counted_on_paper() {
        let grid = sweep(&hand_rows(), &PADS, &MATCHES);
        assert_eq!(
            (grid.species.clone(), grid.attacks.clone(), grid.genuine),
            (vec!["print".into(), "replay".into()], vec![2, 2], 4)
        );
        // <= 1 of 2 per species. Fewest genuine rejected among such pairs: 2 of 4, at (0.4, 0.6) [print p1,
        // replay r1 accepted], (0.65, 0.9) [p1, r2] and (0.8, 0.9) [r2 only]: the fewest attacks wins.
        let i = choose_pair(&grid, 0.5, Bound::Point, |_| true).unwrap();
        assert_eq!(pair(&grid, i), (0.8, 0.9, 2, vec![0, 1]));
        // No attack at all: only (0.8, 0.4) and (0.8, 0.6), 3 of 4 rejected each; ties to the lower match threshold.
        let i = choose_pair(&grid, 0.0, Bound::Point, |_| true).unwrap();
        assert_eq!(pair(&grid, i), (0.8, 0.4, 3, vec![0, 0]));
        // A match target that forbids 0.9 leaves (0.4, 0.6).
        let i = choose_pair(&grid, 0.5, Bound::Point, |t| t < 0.7).unwrap();
        assert_eq!(pair(&grid, i), (0.4, 0.6, 2, vec![1, 1]));
        // Two attacks per species cannot show an upper 95% bound <= 0.5, even with none accepted.
        let e = format!("{:#}", choose_pair(&grid, 0.5, Bound::Upper, |_| true).unwrap_err());
        assert!(e.contains("full-system acceptance of print <= 0.5 with 2 attacks"), "{e}");
        let e = format!("{:#}", choose_pair(&grid, 0.5, Bound::Point, |t| t > 5.0).unwrap_err());
        assert!(e.contains("no (PAD threshold, match threshold) pair"), "{e}");
    }

    #[test]
    fn match_threshold_counted_on_paper() {
        let d = Distances::new([0.2, 0.3, 0.5], [0.4, 0.6, 0.7, 0.9]);
        // FMR <= 1/4: impostors below t at most 1, so t <= 0.6; FNMR 0 first at 0.6 (0.5 < 0.6).
        assert_eq!(d.choose(MatchTarget::FnmrAtFmr(0.25), Bound::Point).unwrap(), 0.6);
        assert_eq!((d.fmr_errors(0.6), d.fnmr_errors(0.6)), (1, 0));
        // FMR 0: t <= 0.4, where FNMR is 1 of 3 (0.5); 0.3 has 2 of 3.
        assert_eq!(d.choose(MatchTarget::FnmrAtFmr(0.0), Bound::Point).unwrap(), 0.4);
        // Everyone matches only at +inf.
        assert_eq!(d.choose(MatchTarget::FnmrAtFmr(1.0), Bound::Point).unwrap(), 0.6);
        let e = format!("{:#}", d.choose(MatchTarget::FnmrAtFmr(0.1), Bound::Upper).unwrap_err());
        assert!(e.contains("FMR <= 0.1 with 4 impostor comparisons"), "{e}");
        assert!(Distances::new([0.1], []).choose(MatchTarget::FnmrAtFmr(0.1), Bound::Point).is_err());
    }

    #[test]
    fn targets_parse_and_print() {
        assert_eq!("full-system:bpcer@apcer=0.01".parse::<Target>(), Ok(Target::FullSystem(0.01)));
        assert_eq!(Target::FullSystem(0.01).to_string(), "full-system:bpcer@apcer=0.01");
        assert!("full-system:bpcer@apcer=2".parse::<Target>().unwrap_err().contains("within 0..1"));
        assert_eq!("fnmr@fmr=0.001".parse::<MatchTarget>(), Ok(MatchTarget::FnmrAtFmr(0.001)));
        assert_eq!(MatchTarget::FnmrAtFmr(0.001).to_string(), "fnmr@fmr=0.001");
        assert!("fmr=0.1".parse::<MatchTarget>().unwrap_err().contains("unknown match target"));
        // PAD scores alone cannot meet a full-system target.
        let ps = [crate::test_support::pres("", Some(0.9)), crate::test_support::pres("print", Some(0.1))];
        let e = format!("{:#}", threshold_for(&ps, Target::FullSystem(0.01)).unwrap_err());
        assert!(e.contains("needs the run folder of an `eval --match` run"), "{e}");
    }

    fn bound_ok(k: u64, n: u64, x: f64, bound: Bound) -> bool {
        match bound {
            Bound::Point => k as f64 / n as f64 <= x,
            Bound::Upper => clopper_pearson(k, n).upper <= x,
        }
    }

    fn arb_row() -> impl Strategy<Value = Row> {
        // Coarse grids of scores and distances, so ties with the axes and between rows are common.
        (0..4usize, proptest::option::weighted(0.9, 0..6u32), proptest::option::weighted(0.9, 0..6u32)).prop_map(
            |(kind, pad, d)| {
                let (role, species) =
                    [(Role::Genuine, ""), (Role::Attack, "print"), (Role::Attack, "replay"), (Role::Enrolment, "")]
                        [kind];
                row(role, species, pad.map(|p| f64::from(p) / 5.0), d.map(|d| f64::from(d) / 5.0))
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The chosen pair is feasible, no feasible pair rejects fewer genuine presentations, and among those
        /// that tie it is the first by (fewest attacks accepted, highest PAD threshold, lowest match threshold);
        /// when no pair is feasible the target is refused.
        #[test]
        fn joint_pair_is_the_brute_force_optimum(
            rows in proptest::collection::vec(arb_row(), 1..40),
            x in 0.0..0.8f64,
            upper in any::<bool>(),
            cap in 0..8u32,
        ) {
            let bound = if upper { Bound::Upper } else { Bound::Point };
            let (pads, matches) = ([0.0, 0.2, 0.5, 0.9], [0.1, 0.3, 0.5, 0.9, 1.5]);
            let match_ok = |t: f64| cap == 0 || t <= f64::from(cap) / 5.0;
            let genuine: Vec<&Row> = rows.iter().filter(|r| r.role == Role::Genuine).collect();
            let attacks: Vec<&Row> = rows.iter().filter(|r| r.role == Role::Attack).collect();
            let accepted = |r: &Row, pt: f64, mt: f64| r.pad_score.is_some_and(|s| s >= pt) && r.distance.is_some_and(|d| d < mt);
            let species: Vec<&str> = ["print", "replay"].into_iter().filter(|s| attacks.iter().any(|a| a.species == *s)).collect();
            // (rejected, pooled accepted, -pad, match, feasible) for every pair, counted directly.
            let mut all = Vec::new();
            for &pt in &pads {
                for &mt in &matches {
                    let rejected = genuine.iter().filter(|g| !accepted(g, pt, mt)).count() as u64;
                    let per: Vec<(u64, u64)> = species.iter().map(|s| {
                        let of: Vec<&&Row> = attacks.iter().filter(|a| a.species == *s).collect();
                        (of.iter().filter(|a| accepted(a, pt, mt)).count() as u64, of.len() as u64)
                    }).collect();
                    let feasible = match_ok(mt) && per.iter().all(|&(k, n)| bound_ok(k, n, x, bound));
                    all.push((rejected, per.iter().map(|p| p.0).sum::<u64>(), pt, mt, feasible));
                }
            }
            let grid = sweep(&rows, &pads, &matches);
            let got = choose_pair(&grid, x, bound, match_ok);
            let possible = species.iter().all(|s| bound_ok(0, attacks.iter().filter(|a| a.species == *s).count() as u64, x, bound));
            if genuine.is_empty() || species.is_empty() || !possible || !all.iter().any(|p| p.4) {
                prop_assert!(got.is_err());
                return Ok(());
            }
            let c = &grid.cells[got.unwrap()];
            let best = all.iter().filter(|p| p.4)
                .min_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(b.2.total_cmp(&a.2)).then(a.3.total_cmp(&b.3)))
                .unwrap();
            prop_assert_eq!((c.pad_threshold, c.match_threshold, c.rejected), (best.2, best.3, best.0));
        }

        /// Within FMR <= x the lowest FNMR, at the lowest candidate distance that has it.
        #[test]
        fn match_threshold_is_the_brute_force_optimum(
            genuine in proptest::collection::vec(0..10u32, 1..20),
            impostor in proptest::collection::vec(0..10u32, 1..30),
            x in 0.0..1.0f64,
            upper in any::<bool>(),
        ) {
            let bound = if upper { Bound::Upper } else { Bound::Point };
            let (g, i): (Vec<f64>, Vec<f64>) =
                (genuine.iter().map(|&v| f64::from(v) / 9.0).collect(), impostor.iter().map(|&v| f64::from(v) / 9.0).collect());
            let got = Distances::new(g.clone(), i.clone()).choose(MatchTarget::FnmrAtFmr(x), bound);
            if !bound_ok(0, i.len() as u64, x, bound) {
                prop_assert!(got.is_err());
                return Ok(());
            }
            let mut ts: Vec<f64> = g.iter().chain(&i).copied().collect();
            ts.push(f64::INFINITY);
            ts.sort_by(f64::total_cmp);
            ts.dedup();
            let fmr = |t: f64| i.iter().filter(|&&d| d < t).count() as u64;
            let fnmr = |t: f64| g.iter().filter(|&&d| d >= t).count();
            let feasible: Vec<f64> = ts.into_iter().filter(|&t| bound_ok(fmr(t), i.len() as u64, x, bound)).collect();
            let best = feasible.iter().map(|&t| fnmr(t)).min().unwrap();
            let want = feasible.into_iter().find(|&t| fnmr(t) == best).unwrap();
            prop_assert_eq!(got.unwrap(), want);
        }
    }
}
