//! Property tests: every metric against a brute-force O(n × m) transcription of its definition, on
//! random small score sets drawn from few values (so ties within and across classes are common),
//! with non-responses, absent species and single-class sets.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::{BandOptions, EvalOptions, Metric, Rate, SegmentOptions, Sweep, Threshold, evaluate};
use super::{apcer_at_bpcer, auc_pooled, bpcer_at_apcer, eer_pooled};
use crate::schema::Presentation;
use crate::test_support::pres;

const SPECIES: [&str; 3] = ["a", "b", "c"];

/// Up to 30 presentations: class ∈ {bona fide, a, b, c}, score ∈ {0, 0.25, 0.5, 0.75, 1} or none,
/// meta `site` ∈ {x, y, z} and `subject` ∈ {s0..s3}.
pub(super) fn presentations() -> impl Strategy<Value = Vec<Presentation>> {
    let one =
        (0..4usize, prop::option::weighted(0.85, 0..5u8), 0..3u8, 0..4u8).prop_map(|(class, score, site, subject)| {
            let species = if class == 0 { "" } else { SPECIES[class - 1] };
            let mut p = pres(species, score.map(|s| f64::from(s) / 4.0));
            p.meta.insert("site".into(), ["x", "y", "z"][usize::from(site)].into());
            p.meta.insert("subject".into(), format!("s{subject}"));
            p
        });
    prop::collection::vec(one, 1..30)
}

/// The brute-force definitions, straight from the oracle README.
pub(super) mod brute {
    use super::*;

    fn ratio(k: usize, n: usize) -> Option<f64> {
        (n > 0).then(|| k as f64 / n as f64)
    }

    pub fn scored(ps: &[Presentation], keep: impl Fn(&Presentation) -> bool) -> Vec<f64> {
        ps.iter().filter(|p| keep(p)).filter_map(|p| p.score).collect()
    }

    pub fn bpcer(ps: &[Presentation], t: f64) -> Option<f64> {
        let s = scored(ps, |p| p.bona_fide);
        ratio(s.iter().filter(|&&x| x < t).count(), s.len())
    }

    pub fn apcer(ps: &[Presentation], species: &str, t: f64) -> Option<f64> {
        let s = scored(ps, |p| !p.bona_fide && p.species == species);
        ratio(s.iter().filter(|&&x| x >= t).count(), s.len())
    }

    pub fn apcer_pooled(ps: &[Presentation], t: f64) -> Option<f64> {
        let s = scored(ps, |p| !p.bona_fide);
        ratio(s.iter().filter(|&&x| x >= t).count(), s.len())
    }

    pub fn apcer_max(ps: &[Presentation], t: f64) -> Option<f64> {
        SPECIES.iter().filter_map(|s| apcer(ps, s, t)).reduce(f64::max)
    }

    /// +inf, then every distinct score, decreasing.
    pub fn candidates(ps: &[Presentation]) -> Vec<f64> {
        let mut c: Vec<f64> = ps.iter().filter_map(|p| p.score).collect();
        c.sort_by(|a, b| b.total_cmp(a));
        c.dedup();
        std::iter::once(f64::INFINITY).chain(c).collect()
    }

    /// (eer, threshold) by the README rule.
    pub fn eer(ps: &[Presentation]) -> Option<(f64, f64)> {
        let c = candidates(ps);
        let a: Vec<f64> = c.iter().map(|&t| apcer_pooled(ps, t)).collect::<Option<_>>()?;
        let b: Vec<f64> = c.iter().map(|&t| bpcer(ps, t)).collect::<Option<_>>()?;
        let i = (0..c.len()).find(|&i| a[i] >= b[i])?;
        let d = |k: usize| b[k] - a[k];
        let w = d(i - 1) / (d(i - 1) - d(i));
        Some((a[i - 1] + w * (a[i] - a[i - 1]), c[i]))
    }

    /// (value, threshold) of `bpcer_at_apcer[x]`: lowest BPCER, ties → highest threshold.
    pub fn bpcer_at_apcer(ps: &[Presentation], x: f64) -> Option<(f64, f64)> {
        candidates(ps)
            .into_iter()
            .filter(|&t| apcer_max(ps, t).is_some_and(|a| a <= x))
            .map(|t| (bpcer(ps, t), t))
            .map(|(b, t)| b.map(|b| (b, t)))
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .min_by(|p, q| p.0.total_cmp(&q.0).then(q.1.total_cmp(&p.1)))
    }

