//! Threshold calibration: the decision threshold (and retry band) that meets a target on a calibration
//! split, chosen exactly as the oracle conventions define the operating points, so a calibrated
//! threshold reproduces the figures `eval` reports for the same presentations.
//!
//! `target` parses what is asked for, `select` picks the candidate threshold, `band` the retry band
//! edges, and `record` is the provenance written into a policy's `[calibration]` section.

mod band;
mod record;
mod select;
mod target;

#[cfg(test)]
mod tests;

use anyhow::Result;

pub use band::{BandEdges, band_edges};
pub use record::{Calibration, Figure, ModelFile, Reached};
pub use select::{Figures, choose, figures, index_at};
pub use target::{Bound, TARGET_SYNTAX, Target};

use crate::metrics::{Sweep, Threshold};
use crate::schema::Presentation;

/// A calibrated threshold and band, each with the rates reached there.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub threshold: Figures,
    /// Pass edge (>= threshold).
    pub pass: Figures,
    /// Retry edge (<= threshold).
    pub retry: Figures,
}

/// Calibrates on `presentations`.
pub fn calibrate(presentations: &[Presentation], target: Target, bound: Bound, edges: BandEdges) -> Result<Outcome> {
    let sweep = Sweep::build(presentations)?;
    let index = choose(&sweep, target, bound)?;
    let (pass, retry) = band_edges(&sweep, index, edges, bound)?;
    let applied = Threshold(applied(&sweep, index, target));
    let mut out =
        Outcome { threshold: figures(&sweep, index)?, pass: figures(&sweep, pass)?, retry: figures(&sweep, retry)? };
    out.threshold.threshold = applied;
    if retry == index {
        // The band holds the threshold: a retry edge on the threshold's candidate is the threshold.
        out.retry.threshold = applied;
    }
    Ok(out)
}

/// Only the threshold meeting `target` (point estimates); +inf when only rejecting everyone meets it.
pub fn threshold_for(presentations: &[Presentation], target: Target) -> Result<f64> {
    let sweep = Sweep::build(presentations)?;
    Ok(applied(&sweep, choose(&sweep, target, Bound::Point)?, target))
}

/// The threshold to apply: the chosen candidate, except that a fixed threshold stays as given. (Its
/// candidate, the lowest score >= t, decides the calibration presentations alike, but new scores can
/// fall between the two.)
fn applied(sweep: &Sweep, index: usize, target: Target) -> f64 {
    match target {
        Target::Fixed(t) => t,
        _ => sweep.threshold(index),
    }
}
