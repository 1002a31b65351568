//! Per-segment bars: APCER (worst species) and BPCER at the threshold for each value of one
//! `--segment-by` column, with 95% intervals as whiskers and the worst segment outlined. Segments too
//! small to be named worst (`--min-segment`) are drawn pale: their rates are shown, not trusted.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::category::{Categories, index};
use super::{Chart, DrawResult, frame, style};
use crate::metrics::{Metric, Rate, Segment, WorstSegment};
use crate::report::run_folder::RunFolder;

/// A rate with its interval: (value, lower, upper).
pub type Bar = Option<(f64, f64, f64)>;

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRow {
    pub value: String,
    pub apcer_max: Bar,
    pub bpcer: Bar,
    /// Fewer scored bona fide (attack) presentations than `--min-segment`: that class's bar is pale.
    pub small_bona_fide: bool,
    pub small_attack: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentsChart {
    pub title: String,
    pub column: String,
    pub rows: Vec<SegmentRow>,
    /// The worst segment by APCER_max and by BPCER, when it is in this column.
    pub worst_apcer: Option<String>,
    pub worst_bpcer: Option<String>,
}

/// Longest segment name shown under a bar before it is shortened.
const LABEL_CHARS: usize = 16;

fn bar(rate: &Metric<Rate>) -> Bar {
    let r = rate.value()?;
    Some((r.value, r.ci95.lower, r.ci95.upper))
}

/// The worst segment `worst` when it belongs to `column`.
fn worst_in(worst: &Metric<WorstSegment>, column: &str) -> Option<String> {
    worst.value().filter(|w| w.column == column).map(|w| w.segment.clone())
}

impl SegmentsChart {
    /// One chart per segment column, in the document's order.
    pub fn of_run(run: &RunFolder) -> Vec<SegmentsChart> {
        let Some(seg) = run.doc.segments.as_ref().and_then(Metric::value) else { return Vec::new() };
        seg.columns
            .iter()
            .map(|(column, values)| SegmentsChart {
                title: format!("APCER (worst species) and BPCER by {column}: {}", run.models()),
                column: column.clone(),
                rows: values
                    .iter()
                    .map(|(value, s)| SegmentRow {
                        value: value.clone(),
                        apcer_max: bar(&s.at_threshold.attack.apcer_max),
                        bpcer: bar(&s.at_threshold.bona_fide.bpcer),
                        small_bona_fide: small(s, "bona_fide"),
                        small_attack: small(s, "attack"),
                    })
                    .collect(),
                worst_apcer: worst_in(&seg.worst_apcer_max, column),
                worst_bpcer: worst_in(&seg.worst_bpcer, column),
            })
            .collect()
    }
}

/// Whether a segment is short of `class` (its `small_classes`).
fn small(segment: &Segment, class: &str) -> bool {
    segment.small_classes.contains(&class)
}

fn short(s: &str) -> String {
    if s.chars().count() <= LABEL_CHARS {
        s.to_owned()
    } else {
        s.chars().take(LABEL_CHARS - 1).chain(['…']).collect()
    }
}

impl Chart for SegmentsChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.rows.len().max(1);
        let top = self.rows.iter().flat_map(|r| [r.apcer_max, r.bpcer]).flatten().map(|b| b.2).fold(0.01_f64, f64::max);
        // Headroom above the tallest whisker for the legend and the value labels.
        let top = (top * 1.4).min(1.0);
        let mut chart = frame::builder(root, &self.title, 72)?.build_cartesian_2d(Categories(n), 0.0..top)?;
        let names: Vec<String> = self.rows.iter().map(|r| short(&r.value)).collect();
        frame::axes(&mut chart.configure_mesh())
            .disable_x_mesh()
            .x_desc(format!("{} (pale: fewer scored presentations than --min-segment)", self.column))
            .y_desc("error rate at the threshold (%)")
            .x_label_formatter(&|x| names.get(index(*x)).cloned().unwrap_or_default())
            .y_label_formatter(&|y| format!("{:.1}%", 100.0 * y))
            .draw()?;
        let metrics = [("APCER worst species", style::ATTACK, -0.4, true), ("BPCER", style::BONA_FIDE, 0.02, false)];
        for (label, color, offset, is_apcer) in metrics {
            let mut bars = Vec::new();
            let mut whiskers = Vec::new();
            let mut outlines = Vec::new();
            let mut values = Vec::new();
            for (i, r) in self.rows.iter().enumerate() {
                let Some((v, lo, hi)) = (if is_apcer { r.apcer_max } else { r.bpcer }) else { continue };
                let (x0, x1) = (i as f64 + offset, i as f64 + offset + 0.38);
                let pale = if is_apcer { r.small_attack } else { r.small_bona_fide };
                let fill = if pale { style::shade(color, 0.3) } else { style::shade(color, 0.85) };
                bars.push(Rectangle::new([(x0, 0.0), (x1, v)], fill.filled()));
                let xm = (x0 + x1) / 2.0;
                values.push(Text::new(format!("{:.1}%", 100.0 * v), (x0, hi + top * 0.06), style::small()));
                whiskers.push(PathElement::new(vec![(xm, lo), (xm, hi)], style::line(style::THRESHOLD, 1)));
                whiskers
                    .push(PathElement::new(vec![(xm - 0.06, hi), (xm + 0.06, hi)], style::line(style::THRESHOLD, 1)));
                whiskers
                    .push(PathElement::new(vec![(xm - 0.06, lo), (xm + 0.06, lo)], style::line(style::THRESHOLD, 1)));
                let worst = if is_apcer { &self.worst_apcer } else { &self.worst_bpcer };
                if worst.as_deref() == Some(r.value.as_str()) {
                    outlines.push(Rectangle::new([(x0, 0.0), (x1, v.max(top * 0.01))], style::line(BLACK, 3)));
                }
            }
            chart.draw_series(bars)?.label(label).legend(frame::box_key(style::shade(color, 0.85).filled()));
            chart.draw_series(whiskers)?;
            chart.draw_series(values)?;
            if !outlines.is_empty() {
                chart
                    .draw_series(outlines)?
                    .label(format!("worst segment by {label}"))
                    .legend(frame::box_key(style::line(BLACK, 3)));
            }
        }
        frame::legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn rows_intervals_and_worst_come_from_the_document() {
        let dir = crate::test_support::sample_folder();
        let mut run = RunFolder::load(dir.path()).unwrap();
        let rate = |v: f64| json!({"value": v, "k": 1, "n": 10, "ci95": {"lower": v / 2.0, "upper": v * 2.0}});
        // Each segment completed from a whole document's figures, with the ones read here laid over.
        let whole = crate::test_support::completed(json!({}));
        let segment = |patch: Value| {
            let mut s = json!({"counts": whole["counts"], "at_threshold": whole["at_threshold"], "eer_pooled": whole["threshold_free"]["eer_pooled"], "small_classes": []});
            crate::test_support::lay_over(&mut s, patch);
            s
        };
        let worst = |column: &str, segment: &str| {
            let mut w = rate(0.1);
            crate::test_support::lay_over(&mut w, json!({"column": column, "segment": segment}));
            w
        };
        run.doc.segments = Some(serde_json::from_value(json!({
            "min_count": 30,
            "columns": {"session": {
                "01": segment(json!({"at_threshold": {"attack": {"apcer_max": rate(0.1)}, "bona_fide": {"bpcer": rate(0.2)}}, "too_small": false})),
                "02": segment(json!({"at_threshold": {"attack": {"apcer_max": {"value": null, "reason": "no attacks"}}, "bona_fide": {"bpcer": rate(0.3)}}, "too_small": true, "small_classes": ["attack"]}))}},
            "worst_apcer_max": worst("session", "01"),
            "worst_bpcer": worst("other", "x")
        })).unwrap());
        let charts = SegmentsChart::of_run(&run);
        assert_eq!(charts.len(), 1);
        let c = &charts[0];
        assert_eq!(c.rows[0].apcer_max, Some((0.1, 0.05, 0.2)));
        assert_eq!((c.rows[1].apcer_max, c.rows[1].small_attack, c.rows[1].small_bona_fide), (None, true, false));
        assert_eq!((c.worst_apcer.as_deref(), c.worst_bpcer.as_deref()), (Some("01"), None));
        assert_eq!(short("a-very-long-segment-name"), "a-very-long-seg…");
    }
}