    /// (value, threshold) of `apcer_at_bpcer[x]`: lowest apcer_max, ties → lowest threshold.
    pub fn apcer_at_bpcer(ps: &[Presentation], x: f64) -> Option<(f64, f64)> {
        candidates(ps)
            .into_iter()
            .filter(|&t| bpcer(ps, t).is_some_and(|b| b <= x))
            .map(|t| apcer_max(ps, t).map(|a| (a, t)))
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .min_by(|p, q| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)))
    }

    pub fn auc(ps: &[Presentation]) -> Option<f64> {
        let live = scored(ps, |p| p.bona_fide);
        let attack = scored(ps, |p| !p.bona_fide);
        let mut sum = 0.0;
        for l in &live {
            for a in &attack {
                sum += if l > a {
                    1.0
                } else if l == a {
                    0.5
                } else {
                    0.0
                };
            }
        }
        (!live.is_empty() && !attack.is_empty()).then(|| sum / (live.len() * attack.len()) as f64)
    }

    /// Non-response share of the presentations `keep` selects.
    pub fn non_response(ps: &[Presentation], keep: impl Fn(&Presentation) -> bool) -> Option<f64> {
        let all: Vec<&Presentation> = ps.iter().filter(|p| keep(p)).collect();
        ratio(all.iter().filter(|p| p.score.is_none()).count(), all.len())
    }

    /// BPCER_sys: (errors + non-responses) / all bona fide.
    pub fn bpcer_sys(ps: &[Presentation], t: f64) -> Option<f64> {
        let all: Vec<&Presentation> = ps.iter().filter(|p| p.bona_fide).collect();
        ratio(all.iter().filter(|p| p.score.is_none_or(|s| s < t)).count(), all.len())
    }

    /// APCER_sys of a species: errors / all its presentations.
    pub fn apcer_sys(ps: &[Presentation], species: &str, t: f64) -> Option<f64> {
        let all: Vec<&Presentation> = ps.iter().filter(|p| !p.bona_fide && p.species == species).collect();
        ratio(all.iter().filter(|p| p.score.is_some_and(|s| s >= t)).count(), all.len())
    }
}

fn value(m: &Metric<Rate>) -> Option<f64> {
    m.value().map(|r| r.value)
}

fn same(got: Option<f64>, want: Option<f64>) -> bool {
    match (got, want) {
        (Some(g), Some(w)) => (g - w).abs() <= 1e-12,
        (g, w) => g.is_none() && w.is_none(),
    }
}

