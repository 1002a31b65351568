//! A vendor's own decisions (`eval --decision-column`) in the terminal summary and the report, from the
//! metrics document's `decisions` section. A decision-only run (no scores: no `at_threshold`) gets the
//! decision table and the plain statement that curves need scores instead of figures and charts that
//! would be empty; a run with scores too gets the vendor's figures beside the threshold's.

use serde_json::Value;

use super::document::{Block, reproducibility, table};
use crate::metrics::format::{rate, threshold};

/// The document holds the vendor's decisions only (no score was read).
pub fn is_decision_only(doc: &Value) -> bool {
    doc["at_threshold"].is_null() && doc["decisions"].is_object()
}

/// The figures, each as (name, vendor's rate, the threshold's rate: `None` in a decision-only run).
fn rows(doc: &Value) -> Vec<(String, String, Option<String>)> {
    let (d, at) = (&doc["decisions"], &doc["at_threshold"]);
    let both = !at.is_null();
    let pair = |name: String, path: &[&str]| {
        let get = |root: &Value| path.iter().fold(root, |v, key| &v[*key]).clone();
        (name, rate(&get(d)), both.then(|| rate(&get(at))))
    };
    let mut out = vec![pair("BPCER".into(), &["bona_fide", "bpcer"])];
    for sp in d["species"].as_object().into_iter().flatten().map(|(k, _)| k) {
        out.push(pair(format!("APCER {sp}"), &["species", sp, "apcer"]));
    }
    let worst = d["attack"]["apcer_max"]["species"].as_str().map_or(String::new(), |s| format!(" ({s})"));
    out.push(pair(format!("APCER worst species{worst}"), &["attack", "apcer_max"]));
    out.push(pair("APCER pooled".into(), &["attack", "apcer_pooled"]));
    out.push(pair("BPNRR (retry + no response)".into(), &["bona_fide", "bpnrr"]));
    out.push(pair("APNRR worst species".into(), &["attack", "apnrr_max"]));
    out.push(pair("BPCER system (non-response = reject)".into(), &["bona_fide", "bpcer_sys"]));
    for (class, c) in d["bands"].as_object().into_iter().flatten() {
        let name = class.strip_prefix("species:").unwrap_or("bona fide");
        for share in ["retry", "no_response"] {
            out.push((format!("{share} share, {name}"), rate(&c["shares"][share]), both.then(String::new)));
        }
    }
    out
}

/// The decisions' reasons of retries and no responses, `reason count, ...` over every class.
fn reasons(doc: &Value) -> String {
    let mut all = std::collections::BTreeMap::<&str, u64>::new();
    for c in doc["decisions"]["bands"].as_object().into_iter().flatten().map(|(_, c)| c) {
        for (reason, n) in c["non_response_reasons"].as_object().into_iter().flatten() {
            *all.entry(reason).or_default() += n.as_u64().unwrap_or(0);
        }
    }
    all.iter().map(|(r, n)| format!("{r} {n}")).collect::<Vec<_>>().join(", ")
}

fn column(doc: &Value) -> &str {
    doc["decisions"]["column"].as_str().unwrap_or("?")
}

/// The terminal lines of the decisions (empty when the run has none).
pub fn terminal(doc: &Value) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    if !doc["decisions"].is_object() {
        return s;
    }
    let t = threshold(&doc["at_threshold"]["threshold"]);
    match is_decision_only(doc) {
        true => {
            let _ = writeln!(
                s,
                "{} presentations | the vendor's own decisions (column {}), at its operating point",
                doc["run"]["presentations"],
                column(doc)
            );
        }
        false => {
            let _ = writeln!(s, "  the vendor's decisions (column {}) beside the threshold {t}:", column(doc));
        }
    }
    for (name, vendor, tool) in rows(doc) {
        match tool {
            None => _ = writeln!(s, "  {name:<36} {vendor}"),
            Some(tool) => _ = writeln!(s, "  {name:<36} vendor {vendor} | threshold {tool}"),
        }
    }
    let reasons = reasons(doc);
    if !reasons.is_empty() {
        let _ = writeln!(s, "  retries and no responses by reason: {reasons}");
    }
    let _ = writeln!(s, "  convention: {}", doc["decisions"]["convention"].as_str().unwrap_or(""));
    if let Some(curves) = doc["curves"]["reason"].as_str() {
        let _ = writeln!(s, "  {curves}");
    }
    s
}

