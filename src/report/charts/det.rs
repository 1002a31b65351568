//! DET curve (ISO/IEC 30107-3 / 19795-1): APCER against BPCER on normal-deviate axes, one curve per PAI
//! species plus the pooled attacks, with the EER and the operating threshold marked. The same chart
//! overlays the pooled curves of several runs for `liveness report RUN_A RUN_B ...`.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::probit::{ProbitRange, tick_label};
use super::series::{Series, colored, percent};
use super::{Chart, DrawResult, frame, style};
use crate::metrics::clopper_pearson;
use crate::report::run_folder::RunFolder;
use crate::report::sweep_table::SweepRow;

/// One curve: (APCER, BPCER) points in sweep order, exact sweep.csv values.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub label: String,
    pub color: RGBColor,
    pub width: u32,
    pub points: Vec<(f64, f64)>,
    /// 95% Clopper-Pearson interval of BPCER along the curve: (APCER, lower, upper).
    pub band: Vec<(f64, f64, f64)>,
}

/// A marked point (EER, operating threshold).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub label: String,
    pub color: RGBColor,
    pub at: (f64, f64),
    /// Filled circle for the threshold, open diamond-ish cross for the EER.
    pub filled: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetChart {
    pub title: String,
    pub curves: Vec<Curve>,
    pub markers: Vec<Marker>,
    pub x: ProbitRange,
    pub y: ProbitRange,
}

/// Points of the band along a curve: enough to look smooth, few enough to keep intervals cheap.
const BAND_POINTS: usize = 150;

