//! The whole system over both thresholds (`eval --match`): two heat maps over (PAD threshold, match
//! threshold), the worst species' share of attacks accepted AND matched, and the share of genuine users
//! rejected, with the operating point marked. Where the two maps are both pale is where the system works.
//!
//! Colours are binned (0, 0.1%, 1%, 5%, 10%, 25%, 50%, 100%) rather than continuous: the decisions that
//! matter sit at 1% and 5%, which a linear colour ramp would not tell apart from 0.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Chart, DrawResult, frame, style};
use crate::metrics::full_system::sweep::{Cell, Grid};

/// Upper edges of the colour bins, and their colours (light to dark, a sequential ramp).
const BINS: [(f64, &str, RGBColor); 8] = [
    (0.0, "0", RGBColor(247, 247, 247)),
    (0.001, "<= 0.1%", RGBColor(254, 240, 217)),
    (0.01, "<= 1%", RGBColor(253, 212, 158)),
    (0.05, "<= 5%", RGBColor(253, 187, 132)),
    (0.10, "<= 10%", RGBColor(252, 141, 89)),
    (0.25, "<= 25%", RGBColor(239, 101, 72)),
    (0.50, "<= 50%", RGBColor(215, 48, 31)),
    (1.0, "> 50%", RGBColor(153, 0, 0)),
];

fn colour(v: f64) -> RGBColor {
    BINS.iter().find(|b| v <= b.0).map_or(BINS[7].2, |b| b.2)
}

pub struct FullSystemChart {
    pub grid: Grid,
    /// (PAD threshold, match threshold) in use.
    pub operating: (f64, f64),
    pub title: String,
}

impl FullSystemChart {
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        value: impl Fn(&Cell) -> f64,
    ) -> DrawResult<DB> {
        // PAD thresholds above 0 on a log axis (the 0 column is in the CSV only).
        let cols: Vec<(usize, f64)> =
            self.grid.pads.iter().copied().enumerate().filter(|(_, t)| *t > 0.0).map(|(i, t)| (i, t.log10())).collect();
        let (x0, x1) = (cols.first().map_or(-4.0, |c| c.1), cols.last().map_or(0.0, |c| c.1));
        let dx = if cols.len() > 1 { (x1 - x0) / (cols.len() - 1) as f64 } else { 0.1 };
        let m = &self.grid.matches;
        let dy = if m.len() > 1 { (m[m.len() - 1] - m[0]) / (m.len() - 1) as f64 } else { 0.01 };
        let mut chart = frame::builder(area, caption, 56)?
            .build_cartesian_2d((x0 - dx / 2.0)..(x1 + dx / 2.0), (m[0] - dy / 2.0)..(m[m.len() - 1] + dy / 2.0))?;
        frame::axes(&mut chart.configure_mesh())
            .disable_mesh()
            .x_desc("PAD threshold (log scale; live iff score >= t)")
            .y_desc("match threshold (match iff distance < t)")
            .x_labels(5)
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-6 { format!("{}", 10f64.powf(x.round())) } else { String::new() }
            })
            .y_label_formatter(&|y| format!("{y:.2}"))
            .draw()?;
        for &(i, x) in &cols {
            for (j, &y) in m.iter().enumerate() {
                let v = value(self.grid.cell(i, j));
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)],
                    colour(v).filled(),
                )))?;
            }
        }
        let (pt, mt) = self.operating;
        if pt > 0.0 {
            chart.draw_series(std::iter::once(Cross::new((pt.log10(), mt), 8, style::line(BLACK, 3))))?;
        }
        Ok(())
    }

    /// The colour key and the operating point, in a strip below both panels (a legend inside a panel
    /// would hide cells).
    fn key<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let y = 18;
        let mut x = 70;
        for (_, name, c) in BINS {
            area.draw(&Rectangle::new([(x, y - 8), (x + 22, y + 8)], c.filled()))?;
            area.draw(&Rectangle::new([(x, y - 8), (x + 22, y + 8)], style::line(RGBColor(150, 150, 150), 1)))?;
            area.draw(&Text::new(name, (x + 28, y - 8), style::small()))?;
            x += 110;
        }
        let (pt, mt) = self.operating;
        area.draw(&Cross::new((x + 30, y), 7, style::line(BLACK, 3)))?;
        area.draw(&Text::new(format!("operating point: PAD {pt}, match {mt}"), (x + 45, y - 8), style::small()))?;
        Ok(())
    }
}

impl Chart for FullSystemChart {
    fn size(&self) -> (u32, u32) {
        (1400, 660)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title, style::title())?;
        let (panels, key) = root.split_vertically(root.dim_in_pixel().1 - 40);
        let (left, right) = panels.split_horizontally(700);
        self.panel(&left, "attacks accepted AND matched (worst species)", |c| c.attack_acceptance_max)?;
        self.panel(&right, "genuine users rejected (PAD reject OR no match)", |c| c.bona_fide_rejection)?;
        self.key(&key)
    }
}
