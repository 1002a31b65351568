//! What changed between two runs on the same presentations (two models, two versions, two policies).
//!
//! Presentations are paired by id (path). Two runs on different presentations have nothing to pair, so
//! that is an error, not a partial diff. Rates are compared over the presentations scored in *both*
//! runs, because a paired comparison (McNemar) is far more sensitive than comparing two independent
//! rates: most presentations are decided the same way by both runs, and only the discordant ones carry
//! information. A presentation scored in one run only is listed as a response change.

mod stats;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Result, bail};
use serde::Serialize;

use crate::metrics::mcnemar::{mcnemar_exact, paired_change};
pub use stats::{Ks, ks_two_sample};

use crate::calibrate::{Bound, Target, choose, figures};
use crate::metrics::{Rate, Sweep, Threshold, segment_columns};
use crate::schema::{Presentation, is_bona_fide};

/// How to decide and what to break down.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub base_threshold: f64,
    pub current_threshold: f64,
    /// Metadata columns to break the rates down by (`None`: all).
    pub segment_by: Option<Vec<String>>,
    /// Calibration target whose threshold movement is reported.
    pub target: Target,
}

/// A rate in both runs over the same presentations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateChange {
    /// `bpcer`, `apcer[<species>]` or `apcer_pooled`.
    pub rate: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    pub base: Rate,
    pub current: Rate,
    /// current - base.
    pub change: f64,
    /// Conditional on the discordant pairs (see `stats`).
    pub change_ci95: (f64, f64),
    /// Right in base, wrong now / wrong in base, right now.
    pub worse: u64,
    pub better: u64,
    /// Exact McNemar p-value of the discordant pairs.
    pub p_value: f64,
}

/// A presentation decided differently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flip {
    pub id: String,
    /// `bona_fide` or the attack species.
    pub class: String,
    pub base_score: Option<f64>,
    pub current_score: Option<f64>,
    /// `bona_fide`, `attack` or `no_response`.
    pub base_decision: &'static str,
    pub current_decision: &'static str,
    /// True when the current decision is the right one.
    pub now_correct: bool,
}

/// The calibrated threshold of each run for one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdMove {
    pub target: String,
    pub base: Option<Calibrated>,
    pub current: Option<Calibrated>,
    /// Why a side has none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibrated {
    pub threshold: Threshold,
    pub bpcer: f64,
    pub apcer_max: f64,
}

/// McNemar on every paired decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct McNemar {
    pub paired: u64,
    pub worse: u64,
    pub better: u64,
    pub p_value: f64,
    pub method: &'static str,
}

/// The whole diff (serialized as `diff --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffReport {
    pub presentations: usize,
    pub base_threshold: f64,
    pub current_threshold: f64,
    pub mcnemar: McNemar,
    pub rates: Vec<RateChange>,
    pub segments: Vec<RateChange>,
    /// Decisions that flipped among presentations scored in both runs.
    pub flips: Vec<Flip>,
    /// Presentations scored in one run only.
    pub response_changes: Vec<Flip>,
    pub ks_bona_fide: Option<Ks>,
    pub ks_attack: Option<Ks>,
    pub calibrated: ThresholdMove,
}

/// One presentation of both runs.
struct Pair<'a> {
    base: &'a Presentation,
    current: &'a Presentation,
}

impl Pair<'_> {
    /// Errors (base, current) when both runs scored it.
    fn errors(&self, o: &DiffOptions) -> Option<(bool, bool)> {
        Some((
            wrong(self.base, self.base.score?, o.base_threshold),
            wrong(self.current, self.current.score?, o.current_threshold),
        ))
    }
}

fn wrong(p: &Presentation, score: f64, t: f64) -> bool {
    is_bona_fide(score, t) != p.bona_fide
}

fn decision(score: Option<f64>, t: f64) -> &'static str {
    match score {
        None => "no_response",
        Some(s) if is_bona_fide(s, t) => "bona_fide",
        Some(_) => "attack",
    }
}

fn class(p: &Presentation) -> String {
    if p.bona_fide { "bona_fide".into() } else { p.species.clone() }
}