/// The (x, y) points of a sweep column pair, skipping undefined rates and repeated points.
pub fn points(rows: &[SweepRow], x: impl Fn(&SweepRow) -> f64, y: impl Fn(&SweepRow) -> f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for r in rows {
        let p = (x(r), y(r));
        if !p.0.is_nan() && !p.1.is_nan() && out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// The 95% interval of BPCER (`n` scored bona fide) at up to [`BAND_POINTS`] points of `curve`.
fn bpcer_band(curve: &[(f64, f64)], n: u64) -> Vec<(f64, f64, f64)> {
    if n == 0 || curve.is_empty() {
        return Vec::new();
    }
    let step = curve.len().div_ceil(BAND_POINTS).max(1);
    let mut picked: Vec<(f64, f64)> = curve.iter().copied().step_by(step).collect();
    picked.extend(curve.last().filter(|l| picked.last() != Some(l)));
    picked
        .into_iter()
        .map(|(x, y)| {
            let ci = clopper_pearson((y * n as f64).round() as u64, n);
            (x, ci.lower, ci.upper)
        })
        .collect()
}

impl DetChart {
    /// Per-species and pooled curves of one run, its EER and its threshold.
    pub fn of_run(run: &RunFolder) -> DetChart {
        let rows = &run.sweep.rows;
        let mut curves: Vec<Curve> = (0..run.sweep.species.len())
            .map(|s| Curve {
                label: format!("{} (n={})", run.sweep.species[s], run.species_scored(&run.sweep.species[s])),
                color: style::species(s),
                width: 2,
                points: points(rows, |r| r.apcer[s], |r| r.bpcer),
                band: Vec::new(),
            })
            .collect();
        let pooled = points(rows, |r| r.apcer_pooled, |r| r.bpcer);
        let band = bpcer_band(&pooled, run.bona_fide_scored());
        curves.push(Curve {
            label: "all attacks (pooled)".into(),
            color: style::ATTACK,
            width: 3,
            points: pooled,
            band,
        });
        let mut markers = Vec::new();
        markers.extend(eer_marker(run, style::THRESHOLD));
        markers.extend(threshold_marker(run));
        DetChart::new(format!("DET curve: {}", run.models()), curves, markers)
    }

    /// The pooled curve of each series, one colour each, named with its EER, and each series' EER (cross,
    /// not in the legend) and operating point (dot) marked in its colour.
    pub fn overlay(series: &[Series], title: &str) -> DetChart {
        let curves = colored(series)
            .zip(0u32..)
            .map(|((color, s), i)| Curve {
                label: format!("{}: EER {}", s.name, percent(s.eer)),
                color,
                // Decreasing widths: identical curves (the same model twice) stay visible, one inside the other.
                width: 5u32.saturating_sub(i).max(2),
                points: points(&s.sweep.rows, |r| r.apcer_pooled, |r| r.bpcer),
                band: Vec::new(),
            })
            .collect();
        let mut markers = Vec::new();
        for (color, s) in colored(series) {
            markers.extend(s.eer.map(|e| Marker { label: String::new(), color, at: (e, e), filled: false }));
            markers.extend(s.operating.map(|(apcer, bpcer)| Marker {
                label: format!(
                    "{} at {}: APCER {}, BPCER {}",
                    s.name,
                    s.threshold.map_or_else(|| "its threshold".to_owned(), |t| format!("threshold {t}")),
                    percent(Some(apcer)),
                    percent(Some(bpcer))
                ),
                color,
                at: (apcer, bpcer),
                filled: true,
            }));
        }
        DetChart::new(title.to_owned(), curves, markers)
    }

    /// Axes from just below the smallest non-zero rate drawn to 50% (beyond, a PAD system is useless).
    fn new(title: String, curves: Vec<Curve>, markers: Vec<Marker>) -> DetChart {
        let smallest = |pick: fn(&(f64, f64)) -> f64| {
            let drawn = curves.iter().flat_map(|c| c.points.iter()).chain(markers.iter().map(|m| &m.at));
            drawn.map(pick).filter(|v| *v > 0.0).fold(0.5_f64, f64::min)
        };
        let axis = |lo: f64| ProbitRange::new((lo / 2.0).max(1e-4), 0.5);
        DetChart { title, x: axis(smallest(|p| p.0)), y: axis(smallest(|p| p.1)), curves, markers }
    }
}

fn eer_marker(run: &RunFolder, color: RGBColor) -> Option<Marker> {
    let eer = run.doc.threshold_free.as_ref()?.eer_pooled.value()?.value;
    Some(Marker { label: format!("EER {:.2}%", 100.0 * eer), color, at: (eer, eer), filled: false })
}

fn threshold_marker(run: &RunFolder) -> Option<Marker> {
    let at = run.doc.at_threshold.as_ref()?;
    let (t, apcer, bpcer) =
        (at.threshold.finite()?, at.attack.apcer_pooled.value()?.value, at.bona_fide.bpcer.value()?.value);
    Some(Marker {
        label: format!("threshold {t}: APCER {:.2}%, BPCER {:.2}%", 100.0 * apcer, 100.0 * bpcer),
        color: style::THRESHOLD,
        at: (apcer, bpcer),
        filled: true,
    })
}

impl Chart for DetChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let mut chart = frame::builder(root, &self.title, 72)?.build_cartesian_2d(self.x, self.y)?;
        frame::axes(&mut chart.configure_mesh())
            .x_desc("APCER (%), normal-deviate scale")
            .y_desc("BPCER (%), normal-deviate scale")
            .x_label_formatter(&tick_label)
            .y_label_formatter(&tick_label)
            .draw()?;
        let (x, y) = (self.x, self.y);
        let clamp = move |(a, b): (f64, f64)| (x.clamp(a), y.clamp(b));
        for c in &self.curves {
            if c.band.len() > 1 {
                let upper = c.band.iter().map(|&(a, _, hi)| clamp((a, hi)));
                let lower = c.band.iter().rev().map(|&(a, lo, _)| clamp((a, lo)));
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        upper.chain(lower).collect::<Vec<_>>(),
                        style::shade(c.color, 0.15),
                    )))?
                    .label("95% CI of BPCER (pooled)")
                    .legend(frame::box_key(style::shade(c.color, 0.15).filled()));
            }
            let color = c.color;
            chart
                .draw_series(LineSeries::new(c.points.iter().map(|&p| clamp(p)), style::line(color, c.width)))?
                .label(&c.label)
                .legend(frame::line_key(color, 3));
        }
        for m in &self.markers {
            let (color, filled) = (m.color, m.filled);
            let at = clamp(m.at);
            let drawn = if filled {
                chart.draw_series(std::iter::once(Circle::new(at, 7, color.filled())))?
            } else {
                chart.draw_series(std::iter::once(Cross::new(at, 8, style::line(color, 3))))?
            };
            // An unnamed marker (an overlay's EER crosses, explained in the title) stays out of the legend.
            if m.label.is_empty() {
                continue;
            }
            drawn.label(&m.label).legend(move |(px, py)| -> DynElement<'static, DB, (i32, i32)> {
                if filled {
                    Circle::new((px + 10, py), 6, color.filled()).into_dyn()
                } else {
                    Cross::new((px + 10, py), 6, style::line(color, 3)).into_dyn()
                }
            });
        }
        frame::legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_folder;

    #[test]
    fn curves_are_sweep_points_with_eer_and_threshold_marked() {
        let dir = sample_folder();
        let run = RunFolder::load(dir.path()).unwrap();
        let det = DetChart::of_run(&run);
        assert_eq!(det.curves.len(), 3);
        assert_eq!(det.curves[0].label, "print (n=2)");
        assert_eq!(det.curves[0].points, [(0.0, 1.0), (0.5, 0.75), (0.5, 0.25), (0.5, 0.0), (1.0, 0.0)]);
        assert_eq!(det.curves[2].points, [(0.0, 1.0), (0.25, 0.75), (0.25, 0.25), (0.5, 0.0), (1.0, 0.0)]);
        assert!(det.curves[2].band.iter().all(|&(_, lo, hi)| lo <= hi));
        assert_eq!(det.markers[0].at, (0.25, 0.25));
        assert_eq!(det.markers[1].at, (0.25, 0.25));
        assert!(det.markers[1].label.starts_with("threshold 0.5"));
        assert_eq!(det.x.lo, 0.125);
        let series = Series::of_run(&run);
        let overlay = DetChart::overlay(&[series.clone(), series], "t");
        assert_eq!(overlay.curves.len(), 2);
        assert_eq!(overlay.curves[1].points, det.curves[2].points);
        assert!(overlay.curves[0].label.ends_with(": EER 25.00%"), "{}", overlay.curves[0].label);
        // Each series: its EER cross and its operating point, in its colour.
        assert_eq!(overlay.markers.len(), 4);
        assert_eq!((overlay.markers[3].at, overlay.markers[3].color), ((0.25, 0.25), style::run(1)));
        assert!(overlay.markers[3].label.ends_with("at threshold 0.5: APCER 25.00%, BPCER 25.00%"));
    }
}
