//! What `eval --match` adds to a run folder after the metrics: the 2-D sweep over (PAD threshold, match
//! threshold) as `full_system_sweep.csv` and a chart, and the full-system section of `report.md`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::metrics::full_system::run_folder::table;
use crate::metrics::full_system::sweep::{default_axes, sweep, write_csv};
use crate::metrics::full_system::{Comparisons, FullSystemReport};
use crate::report::charts::full_system::FullSystemChart;
use crate::schema::run_folder::{CHARTS_DIR, REPORT_MD};

pub const SWEEP_2D_CSV: &str = "full_system_sweep.csv";
const CHART_STEM: &str = "full_system_sweep";

/// Writes the sweep, its chart and the report section; returns the chart's PNG path.
pub fn write(out: &Path, comparisons: &Comparisons, report: &FullSystemReport) -> Result<PathBuf> {
    let (pads, matches) = default_axes();
    let grid = sweep(&comparisons.rows, &pads, &matches);
    let csv_path = out.join(SWEEP_2D_CSV);
    let f = std::fs::File::create(&csv_path).with_context(|| format!("cannot write {}", csv_path.display()))?;
    write_csv(&grid, f)?;
    let title = format!(
        "Full system over both thresholds ({} subjects, enrolment {})",
        report.enrolled_subjects, report.enrolment_rule
    );
    let chart = FullSystemChart { grid, operating: (report.pad_threshold, report.match_threshold), title: title.clone() };
    crate::report::charts::render(&chart, CHART_STEM, &title, &out.join(CHARTS_DIR))?;
    // The report module draws the PAD report; the full-system section is appended to its Markdown.
    let md = out.join(REPORT_MD);
    let mut text = std::fs::read_to_string(&md).unwrap_or_default();
    text += &format!(
        "\n## Full system: PAD and face match\n\n{}\n![{title}]({CHARTS_DIR}/{CHART_STEM}.png)\n\nPer-presentation rows: \
         `full_system.csv`; the grid: `{SWEEP_2D_CSV}`.\n",
        table(report)
    );
    std::fs::write(&md, text).with_context(|| format!("cannot write {}", md.display()))?;
    Ok(out.join(CHARTS_DIR).join(format!("{CHART_STEM}.png")))
}
