//! Reliability diagram: per probability bin, the observed share of bona fide against the mean predicted
//! probability, with the bin's 95% Clopper-Pearson interval and its count. A calibrated model's points lie
//! on the diagonal; a softmax usually bends away from it (over-confident at both ends).
//!
//! Raw scores and the calibrated map are drawn on one chart, so the "before" and "after" of a
//! calibration are read together. Empty bins have no point.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, frame, style};
use crate::metrics::calibration::EceBin;

/// One non-empty bin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub predicted: f64,
    pub observed: f64,
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
}

impl Point {
    /// The points of the non-empty bins.
    pub fn of_bins(bins: &[EceBin]) -> Vec<Point> {
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
}

/// One set of probabilities: its points and its ECE (for the legend).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub ece: Option<f64>,
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReliabilityChart {
    pub title: String,
    pub series: Vec<Series>,
}

impl Chart for ReliabilityChart {
    fn size(&self) -> (u32, u32) {
        (900, 760)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        // A margin past 1 on both axes, so the counts beside points at 1.0 are not cut off.
        let mut chart = frame::builder(root, &self.title, 64)?.build_cartesian_2d(0.0..1.08, 0.0..1.08)?;
        let unit = |v: &f64| if *v <= 1.0 + 1e-9 { format!("{v:.1}") } else { String::new() };
        frame::axes(&mut chart.configure_mesh())
            .x_desc("mean predicted P(bona fide) in the bin")
            .y_desc("observed share of bona fide (95% interval)")
            .x_label_formatter(&unit)
            .y_label_formatter(&unit)
            .draw()?;
        chart
            .draw_series(DashedLineSeries::new(vec![(0.0, 0.0), (1.0, 1.0)], 6, 4, style::line(style::THRESHOLD, 1)))?
            .label("perfectly calibrated")
            .legend(frame::line_key(style::THRESHOLD, 1));
        for (i, s) in self.series.iter().enumerate() {
            let color = style::run(i);
            // Offset the whiskers of the second series a little, so two bins at one probability stay apart.
            let dx = 0.006 * i as f64;
            for p in &s.points {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(p.predicted + dx, p.lower), (p.predicted + dx, p.upper)],
                    style::line(color, 2),
                )))?;
            }
            let ece = s.ece.map_or_else(|| "n/a".to_owned(), |e| format!("{:.2}%", 100.0 * e));
            chart
                .draw_series(LineSeries::new(
                    s.points.iter().map(|p| (p.predicted, p.observed)),
                    style::line(color, 2),
                ))?
                .label(format!("{} (ECE {ece})", s.label))
                .legend(frame::line_key(color, 3));
            chart.draw_series(s.points.iter().map(|p| Circle::new((p.predicted, p.observed), 5, color.filled())))?;
            // Counts beside the points, a few pixels right and (for the second series) below, so they stay legible.
            let dy = if i == 0 { -18 } else { 4 };
            chart.draw_series(s.points.iter().map(|p| {
                EmptyElement::at((p.predicted, p.observed))
                    + Text::new(format!("n={}", p.count), (7, dy), style::small().color(&color))
            }))?;
        }
        // Lower right: below the diagonal at high predictions, where an over-confident curve does not go.
        frame::legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}
