//! Score distributions: the share of bona fide presentations and of each species per score bin, over
//! the policy's pass / retry / fail bands and the operating threshold.
//!
//! The histogram is derived from `sweep.csv`, not from the scores: the sweep holds, at every distinct
//! score, the share of each class scoring at or above it, so the share in a bin [a, b) is the
//! difference of two sweep rows. The report therefore needs no pass over scores.csv to draw it, and a
//! run folder without scores.csv (the committed example) still regenerates it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::probit::tick_label;
use super::series::Series;
use super::{Chart, DrawResult, frame, style};
use crate::report::run_folder::RunFolder;
use crate::report::sweep_table::{SweepRow, SweepTable};

/// Bins across the score range.
pub const BINS: usize = 40;
/// The log axis floor: shares below 0.01% are drawn on the floor.
const FLOOR: f64 = 1e-4;

#[derive(Debug, Clone, PartialEq)]
pub struct DistributionChart {
    pub title: String,
    /// Bin edges, `BINS + 1` of them, increasing.
    pub edges: Vec<f64>,
    /// (label, colour, share of the class in each bin).
    pub classes: Vec<(String, RGBColor, Vec<f64>)>,
    pub threshold: Option<f64>,
    /// (pass, retry) band limits.
    pub bands: Option<(f64, f64)>,
}

/// Share of a class per bin, from its "share at or above t" function over the sweep.
fn shares(sweep: &SweepTable, edges: &[f64], above: impl Fn(&SweepRow) -> f64) -> Vec<f64> {
    let at = |t: f64| above(sweep.at(t));
    let last = edges.len() - 1;
    (0..last)
        .map(|i| {
            // The top bin is closed: it ends above the highest score, where nothing is accepted.
            let upper = if i + 1 == last { f64::INFINITY } else { edges[i + 1] };
            (at(edges[i]) - at(upper)).max(0.0)
        })
        .collect()
}

/// [`BINS`] equal bins over the score range `(lo, hi)`.
fn edges((lo, hi): (f64, f64)) -> Vec<f64> {
    let width = if hi > lo { (hi - lo) / BINS as f64 } else { 1.0 / BINS as f64 };
    (0..=BINS).map(|i| lo + width * i as f64).collect()
}

impl DistributionChart {
    pub fn of_run(run: &RunFolder) -> DistributionChart {
        let edges = edges(run.sweep.score_range().unwrap_or((0.0, 1.0)));
        let mut classes = vec![(
            format!("bona fide (n={})", run.bona_fide_scored()),
            style::BONA_FIDE,
            shares(&run.sweep, &edges, |r| 1.0 - r.bpcer),
        )];
        for (s, name) in run.sweep.species.iter().enumerate() {
            classes.push((
                format!("{name} (n={})", run.species_scored(name)),
                style::species(s),
                shares(&run.sweep, &edges, |r| r.apcer[s]),
            ));
        }
        classes.retain(|c| c.2.iter().all(|v| !v.is_nan()));
        DistributionChart {
            title: format!("Score distributions: {}", run.models()),
            edges,
            classes,
            threshold: run.threshold(),
            bands: run.bands(),
        }
    }

    /// One series' bona fide and pooled attack shares over `edges` (shared by the series compared, so that
    /// their panels read on the same scale), with its threshold.
    pub fn pooled(series: &Series, edges: &[f64]) -> DistributionChart {
        let classes = vec![
            (
                format!("bona fide (n={})", series.bona_fide),
                style::BONA_FIDE,
                shares(&series.sweep, edges, |r| 1.0 - r.bpcer),
            ),
            (
                format!("all attacks (n={})", series.attacks),
                style::ATTACK,
                shares(&series.sweep, edges, |r| r.apcer_pooled),
            ),
        ];
        DistributionChart {
            title: series.name.clone(),
            edges: edges.to_vec(),
            classes: classes.into_iter().filter(|c| c.2.iter().all(|v| !v.is_nan())).collect(),
            threshold: series.threshold,
            bands: None,
        }
    }
}

/// Several series' distributions side by side, two panels to a row, on one score axis.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionPanels {
    pub panels: Vec<DistributionChart>,
}

/// Pixel size of one panel.
const PANEL: (u32, u32) = (640, 600);

