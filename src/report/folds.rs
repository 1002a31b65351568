//! The folds section (`eval --folds`, bob's multi-metrics): mean ± std over folds of every figure, and the
//! per-fold table, from the `folds` block of metrics.json.

use serde_json::Value;

use super::document::{Block, table};
use crate::metrics::format::{pct, threshold};

const FIGURES: [(&str, &str); 6] = [
    ("threshold", "threshold (calibrated on the other folds)"),
    ("bpcer", "BPCER"),
    ("apcer_max", "APCER worst species"),
    ("apcer_pooled", "APCER pooled"),
    ("eer_pooled", "EER (pooled, threshold-free)"),
    ("auc_pooled", "AUC (pooled)"),
];

/// A figure as text: thresholds and AUC as numbers, rates as percentages.
fn show(key: &str, v: &Value) -> String {
    match (key, v.as_f64()) {
        (_, None) => "n/a".into(),
        ("threshold" | "auc_pooled", Some(x)) => format!("{x:.4}"),
        _ => pct(v),
    }
}

fn spread(key: &str, s: &Value) -> String {
    if s["mean"].is_null() {
        return format!("n/a ({})", s["reason"].as_str().unwrap_or("undefined"));
    }
    format!("{} ± {} ({} folds)", show(key, &s["mean"]), show(key, &s["std"]), s["folds"])
}

/// The section's blocks (empty without a `folds` block).
pub fn blocks(doc: &Value) -> Vec<Block> {
    let f = &doc["folds"];
    if !f.is_object() {
        return Vec::new();
    }
    let mut b = vec![
        Block::Heading(format!("Folds ({})", f["spec"].as_str().unwrap_or("?"))),
        Block::Text(format!(
            "Each fold held out in turn: its threshold is {}, applied to the held-out fold. Mean ± standard \
             deviation (ddof 0) over the folds where the figure is defined.",
            f["calibration"].as_str().unwrap_or("?")
        )),
    ];
    let rows = FIGURES.iter().map(|(key, name)| vec![(*name).to_owned(), spread(key, &f["summary"][key])]).collect();
    b.push(table(&["figure", "mean ± std over folds"], rows));
    let rows = f["folds"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let mut row = vec![
                r["fold"].as_str().unwrap_or("?").to_owned(),
                r["presentations"].to_string(),
                format!("{} / {}", r["bona_fide_scored"], r["attacks_scored"]),
                threshold(&r["threshold"]),
            ];
            row.extend(FIGURES[1..].iter().map(|(key, _)| show(key, &r[*key])));
            row
        })
        .collect();
    b.push(table(
        &[
            "fold",
            "presentations",
            "scored bona fide / attacks",
            "threshold",
            "BPCER",
            "APCER max",
            "APCER pooled",
            "EER",
            "AUC",
        ],
        rows,
    ));
    b
}

/// The terminal lines: the means ± std.
pub fn terminal(folds: &Value) -> String {
    let figures: Vec<String> =
        FIGURES.iter().skip(1).map(|(key, _)| format!("{key} {}", spread(key, &folds["summary"][key]))).collect();
    format!(
        "  folds {} ({}): {}\n  threshold {}",
        folds["spec"].as_str().unwrap_or("?"),
        folds["calibration"].as_str().unwrap_or("?"),
        figures.join(" | "),
        spread("threshold", &folds["summary"]["threshold"])
    )
}
