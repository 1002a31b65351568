//! The "Models compared" section of a multi-model run (`eval --model a,b,...`), rendered from the
//! `comparison` block of `metrics.json` (`metrics::comparison`): one row per model, then each pair's
//! verdicts, which say "better" only where the 95% interval of the difference excludes 0, and the
//! per-species winners. The terminal prints the same verdicts. The block is read through its type,
//! [`Comparison`], the one its writer serialized.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::charts::det::DetChart;
use super::charts::distribution::DistributionPanels;
use super::charts::roc::RocChart;
use super::charts::series::Series;
use super::charts::{Rendered, render};
use super::document::Block;
use crate::metrics::comparison::{Comparison, Row};
use crate::metrics::format::{metric_rate, pct, percent, rate_of};
use crate::schema::run_folder::{MODELS_DET_CHART, MODELS_DISTRIBUTION_CHART, MODELS_ROC_CHART};

/// The section's charts, drawn into `dir` from each model's sweep: DET and ROC overlaid, and the score
/// distributions side by side (none for a single-model run, or a folder without the models' sweeps).
/// `folder` holds the block's document (a run's metrics.json or a comparison.json) and the sweeps its rows
/// name.
pub fn charts(folder: &Path, comparison: Option<&Comparison>, dir: &Path) -> Result<Vec<Rendered>> {
    let series = Series::of_comparison(folder, comparison)?;
    if series.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![
        render(
            &DetChart::overlay(&series, "DET curves (pooled attacks) of the models; × = EER, dot = threshold"),
            MODELS_DET_CHART,
            "DET curves of the models on the same presentations (pooled attacks, normal-deviate axes): one \
             colour per model, EER in the legend and marked with a cross, each model's operating threshold a dot",
            dir,
        )?,
        render(
            &RocChart::overlay(&series, "ROC curves (pooled attacks) of the models"),
            MODELS_ROC_CHART,
            "ROC curves of the models (APCER on a log scale): AUC in the legend, each model's operating threshold a dot",
            dir,
        )?,
        render(
            &DistributionPanels::of_series(&series),
            MODELS_DISTRIBUTION_CHART,
            "Score distributions of each model, bona fide against all attacks, on the same score axis, with the \
             model's threshold dashed",
            dir,
        )?,
    ])
}

fn auc(row: &Row) -> String {
    match (row.auc, row.auc_ci95) {
        (Some(a), Some((lo, hi))) => format!("{a:.5} [{lo:.5}-{hi:.5}]"),
        (Some(a), None) => format!("{a:.5}"),
        _ => "n/a".into(),
    }
}

/// The EER with its bootstrap interval, when the row has one.
fn eer(row: &Row) -> String {
    match row.eer_ci95 {
        Some((lo, hi)) => format!("{} [{:.2}-{:.2}%]", percent(row.eer), 100.0 * lo, 100.0 * hi),
        None => percent(row.eer),
    }
}

/// BPCER at APCER_max <= x with its interval, or n/a.
fn at_apcer(row: &Row, x: &str) -> String {
    let Some(Some(r)) = row.bpcer_at_apcer.get(x) else { return "n/a".into() };
    format!("{} ({}/{}) [{:.2}-{:.2}%]", pct(r.value), r.k, r.n, 100.0 * r.ci95.lower, 100.0 * r.ci95.upper)
}

fn rows(c: &Comparison) -> Vec<Vec<String>> {
    c.models
        .iter()
        .map(|m| {
            vec![
                m.model.clone(),
                format!("{:.4}", m.threshold),
                eer(m),
                auc(m),
                at_apcer(m, "0.01"),
                at_apcer(m, "0.05"),
                at_apcer(m, "0.1"),
                metric_rate(&m.bpcer),
                metric_rate(&m.apcer_max),
                metric_rate(&m.bpnrr),
                metric_rate(&m.apnrr_max),
            ]
        })
        .collect()
}

fn verdicts(c: &Comparison) -> impl Iterator<Item = &str> {
    c.pairs.iter().flat_map(|p| p.verdicts.iter().map(|v| v.text.as_str()))
}

