//! Band outcomes: the share of bona fide presentations and of each species that lands in pass, retry
//! or fail (and gets no response): what users and attackers experience under the policy, which a
//! single threshold hides.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::category::{Categories, index};
use super::{Chart, DrawResult, frame, style};
use crate::metrics::{BandShares, Metric, Rate};
use crate::report::run_folder::RunFolder;

/// The outcomes in drawing order, with their colours.
pub const OUTCOMES: [(&str, RGBColor); 4] =
    [("pass", style::PASS), ("retry", style::RETRY), ("fail", style::FAIL), ("no_response", style::NO_RESPONSE)];
/// The x axis runs past 100% to leave the legend a column of its own beside the bars.
const X_END: f64 = 1.27;

#[derive(Debug, Clone, PartialEq)]
pub struct BandsChart {
    pub title: String,
    /// (class label, share per outcome in [`OUTCOMES`] order).
    pub rows: Vec<(String, [f64; 4])>,
}

impl BandsChart {
    /// `None` when the run had no policy.
    pub fn of_run(run: &RunFolder) -> Option<BandsChart> {
        let b = run.doc.decision_bands.as_ref()?.value()?;
        let (pass, retry) = run.bands()?;
        // An n/a share (a class without presentations) is drawn as an empty bar.
        let share = |m: &Metric<Rate>| m.value().map_or(0.0, |r| r.value);
        let shares = |g: &BandShares| [&g.pass, &g.retry, &g.fail, &g.no_response].map(share);
        let mut rows = vec![("bona fide".to_owned(), shares(&b.bona_fide))];
        rows.extend(b.species.iter().map(|(name, g)| (name.clone(), shares(g))));
        Some(BandsChart { title: format!("Band outcomes (pass >= {pass}, retry >= {retry}): {}", run.models()), rows })
    }
}

impl Chart for BandsChart {
    fn size(&self) -> (u32, u32) {
        (style::SIZE.0, 160 + 60 * self.rows.len() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let n = self.rows.len().max(1);
        let names: Vec<String> = self.rows.iter().map(|r| r.0.clone()).collect();
        // Bona fide at the top: row i is drawn at y = n - 1 - i.
        let mut chart = frame::builder(root, &self.title, 120)?.build_cartesian_2d(0.0..X_END, Categories(n))?;
        frame::axes(&mut chart.configure_mesh())
            .disable_y_mesh()
            .x_desc("share of the class's presentations (%)")
            .x_label_formatter(&|x| if *x <= 1.0 + 1e-9 { format!("{:.0}%", 100.0 * x) } else { String::new() })
            .y_label_formatter(&|y| names.get(n - 1 - index(*y).min(n - 1)).cloned().unwrap_or_default())
            .draw()?;
        for (k, (outcome, color)) in OUTCOMES.iter().enumerate() {
            let mut rects = Vec::new();
            let mut texts = Vec::new();
            for (i, (_, shares)) in self.rows.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let start: f64 = shares[..k].iter().sum();
                let end = start + shares[k];
                rects.push(Rectangle::new([(start, y - 0.3), (end, y + 0.3)], color.filled()));
                if shares[k] >= 0.06 {
                    texts.push(Text::new(
                        format!("{:.1}%", 100.0 * shares[k]),
                        (start + 0.01, y + 0.1),
                        style::small(),
                    ));
                }
            }
            let color = *color;
            chart.draw_series(rects)?.label(outcome.replace('_', " ")).legend(frame::box_key(color.filled()));
            chart.draw_series(texts)?;
        }
        frame::legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn one_row_per_class_and_none_without_policy() {
        let dir = crate::test_support::sample_folder();
        let mut run = RunFolder::load(dir.path()).unwrap();
        let rate = |v: f64| json!({"value": v, "k": 0, "n": 10, "ci95": {"lower": 0.0, "upper": 1.0}});
        let share = |p: f64, r: f64, f: f64| json!({"pass": rate(p), "retry": rate(r), "fail": rate(f), "no_response": rate(0.0)});
        let bands = |v: Value| Some(serde_json::from_value(v).unwrap());
        run.doc.decision_bands = bands(
            json!({"pass": 0.75, "retry": 0.5, "bona_fide": share(0.7, 0.2, 0.1), "species": {"print": share(0.0, 0.1, 0.9)}, "completion": {"value": null, "reason": "no subject column"}}),
        );
        let chart = BandsChart::of_run(&run).unwrap();
        assert_eq!(
            chart.rows,
            [("bona fide".to_owned(), [0.7, 0.2, 0.1, 0.0]), ("print".to_owned(), [0.0, 0.1, 0.9, 0.0])]
        );
        run.doc.decision_bands = bands(json!({"value": null, "reason": "no policy given"}));
        assert!(BandsChart::of_run(&run).is_none());
    }
}
