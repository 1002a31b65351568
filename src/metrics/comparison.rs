//! Several models scored on the same presentations, side by side (`eval --model a,b,...`: metrics.json's
//! `comparison` block and the report's "Models compared" section): one row of figures per model, and for
//! every pair whether the difference is real.
//!
//! Each model's row is read from its own [`MetricsReport`] (the very figures a single-model `eval` of that
//! model gives). The pairwise tests run on the presentations both scored, each model at its own threshold:
//! - AUC: a paired bootstrap over subjects where a `subject` column exists (the honest one on frames of the
//!   same people), else DeLong's test; DeLong's p-value is reported either way;
//! - EER, BPCER, worst-species APCER: the paired bootstrap interval of the difference;
//! - decisions: McNemar's exact test per class.
//!
//! A verdict says "A is better than B" only when the 95% interval of the difference excludes 0; otherwise
//! "no significant difference on this data", with n.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Result, ensure};
use serde::{Deserialize, Serialize};

use super::bootstrap::BootstrapOptions;
use super::ci::{Interval, clopper_pearson};
use super::delong::{DeLong, Z975, auc_variance, delong};
use super::metric::Metric;
use super::paired::{Decisions, Difference, PairedDifferences, eer_interval, paired_bootstrap, paired_decisions};
use super::rates::Rate;
use super::report::MetricsReport;
use super::segments::Segment;
use crate::schema::Presentation;

/// One model's scores, its threshold and its full evaluation.
pub struct Scorer<'a> {
    pub model: &'a str,
    pub presentations: &'a [Presentation],
    pub threshold: f64,
    pub report: &'a MetricsReport,
}

/// A rate at an operating point with its Clopper-Pearson interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateAt {
    pub value: f64,
    pub k: u64,
    pub n: u64,
    pub ci95: Interval,
    pub threshold: f64,
}

/// One model's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub model: String,
    pub threshold: f64,
    pub eer: Option<f64>,
    /// The percentile 95% interval of this model's EER over the comparison's bootstrap (subjects where
    /// there is a `subject` column, else presentations; its resamples and seed).
    pub eer_ci95: Option<(f64, f64)>,
    pub auc: Option<f64>,
    /// DeLong's normal 95% interval of this model's AUC.
    pub auc_ci95: Option<(f64, f64)>,
    /// BPCER at the lowest threshold meeting APCER_max <= x, keyed by x as in `threshold_free`.
    pub bpcer_at_apcer: BTreeMap<String, Option<RateAt>>,
    pub bpcer: Metric<Rate>,
    pub apcer_max: Metric<Rate>,
    /// All attacks together at the threshold: the operating point on the pooled DET and ROC curves.
    pub apcer_pooled: Metric<Rate>,
    pub bpnrr: Metric<Rate>,
    pub apnrr_max: Metric<Rate>,
    /// The model's sweep file in the run folder, set by `eval` when it writes it (the report's curves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep_csv: Option<crate::schema::run_folder::ModelSweep>,
}

/// One figure of a pair: which model is better, if the data can tell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairVerdict {
    pub figure: String,
    /// The 95% interval of the difference (A - B) excludes 0.
    pub significant: bool,
    /// The better model when significant.
    pub better: Option<String>,
    pub text: String,
}

/// Two models on the presentations both scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    /// Presentations both scored.
    pub presentations: usize,
    pub delong: Option<DeLong>,
    pub bootstrap: Option<PairedDifferences>,
    pub decisions: Vec<Decisions>,
    pub verdicts: Vec<PairVerdict>,
}

/// One attack species: each model's APCER at its threshold and the winner, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeciesRow {
    pub species: String,
    pub apcer: BTreeMap<String, Metric<Rate>>,
    /// The model with the lowest APCER when McNemar finds it better than every other model (p < 0.05).
    pub winner: Option<String>,
    pub text: String,
}

/// One segment (a value of a metadata column): each model's BPCER and worst-species APCER there, and the
/// winner on each class. The attack winner is decided on the segment's attacks pooled (McNemar on the
/// attack decisions), so a model wins there by making fewer attack errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    pub column: String,
    pub segment: String,
    /// Classes with fewer scored presentations than the segment guard in the primary's segment: its rates
    /// move by more than 3 points per error, and a winner there is unlikely to be found.
    pub small_classes: Vec<String>,
    pub bpcer: BTreeMap<String, Metric<Rate>>,
    pub apcer_max: BTreeMap<String, Metric<Rate>>,
    pub bpcer_winner: Option<String>,
    pub bpcer_text: String,
    pub attack_winner: Option<String>,
    pub attack_text: String,
}

