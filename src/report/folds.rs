//! The folds section (`eval --folds`, bob's multi-metrics): mean ± std over folds of every figure, and the
//! per-fold table, from the `folds` block of metrics.json, read through its type ([`FoldsReport`]).

use super::document::{Block, table};
use crate::metrics::Metric;
use crate::metrics::folds::{Fold, FoldsReport, Spread};
use crate::metrics::format::pct;
use crate::metrics::format::typed_threshold;

/// The key in `summary` and the name of the folds' thresholds.
const THRESHOLD: (&str, &str) = ("threshold", "threshold (calibrated on the other folds)");

/// A fold's figure: its key in `summary`, its name, and the fold's value.
type Figure = (&'static str, &'static str, fn(&Fold) -> Option<f64>);

const FIGURES: [Figure; 5] = [
    ("bpcer", "BPCER", |f| f.bpcer),
    ("apcer_max", "APCER worst species", |f| f.apcer_max),
    ("apcer_pooled", "APCER pooled", |f| f.apcer_pooled),
    ("eer_pooled", "EER (pooled, threshold-free)", |f| f.eer_pooled),
    ("auc_pooled", "AUC (pooled)", |f| f.auc_pooled),
];

/// A figure as text: thresholds and AUC as numbers, rates as percentages.
fn show(key: &str, v: Option<f64>) -> String {
    match (key, v) {
        (_, None) => "n/a".into(),
        ("threshold" | "auc_pooled", Some(x)) => format!("{x:.4}"),
        (_, Some(x)) => pct(x),
    }
}

/// The mean ± std of the figure `key` over the folds.
fn spread(f: &FoldsReport, key: &str) -> String {
    match f.summary.get(key) {
        None => "n/a (undefined)".into(),
        Some(Metric::NotAvailable(na)) => format!("n/a ({})", na.reason),
        Some(Metric::Value(Spread { mean, std, folds })) => {
            format!("{} ± {} ({folds} folds)", show(key, Some(*mean)), show(key, Some(*std)))
        }
    }
}

/// The section's blocks (empty without a `folds` block).
pub fn blocks(f: Option<&FoldsReport>) -> Vec<Block> {
    let Some(f) = f else { return Vec::new() };
    let mut b = vec![
        Block::Heading(format!("Folds ({})", f.spec)),
        Block::Text(format!(
            "Each fold held out in turn: its threshold is {}, applied to the held-out fold. Mean ± standard \
             deviation (ddof 0) over the folds where the figure is defined.",
            f.calibration
        )),
    ];
    let names = std::iter::once(THRESHOLD).chain(FIGURES.iter().map(|(key, name, _)| (*key, *name)));
    let rows = names.map(|(key, name)| vec![name.to_owned(), spread(f, key)]).collect();
    b.push(table(&["figure", "mean ± std over folds"], rows));
    let rows = f
        .folds
        .iter()
        .map(|r| {
            let mut row = vec![
                r.fold.clone(),
                r.presentations.to_string(),
                format!("{} / {}", r.bona_fide_scored, r.attacks_scored),
                typed_threshold(r.threshold),
            ];
            row.extend(FIGURES.iter().map(|(key, _, get)| show(key, get(r))));
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
pub fn terminal(folds: &FoldsReport) -> String {
    let figures: Vec<String> = FIGURES.iter().map(|(key, _, _)| format!("{key} {}", spread(folds, key))).collect();
    format!(
        "  folds {} ({}): {}\n  threshold {}",
        folds.spec,
        folds.calibration,
        figures.join(" | "),
        spread(folds, THRESHOLD.0)
    )
}