/// The section's blocks (empty for a single-model run), with its `charts` after the verdicts.
pub fn blocks(c: Option<&Comparison>, charts: Vec<Rendered>) -> Vec<Block> {
    let Some(c) = c else { return Vec::new() };
    let mut b = vec![
        Block::Heading("Models compared".into()),
        Block::Text(format!(
            "Each model on the same presentations, at its own threshold. Differences: {}. A model is called \
             better only where the 95% interval of the difference excludes 0.",
            c.method
        )),
    ];
    let header = [
        "model",
        "threshold",
        "EER [95%]",
        "AUC [95%]",
        "BPCER @ APCER_max ≤ 1%",
        "≤ 5%",
        "≤ 10%",
        "BPCER",
        "APCER worst species",
        "BPNRR",
        "APNRR worst species",
    ];
    b.push(Block::Table { header: header.iter().map(|h| (*h).to_owned()).collect(), rows: rows(c) });
    b.push(Block::Table { header: vec!["verdict".into()], rows: verdicts(c).map(|v| vec![v.to_owned()]).collect() });
    b.extend(charts.into_iter().map(Block::Chart));
    let models: Vec<&str> = c.models.iter().map(|m| m.model.as_str()).collect();
    let species_rows = c
        .species
        .iter()
        .map(|s| {
            let mut row = vec![s.species.clone()];
            row.extend(models.iter().map(|m| rate_of(s.apcer.get(*m))));
            row.push(s.text.clone());
            row
        })
        .collect();
    let mut header = vec!["species".to_owned()];
    header.extend(models.iter().map(|m| format!("APCER {m}")));
    header.push("winner".into());
    b.push(Block::Table { header, rows: species_rows });
    b.extend(segment_blocks(c, &models));
    b
}

/// The per-segment winner table: each model's BPCER and worst-species APCER in every segment, and the
/// winner on each class (none where the data cannot tell).
fn segment_blocks(c: &Comparison, models: &[&str]) -> Vec<Block> {
    if c.segments.is_empty() {
        return Vec::new();
    }
    let rows = c
        .segments
        .iter()
        .map(|s| {
            let mut row = vec![s.column.clone(), s.segment.clone()];
            row.push(if s.small_classes.is_empty() {
                String::new()
            } else {
                format!("few {}", s.small_classes.join(", few "))
            });
            row.extend(models.iter().map(|m| rate_of(s.bpcer.get(*m))));
            row.push(winner_cell(s.bpcer_winner.as_deref(), &s.bpcer_text));
            row.extend(models.iter().map(|m| rate_of(s.apcer_max.get(*m))));
            row.push(winner_cell(s.attack_winner.as_deref(), &s.attack_text));
            row
        })
        .collect();
    let mut header = vec!["column".to_owned(), "segment".to_owned(), "size".to_owned()];
    header.extend(models.iter().map(|m| format!("BPCER {m}")));
    header.push("bona fide winner".into());
    header.extend(models.iter().map(|m| format!("APCER worst species {m}")));
    header.push("attack winner (the segment's attacks pooled)".into());
    vec![
        Block::Text(
            "Per segment: a model wins a class there only where McNemar's exact test on that segment's \
             presentations finds it better than every other model (p < 0.05; the test takes frames of one person \
             as independent, so read a win on few subjects with care). 'few' marks a class with fewer scored \
             presentations than the segment guard; 'none (n)' means the data cannot tell."
                .into(),
        ),
        Block::Table { header, rows },
    ]
}

/// A winner cell, short: `model (p <= x)`, `none (n = k)`, or why there is no test.
fn winner_cell(winner: Option<&str>, why: &str) -> String {
    match winner {
        Some(_) => why.replace("McNemar p", "p").replace(" against every other model", ""),
        None => {
            why.strip_prefix("no significant difference on this data ").map_or(why.to_owned(), |n| format!("none {n}"))
        }
    }
}

