use std::collections::BTreeMap;

use super::*;

fn pres(id: &str, species: &str, score: Option<f64>, session: &str) -> Presentation {
    let mut p = crate::test_support::pres(species, score);
    p.id = id.into();
    p.meta = BTreeMap::from([("session".to_owned(), session.to_owned())]);
    p
}

/// id: class, base score -> current score (t = 0.5 both), session
/// a: live   0.9 -> 0.3  worse      1
/// b: live   0.4 -> 0.6  better     1
/// c: live   0.8 -> 0.7  same       2
/// d: print  0.6 -> 0.2  better     2
/// e: print  0.1 -> none response   2
/// f: replay 0.2 -> 0.5  worse (0.5 >= 0.5 is bona fide)   2
fn runs() -> (Vec<Presentation>, Vec<Presentation>) {
    let rows = [
        ("a", "", Some(0.9), Some(0.3), "1"),
        ("b", "", Some(0.4), Some(0.6), "1"),
        ("c", "", Some(0.8), Some(0.7), "2"),
        ("d", "print", Some(0.6), Some(0.2), "2"),
        ("e", "print", Some(0.1), None, "2"),
        ("f", "replay", Some(0.2), Some(0.5), "2"),
    ];
    let base = rows.iter().map(|r| pres(r.0, r.1, r.2, r.4)).collect();
    // The current run lists them in another order: pairing is by id.
    let current = rows.iter().rev().map(|r| pres(r.0, r.1, r.3, r.4)).collect();
    (base, current)
}

fn options() -> DiffOptions {
    DiffOptions { base_threshold: 0.5, current_threshold: 0.5, segment_by: None, target: Target::Eer }
}

#[test]
fn flips_rates_and_segments_by_hand() {
    let (base, current) = runs();
    let d = diff(&base, &current, &options()).unwrap();
    let flips: Vec<(&str, &str, &str, bool)> =
        d.flips.iter().map(|f| (f.id.as_str(), f.base_decision, f.current_decision, f.now_correct)).collect();
    assert_eq!(
        flips,
        [
            ("a", "bona_fide", "attack", false),
            ("b", "attack", "bona_fide", true),
            ("d", "bona_fide", "attack", true),
            ("f", "attack", "bona_fide", false)
        ]
    );
    assert_eq!(d.response_changes.len(), 1);
    assert_eq!((d.response_changes[0].id.as_str(), d.response_changes[0].current_decision), ("e", "no_response"));
    assert_eq!((d.mcnemar.paired, d.mcnemar.worse, d.mcnemar.better, d.mcnemar.p_value), (5, 2, 2, 1.0));

    let rate = |name: &str| d.rates.iter().find(|r| r.rate == name).unwrap();
    assert_eq!((rate("bpcer").base.k, rate("bpcer").current.k, rate("bpcer").base.n), (1, 1, 3));
    let print = rate("apcer[print]");
    assert_eq!((print.base.k, print.current.k, print.base.n, print.change, print.better), (1, 0, 1, -1.0, 1));
    assert_eq!((rate("apcer[replay]").change, rate("apcer[replay]").worse), (1.0, 1));

    let seg: Vec<(&str, &str, u64)> =
        d.segments.iter().map(|r| (r.segment.as_deref().unwrap(), r.rate.as_str(), r.base.n)).collect();
    // session 1 has no attacks: no apcer_pooled row there.
    assert_eq!(seg, [("1", "bpcer", 2), ("2", "bpcer", 1), ("2", "apcer_pooled", 2)]);
    assert_eq!(d.ks_bona_fide.unwrap().n_base, 3);
    assert!(d.calibrated.base.is_some() && d.calibrated.current.is_some());
}

#[test]
fn per_run_thresholds_decide_each_side() {
    let (base, current) = runs();
    // Base at 0.95 rejects every presentation: all its live are wrong, all its attacks right.
    let d = diff(&base, &current, &DiffOptions { base_threshold: 0.95, ..options() }).unwrap();
    let ids: Vec<&str> = d.flips.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["b", "c", "f"]);
}

#[test]
fn runs_on_other_presentations_are_refused() {
    let (base, mut current) = runs();
    current.pop();
    let e = diff(&base, &current, &options()).unwrap_err().to_string();
    assert!(e.contains("1 only in BASE (\"a\")") && e.contains("0 only in CURRENT"), "{e}");
    let (base, mut current) = runs();
    current[0].species = "mask".into();
    let e = diff(&base, &current, &options()).unwrap_err().to_string();
    assert!(e.contains("\"f\" is replay in BASE but mask in CURRENT"), "{e}");
    let (mut base, current) = runs();
    base[1].id = "a".into();
    assert!(diff(&base, &current, &options()).unwrap_err().to_string().contains("BASE lists \"a\" twice"));
    let (base, current) = runs();
    let e = diff(&base, &current, &DiffOptions { segment_by: Some(vec!["site".into()]), ..options() }).unwrap_err();
    assert!(e.to_string().contains("segment column \"site\""), "{e}");
}
