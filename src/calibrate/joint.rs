//! The joint target `full-system:bpcer@apcer=X`: the (PAD threshold, match threshold) pair of the 2-D
//! sweep's grid (`metrics::full_system::sweep`, the grid `eval --match` draws) where the whole system
//! lets the fewest genuine users down while every species' attacks stay within the limit.
//!
//! A pair is feasible when, for every attack species, the attacks PAD accepts AND that match their
//! subject are within `x` (as a count limit, on the point estimate or the upper 95% bound, the rule of
//! `select`), and, with a match target, the matcher's impostor matches within its limit too. Among the
//! feasible pairs: the fewest genuine presentations rejected (PAD reject OR no match); ties to the fewest
//! attacks accepted (pooled), then the highest PAD threshold, then the lowest match threshold, i.e. the
//! strictest pair that decides the calibration presentations alike.

use anyhow::{Context, Result, bail, ensure};

use super::select::count_limit;
use super::target::Bound;
use crate::metrics::full_system::sweep::{Cell, Grid};

/// The index in `grid.cells` of the pair meeting `full-system:bpcer@apcer=x`; `match_ok` says which match
/// thresholds a match target allows.
pub fn choose_pair(grid: &Grid, x: f64, bound: Bound, match_ok: impl Fn(f64) -> bool) -> Result<usize> {
    ensure!(grid.genuine > 0, "no genuine presentations of enrolled subjects to calibrate the full system on");
    ensure!(!grid.species.is_empty(), "no attack presentations of enrolled subjects to calibrate the full system on");
    let limits = grid
        .species
        .iter()
        .zip(&grid.attacks)
        .map(|(s, &n)| {
            count_limit(x, n, bound).with_context(|| format!("full-system acceptance of {s} <= {x} with {n} attacks"))
        })
        .collect::<Result<Vec<u64>>>()?;
    let feasible = |c: &Cell| match_ok(c.match_threshold) && c.accepted.iter().zip(&limits).all(|(k, l)| k <= l);
    let key = |c: &Cell| (c.rejected, c.accepted.iter().sum::<u64>());
    let stricter = |a: &Cell, b: &Cell| {
        a.pad_threshold > b.pad_threshold
            || (a.pad_threshold == b.pad_threshold && a.match_threshold < b.match_threshold)
    };
    let mut best: Option<usize> = None;
    for (i, c) in grid.cells.iter().enumerate().filter(|(_, c)| feasible(c)) {
        let better = best.is_none_or(|b| {
            let b = &grid.cells[b];
            key(c) < key(b) || (key(c) == key(b) && stricter(c, b))
        });
        if better {
            best = Some(i);
        }
    }
    match best {
        Some(i) => Ok(i),
        None => {
            let lowest = grid
                .cells
                .iter()
                .filter(|c| match_ok(c.match_threshold))
                .map(|c| c.attack_acceptance_max)
                .fold(f64::INFINITY, f64::min);
            bail!(
                "no (PAD threshold, match threshold) pair of the grid meets full-system attack acceptance <= {x} \
                 per species{}; the lowest worst-species acceptance on the grid is {lowest}",
                if bound == Bound::Upper { " on the upper 95% bound" } else { "" }
            )
        }
    }
}
