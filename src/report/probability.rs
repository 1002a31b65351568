//! The calibration section of a run's report: how well the split's scores are calibrated as raw
//! probabilities and after the policy's probability map (Cllr, min-Cllr, Brier, ECE), and the
//! reliability diagram of both. Rendered from the `probability` block of `metrics.json`, read through its
//! type ([`ProbabilityReport`]).

use std::path::Path;

use anyhow::Result;

use super::charts::reliability::{Point, ReliabilityChart, Series};
use super::charts::{Rendered, render};
use super::document::Block;
use crate::metrics::calibration::split::Calibrated;
use crate::metrics::calibration::{EceBin, FitQuality, ProbabilityReport};

pub const CHART_STEM: &str = "reliability";

/// The points of a block's bins (non-empty bins only).
fn points(bins: &[EceBin]) -> Vec<Point> {
    bins.iter()
        .filter_map(|b| {
            let ci = b.observed_ci95?;
            Some(Point {
                predicted: b.mean_predicted?,
                observed: b.observed?,
                lower: ci.lower,
                upper: ci.upper,
                count: b.count,
            })
        })
        .collect()
}

fn method(cal: &Calibrated) -> String {
    format!("calibrated ({})", cal.method)
}

/// The reliability diagram of a run whose metrics hold a defined `probability` block (`None` otherwise).
pub fn chart(p: Option<&ProbabilityReport>, charts_dir: &Path) -> Result<Option<Rendered>> {
    let Some(p) = p else { return Ok(None) };
    let mut series = vec![Series { label: "raw scores".into(), ece: p.raw.ece, points: points(&p.raw.bins) }];
    if let Some(cal) = p.calibrated.value() {
        series.push(Series { label: method(cal), ece: cal.quality.ece, points: points(&cal.quality.bins) });
    }
    let title = format!("Reliability: {} bona fide, {} attacks, {} bins", p.bona_fide, p.attacks, p.bins);
    let caption = "Reliability diagram: observed share of bona fide against the mean predicted probability per \
                   bin, 95% Clopper-Pearson intervals, n = presentations in the bin; the dashed diagonal is \
                   perfect calibration";
    Ok(Some(render(&ReliabilityChart { title, series }, CHART_STEM, caption, charts_dir)?))
}

fn figure(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.digits$}"),
        // Cllr: a probability of exactly 0 or 1 was wrong.
        Some(x) if x == f64::INFINITY => "+inf (a wrong 0 or 1)".to_owned(),
        _ => "n/a".to_owned(),
    }
}

/// The measures of the table, each with how a fit's quality gives it.
const MEASURES: [(&str, fn(&FitQuality) -> Option<f64>); 4] =
    [("Cllr (bits)", |q| q.cllr), ("min-Cllr (bits)", |q| q.min_cllr), ("Brier", |q| q.brier), ("ECE", |q| q.ece)];

/// The section's blocks (empty when the run's metrics have no defined `probability` block).
pub fn blocks(p: Option<&ProbabilityReport>, chart: Option<Rendered>) -> Vec<Block> {
    let Some(p) = p else { return Vec::new() };
    let cal = p.calibrated.value();
    let mut b = vec![Block::Heading("Calibration of the live probability".into())];
    let mut header = vec!["measure".to_owned(), "raw scores".to_owned()];
    header.extend(cal.map(method));
    let rows = MEASURES
        .iter()
        .map(|(name, get)| {
            let mut row = vec![(*name).to_owned(), figure(get(&p.raw), 4)];
            row.extend(cal.map(|c| figure(get(&c.quality), 4)));
            row
        })
        .collect();
    b.push(Block::Table { header, rows });
    b.push(Block::Text(match cal {
        Some(cal) => {
            let prior = match cal.prior_attack {
                Some(a) => format!("; `score` and `serve` state it at a deployment share of attacks of {a}"),
                None => String::new(),
            };
            format!(
                "Over the scored presentations of this run. Raw scores are read as posteriors at an even prior; the \
                 map, fitted on {} (dev share of bona fide {}), is judged at the prior it was fitted at{prior}. Cllr \
                 - min-Cllr is the part of the cost a monotone recalibration could still remove.",
                cal.fitted_on,
                figure(Some(cal.dev_bona_fide_share), 4),
            )
        }
        None => format!(
            "Over the scored presentations of this run, raw scores read as posteriors at an even prior. {}.",
            p.calibrated.reason().unwrap_or("no probability map")
        ),
    }));
    b.extend(chart.map(Block::Chart));
    b
}
