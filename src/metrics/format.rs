//! Formatting the metrics document's figures: rates with counts and intervals, percentages, thresholds,
//! n/a reasons. One formatter each, used by the report, the terminal, the gate and calibrate, so a figure
//! reads the same wherever it is shown. A figure JSON cannot hold (NaN, infinity) was written `null` in
//! metrics.json and reads `n/a` here.

use super::{Metric, Rate, Threshold};

/// `12.34%`, or `n/a` when there is no (finite) value.
pub fn percent(x: Option<f64>) -> String {
    match x {
        Some(x) if x.is_finite() => format!("{:.2}%", 100.0 * x),
        _ => "n/a".to_string(),
    }
}

/// [`percent`] of a figure that is always there.
pub fn pct(x: f64) -> String {
    percent(Some(x))
}

/// A rate as `12.34% (k/n) [lo-hi]`, plus the rule of three for zero errors; `n/a (reason)` when the rate
/// is undefined.
pub fn metric_rate(r: &Metric<Rate>) -> String {
    figure(r, typed_rate)
}

/// [`metric_rate`] of a rate a block may lack (`n/a (undefined)`).
pub fn rate_of(r: Option<&Metric<Rate>>) -> String {
    r.map_or_else(|| "n/a (undefined)".to_owned(), metric_rate)
}

/// A defined rate as `12.34% (k/n) [lo-hi]`, plus the rule of three for zero errors.
pub fn typed_rate(r: &Rate) -> String {
    let mut s = format!("{:.2}% ({}/{})", 100.0 * r.value, r.k, r.n);
    s += &format!(" [{:.2}-{:.2}%]", 100.0 * r.ci95.lower, 100.0 * r.ci95.upper);
    if let Some(r3) = r.rule_of_three {
        s += &format!(" rule of three {:.2}%", 100.0 * r3);
    }
    s
}

/// A figure shown by `show`, or `n/a (reason)`.
pub fn figure<T>(m: &Metric<T>, show: impl Fn(&T) -> String) -> String {
    match m {
        Metric::Value(v) => show(v),
        Metric::NotAvailable(na) => format!("n/a ({})", na.reason),
    }
}

/// A threshold with 4 decimals, or `+inf`.
pub fn typed_threshold(t: Threshold) -> String {
    if t.0.is_finite() { format!("{:.4}", t.0) } else { t.to_string() }
}

/// A number as metrics.json writes it (`0.5`, `1.0`), for the text that quotes a figure as written.
pub fn json_number(x: f64) -> String {
    serde_json::Value::from(x).to_string()
}

/// A p-value: small ones in scientific notation, since "0.0000" would hide how small.
pub fn p_value(p: f64) -> String {
    if p < 1e-4 { format!("{p:.1e}") } else { format!("{p:.4}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Interval;

    #[test]
    fn small_p_values_keep_their_size() {
        assert_eq!(p_value(1.7e-18), "1.7e-18");
        assert_eq!(p_value(0.03125), "0.0312");
    }

    fn rate(value: f64, k: u64, n: u64, (lower, upper): (f64, f64), rule_of_three: Option<f64>) -> Metric<Rate> {
        Metric::Value(Rate {
            value,
            k,
            n,
            ci95: Interval { lower, upper },
            rule_of_three,
            species: None,
            bootstrap95: None,
        })
    }

    #[test]
    fn rates_show_counts_intervals_and_reasons() {
        assert_eq!(metric_rate(&rate(0.25, 1, 4, (0.0063, 0.8059), None)), "25.00% (1/4) [0.63-80.59%]");
        let z = rate(0.0, 0, 100, (0.0, 0.0362), Some(0.03));
        assert_eq!(metric_rate(&z), "0.00% (0/100) [0.00-3.62%] rule of three 3.00%");
        assert_eq!(metric_rate(&Metric::na("no attack presentations")), "n/a (no attack presentations)");
        assert_eq!(rate_of(None), "n/a (undefined)");
        assert_eq!(typed_threshold(Threshold(f64::INFINITY)), "+inf");
        assert_eq!(typed_threshold(Threshold(0.5)), "0.5000");
    }

    #[test]
    fn percentages_say_n_a_where_json_has_no_number() {
        assert_eq!((pct(0.125), pct(1.0), pct(f64::NAN)), ("12.50%".into(), "100.00%".into(), "n/a".into()));
        assert_eq!(percent(None), "n/a");
        assert_eq!((json_number(1.0), json_number(0.5)), ("1.0".to_owned(), "0.5".to_owned()));
    }
}
