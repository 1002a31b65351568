//! ROC curve: bona fide acceptance (1 - BPCER) against APCER, with the AUC in the legend.
//!
//! APCER is on a log axis: a usable PAD system operates below a few percent APCER, and on a linear axis
//! its whole curve hugs the top-left corner.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::det::points;
use super::series::{Series, colored};
use super::{Chart, DrawResult, frame, style};
use crate::report::run_folder::RunFolder;

/// One curve: (APCER, 1 - BPCER) points in sweep order.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
}

/// A marked operating point: (APCER pooled, 1 - BPCER) at a threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct RocPoint {
    pub label: String,
    pub color: RGBColor,
    pub at: (f64, f64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RocChart {
    pub title: String,
    pub curves: Vec<RocCurve>,
    /// The operating thresholds' points.
    pub points: Vec<RocPoint>,
    pub x_min: f64,
    pub y_min: f64,
}

/// An AUC as the legends print it.
fn auc(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |a| format!("{a:.4}"))
}

impl RocChart {
    pub fn of_run(run: &RunFolder) -> RocChart {
        let rows = &run.sweep.rows;
        let series = Series::of_run(run);
        let mut curves: Vec<RocCurve> = run
            .sweep
            .species
            .iter()
            .enumerate()
            .map(|(s, name)| RocCurve {
                label: name.clone(),
                color: style::species(s),
                points: points(rows, |r| r.apcer[s], |r| 1.0 - r.bpcer),
            })
            .collect();
        curves.push(RocCurve {
            label: format!("all attacks (pooled), AUC {}", auc(series.auc)),
            color: style::ATTACK,
            points: points(rows, |r| r.apcer_pooled, |r| 1.0 - r.bpcer),
        });
        let points = series.operating.map(|(apcer, bpcer)| RocPoint {
            label: "operating threshold (pooled)".into(),
            color: style::THRESHOLD,
            at: (apcer, 1.0 - bpcer),
        });
        RocChart::new(format!("ROC curve: {}", run.models()), curves, points.into_iter().collect())
    }

    /// The pooled curve of each series, one colour each, named with its AUC, and each series' operating
    /// point in its colour.
    pub fn overlay(series: &[Series], title: &str) -> RocChart {
        let curves = colored(series)
            .map(|(color, s)| RocCurve {
                label: format!("{}: AUC {}", s.name, auc(s.auc)),
                color,
                points: points(&s.sweep.rows, |r| r.apcer_pooled, |r| 1.0 - r.bpcer),
            })
            .collect();
        let points = colored(series)
            .filter_map(|(color, s)| {
                let (apcer, bpcer) = s.operating?;
                let at = s.threshold.map_or_else(|| "its threshold".to_owned(), |t| format!("threshold {t}"));
                Some(RocPoint { label: format!("{} at {at}", s.name), color, at: (apcer, 1.0 - bpcer) })
            })
            .collect();
        RocChart::new(title.to_owned(), curves, points)
    }

    /// x from one decade below the smallest non-zero APCER; y from the acceptance there, rounded down.
    fn new(title: String, curves: Vec<RocCurve>, points: Vec<RocPoint>) -> RocChart {
        let all = || curves.iter().flat_map(|c| c.points.iter());
        let x_min = all().map(|p| p.0).filter(|x| *x > 0.0).fold(1.0_f64, f64::min).max(1e-5);
        let x_min = 10f64.powf((x_min.log10() - 0.3).floor());
        let y_min = all().filter(|p| p.0 >= x_min).map(|p| p.1).fold(1.0_f64, f64::min);
        let y_min = ((y_min * 10.0).floor() / 10.0).clamp(0.0, 0.9);
        RocChart { title, curves, points, x_min, y_min }
    }
}

impl Chart for RocChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let mut chart = frame::builder(root, &self.title, 72)?
            .build_cartesian_2d((self.x_min..1.0).log_scale(), self.y_min..1.0)?;
        frame::axes(&mut chart.configure_mesh())
            .x_desc("APCER (%), log scale")
            .y_desc("bona fide accepted, 1 - BPCER (%)")
            .x_label_formatter(&|x| format!("{}%", 100.0 * x))
            .y_label_formatter(&|y| format!("{:.0}%", 100.0 * y))
            .draw()?;
        let (x_min, y_min) = (self.x_min, self.y_min);
        let clamp = move |&(x, y): &(f64, f64)| (x.max(x_min), y.max(y_min));
        for c in &self.curves {
            let color = c.color;
            chart
                .draw_series(LineSeries::new(c.points.iter().map(clamp), style::line(color, 2)))?
                .label(&c.label)
                .legend(frame::line_key(color, 3));
        }
        for p in &self.points {
            let color = p.color;
            chart
                .draw_series(std::iter::once(Circle::new(clamp(&p.at), 7, color.filled())))?
                .label(&p.label)
                .legend(move |(px, py)| Circle::new((px + 10, py), 6, color.filled()));
        }
        frame::legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_folder;

    #[test]
    fn curves_axes_and_auc() {
        let dir = sample_folder();
        let roc = RocChart::of_run(&RunFolder::load(dir.path()).unwrap());
        assert_eq!(roc.curves.len(), 3);
        assert!(roc.curves[2].label.ends_with("AUC 0.8000"), "{}", roc.curves[2].label);
        assert_eq!(roc.curves[2].points, [(0.0, 0.0), (0.25, 0.25), (0.25, 0.75), (0.5, 1.0), (1.0, 1.0)]);
        assert_eq!(roc.points[0].at, (0.25, 0.75));
        // Smallest non-zero APCER 25% -> x from 10%; the lowest acceptance from there on is 25% -> y from 20%.
        assert_eq!((roc.x_min, roc.y_min), (0.1, 0.2));
        let run = RunFolder::load(dir.path()).unwrap();
        let overlay = RocChart::overlay(&[Series::of_run(&run), Series::of_run(&run)], "t");
        assert_eq!((overlay.curves.len(), overlay.points.len()), (2, 2));
        assert_eq!(overlay.curves[1].points, roc.curves[2].points);
        assert!(overlay.curves[0].label.ends_with(": AUC 0.8000"), "{}", overlay.curves[0].label);
        assert_eq!((overlay.points[1].at, overlay.points[1].color), ((0.25, 0.75), style::run(1)));
        assert_eq!((overlay.x_min, overlay.y_min), (roc.x_min, roc.y_min));
    }
}