/// The `comparison` block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub models: Vec<Row>,
    pub pairs: Vec<Pair>,
    pub species: Vec<SpeciesRow>,
    /// Per segment of the primary's `segments` (empty when it segmented on nothing).
    pub segments: Vec<SegmentRow>,
    /// How the figures' differences were tested, in words.
    pub method: String,
}

/// Significance level of the McNemar species winners.
const ALPHA: f64 = 0.05;

/// Compares every pair of `scorers` (at least two).
pub fn compare(scorers: &[Scorer], options: BootstrapOptions) -> Result<Comparison> {
    ensure!(scorers.len() >= 2, "a comparison needs at least two models");
    let models = scorers.iter().map(|s| row(s, options)).collect();
    let mut pairs = Vec::new();
    for (i, a) in scorers.iter().enumerate() {
        for b in &scorers[i + 1..] {
            pairs.push(pair(a, b, options)?);
        }
    }
    let unit = pairs.first().and_then(|p: &Pair| p.bootstrap.as_ref()).map_or("subject", |b| b.unit.as_str());
    let method = match unit {
        "subject" => format!(
            "paired bootstrap over subjects ({} resamples, seed {}); DeLong's p for AUC and McNemar's exact p for \
             decisions treat presentations as independent",
            options.resamples, options.seed
        ),
        _ => format!(
            "no subject column: DeLong's test for AUC, a paired bootstrap over presentations ({} resamples, seed \
             {}) for EER, BPCER and APCER, McNemar's exact test for decisions; all treat presentations as \
             independent",
            options.resamples, options.seed
        ),
    };
    Ok(Comparison { models, pairs, species: species(scorers)?, segments: segments(scorers)?, method })
}

fn row(s: &Scorer, options: BootstrapOptions) -> Row {
    let r = s.report;
    let tf = &r.threshold_free;
    let n = r.counts.bona_fide.scored;
    let at = |m: &Metric<super::OperatingPoint>| {
        m.value().filter(|_| n > 0).map(|op| {
            let k = (op.bpcer * n as f64).round() as u64;
            RateAt { value: op.bpcer, k, n, ci95: clopper_pearson(k, n), threshold: op.threshold.0 }
        })
    };
    let scored = |bona_fide: bool| -> Vec<f64> {
        s.presentations.iter().filter(|p| p.bona_fide == bona_fide).filter_map(|p| p.score).collect()
    };
    Row {
        model: s.model.to_owned(),
        threshold: s.threshold,
        eer: tf.eer_pooled.value().map(|e| e.value),
        eer_ci95: tf.eer_pooled.value().and_then(|_| eer_interval(s.presentations, options)),
        auc: tf.auc_pooled.value().map(|a| a.value),
        auc_ci95: auc_variance(&scored(true), &scored(false)).map(|(auc, var)| {
            let half = var.max(0.0).sqrt() * Z975;
            ((auc - half).max(0.0), (auc + half).min(1.0))
        }),
        bpcer_at_apcer: tf.bpcer_at_apcer.iter().map(|(x, m)| (x.clone(), at(m))).collect(),
        bpcer: r.at_threshold.bona_fide.bpcer.clone(),
        apcer_max: r.at_threshold.attack.apcer_max.clone(),
        apcer_pooled: r.at_threshold.attack.apcer_pooled.clone(),
        bpnrr: r.at_threshold.bona_fide.bpnrr.clone(),
        apnrr_max: r.at_threshold.attack.apnrr_max.clone(),
        sweep_csv: None,
    }
}

/// The presentations both scored, in A's order, as pairs of (A's, B's) presentation; refuses two score
/// sets that share none.
fn paired<'a>(a: &'a Scorer, b: &'a Scorer) -> Result<(Vec<Presentation>, Vec<Presentation>)> {
    let index: HashMap<&str, &Presentation> = b.presentations.iter().map(|p| (p.id.as_str(), p)).collect();
    let (mut xa, mut xb) = (Vec::new(), Vec::new());
    for p in a.presentations.iter().filter(|p| p.score.is_some()) {
        if let Some(q) = index.get(p.id.as_str()).filter(|q| q.score.is_some()) {
            xa.push(p.clone());
            xb.push((*q).clone());
        }
    }
    ensure!(!xa.is_empty(), "{} and {} scored no presentation in common: nothing to compare", a.model, b.model);
    Ok((xa, xb))
}

