//! A vendor's own decisions (`eval --decision-column`) in the terminal summary and the report, from the
//! metrics document's `decisions` section. A decision-only run (no scores: no `at_threshold`) gets the
//! decision table and the plain statement that curves need scores instead of figures and charts that
//! would be empty; a run with scores too gets the vendor's figures beside the threshold's.

use std::collections::BTreeMap;

use super::document::{Block, run_reproducibility, table};
use crate::metrics::decisions::DecisionReport;
use crate::metrics::format::typed_threshold;
use crate::metrics::format::{metric_rate, rate_of};
use crate::metrics::{AttackRates, BonaFideRates, Metric, MetricsDocument, NotAvailable, Rate, RateSet, SpeciesRates};
use crate::schema::RunInfo;

/// A run's vendor decisions and what they are set beside, read once from its metrics document.
#[derive(Debug, Clone, Copy)]
pub struct Vendor<'a> {
    pub decisions: &'a DecisionReport,
    /// The threshold's rates: `None` in a decision-only run (no score was read).
    pub at_threshold: Option<&'a RateSet>,
    /// Why a decision-only run has no curves.
    pub curves: Option<&'a NotAvailable>,
}

impl Vendor<'_> {
    /// The document's decisions, `None` when the run has none.
    pub fn of(doc: &MetricsDocument) -> Option<Vendor<'_>> {
        let decisions = doc.decisions.as_ref()?;
        Some(Vendor { decisions, at_threshold: doc.at_threshold.as_ref(), curves: doc.curves.as_ref() })
    }
}

/// The rates the vendor's decisions and the threshold both give, in the same shape.
struct Rates<'a> {
    bona_fide: &'a BonaFideRates,
    species: &'a BTreeMap<String, SpeciesRates>,
    attack: &'a AttackRates,
}