impl DistributionPanels {
    pub fn of_series(series: &[Series]) -> DistributionPanels {
        let range = series.iter().filter_map(|s| s.sweep.score_range()).reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
        let edges = edges(range.unwrap_or((0.0, 1.0)));
        DistributionPanels { panels: series.iter().map(|s| DistributionChart::pooled(s, &edges)).collect() }
    }

    fn grid(&self) -> (usize, usize) {
        let columns = self.panels.len().clamp(1, 2);
        (self.panels.len().div_ceil(columns).max(1), columns)
    }
}

impl Chart for DistributionPanels {
    fn size(&self) -> (u32, u32) {
        let (rows, columns) = self.grid();
        (PANEL.0 * columns as u32, PANEL.1 * rows as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        for (panel, area) in self.panels.iter().zip(root.split_evenly(self.grid())) {
            panel.draw(&area)?;
        }
        Ok(())
    }
}

impl Chart for DistributionChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (x0, x1) = (self.edges[0], self.edges[self.edges.len() - 1]);
        let mut chart = frame::builder(root, &self.title, 72)?.build_cartesian_2d(x0..x1, (FLOOR..1.0).log_scale())?;
        frame::axes(&mut chart.configure_mesh())
            .x_desc(format!("score ({} bins)", self.edges.len() - 1))
            .y_desc("share of the class in the bin (%), log scale; 0 on the bottom edge")
            .y_label_formatter(&tick_label)
            .draw()?;
        if let Some((pass, retry)) = self.bands {
            let regions = [
                ("fail", style::FAIL, x0, retry),
                ("retry", style::RETRY, retry, pass),
                ("pass", style::PASS, pass, x1),
            ];
            for (name, color, a, b) in regions {
                if b > a {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(a.max(x0), FLOOR), (b.min(x1), 1.0)],
                            style::shade(color, 0.12).filled(),
                        )))?
                        .label(format!("{name} band"))
                        .legend(frame::box_key(style::shade(color, 0.3).filled()));
                }
            }
        }
        // Attack species often pile into the same bins: earlier species are drawn wider so that later
        // ones stay visible on top of them (bona fide, first, keeps a plain width).
        let species = self.classes.len().saturating_sub(1) as u32;
        for (k, (label, color, share)) in self.classes.iter().enumerate() {
            let width = if k == 0 { 3 } else { (2 + 2 * (species - k as u32)).min(6) };
            let color = *color;
            let outline: Vec<(f64, f64)> = share
                .iter()
                .enumerate()
                .flat_map(|(i, &v)| [(self.edges[i], v.max(FLOOR)), (self.edges[i + 1], v.max(FLOOR))])
                .collect();
            chart
                .draw_series(LineSeries::new(outline, style::line(color, width)))?
                .label(label)
                .legend(frame::line_key(color, 3));
        }
        if let Some(t) = self.threshold {
            frame::threshold_line(&mut chart, t, (FLOOR, 1.0))?;
        }
        frame::legend(&mut chart, SeriesLabelPosition::UpperMiddle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_folder;

    #[test]
    fn bins_hold_each_class_once() {
        let dir = sample_folder();
        let chart = DistributionChart::of_run(&RunFolder::load(dir.path()).unwrap());
        assert_eq!(chart.edges.len(), BINS + 1);
        assert_eq!(chart.classes.len(), 3);
        for (label, _, share) in &chart.classes {
            assert!((share.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{label}: {share:?}");
        }
        // Bona fide scores 0.9, 0.6 x2, 0.4: the bin starting at 0.4 holds a quarter.
        let bf = &chart.classes[0].2;
        let at = |x: f64| bf[(chart.edges.partition_point(|e| *e <= x) - 1).min(BINS - 1)];
        assert_eq!((at(0.4), at(0.6), at(0.9)), (0.25, 0.5, 0.25));
        assert_eq!(chart.bands, Some((0.75, 0.5)));
        let series = Series::of_run(&RunFolder::load(dir.path()).unwrap());
        let panels = DistributionPanels::of_series(&[series.clone(), series]);
        assert_eq!((panels.panels.len(), panels.size()), (2, (1280, 600)));
        let pooled = &panels.panels[1];
        assert_eq!(pooled.edges, chart.edges);
        assert_eq!(pooled.classes[0].2, chart.classes[0].2);
        assert!((pooled.classes[1].2.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(pooled.threshold, Some(0.5));
    }
}
