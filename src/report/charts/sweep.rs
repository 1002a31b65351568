//! The threshold sweep: BPCER, worst-species APCER and each species' APCER against the threshold, with
//! the operating threshold marked; where a threshold change buys or costs errors.
//!
//! Rates are on a log axis: APCER of a working model falls below 1% within a sliver of the score
//! range, and on a linear axis it would lie on the x axis for most of the chart.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::probit::tick_label;
use super::{Chart, DrawResult, frame, style};
use crate::report::run_folder::RunFolder;

/// One rate against the threshold: (threshold, rate) points, exact sweep.csv values.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub label: String,
    pub color: RGBColor,
    pub width: u32,
    pub dashed: bool,
    pub points: Vec<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SweepChart {
    pub title: String,
    pub lines: Vec<Line>,
    pub threshold: Option<f64>,
    pub x: (f64, f64),
    /// The log axis floor, one decade step below the smallest non-zero rate; zero rates sit on it.
    pub floor: f64,
}

/// The (threshold, rate) steps of a column: finite thresholds only, undefined rates skipped.
fn steps(run: &RunFolder, rate: impl Fn(&crate::report::sweep_table::SweepRow) -> f64) -> Vec<(f64, f64)> {
    super::det::points(&run.sweep.rows, |r| r.threshold, rate).into_iter().filter(|p| p.0.is_finite()).collect()
}

impl SweepChart {
    pub fn of_run(run: &RunFolder) -> SweepChart {
        let mut lines: Vec<Line> = run
            .sweep
            .species
            .iter()
            .enumerate()
            .map(|(s, name)| Line {
                label: format!("APCER {name}"),
                color: style::species(s),
                width: 2,
                dashed: true,
                points: steps(run, |r| r.apcer[s]),
            })
            .collect();
        lines.push(Line {
            label: "APCER worst species".into(),
            color: style::ATTACK,
            width: 2,
            dashed: false,
            points: steps(run, |r| r.apcer_max),
        });
        lines.push(Line {
            label: "BPCER".into(),
            color: style::BONA_FIDE,
            width: 2,
            dashed: false,
            points: steps(run, |r| r.bpcer),
        });
        let threshold = run.threshold();
        let (lo, hi) = run.sweep.score_range().unwrap_or((0.0, 1.0));
        let (lo, hi) = threshold
            .into_iter()
            .chain(run.bands().map_or(vec![], |(p, r)| vec![p, r]))
            .fold((lo, hi), |(a, b), t| (a.min(t), b.max(t)));
        let pad = ((hi - lo) * 0.02).max(1e-9);
        let smallest =
            lines.iter().flat_map(|l| l.points.iter()).map(|p| p.1).filter(|r| *r > 0.0).fold(1.0_f64, f64::min);
        let floor = 10f64.powf(smallest.log10().floor()).clamp(1e-6, 0.1);
        SweepChart {
            title: format!("Error rates against the threshold: {}", run.models()),
            lines,
            threshold,
            x: (lo - pad, hi + pad),
            floor,
        }
    }
}

impl Chart for SweepChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let mut chart = frame::builder(root, &self.title, 72)?
            .build_cartesian_2d(self.x.0..self.x.1, (self.floor..1.0).log_scale())?;
        frame::axes(&mut chart.configure_mesh())
            .x_desc("threshold (bona fide iff score >= threshold)")
            .y_desc("error rate (%), log scale; 0 on the bottom edge")
            .y_label_formatter(&tick_label)
            .draw()?;
        for Line { label, color, width, dashed, points: pts } in &self.lines {
            // A rate is constant between candidate thresholds: draw steps, not slopes.
            let floor = self.floor;
            let stepped: Vec<(f64, f64)> = pts
                .windows(2)
                .flat_map(|w| [w[0], (w[1].0, w[0].1)])
                .chain(pts.last().copied())
                .map(|(x, y)| (x, y.max(floor)))
                .collect();
            let color = *color;
            let series = if *dashed {
                chart.draw_series(DashedLineSeries::new(stepped, 6, 4, style::line(color, *width)))?
            } else {
                chart.draw_series(LineSeries::new(stepped, style::line(color, *width)))?
            };
            series.label(label).legend(frame::line_key(color, 3));
        }
        if let Some(t) = self.threshold {
            frame::threshold_line(&mut chart, t, (self.floor, 1.0))?;
        }
        frame::legend(&mut chart, SeriesLabelPosition::MiddleRight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_folder;

    #[test]
    fn lines_follow_the_sweep() {
        let dir = sample_folder();
        let chart = SweepChart::of_run(&RunFolder::load(dir.path()).unwrap());
        let names: Vec<&str> = chart.lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(names, ["APCER print", "APCER replay", "APCER worst species", "BPCER"]);
        assert_eq!(chart.lines[3].points, [(0.9, 0.75), (0.6, 0.25), (0.4, 0.0), (0.1, 0.0)]);
        assert_eq!(chart.threshold, Some(0.5));
        assert!(chart.x.0 < 0.1 && chart.x.1 > 0.9);
        assert_eq!(chart.floor, 0.1, "smallest non-zero rate 0.25 -> floor 10%");
    }
}
