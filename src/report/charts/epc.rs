//! bob's expected performance curve: for each weight α, the evaluation set's error rates at the
//! threshold minimising α·APCER + (1 − α)·BPCER on the dev set. The rates are on a log axis (bob draws
//! a linear one): at α near 1 the threshold rejects nearly every bona fide presentation, and on a linear
//! axis that 100% would flatten the working range, well below 1%, onto the x axis.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::probit::tick_label;
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
    /// The log axis floor: one decade step below the smallest non-zero rate; zero rates sit on it.
    fn floor(&self) -> f64 {
        let smallest =
            self.lines.iter().flat_map(|l| l.points.iter()).map(|p| p.1).filter(|r| *r > 0.0).fold(1.0_f64, f64::min);
        10f64.powf(smallest.log10().floor()).clamp(1e-6, 0.1)
    }
}

impl Chart for EpcChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let floor = self.floor();
        let mut chart =
            frame::builder(root, &self.title, 72)?.build_cartesian_2d(0.0..1.0, (floor..1.0).log_scale())?;
        frame::axes(&mut chart.configure_mesh())
            .x_desc("α (weight of APCER pooled in the dev cost α·APCER + (1 − α)·BPCER)")
            .y_desc("error rate on the evaluation set (%), log scale; 0 on the bottom edge")
            .y_label_formatter(&tick_label)
            .draw()?;
        for EpcLine { label, color, dashed, points } in &self.lines {
            let style = style::line(*color, 2);
            let points: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x, y.max(floor))).collect();
            let series = if *dashed {
                chart.draw_series(DashedLineSeries::new(points, 6, 4, style))?
            } else {
                chart.draw_series(LineSeries::new(points, style))?
            };
            series.label(label).legend(frame::line_key(*color, 3));
        }
        frame::legend(&mut chart, SeriesLabelPosition::MiddleLeft)
    }
}
