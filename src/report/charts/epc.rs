//! bob's expected performance curve: for each weight α, the evaluation set's error rates at the
//! threshold minimising α·APCER + (1 − α)·BPCER on the dev set. Linear axes, as bob draws it: the curve
//! is about how the trade-off moves, and its rates are mostly far from 0.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, frame, style};

/// One rate against α.
#[derive(Debug, Clone, PartialEq)]
pub struct EpcLine {
    pub label: String,
    pub color: RGBColor,
    pub dashed: bool,
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EpcChart {
    pub title: String,
    pub lines: Vec<EpcLine>,
}

impl EpcChart {
    /// The y axis top: the largest rate plus a margin, at least 1%.
    fn top(&self) -> f64 {
        let max = self.lines.iter().flat_map(|l| l.points.iter()).map(|p| p.1).fold(0.0_f64, f64::max);
        (max * 1.1).clamp(0.01, 1.0)
    }
}

impl Chart for EpcChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let top = self.top();
        let mut chart = frame::builder(root, &self.title, 72)?.build_cartesian_2d(0.0..1.0, 0.0..top)?;
        frame::axes(&mut chart.configure_mesh())
            .x_desc("α (weight of APCER pooled in the dev cost α·APCER + (1 − α)·BPCER)")
            .y_desc("error rate on the evaluation set (%)")
            .y_label_formatter(&|y| format!("{:.1}", 100.0 * y))
            .draw()?;
        for EpcLine { label, color, dashed, points } in &self.lines {
            let style = style::line(*color, 2);
            let series = if *dashed {
                chart.draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))?
            } else {
                chart.draw_series(LineSeries::new(points.clone(), style))?
            };
            series.label(label).legend(frame::line_key(*color, 3));
        }
        frame::legend(&mut chart, SeriesLabelPosition::UpperMiddle)
    }
}