/// `(A's score, B's score)` of each bona fide and each attack presentation of two aligned lists.
fn split(a: &[Presentation], b: &[Presentation]) -> (Vec<(f64, f64)>, Vec<(f64, f64)>) {
    let (mut live, mut attacks) = (Vec::new(), Vec::new());
    for (x, y) in a.iter().zip(b) {
        if let (Some(s), Some(t)) = (x.score, y.score) {
            if x.bona_fide { live.push((s, t)) } else { attacks.push((s, t)) }
        }
    }
    (live, attacks)
}

fn pair(a: &Scorer, b: &Scorer, options: BootstrapOptions) -> Result<Pair> {
    let (xa, xb) = paired(a, b)?;
    let (live, attacks) = split(&xa, &xb);
    let delong = delong(&live, &attacks);
    let bootstrap = paired_bootstrap(&xa, &xb, (a.threshold, b.threshold), options);
    let decisions = paired_decisions(&xa, &xb, (a.threshold, b.threshold));
    let n = xa.len();
    let p_of = |class: &str| decisions.iter().find(|d| d.class == class).map(|d| d.p_value);
    let boot = bootstrap.as_ref();
    let clustered = boot.is_some_and(|b| b.unit == "subject");
    let mut verdicts = Vec::new();
    // AUC: the subject bootstrap where there are subjects, else DeLong.
    let auc = match (&delong, boot.and_then(|b| b.auc.as_ref())) {
        (_, Some(d)) if clustered => Some((d.a, d.b, d.difference, (d.lower, d.upper), boot_method(boot))),
        (Some(d), _) => Some((d.auc_a, d.auc_b, d.difference, d.ci95, "DeLong".to_owned())),
        (None, Some(d)) => Some((d.a, d.b, d.difference, (d.lower, d.upper), boot_method(boot))),
        (None, None) => None,
    };
    let names = (a.model, b.model);
    verdicts.push(verdict("AUC", names, true, auc, delong.as_ref().map(|d| ("DeLong p", d.p_value)), n));
    let figures: [(&'static str, Option<&Difference>, Option<(&'static str, f64)>); 3] = [
        ("EER", boot.and_then(|b| b.eer.as_ref()), None),
        ("BPCER", boot.and_then(|b| b.bpcer.as_ref()), p_of("bona fide").map(|p| ("McNemar p", p))),
        ("APCER_max", boot.and_then(|b| b.apcer_max.as_ref()), p_of("attack").map(|p| ("McNemar p (attacks)", p))),
    ];
    for (figure, d, p) in figures {
        let t = d.map(|d| (d.a, d.b, d.difference, (d.lower, d.upper), boot_method(boot)));
        verdicts.push(verdict(figure, names, false, t, p, n));
    }
    Ok(Pair { a: a.model.to_owned(), b: b.model.to_owned(), presentations: n, delong, bootstrap, decisions, verdicts })
}

fn boot_method(b: Option<&PairedDifferences>) -> String {
    b.map_or_else(String::new, |b| format!("bootstrap over {} {}s", b.subjects, b.unit))
}

/// The verdict on one figure. `tested` = (A's value, B's value, A - B, 95% interval of A - B, method).
fn verdict(
    figure: &'static str,
    (a, b): (&str, &str),
    higher_is_better: bool,
    tested: Option<(f64, f64, f64, (f64, f64), String)>,
    p: Option<(&str, f64)>,
    n: usize,
) -> PairVerdict {
    let Some((va, vb, d, (lo, hi), method)) = tested else {
        return PairVerdict {
            figure: figure.to_owned(),
            significant: false,
            better: None,
            text: format!("{figure}: not defined on this data (n = {n})"),
        };
    };
    let p = p.map_or_else(String::new, |(name, p)| format!("; {name} = {}", super::format::p_value(p)));
    let values = format!("{va:.4} vs {vb:.4}, difference {d:+.4} [{lo:+.4}, {hi:+.4}], {method}{p}");
    if lo > 0.0 || hi < 0.0 {
        let a_better = (lo > 0.0) == higher_is_better;
        let (better, worse) = if a_better { (a, b) } else { (b, a) };
        PairVerdict {
            figure: figure.to_owned(),
            significant: true,
            better: Some(better.to_owned()),
            text: format!("{better} is better than {worse} on {figure} ({a} vs {b}: {values})"),
        }
    } else {
        PairVerdict {
            figure: figure.to_owned(),
            significant: false,
            better: None,
            text: format!("no significant difference on {figure} on this data (n = {n}; {a} vs {b}: {values})"),
        }
    }
}

