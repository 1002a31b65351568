//! Threshold calibration: the decision threshold (and retry band) that meets a target on a calibration
//! split, chosen exactly as the oracle conventions define the operating points, so a calibrated
//! threshold reproduces the figures `eval` reports for the same presentations.
//!
//! `target` parses what is asked for, `select` picks the candidate threshold, `band` the retry band
//! edges, and `record` is the provenance written into a policy's `[calibration]` section.

mod band;
mod joint;
mod matcher;
mod record;
mod select;
mod target;

#[cfg(test)]
mod face_tests;
#[cfg(test)]
mod tests;

use anyhow::Result;

pub use band::{BandEdges, band_edges};
pub use joint::choose_pair;
pub use matcher::Distances;
pub use record::{Calibration, Figure, ModelFile, Reached};
pub use select::{Figures, choose, figures, index_at};
pub use target::{Bound, TARGET_SYNTAX, Target};

use crate::metrics::full_system::sweep::{default_axes, sweep};
use crate::metrics::full_system::{Comparisons, EnrolRule, FullSystemOptions, FullSystemReport};
use crate::metrics::{Sweep, Threshold};
use crate::schema::Presentation;
use crate::schema::policy::MatchTarget;

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
    let applied = applied(&sweep, index, target);
    outcome_at(&sweep, index, applied, bound, edges)
}

/// The figures at candidate `index` (applied as threshold `applied`) and the band around it.
fn outcome_at(sweep: &Sweep, index: usize, applied: f64, bound: Bound, edges: BandEdges) -> Result<Outcome> {
    let (pass, retry) = band_edges(sweep, index, edges, bound)?;
    let applied = Threshold(applied);
    let mut out =
        Outcome { threshold: figures(sweep, index)?, pass: figures(sweep, pass)?, retry: figures(sweep, retry)? };
    out.threshold.threshold = applied;
    if retry == index {
        // The band holds the threshold: a retry edge on the threshold's candidate is the threshold.
        out.retry.threshold = applied;
    }
    Ok(out)
}

/// PAD and face match calibrated together on an `eval --match` run: the PAD outcome (threshold and band),
/// the match threshold, and the whole system's figures at the pair.
#[derive(Debug, Clone)]
pub struct FaceOutcome {
    pub pad: Outcome,
    pub match_threshold: f64,
    /// The full-system evaluation at (PAD threshold, match threshold).
    pub system: FullSystemReport,
    /// `--match-target`'s limit on impostor matches, when one was given.
    pub fmr_limit: Option<u64>,
}

/// Calibrates on an `eval --match` run's `presentations` and their `comparisons`. With
/// [`Target::FullSystem`] both thresholds come from the grid ([`choose_pair`]), a match target only
/// narrowing the match thresholds allowed; with a PAD target the PAD threshold comes from the PAD scores
/// alone and the match threshold from `match_target` on the comparisons ([`Distances::choose`]).
pub fn calibrate_face(
    presentations: &[Presentation],
    comparisons: &mut Comparisons,
    rule: EnrolRule,
    target: Target,
    match_target: Option<MatchTarget>,
    bound: Bound,
    edges: BandEdges,
) -> Result<FaceOutcome> {
    let distances = Distances::new(comparisons.genuine_distances().iter().copied(), comparisons.impostor_distances());
    let fmr_limit = match_target.map(|m| distances.fmr_limit(m, bound)).transpose()?;
    let (pad, match_threshold) = match (target, match_target) {
        (Target::FullSystem(x), _) => {
            let (pads, matches) = default_axes();
            let grid = sweep(&comparisons.rows, &pads, &matches);
            let cell =
                &grid.cells[choose_pair(&grid, x, bound, |t| fmr_limit.is_none_or(|l| distances.fmr_errors(t) <= l))?];
            let pad_sweep = Sweep::build(presentations)?;
            let index = index_at(&pad_sweep, cell.pad_threshold);
            (outcome_at(&pad_sweep, index, cell.pad_threshold, bound, edges)?, cell.match_threshold)
        }
        (_, Some(m)) => (calibrate(presentations, target, bound, edges)?, distances.choose(m, bound)?),
        (_, None) => anyhow::bail!("{target} is a PAD target: give --match-target too to calibrate face match"),
    };
    let opts = FullSystemOptions { pad_threshold: pad.threshold.threshold.0, match_threshold, rule, bootstrap: None };
    let system = comparisons.evaluate(&opts);
    Ok(FaceOutcome { pad, match_threshold, system, fmr_limit })
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
