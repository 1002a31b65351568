//! A category axis for bar charts: one slot per category centred on 0, 1, 2, ..., with ticks only at
//! the centres, so each bar group gets exactly one label (plotters' numeric axes would put ticks at
//! arbitrary fractions between bars).

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Categories(pub usize);

impl Categories {
    fn span(self) -> (f64, f64) {
        (-0.6, self.0.max(1) as f64 - 0.4)
    }
}

impl Ranged for Categories {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = self.span();
        limit.0 + ((value - a) / (b - a) * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.0).map(|i| i as f64).collect()
    }

    fn range(&self) -> Range<f64> {
        let (a, b) = self.span();
        a..b
    }
}

/// The category index a tick value stands for.
pub fn index(tick: f64) -> usize {
    tick.round().max(0.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_at_centres_and_mapping_inside_limits() {
        let c = Categories(3);
        assert_eq!(c.key_points(10usize), vec![0.0, 1.0, 2.0]);
        assert_eq!(c.map(&-0.6, (0, 100)), 0);
        assert_eq!(c.map(&2.6, (0, 100)), 100);
        assert_eq!(index(1.9999), 2);
        assert_eq!(index(-0.2), 0);
    }
}
