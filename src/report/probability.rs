//! The calibration section of a run's report: how well the split's scores are calibrated as raw
//! probabilities and after the policy's probability map (Cllr, min-Cllr, Brier, ECE), and the
//! reliability diagram of both. Rendered from the `probability` block of `metrics.json`.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use super::charts::reliability::{Point, ReliabilityChart, Series};
use super::charts::{Rendered, render};
use super::document::Block;

pub const CHART_STEM: &str = "reliability";

/// The points of a `bins` array of the block (non-empty bins only).
fn points(bins: &Value) -> Vec<Point> {
    let f = |b: &Value, k: &str| b[k].as_f64();
    bins.as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| {
            Some(Point {
                predicted: f(b, "mean_predicted")?,
                observed: f(b, "observed")?,
                lower: b["observed_ci95"]["lower"].as_f64()?,
                upper: b["observed_ci95"]["upper"].as_f64()?,
                count: b["count"].as_u64()?,
            })
        })
        .collect()
}

fn method(cal: &Value) -> String {
    format!("calibrated ({})", cal["method"].as_str().unwrap_or("?"))
}

/// The reliability diagram of a run whose metrics hold a `probability` block (`None` otherwise).
pub fn chart(doc: &Value, charts_dir: &Path) -> Result<Option<Rendered>> {
    let p = &doc["probability"];
    if p["raw"].is_null() {
        return Ok(None);
    }
    let mut series =
        vec![Series { label: "raw scores".into(), ece: p["raw"]["ece"].as_f64(), points: points(&p["raw"]["bins"]) }];
    let cal = &p["calibrated"];
    if !cal["method"].is_null() {
        series.push(Series { label: method(cal), ece: cal["ece"].as_f64(), points: points(&cal["bins"]) });
    }
    let title = format!("Reliability: {} bona fide, {} attacks, {} bins", p["bona_fide"], p["attacks"], p["bins"]);
    let caption = "Reliability diagram: observed share of bona fide against the mean predicted probability per \
                   bin, 95% Clopper-Pearson intervals, n = presentations in the bin; the dashed diagonal is \
                   perfect calibration";
    Ok(Some(render(&ReliabilityChart { title, series }, CHART_STEM, caption, charts_dir)?))
}

fn figure(v: &Value, digits: usize) -> String {
    match (v.as_f64(), v.as_str()) {
        (Some(x), _) => format!("{x:.digits$}"),
        // Cllr: a probability of exactly 0 or 1 was wrong.
        (None, Some("+inf")) => "+inf (a wrong 0 or 1)".to_owned(),
        _ => "n/a".to_owned(),
    }
}

/// The section's blocks (empty when the run's metrics have no `probability` block).
pub fn blocks(doc: &Value, chart: Option<Rendered>) -> Vec<Block> {
    let p = &doc["probability"];
    if p["raw"].is_null() {
        return Vec::new();
    }
    let cal = &p["calibrated"];
    let mut b = vec![Block::Heading("Calibration of the live probability".into())];
    let has_map = !cal["method"].is_null();
    let mut header = vec!["measure".to_owned(), "raw scores".to_owned()];
    if has_map {
        header.push(method(cal));
    }
    let rows =
        [("Cllr (bits)", "cllr", 4), ("min-Cllr (bits)", "min_cllr", 4), ("Brier", "brier", 4), ("ECE", "ece", 4)]
            .into_iter()
            .map(|(name, key, d)| {
                let mut row = vec![name.to_owned(), figure(&p["raw"][key], d)];
                if has_map {
                    row.push(figure(&cal[key], d));
                }
                row
            })
            .collect();
    b.push(Block::Table { header, rows });
    let prior = match cal["prior_attack"].as_f64() {
        Some(a) => format!("; `score` and `serve` state it at a deployment share of attacks of {a}"),
        None => String::new(),
    };
    b.push(Block::Text(if has_map {
        format!(
            "Over the scored presentations of this run. Raw scores are read as posteriors at an even prior; the map, \
             fitted on {} (dev share of bona fide {}), is judged at the prior it was fitted at{prior}. Cllr - \
             min-Cllr is the part of the cost a monotone recalibration could still remove.",
            cal["fitted_on"].as_str().unwrap_or("?"),
            figure(&cal["dev_bona_fide_share"], 4),
        )
    } else {
        format!(
            "Over the scored presentations of this run, raw scores read as posteriors at an even prior. {}.",
            cal["reason"].as_str().unwrap_or("no probability map")
        )
    }));
    b.extend(chart.map(Block::Chart));
    b
}
