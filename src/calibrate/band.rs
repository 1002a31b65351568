//! The retry band around a calibrated threshold.
//!
//! A retry band is where live and attack scores overlap: above it attacks are rare enough to accept at
//! once, below it genuine users are rare enough to reject at once, and in between the user is asked to
//! try again. Its edges are set by rates, reusing the threshold targets so the tie rules stay the
//! oracle's: the pass edge is the `bpcer@apcer=a` point (at most a share `a` of each species' attacks
//! pass outright), the retry edge the `apcer@bpcer=b` point (at most a share `b` of genuine users fail
//! outright). With a = b = 0 the band is the whole overlap of the two distributions. The band always
//! contains the threshold: pass >= threshold >= retry.

use anyhow::{Context, Result};

use super::select::choose;
use super::target::{Bound, Target};
use crate::metrics::Sweep;

/// Rates that set the band's edges.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandEdges {
    /// Worst-species APCER allowed at the pass edge.
    pub pass_apcer: f64,
    /// BPCER allowed at the retry edge.
    pub retry_bpcer: f64,
}

/// Candidate indices of the pass and retry edges (pass <= threshold <= retry as indices, since
/// thresholds decrease with the index).
pub fn band_edges(sweep: &Sweep, threshold: usize, edges: BandEdges, bound: Bound) -> Result<(usize, usize)> {
    let pass = choose(sweep, Target::BpcerAtApcer(edges.pass_apcer), bound).context("pass edge")?;
    let retry = choose(sweep, Target::ApcerAtBpcer(edges.retry_bpcer), bound).context("retry edge")?;
    Ok((pass.min(threshold), retry.max(threshold)))
}