fn options(threshold: f64) -> EvalOptions {
    EvalOptions { segments: None, bootstrap: None, ..EvalOptions::new(threshold) }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn sweep_points_match_brute_force(ps in presentations()) {
        let sweep = Sweep::build(&ps).unwrap();
        let candidates = brute::candidates(&ps);
        prop_assert_eq!(sweep.candidates(), candidates.len());
        for (i, &t) in candidates.iter().enumerate() {
            let p = sweep.point(i).unwrap();
            prop_assert_eq!(p.threshold, Threshold(t));
            prop_assert!(same(p.bpcer, brute::bpcer(&ps, t)));
            prop_assert!(same(p.apcer_max, brute::apcer_max(&ps, t)));
            prop_assert!(same(p.apcer_pooled, brute::apcer_pooled(&ps, t)));
            for (s, name) in sweep.species().iter().enumerate() {
                prop_assert!(same(p.apcer[s], brute::apcer(&ps, name, t)));
            }
        }
    }

    #[test]
    fn threshold_free_metrics_match_brute_force(ps in presentations(), x in 0.0..=1.0f64) {
        let sweep = Sweep::build(&ps).unwrap();
        let eer = eer_pooled(&sweep);
        prop_assert_eq!(eer.value().map(|e| e.threshold), brute::eer(&ps).map(|e| Threshold(e.1)));
        prop_assert!(same(eer.value().map(|e| e.value), brute::eer(&ps).map(|e| e.0)));
        for x in [x, 0.0, 0.25, 0.5, 1.0] {
            let got = bpcer_at_apcer(&sweep, x);
            prop_assert_eq!(got.value().map(|p| (p.value, p.threshold)), brute::bpcer_at_apcer(&ps, x).map(|(v, t)| (v, Threshold(t))));
            let got = apcer_at_bpcer(&sweep, x);
            prop_assert_eq!(got.value().map(|p| (p.value, p.threshold)), brute::apcer_at_bpcer(&ps, x).map(|(v, t)| (v, Threshold(t))));
        }
        prop_assert!(same(auc_pooled(&sweep).value().map(|a| a.value), brute::auc(&ps)));
    }

    #[test]
    fn at_threshold_rates_match_brute_force(ps in presentations(), t in prop_oneof![0..6u8, Just(9u8)]) {
        // t on the score grid (ties with scores), between it, and above every score (9/4).
        let t = f64::from(t) / 4.0 - if t % 2 == 1 { 0.1 } else { 0.0 };
        let r = evaluate(&ps, &options(t)).unwrap().report.at_threshold;
        prop_assert!(same(value(&r.bona_fide.bpcer), brute::bpcer(&ps, t)));
        prop_assert!(same(value(&r.bona_fide.bpnrr), brute::non_response(&ps, |p| p.bona_fide)));
        prop_assert!(same(value(&r.bona_fide.bpcer_sys), brute::bpcer_sys(&ps, t)));
        prop_assert!(same(value(&r.attack.apcer_max), brute::apcer_max(&ps, t)));
        prop_assert!(same(value(&r.attack.apcer_pooled), brute::apcer_pooled(&ps, t)));
        prop_assert!(same(value(&r.attack.apnrr_pooled), brute::non_response(&ps, |p| !p.bona_fide)));
        let present: BTreeSet<&str> = ps.iter().filter(|p| !p.bona_fide).map(|p| p.species.as_str()).collect();
        prop_assert_eq!(r.species.keys().map(String::as_str).collect::<BTreeSet<_>>(), present.clone());
        for s in present {
            prop_assert!(same(value(&r.species[s].apcer), brute::apcer(&ps, s, t)));
            prop_assert!(same(value(&r.species[s].apnrr), brute::non_response(&ps, |p| !p.bona_fide && p.species == s)));
            prop_assert!(same(value(&r.species[s].apcer_sys), brute::apcer_sys(&ps, s, t)));
        }
        let sys_max = SPECIES.iter().filter_map(|s| brute::apcer_sys(&ps, s, t)).reduce(f64::max);
        prop_assert!(same(value(&r.attack.apcer_sys_max), sys_max));
    }

    #[test]
    fn segments_equal_evaluating_the_subset(ps in presentations()) {
        let mut o = options(0.5);
        o.segments = Some(SegmentOptions { columns: Some(vec!["site".into()]), min_count: 3 });
        let report = evaluate(&ps, &o).unwrap().report;
        let segments = report.segments.value().unwrap();
        let mut by_site: BTreeMap<&str, Vec<Presentation>> = BTreeMap::new();
        for p in &ps {
            by_site.entry(p.meta["site"].as_str()).or_default().push(p.clone());
        }
        prop_assert_eq!(segments.columns["site"].len(), by_site.len());
        for (site, subset) in by_site {
            let alone = evaluate(&subset, &options(0.5)).unwrap().report;
            let seg = &segments.columns["site"][site];
            prop_assert_eq!(&seg.at_threshold, &alone.at_threshold);
            prop_assert_eq!(&seg.counts, &alone.counts);
            prop_assert_eq!(&seg.eer_pooled, &alone.threshold_free.eer_pooled);
            let live = brute::scored(&subset, |p| p.bona_fide).len();
            let attack = brute::scored(&subset, |p| !p.bona_fide).len();
            prop_assert_eq!(seg.too_small, live < 3 || attack < 3);
        }
    }

    #[test]
    fn bands_match_brute_force(ps in presentations(), pass in 0..5u8, below in 0..3u8) {
        let pass = f64::from(pass) / 4.0;
        let retry = pass - f64::from(below) / 4.0;
        let mut o = options(0.5);
        o.policy = Some(BandOptions { pass, retry, attempts: vec![1, 2] });
        let report = evaluate(&ps, &o).unwrap().report;
        let bands = report.decision_bands.value().unwrap();
        let live: Vec<&Presentation> = ps.iter().filter(|p| p.bona_fide).collect();
        let share = |f: &dyn Fn(&Presentation) -> bool| (!live.is_empty()).then(|| live.iter().filter(|p| f(p)).count() as f64 / live.len() as f64);
        prop_assert!(same(value(&bands.bona_fide.pass), share(&|p| p.score.is_some_and(|s| s >= pass))));
        prop_assert!(same(value(&bands.bona_fide.retry), share(&|p| p.score.is_some_and(|s| s >= retry && s < pass))));
        prop_assert!(same(value(&bands.bona_fide.fail), share(&|p| p.score.is_some_and(|s| s < retry))));
        // Completion within 1 attempt: subjects whose first live presentation passes.
        let subjects: BTreeSet<&str> = live.iter().map(|p| p.meta["subject"].as_str()).collect();
        let first_passes = subjects.iter().filter(|s| {
            live.iter().find(|p| p.meta["subject"] == **s).is_some_and(|p| p.score.is_some_and(|x| x >= pass))
        }).count();
        let completion = bands.completion.value().unwrap();
        let want = (!subjects.is_empty()).then(|| first_passes as f64 / subjects.len() as f64);
        prop_assert!(same(value(&completion[&1]), want));
        prop_assert!(value(&completion[&2]) >= value(&completion[&1]));
    }
}
