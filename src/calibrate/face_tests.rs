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
    let ps = [crate::metrics::pres("", Some(0.9)), crate::metrics::pres("print", Some(0.1))];
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
                [(Role::Genuine, ""), (Role::Attack, "print"), (Role::Attack, "replay"), (Role::Enrolment, "")][kind];
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