/// The terminal lines: each model's headline figures and every verdict.
pub fn terminal(c: &Comparison) -> String {
    let mut s = String::from("models compared (each at its own threshold):\n");
    for m in &c.models {
        let _ = writeln!(
            s,
            "  {:<16} EER {:<7} AUC {}  BPCER@APCER<=5% {}  BPCER {}  APCER worst {}",
            m.model,
            percent(m.eer),
            auc(m),
            at_apcer(m, "0.05"),
            metric_rate(&m.bpcer),
            metric_rate(&m.apcer_max)
        );
    }
    for v in verdicts(c) {
        let _ = writeln!(s, "  - {v}");
    }
    for sp in &c.species {
        let _ = writeln!(s, "  - {}: {}", sp.species, sp.text);
    }
    // Segments only where a winner was found: a table of "no difference" lines belongs in the report.
    for seg in &c.segments {
        for (class, winner, why) in
            [("bona fide", &seg.bpcer_winner, &seg.bpcer_text), ("attacks", &seg.attack_winner, &seg.attack_text)]
        {
            if winner.is_some() {
                let _ = writeln!(s, "  - {}={} ({class}): {why}", seg.column, seg.segment);
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comparison() -> Comparison {
        let na = serde_json::json!({"value": null, "reason": "x"});
        serde_json::from_value(serde_json::json!({
            "method": "paired bootstrap over subjects",
            "models": [
                {"model": "a|b", "threshold": 0.5, "eer": 0.01, "auc": 0.99, "auc_ci95": [0.98, 1.0],
                 "bpcer_at_apcer": {"0.05": {"value": 0.1, "k": 1, "n": 10, "ci95": {"lower": 0.0025, "upper": 0.445},
                                             "threshold": 0.4}},
                 "bpcer": {"value": 0.0, "k": 0, "n": 10, "ci95": {"lower": 0.0, "upper": 0.3}},
                 "apcer_max": {"value": null, "reason": "no attacks"}, "apcer_pooled": na,
                 "bpnrr": na, "apnrr_max": na},
            ],
            "pairs": [{"a": "a|b", "b": "c", "presentations": 10, "delong": null, "bootstrap": null, "decisions": [],
                       "verdicts": [{"figure": "AUC", "significant": true, "better": "a|b",
                                     "text": "a|b is better than c on AUC"}]}],
            "species": [{"species": "print", "apcer": {"a|b": {"value": null, "reason": "none"}}, "winner": null,
                         "text": "no scored attack"}],
            "segments": [{"column": "site", "segment": "<b>", "small_classes": ["attack"],
                          "bpcer": {"a|b": {"value": 0.0, "k": 0, "n": 40, "ci95": {"lower": 0.0, "upper": 0.09}}},
                          "apcer_max": {"a|b": {"value": null, "reason": "none"}},
                          "bpcer_winner": "a|b", "bpcer_text": "a|b (McNemar p <= 0.01 against every other model)",
                          "attack_winner": null, "attack_text": "no significant difference on this data (n = 3)"}],
        }))
        .unwrap()
    }

    #[test]
    fn the_section_has_the_rows_the_verdicts_and_the_species_table() {
        let b = blocks(Some(&comparison()), Vec::new());
        assert!(matches!(&b[0], Block::Heading(h) if h == "Models compared"));
        let Block::Table { rows, .. } = &b[2] else { panic!("{b:?}") };
        assert_eq!(rows[0][..4], ["a|b", "0.5000", "1.00%", "0.99000 [0.98000-1.00000]"]);
        assert_eq!(rows[0][5], "10.00% (1/10) [0.25-44.50%]");
        assert_eq!(rows[0][4], "n/a");
        let Block::Table { rows, .. } = &b[3] else { panic!("{b:?}") };
        assert_eq!(rows[0][0], "a|b is better than c on AUC");
        let Block::Table { header, .. } = &b[4] else { panic!("{b:?}") };
        assert_eq!(header, &["species", "APCER a|b", "winner"]);
        let Block::Table { header, rows } = &b[6] else { panic!("{b:?}") };
        assert_eq!(header[..4], ["column", "segment", "size", "BPCER a|b"]);
        assert_eq!(rows[0][..3], ["site", "<b>", "few attack"]);
        assert!(rows[0][3].starts_with("0.00% (0/40)"), "{}", rows[0][3]);
        assert_eq!(rows[0][4], "a|b (p <= 0.01)");
        assert_eq!(rows[0][6], "none (n = 3)");
        assert!(terminal(&comparison()).contains("  - site=<b> (bona fide): a|b (McNemar p <= 0.01"));
        assert!(!terminal(&comparison()).contains("(attacks)"));
        assert!(blocks(None, Vec::new()).is_empty());
        assert!(terminal(&comparison()).contains("  - print: no scored attack"));
    }
}
