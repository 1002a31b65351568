//! The 2-D sweep of the whole system: over a grid of (PAD threshold, match threshold), the share of
//! attacks accepted (PAD accepts AND matches; worst species and pooled) and of genuine users rejected.
//! Computed from the rows of one evaluation, so every cell is a recount of `full_system.csv`.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;

use super::{Role, Row};
use crate::recognition::matching::is_match;
use crate::schema::policy::is_bona_fide;

/// One grid cell: its counts (what `calibrate`'s joint target compares, exactly) and the shares drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub pad_threshold: f64,
    pub match_threshold: f64,
    /// Attacks accepted AND matched, per species in [`Grid::species`] order.
    pub accepted: Vec<u64>,
    /// Genuine presentations rejected by PAD OR not matched.
    pub rejected: u64,
    /// Worst species' share of attacks accepted AND matched.
    pub attack_acceptance_max: f64,
    pub attack_acceptance_pooled: f64,
    /// `rejected` / genuine presentations.
    pub bona_fide_rejection: f64,
}

/// The grid: `pads` x `matches` cells, row-major by PAD threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    pub pads: Vec<f64>,
    pub matches: Vec<f64>,
    /// Attack species (sorted) and their attack counts.
    pub species: Vec<String>,
    pub attacks: Vec<u64>,
    /// Genuine presentations.
    pub genuine: u64,
    pub cells: Vec<Cell>,
}

impl Grid {
    pub fn cell(&self, pad: usize, matcher: usize) -> &Cell {
        &self.cells[pad * self.matches.len() + matcher]
    }
}

/// PAD thresholds: 0, then 40 log-spaced steps from 1e-4 to 1 (the live probabilities of a working PAD
/// model crowd near 0 for attacks); match thresholds 0.30 to 0.70 in steps of 0.01.
pub fn default_axes() -> (Vec<f64>, Vec<f64>) {
    let pads = std::iter::once(0.0).chain((0..=40).map(|i| 10f64.powf(-4.0 + 4.0 * f64::from(i) / 40.0))).collect();
    let matches = (30..=70).map(|i| f64::from(i) / 100.0).collect();
    (pads, matches)
}

pub fn sweep(rows: &[Row], pads: &[f64], matches: &[f64]) -> Grid {
    let attacks: Vec<&Row> = rows.iter().filter(|r| r.role == Role::Attack).collect();
    let genuine: Vec<&Row> = rows.iter().filter(|r| r.role == Role::Genuine).collect();
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for a in &attacks {
        *counts.entry(a.species.as_str()).or_default() += 1;
    }
    let species: BTreeMap<&str, usize> = counts.keys().enumerate().map(|(i, s)| (*s, i)).collect();
    let n: Vec<u64> = counts.values().copied().collect();
    let accepted = |r: &Row, pt: f64, mt: f64| {
        r.pad_score.is_some_and(|s| is_bona_fide(s, pt)) && r.distance.is_some_and(|d| is_match(d, mt))
    };
    let share = |k: u64, n: u64| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let mut cells = Vec::with_capacity(pads.len() * matches.len());
    for &pt in pads {
        for &mt in matches {
            let mut per = vec![0u64; species.len()];
            for a in &attacks {
                per[species[a.species.as_str()]] += u64::from(accepted(a, pt, mt));
            }
            let rejected = genuine.iter().filter(|g| !accepted(g, pt, mt)).count() as u64;
            cells.push(Cell {
                pad_threshold: pt,
                match_threshold: mt,
                attack_acceptance_max: per.iter().zip(&n).map(|(&k, &n)| share(k, n)).fold(0.0, f64::max),
                attack_acceptance_pooled: share(per.iter().sum(), n.iter().sum()),
                bona_fide_rejection: share(rejected, genuine.len() as u64),
                accepted: per,
                rejected,
            });
        }
    }
    Grid {
        pads: pads.to_vec(),
        matches: matches.to_vec(),
        species: counts.keys().map(|s| s.to_string()).collect(),
        attacks: n,
        genuine: genuine.len() as u64,
        cells,
    }
}

pub fn write_csv(grid: &Grid, out: impl Write) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "pad_threshold",
        "match_threshold",
        "attack_acceptance_max",
        "attack_acceptance_pooled",
        "bona_fide_rejection",
    ])?;
    for c in &grid.cells {
        w.write_record(
            [
                c.pad_threshold,
                c.match_threshold,
                c.attack_acceptance_max,
                c.attack_acceptance_pooled,
                c.bona_fide_rejection,
            ]
            .map(|v| v.to_string()),
        )?;
    }
    w.flush()?;
    Ok(())
}
