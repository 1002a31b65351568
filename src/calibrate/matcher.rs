//! The matcher's own threshold (`--match-target fnmr@fmr=X`), from the genuine and impostor comparison
//! distances of an `eval --match` run.
//!
//! Candidates are every distinct comparison distance plus +inf; match iff `distance < t` (the matcher's
//! strict rule), so at candidate `t` FMR counts impostors below `t` and FNMR genuine comparisons at or
//! above it. The limit `FMR <= x` becomes a count limit once (as `select` does for PAD, on the point
//! estimate or the upper 95% bound); among candidates within it the lowest FNMR wins, ties to the lowest
//! (strictest) threshold.

use anyhow::{Context, Result, ensure};

use super::select::count_limit;
use super::target::Bound;
use crate::schema::policy::MatchTarget;

/// Sorted comparison distances.
pub struct Distances {
    genuine: Vec<f64>,
    impostor: Vec<f64>,
}

impl Distances {
    pub fn new(genuine: impl IntoIterator<Item = f64>, impostor: impl IntoIterator<Item = f64>) -> Distances {
        Distances { genuine: sorted(genuine), impostor: sorted(impostor) }
    }

    pub fn genuine(&self) -> u64 {
        self.genuine.len() as u64
    }

    pub fn impostor(&self) -> u64 {
        self.impostor.len() as u64
    }

    /// Impostor comparisons that match at `t` (distance < t).
    pub fn fmr_errors(&self, t: f64) -> u64 {
        self.impostor.partition_point(|&d| d < t) as u64
    }

    /// Genuine comparisons that do not match at `t` (distance >= t).
    pub fn fnmr_errors(&self, t: f64) -> u64 {
        (self.genuine.len() - self.genuine.partition_point(|&d| d < t)) as u64
    }

    /// The most impostor matches `target` allows.
    pub fn fmr_limit(&self, target: MatchTarget, bound: Bound) -> Result<u64> {
        let MatchTarget::FnmrAtFmr(x) = target;
        ensure!(
            self.impostor() > 0,
            "no impostor comparisons to calibrate the match threshold on (one enrolled subject?)"
        );
        count_limit(x, self.impostor(), bound)
            .with_context(|| format!("FMR <= {x} with {} impostor comparisons", self.impostor()))
    }

    /// The match threshold meeting `target`.
    pub fn choose(&self, target: MatchTarget, bound: Bound) -> Result<f64> {
        ensure!(self.genuine() > 0, "no genuine comparisons to calibrate the match threshold on");
        let limit = self.fmr_limit(target, bound)?;
        let mut candidates: Vec<f64> = self.genuine.iter().chain(&self.impostor).copied().collect();
        candidates.sort_by(f64::total_cmp);
        candidates.dedup();
        candidates.push(f64::INFINITY);
        // FMR grows with t: the feasible candidates are a prefix, and FNMR falls along it, so the
        // lowest FNMR is at its end; the first candidate with that FNMR is the strictest.
        let feasible = candidates.partition_point(|&t| self.fmr_errors(t) <= limit);
        let best = self.fnmr_errors(candidates[feasible - 1]);
        let first = candidates[..feasible].partition_point(|&t| self.fnmr_errors(t) > best);
        Ok(candidates[first])
    }
}

fn sorted(v: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = v.into_iter().collect();
    v.sort_by(f64::total_cmp);
    v
}