/// The report's section on the vendor's decisions (none when the run has none).
pub fn blocks(doc: &Value) -> Vec<Block> {
    if !doc["decisions"].is_object() {
        return Vec::new();
    }
    let only = is_decision_only(doc);
    let mut b = vec![Block::Heading("The vendor's own decisions".into())];
    b.push(Block::Text(format!(
        "Read from column {} through --decision-map, at the vendor's own operating point. {}.",
        column(doc),
        doc["decisions"]["convention"].as_str().unwrap_or("")
    )));
    let rows: Vec<Vec<String>> = rows(doc)
        .into_iter()
        .map(|(name, vendor, tool)| std::iter::once(name).chain([vendor]).chain(tool).collect())
        .collect();
    let t = format!("at threshold {}", threshold(&doc["at_threshold"]["threshold"]));
    let header: &[&str] = if only { &["metric", "vendor's decisions"] } else { &["metric", "vendor's decisions", &t] };
    b.push(table(header, rows));
    let reasons = reasons(doc);
    if !reasons.is_empty() {
        b.push(Block::Text(format!("Retries and no responses by reason: {reasons}.")));
    }
    if let Some(curves) = doc["curves"]["reason"].as_str() {
        b.push(Block::Verdict(format!("No curves: {curves}.")));
    }
    b
}

/// The whole report of a decision-only run: the decisions, the statement, reproducibility.
pub fn decision_only_report(doc: &Value) -> (String, Vec<Block>) {
    let source = doc["run"]["source"].as_str().unwrap_or("?");
    let title = format!("PAD evaluation: the vendor's decisions in {source}");
    let d = &doc["decisions"];
    let mut b = Vec::new();
    if let Some(note) = doc["run"]["coverage"]["note"].as_str() {
        b.push(Block::Verdict(format!("Computed on an incomplete run: {note}. These figures are not the run's.")));
    }
    b.push(Block::Verdict(format!(
        "At the vendor's own operating point: {} of bona fide presentations are rejected (BPCER) and {} of the worst \
         species' attacks ({}) are accepted (APCER).",
        rate(&d["bona_fide"]["bpcer"]),
        rate(&d["attack"]["apcer_max"]),
        d["attack"]["apcer_max"]["species"].as_str().unwrap_or("n/a"),
    )));
    b.extend(blocks(doc));
    b.push(Block::Heading("Reproducibility".into()));
    b.extend(reproducibility(&doc["run"]));
    (title, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::decisions::{CURVES_NEED_SCORES, decisions};
    use crate::schema::{Decided, Presentation, VendorDecision};
    use crate::test_support::pres;

    fn doc(species: &str) -> Value {
        let p = |sp: &str, d: VendorDecision| Presentation {
            decision: Some(Decided { decision: d, reason: (d == VendorDecision::Retry).then(|| "uncertain".into()) }),
            ..pres(sp, None)
        };
        let ps = [p("", VendorDecision::BonaFide), p("", VendorDecision::Retry), p(species, VendorDecision::BonaFide)];
        let report = decisions(&ps, "result").unwrap().unwrap();
        serde_json::json!({"decisions": report, "curves": {"value": null, "reason": CURVES_NEED_SCORES},
            "run": {"presentations": 3, "source": "<b>x.csv"}})
    }

    #[test]
    fn a_decision_only_run_shows_the_table_and_the_statement() {
        let d = doc("print");
        assert!(is_decision_only(&d));
        let text = terminal(&d);
        assert!(text.contains("BPCER") && text.contains("0.00% (0/1)"), "{text}");
        assert!(text.contains("APCER worst species (print)") && text.contains("100.00% (1/1)"), "{text}");
        assert!(text.contains("retry share, bona fide") && text.contains("uncertain 1"), "{text}");
        assert!(text.contains("curves (EER, DET, ROC"), "{text}");
        let (title, blocks) = decision_only_report(&d);
        assert!(title.contains("<b>x.csv"));
        assert!(!blocks.iter().any(|b| matches!(b, Block::Chart(_) | Block::Gallery { .. })));
        // Rendered escaped: a hostile species or file name is text in the page.
        let html = super::super::html::render(&title, &blocks);
        assert!(!html.contains("<b>x.csv") && html.contains("No curves: curves (EER"), "{html}");
        let hostile = super::super::html::render("t", &decision_only_report(&doc("<script>x")).1);
        assert!(!hostile.contains("<script>x"), "{hostile}");
    }
}