/// Per attack species: each model's APCER and a winner where McNemar says so against every other model.
fn species(scorers: &[Scorer]) -> Result<Vec<SpeciesRow>> {
    let names: Vec<&String> = scorers[0].report.at_threshold.species.keys().collect();
    let mut rows = Vec::new();
    for s in names {
        let apcer: BTreeMap<String, Metric<Rate>> = scorers
            .iter()
            .map(|m| {
                let rate = m.report.at_threshold.species.get(s).map(|r| r.apcer.clone());
                (m.model.to_owned(), rate.unwrap_or_else(|| Metric::na("no presentation of this species")))
            })
            .collect();
        let value = |m: &Scorer| apcer[m.model].value().map(|r| r.value);
        let (winner, text) = winner(scorers, value, |p| !p.bona_fide && p.species == *s, "attack")?;
        rows.push(SpeciesRow { species: s.clone(), apcer, winner, text });
    }
    Ok(rows)
}

/// Per segment of the primary's `segments` (every column and value it segmented on): each model's BPCER
/// and worst-species APCER there, and a winner on each class where McNemar says so.
fn segments(scorers: &[Scorer]) -> Result<Vec<SegmentRow>> {
    let Some(primary) = scorers[0].report.segments.value() else { return Ok(Vec::new()) };
    let bpcer_of: fn(&Segment) -> &Metric<Rate> = |s| &s.at_threshold.bona_fide.bpcer;
    let pooled_of: fn(&Segment) -> &Metric<Rate> = |s| &s.at_threshold.attack.apcer_pooled;
    let mut rows = Vec::new();
    for (column, values) in &primary.columns {
        for (value, segment) in values {
            let figure = |rate: fn(&Segment) -> &Metric<Rate>| -> BTreeMap<String, Metric<Rate>> {
                let na = || Metric::na("the model has no such segment");
                let of = |m: &Scorer| segment_of(m, column, value).map_or_else(na, |s| rate(s).clone());
                scorers.iter().map(|m| (m.model.to_owned(), of(m))).collect()
            };
            let value_of = |m: &Scorer, rate: fn(&Segment) -> &Metric<Rate>| {
                segment_of(m, column, value).and_then(|s| rate(s).value()).map(|r| r.value)
            };
            let inside = |p: &Presentation| p.meta.get(column).map_or("", String::as_str) == value;
            let (bpcer_winner, bpcer_text) =
                winner(scorers, |m| value_of(m, bpcer_of), |p| p.bona_fide && inside(p), "bona fide")?;
            let (attack_winner, attack_text) =
                winner(scorers, |m| value_of(m, pooled_of), |p| !p.bona_fide && inside(p), "attack")?;
            rows.push(SegmentRow {
                column: column.clone(),
                segment: value.clone(),
                small_classes: segment.small_classes.iter().map(|c| (*c).to_owned()).collect(),
                bpcer: figure(bpcer_of),
                apcer_max: figure(|s| &s.at_threshold.attack.apcer_max),
                bpcer_winner,
                bpcer_text,
                attack_winner,
                attack_text,
            });
        }
    }
    Ok(rows)
}

/// Model `m`'s segment `column` = `value`, if its evaluation has it.
fn segment_of<'a>(m: &Scorer<'a>, column: &str, value: &str) -> Option<&'a Segment> {
    m.report.segments.value()?.columns.get(column)?.get(value)
}

