//! What `eval --match` adds to a run folder after the metrics: the 2-D sweep over (PAD threshold, match
//! threshold) as `full_system_sweep.csv`. Its chart and the full-system section of index.html and
//! report.md are the report's (`report::full_system`), drawn from `full_system.csv`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::metrics::full_system::Comparisons;
use crate::metrics::full_system::sweep::{default_axes, sweep, write_csv};
use crate::report::full_system::CHART_STEM;
use crate::schema::run_folder::CHARTS_DIR;

pub const SWEEP_2D_CSV: &str = "full_system_sweep.csv";

/// Writes the sweep; returns the path of its chart (drawn by the report).
pub fn write(out: &Path, comparisons: &Comparisons) -> Result<PathBuf> {
    let (pads, matches) = default_axes();
    let grid = sweep(&comparisons.rows, &pads, &matches);
    let csv_path = out.join(SWEEP_2D_CSV);
    let f = std::fs::File::create(&csv_path).with_context(|| format!("cannot write {}", csv_path.display()))?;
    write_csv(&grid, f)?;
    Ok(out.join(CHARTS_DIR).join(format!("{CHART_STEM}.png")))
}