/// Compares two runs over the same presentations.
pub fn diff<'a>(base: &'a [Presentation], current: &'a [Presentation], o: &DiffOptions) -> Result<DiffReport> {
    let pairs = pair(base, current)?;
    let scored: Vec<&Pair> = pairs.iter().filter(|p| p.errors(o).is_some()).collect();
    let (mut worse, mut better) = (0, 0);
    let mut flips = Vec::new();
    let mut response_changes = Vec::new();
    for p in &pairs {
        let flip = |now_correct| Flip {
            id: p.base.id.clone(),
            class: class(p.base),
            base_score: p.base.score,
            current_score: p.current.score,
            base_decision: decision(p.base.score, o.base_threshold),
            current_decision: decision(p.current.score, o.current_threshold),
            now_correct,
        };
        match p.errors(o) {
            Some((false, true)) => {
                worse += 1;
                flips.push(flip(false));
            }
            Some((true, false)) => {
                better += 1;
                flips.push(flip(true));
            }
            Some(_) => {}
            None if p.base.score.is_some() != p.current.score.is_some() => response_changes.push(flip(false)),
            None => {}
        }
    }
    let mcnemar = McNemar {
        paired: scored.len() as u64,
        worse,
        better,
        p_value: mcnemar_exact(worse, better),
        method: "exact binomial, two-sided",
    };

    let mut rates: Vec<RateChange> =
        change("bpcer", None, scored.iter().copied().filter(|p| p.base.bona_fide), o).into_iter().collect();
    let species: BTreeSet<&str> =
        scored.iter().filter(|p| !p.base.bona_fide).map(|p| p.base.species.as_str()).collect();
    for s in species {
        let members = scored.iter().copied().filter(|p| !p.base.bona_fide && p.base.species == s);
        rates.extend(change(&format!("apcer[{s}]"), None, members, o));
    }

    let mut segments = Vec::new();
    for column in segment_columns(base, o.segment_by.as_deref())? {
        let mut values: BTreeMap<&str, Vec<&Pair>> = BTreeMap::new();
        for p in &scored {
            values.entry(p.base.meta.get(&column).map_or("", String::as_str)).or_default().push(p);
        }
        for (value, members) in values {
            let at = Some((column.as_str(), value));
            segments.extend(change("bpcer", at, members.iter().copied().filter(|p| p.base.bona_fide), o));
            segments.extend(change("apcer_pooled", at, members.iter().copied().filter(|p| !p.base.bona_fide), o));
        }
    }

    let scores = |current: bool, bona_fide: bool| -> Vec<f64> {
        let side = |p: &Pair<'a>| if current { p.current } else { p.base };
        pairs.iter().map(side).filter(|p| p.bona_fide == bona_fide).filter_map(|p| p.score).collect()
    };
    Ok(DiffReport {
        presentations: pairs.len(),
        base_threshold: o.base_threshold,
        current_threshold: o.current_threshold,
        mcnemar,
        rates,
        segments,
        flips,
        response_changes,
        ks_bona_fide: ks_two_sample(&scores(false, true), &scores(true, true)),
        ks_attack: ks_two_sample(&scores(false, false), &scores(true, false)),
        calibrated: threshold_move(base, current, o.target),
    })
}

/// Pairs presentations by id; the two runs must hold the same presentations with the same labels.
fn pair<'a>(base: &'a [Presentation], current: &'a [Presentation]) -> Result<Vec<Pair<'a>>> {
    let mut by_id: HashMap<&str, &Presentation> = HashMap::with_capacity(current.len());
    for p in current {
        if by_id.insert(p.id.as_str(), p).is_some() {
            bail!("CURRENT lists {:?} twice: presentations are paired by id", p.id);
        }
    }
    let mut pairs = Vec::with_capacity(base.len());
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut only_base = Vec::new();
    for p in base {
        if !seen.insert(p.id.as_str()) {
            bail!("BASE lists {:?} twice: presentations are paired by id", p.id);
        }
        match by_id.get(p.id.as_str()) {
            Some(c) if c.bona_fide != p.bona_fide || c.species != p.species => {
                bail!("{:?} is {} in BASE but {} in CURRENT: not the same dataset", p.id, class(p), class(c))
            }
            Some(c) => pairs.push(Pair { base: p, current: c }),
            None => only_base.push(p.id.as_str()),
        }
    }
    let only_current: Vec<&str> = current.iter().map(|p| p.id.as_str()).filter(|id| !seen.contains(id)).collect();
    if !only_base.is_empty() || !only_current.is_empty() {
        let first = |v: &[&str]| v.iter().take(3).map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
        bail!(
            "the runs are not on the same presentations: {} only in BASE ({}), {} only in CURRENT ({})",
            only_base.len(),
            first(&only_base),
            only_current.len(),
            first(&only_current)
        );
    }
    Ok(pairs)
}

/// The rate over `members` in both runs; `None` when no member was scored in both.
fn change<'p>(
    rate: &str,
    at: Option<(&str, &str)>,
    members: impl Iterator<Item = &'p Pair<'p>>,
    o: &DiffOptions,
) -> Option<RateChange> {
    let (mut n, mut k_base, mut k_current, mut worse, mut better) = (0, 0, 0, 0, 0);
    for (eb, ec) in members.filter_map(|p| p.errors(o)) {
        n += 1;
        k_base += u64::from(eb);
        k_current += u64::from(ec);
        worse += u64::from(!eb && ec);
        better += u64::from(eb && !ec);
    }
    let of = |k| Rate::of(k, n, "").value().cloned();
    let (change, change_ci95) = paired_change(worse, better, n);
    Some(RateChange {
        rate: rate.to_owned(),
        column: at.map(|a| a.0.to_owned()),
        segment: at.map(|a| a.1.to_owned()),
        base: of(k_base)?,
        current: of(k_current)?,
        change,
        change_ci95,
        worse,
        better,
        p_value: mcnemar_exact(worse, better),
    })
}

fn threshold_move(base: &[Presentation], current: &[Presentation], target: Target) -> ThresholdMove {
    let mut reasons = Vec::new();
    let mut side = |name: &str, ps: &[Presentation]| {
        let got = Sweep::build(ps).and_then(|sweep| {
            let f = figures(&sweep, choose(&sweep, target, Bound::Point)?)?;
            Ok(Calibrated { threshold: f.threshold, bpcer: f.bpcer.value, apcer_max: f.apcer_max.value })
        });
        got.map_err(|e| reasons.push(format!("{name}: {e:#}"))).ok()
    };
    let (b, c) = (side("base", base), side("current", current));
    ThresholdMove { target: target.to_string(), base: b, current: c, reasons }
}

#[cfg(test)]
mod tests {
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
}