/// The winner of one cell of a table (a species, one class of a segment): the model with the lowest
/// `rate`, when McNemar's exact test on the presentations `keep` selects (of `class`, `attack` or
/// `bona fide`) finds it better than every other model at p < [`ALPHA`]. A tie in errors is no win
/// whatever the p-value. Returns the winner and the cell's text.
fn winner(
    scorers: &[Scorer],
    rate: impl Fn(&Scorer) -> Option<f64>,
    keep: impl Fn(&Presentation) -> bool,
    class: &str,
) -> Result<(Option<String>, String)> {
    let Some(best) = scorers
        .iter()
        .filter(|m| rate(m).is_some())
        .min_by(|x, y| rate(x).unwrap_or(f64::INFINITY).total_cmp(&rate(y).unwrap_or(f64::INFINITY)))
    else {
        return Ok((None, format!("no scored {class} presentation")));
    };
    let mut worst_p: f64 = 0.0;
    let mut n = 0;
    for other in scorers.iter().filter(|m| m.model != best.model) {
        let only = |m: &Scorer| -> Vec<Presentation> { m.presentations.iter().filter(|p| keep(p)).cloned().collect() };
        let (xa, xb) = (only(best), only(other));
        let sub_a = Scorer { presentations: &xa, ..*best };
        let sub_b = Scorer { presentations: &xb, ..*other };
        let (xa, xb) = paired(&sub_a, &sub_b)?;
        let d = paired_decisions(&xa, &xb, (best.threshold, other.threshold));
        let p = d.iter().find(|d| d.class == class).map_or(1.0, |d| d.p_value);
        n = xa.len();
        let wins = rate(best) < rate(other);
        worst_p = worst_p.max(if wins { p } else { 1.0 });
    }
    Ok(if worst_p < ALPHA {
        let text =
            format!("{} (McNemar p <= {} against every other model)", best.model, super::format::p_value(worst_p));
        (Some(best.model.to_owned()), text)
    } else {
        (None, format!("no significant difference on this data (n = {n})"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{EvalOptions, evaluate};
    use crate::test_support::of_subject;

    /// Six subjects; `good` ranks every presentation right, `bad` rejects one bona fide presentation per
    /// subject and accepts one print attack per subject.
    fn sets() -> (Vec<Presentation>, Vec<Presentation>) {
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for s in 0..6 {
            let subject = format!("{s:04}");
            for k in 0..5 {
                let x = f64::from(k) / 10.0;
                let id = |c: &str| format!("{c}-{s}-{k}");
                let push = |v: &mut Vec<Presentation>, species: &str, score: f64| {
                    let mut p = of_subject(species, Some(score), &subject);
                    p.id = id(if species.is_empty() { "live" } else { species });
                    v.push(p);
                };
                push(&mut good, "", 0.6 + x / 2.0);
                push(&mut good, "print", 0.1 + x / 2.0);
                push(&mut good, "replay", 0.05 + x / 4.0);
                push(&mut bad, "", if k == 0 { 0.05 } else { 0.6 + x / 2.0 });
                push(&mut bad, "print", if k == 0 { 0.95 } else { 0.1 + x / 2.0 });
                push(&mut bad, "replay", 0.05 + x / 4.0);
            }
        }
        (good, bad)
    }

    fn run(a: &[Presentation], b: &[Presentation]) -> Comparison {
        let options = EvalOptions::new(0.5);
        let (ra, rb) = (evaluate(a, &options).unwrap().report, evaluate(b, &options).unwrap().report);
        let scorers = [
            Scorer { model: "good", presentations: a, threshold: 0.5, report: &ra },
            Scorer { model: "bad", presentations: b, threshold: 0.5, report: &rb },
        ];
        compare(&scorers, BootstrapOptions { resamples: 200, seed: 3 }).unwrap()
    }

    #[test]
    fn rows_are_each_models_own_figures_and_a_better_model_wins_where_it_is_better() {
        let (good, bad) = sets();
        let c = run(&good, &bad);
        let (g, b) = (&c.models[0], &c.models[1]);
        assert_eq!((g.auc, g.eer), (Some(1.0), Some(0.0)));
        // A model that separates every resample has EER 0 in each: the interval is a point.
        assert_eq!(g.eer_ci95, Some((0.0, 0.0)));
        // bad: every subject has the same 1 of 5 bona fide and 1 of 5 prints wrong, so every resample of
        // subjects has the same EER (0.2) as the whole set.
        assert_eq!(b.eer, Some(0.2));
        assert_eq!(b.eer_ci95, Some((0.2, 0.2)));
        // bad: 6 of 30 bona fide rejected, 6 of 30 prints accepted.
        let bpcer = b.bpcer.value().unwrap();
        assert_eq!((bpcer.k, bpcer.n), (6, 30));
        assert_eq!(b.apcer_max.value().map(|r| (r.k, r.n)), Some((6, 30)));
        let p = &c.pairs[0];
        assert_eq!((p.a.as_str(), p.b.as_str(), p.presentations), ("good", "bad", 90));
        let by = |f: &str| p.verdicts.iter().find(|v| v.figure == f).unwrap();
        for f in ["AUC", "BPCER", "APCER_max"] {
            assert!(by(f).significant && by(f).better.as_deref() == Some("good"), "{:?}", by(f));
            assert!(by(f).text.starts_with(&format!("good is better than bad on {f}")), "{}", by(f).text);
        }
        // Decisions: bad is wrong on 6 bona fide and 6 attacks where good is right.
        let all = p.decisions.iter().find(|d| d.class == "all").unwrap();
        assert_eq!((all.a_errors, all.b_errors, all.worse, all.better), (0, 12, 0, 12));
        // Prints: good wins (0 vs 6 of 30, McNemar p = 2^-5); replays: the same scores, no winner.
        let print = c.species.iter().find(|s| s.species == "print").unwrap();
        assert_eq!(print.winner.as_deref(), Some("good"), "{print:?}");
        let replay = c.species.iter().find(|s| s.species == "replay").unwrap();
        assert_eq!(replay.winner, None);
        assert!(replay.text.starts_with("no significant difference on this data (n = 30)"), "{}", replay.text);
        assert!(c.method.contains("over subjects"), "{}", c.method);
    }

    #[test]
    fn a_model_against_itself_gives_no_difference_and_no_nan() {
        let (good, _) = sets();
        let c = run(&good, &good);
        for v in &c.pairs[0].verdicts {
            assert!(!v.significant && v.text.starts_with("no significant difference"), "{v:?}");
            assert!(!v.text.contains("NaN"), "{}", v.text);
        }
        assert_eq!(c.pairs[0].delong.as_ref().map(|d| d.p_value), Some(1.0));
    }

    #[test]
    fn segments_get_each_models_rates_and_a_winner_only_where_mcnemar_finds_one() {
        // site=north: everything but one replay (south). North: good 0 of 30 bona fide rejected, bad 6 of 30
        // (6 discordant pairs, McNemar p = 2^-5) and 6 of 59 attacks accepted; south: one replay, no bona fide.
        let site = |v: &mut Vec<Presentation>| {
            for (i, p) in v.iter_mut().enumerate() {
                p.meta.insert("site".into(), if i == 2 { "south" } else { "north" }.into());
            }
        };
        let (mut good, mut bad) = sets();
        site(&mut good);
        site(&mut bad);
        let c = run(&good, &bad);
        let row = |column: &str, segment: &str| {
            c.segments.iter().find(|r| r.column == column && r.segment == segment).unwrap_or_else(|| panic!("{c:?}"))
        };
        let north = row("site", "north");
        assert_eq!(north.bpcer["bad"].value().map(|r| (r.k, r.n)), Some((6, 30)));
        assert_eq!(north.bpcer["good"].value().map(|r| (r.k, r.n)), Some((0, 30)));
        assert_eq!(north.bpcer_winner.as_deref(), Some("good"), "{}", north.bpcer_text);
        assert!(north.bpcer_text.contains("McNemar p <= 0.0313"), "{}", north.bpcer_text);
        assert_eq!(north.attack_winner.as_deref(), Some("good"), "{}", north.attack_text);
        let south = row("site", "south");
        assert_eq!(
            (south.bpcer_winner.as_ref(), south.bpcer_text.as_str()),
            (None, "no scored bona fide presentation")
        );
        assert_eq!(south.small_classes, ["bona_fide", "attack"]);
        assert!(
            south.attack_text.starts_with("no significant difference on this data (n = 1)"),
            "{}",
            south.attack_text
        );
        // Per subject: 1 discordant bona fide pair of 5 is no evidence.
        let s0 = row("subject", "0000");
        assert_eq!(s0.bpcer["bad"].value().map(|r| (r.k, r.n)), Some((1, 5)));
        assert_eq!(s0.bpcer_winner, None);
        assert_eq!(c.segments.iter().filter(|r| r.column == "subject").count(), 6);
    }

    #[test]
    fn models_that_share_no_presentation_are_refused() {
        let (good, bad) = sets();
        let renamed: Vec<Presentation> = bad
            .into_iter()
            .map(|mut p| {
                p.id = format!("other-{}", p.id);
                p
            })
            .collect();
        let options = EvalOptions::new(0.5);
        let (ra, rb) = (evaluate(&good, &options).unwrap().report, evaluate(&renamed, &options).unwrap().report);
        let scorers = [
            Scorer { model: "good", presentations: &good, threshold: 0.5, report: &ra },
            Scorer { model: "bad", presentations: &renamed, threshold: 0.5, report: &rb },
        ];
        let e = compare(&scorers, BootstrapOptions { resamples: 10, seed: 1 }).unwrap_err().to_string();
        assert!(e.contains("no presentation in common"), "{e}");
    }
}
