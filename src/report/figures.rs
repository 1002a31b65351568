//! The typed figures of the extra blocks as text, exactly as `metrics::format` writes the same figures
//! from their metrics.json values (`pct`, `rate`), so a renderer that reads its block through the block's
//! type prints what it printed from the JSON. A figure JSON cannot hold (NaN, infinity) was `null`
//! there, so it reads `n/a` here too.

use crate::metrics::format::typed_rate;
use crate::metrics::{Metric, Rate};

/// `12.34%`, or `n/a` for a value JSON has no number for.
pub fn pct(x: f64) -> String {
    if x.is_finite() { format!("{:.2}%", 100.0 * x) } else { "n/a".to_owned() }
}

/// [`pct`] of a figure that may be missing.
pub fn pct_of(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_owned(), pct)
}

/// A rate as `12.34% (k/n) [lo-hi]`, or `n/a (reason)`.
pub fn rate(m: &Metric<Rate>) -> String {
    figure(m, typed_rate)
}

/// [`rate`] of a rate a block may lack (`n/a (undefined)`, as a missing JSON value read).
pub fn rate_of(m: Option<&Metric<Rate>>) -> String {
    m.map_or_else(|| "n/a (undefined)".to_owned(), rate)
}

/// A figure shown by `show`, or `n/a (reason)`.
pub fn figure<T>(m: &Metric<T>, show: impl Fn(&T) -> String) -> String {
    match m {
        Metric::Value(v) => show(v),
        Metric::NotAvailable(na) => format!("n/a ({})", na.reason),
    }
}

/// A number as metrics.json writes it (`0.5`, `1.0`), for the text that quotes a figure as written.
pub fn json_number(x: f64) -> String {
    serde_json::Value::from(x).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::format;

    #[test]
    fn typed_figures_read_as_their_json() {
        for (k, n) in [(1, 4), (0, 100)] {
            let r = Rate::of(k, n, "none");
            assert_eq!(rate(&r), format::rate(&serde_json::to_value(&r).unwrap()));
        }
        let na: Metric<Rate> = Metric::na("no attack presentations");
        assert_eq!(rate(&na), format::rate(&serde_json::to_value(&na).unwrap()));
        assert_eq!(rate_of(None), format::rate(&serde_json::Value::Null));
        for x in [0.0, 0.125, 1.0, f64::NAN] {
            assert_eq!(pct(x), format::pct(&serde_json::Value::from(x)));
        }
        assert_eq!((json_number(1.0), json_number(0.5)), ("1.0".to_owned(), "0.5".to_owned()));
    }
}