impl<'a> Rates<'a> {
    fn of_decisions(d: &'a DecisionReport) -> Rates<'a> {
        Rates { bona_fide: &d.bona_fide, species: &d.species, attack: &d.attack }
    }

    fn at_threshold(at: &'a RateSet) -> Rates<'a> {
        Rates { bona_fide: &at.bona_fide, species: &at.species, attack: &at.attack }
    }
}

/// One figure of both sides: (name, vendor's rate, the threshold's rate where there is one).
fn pair<'a>(
    name: String,
    (vendor, at): (&Rates<'a>, Option<&Rates<'a>>),
    get: impl Fn(&Rates<'a>) -> Option<&'a Metric<Rate>>,
) -> (String, String, Option<String>) {
    (name, rate_of(get(vendor)), at.map(|at| rate_of(get(at))))
}

/// The figures, each as (name, vendor's rate, the threshold's rate: `None` in a decision-only run).
fn rows(v: &Vendor) -> Vec<(String, String, Option<String>)> {
    let d = v.decisions;
    let at = v.at_threshold.map(Rates::at_threshold);
    let sides = (&Rates::of_decisions(d), at.as_ref());
    let mut out = vec![pair("BPCER".into(), sides, |r| Some(&r.bona_fide.bpcer))];
    for sp in d.species.keys() {
        out.push(pair(format!("APCER {sp}"), sides, |r| r.species.get(sp).map(|s| &s.apcer)));
    }
    let worst = d.attack.apcer_max.value().and_then(|r| r.species.as_deref());
    let worst = worst.map_or(String::new(), |s| format!(" ({s})"));
    out.push(pair(format!("APCER worst species{worst}"), sides, |r| Some(&r.attack.apcer_max)));
    out.push(pair("APCER pooled".into(), sides, |r| Some(&r.attack.apcer_pooled)));
    out.push(pair("BPNRR (retry + no response)".into(), sides, |r| Some(&r.bona_fide.bpnrr)));
    out.push(pair("APNRR worst species".into(), sides, |r| Some(&r.attack.apnrr_max)));
    out.push(pair("BPCER system (non-response = reject)".into(), sides, |r| Some(&r.bona_fide.bpcer_sys)));
    for (class, c) in &d.bands {
        let name = class.strip_prefix("species:").unwrap_or("bona fide");
        for (share, r) in [("retry", &c.shares.retry), ("no_response", &c.shares.no_response)] {
            out.push((format!("{share} share, {name}"), metric_rate(r), at.is_some().then(String::new)));
        }
    }
    out
}

/// The decisions' reasons of retries and no responses, `reason count, ...` over every class.
fn reasons(d: &DecisionReport) -> String {
    let mut all = BTreeMap::<&str, u64>::new();
    for c in d.bands.values() {
        for (reason, n) in &c.non_response_reasons {
            *all.entry(reason).or_default() += n;
        }
    }
    all.iter().map(|(r, n)| format!("{r} {n}")).collect::<Vec<_>>().join(", ")
}

/// The threshold the vendor's figures are set beside, `n/a` in a decision-only run.
fn threshold(v: &Vendor) -> String {
    v.at_threshold.map_or_else(|| "n/a".to_owned(), |at| typed_threshold(at.threshold))
}

/// The terminal lines of the decisions (empty when the run has none), from the document the terminal
/// summary holds.
pub fn terminal(doc: &MetricsDocument) -> String {
    Vendor::of(doc).map_or_else(String::new, |v| vendor_terminal(&v, &doc.run))
}

/// The terminal lines of the decisions; `run` is the document's `run` block.
fn vendor_terminal(v: &Vendor, run: &RunInfo) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let column = &v.decisions.column;
    match v.at_threshold {
        None => {
            let _ = writeln!(
                s,
                "{} presentations | the vendor's own decisions (column {column}), at its operating point",
                run.presentations,
            );
        }
        Some(_) => {
            let _ = writeln!(s, "  the vendor's decisions (column {column}) beside the threshold {}:", threshold(v));
        }
    }
    for (name, vendor, tool) in rows(v) {
        match tool {
            None => _ = writeln!(s, "  {name:<36} {vendor}"),
            Some(tool) => _ = writeln!(s, "  {name:<36} vendor {vendor} | threshold {tool}"),
        }
    }
    let reasons = reasons(v.decisions);
    if !reasons.is_empty() {
        let _ = writeln!(s, "  retries and no responses by reason: {reasons}");
    }
    let _ = writeln!(s, "  convention: {}", v.decisions.convention);
    if let Some(curves) = v.curves {
        let _ = writeln!(s, "  {}", curves.reason);
    }
    s
}

/// The report's section on the vendor's decisions (none when the run has none).
pub fn blocks(v: Option<&Vendor>) -> Vec<Block> {
    let Some(v) = v else { return Vec::new() };
    let mut b = vec![Block::Heading("The vendor's own decisions".into())];
    b.push(Block::Text(format!(
        "Read from column {} through --decision-map, at the vendor's own operating point. {}.",
        v.decisions.column, v.decisions.convention
    )));
    let rows: Vec<Vec<String>> = rows(v)
        .into_iter()
        .map(|(name, vendor, tool)| std::iter::once(name).chain([vendor]).chain(tool).collect())
        .collect();
    let t = format!("at threshold {}", threshold(v));
    let header: &[&str] = if v.at_threshold.is_none() {
        &["metric", "vendor's decisions"]
    } else {
        &["metric", "vendor's decisions", &t]
    };
    b.push(table(header, rows));
    let reasons = reasons(v.decisions);
    if !reasons.is_empty() {
        b.push(Block::Text(format!("Retries and no responses by reason: {reasons}.")));
    }
    if let Some(curves) = v.curves {
        b.push(Block::Verdict(format!("No curves: {}.", curves.reason)));
    }
    b
}

/// The whole report of a decision-only run: the decisions, the statement, reproducibility; `run` is the
/// document's `run` block.
pub fn decision_only_report(v: &Vendor, run: &RunInfo) -> (String, Vec<Block>) {
    let source = &run.source;
    let title = format!("PAD evaluation: the vendor's decisions in {source}");
    let d = v.decisions;
    let mut b = Vec::new();
    if let Some(note) = run.coverage.as_ref().map(|c| &c.note) {
        b.push(Block::Verdict(format!("Computed on an incomplete run: {note}. These figures are not the run's.")));
    }
    b.push(Block::Verdict(format!(
        "At the vendor's own operating point: {} of bona fide presentations are rejected (BPCER) and {} of the worst \
         species' attacks ({}) are accepted (APCER).",
        metric_rate(&d.bona_fide.bpcer),
        metric_rate(&d.attack.apcer_max),
        d.attack.apcer_max.value().and_then(|r| r.species.as_deref()).unwrap_or("n/a"),
    )));
    b.extend(blocks(Some(v)));
    b.push(Block::Heading("Reproducibility".into()));
    b.extend(run_reproducibility(run));
    (title, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::decisions::{CURVES_NEED_SCORES, decisions};
    use crate::schema::{Decided, Presentation, VendorDecision};
    use crate::test_support::pres;

    fn doc(species: &str) -> MetricsDocument {
        let p = |sp: &str, d: VendorDecision| Presentation {
            decision: Some(Decided { decision: d, reason: (d == VendorDecision::Retry).then(|| "uncertain".into()) }),
            ..pres(sp, None)
        };
        let ps = [p("", VendorDecision::BonaFide), p("", VendorDecision::Retry), p(species, VendorDecision::BonaFide)];
        let report = decisions(&ps, "result").unwrap().unwrap();
        let run =
            crate::schema::RunInfo { presentations: 3, source: "<b>x.csv".into(), ..crate::test_support::sample_run() };
        let mut doc = MetricsDocument::decision_only(run, Some(NotAvailable::new(CURVES_NEED_SCORES)));
        doc.decisions = Some(report);
        doc
    }

    #[test]
    fn a_decision_only_run_shows_the_table_and_the_statement() {
        let d = doc("print");
        assert!(d.scored().is_none());
        let text = terminal(&d);
        assert!(text.contains("BPCER") && text.contains("0.00% (0/1)"), "{text}");
        assert!(text.contains("APCER worst species (print)") && text.contains("100.00% (1/1)"), "{text}");
        assert!(text.contains("retry share, bona fide") && text.contains("uncertain 1"), "{text}");
        assert!(text.contains("curves (EER, DET, ROC"), "{text}");
        let (title, blocks) = decision_only_report(&Vendor::of(&d).unwrap(), &d.run);
        assert!(title.contains("<b>x.csv"));
        assert!(!blocks.iter().any(|b| matches!(b, Block::Chart(_) | Block::Gallery { .. })));
        // Rendered escaped: a hostile species or file name is text in the page.
        let html = super::super::html::render(&title, &blocks);
        assert!(!html.contains("<b>x.csv") && html.contains("No curves: curves (EER"), "{html}");
        let hostile = doc("<script>x");
        let hostile =
            super::super::html::render("t", &decision_only_report(&Vendor::of(&hostile).unwrap(), &hostile.run).1);
        assert!(!hostile.contains("<script>x"), "{hostile}");
    }
}
