//! Formatting the metrics document's values: rates with counts and intervals, thresholds, n/a reasons.
//! The typed figures (report, terminal, gate, calibrate) and, until the "typed-blocks" branch of issue 9 is
//! merged, the JSON values its renderers still read ([`pct`], [`rate`], [`threshold`]) give the same text
//! through one formatter each for percentages, rates and thresholds.

use serde_json::Value;

use super::{Metric, Rate, Threshold};

/// `12.34%`, or `n/a` when there is no value.
pub fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_string(), |x| format!("{:.2}%", 100.0 * x))
}

/// [`percent`] of a JSON value; for the renderers of the untyped blocks, removed at the merge.
pub fn pct(v: &Value) -> String {
    percent(v.as_f64())
}

/// A typed rate or its n/a reason, formatted exactly as [`rate`] formats its metrics.json value.
pub fn metric_rate(r: &Metric<Rate>) -> String {
    match r {
        Metric::Value(r) => typed_rate(r),
        Metric::NotAvailable(na) => format!("n/a ({})", na.reason),
    }
}

/// A rate object as `12.34% (k/n) [lo-hi]`, plus the rule of three for zero errors; `n/a (reason)` when
/// the rate is undefined. For the renderers of the untyped blocks, removed at the merge.
pub fn rate(r: &Value) -> String {
    if r["value"].is_null() {
        return format!("n/a ({})", r["reason"].as_str().unwrap_or("undefined"));
    }
    let ci = r["ci95"]["lower"].as_f64().zip(r["ci95"]["upper"].as_f64());
    rate_text(&pct(&r["value"]), &r["k"].to_string(), &r["n"].to_string(), ci, r["rule_of_three"].as_f64())
}

/// A typed rate, formatted exactly as [`rate`] formats its metrics.json value.
pub fn typed_rate(r: &Rate) -> String {
    let value = format!("{:.2}%", 100.0 * r.value);
    rate_text(&value, &r.k.to_string(), &r.n.to_string(), Some((r.ci95.lower, r.ci95.upper)), r.rule_of_three)
}

fn rate_text(value: &str, k: &str, n: &str, ci: Option<(f64, f64)>, rule_of_three: Option<f64>) -> String {
    let mut s = format!("{value} ({k}/{n})");
    if let Some((lo, hi)) = ci {
        s += &format!(" [{:.2}-{:.2}%]", 100.0 * lo, 100.0 * hi);
    }
    if let Some(r3) = rule_of_three {
        s += &format!(" rule of three {:.2}%", 100.0 * r3);
    }
    s
}

/// A typed threshold, formatted exactly as [`threshold`] formats its metrics.json value.
pub fn typed_threshold(t: Threshold) -> String {
    if t.0.is_finite() { format!("{:.4}", t.0) } else { t.to_string() }
}

/// A threshold as a number, or `+inf`. For the renderers of the untyped blocks, removed at the merge.
pub fn threshold(t: &Value) -> String {
    match t {
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |x| format!("{x:.4}")),
        Value::String(s) => s.clone(),
        _ => "n/a".to_string(),
    }
}

/// A p-value: small ones in scientific notation, since "0.0000" would hide how small.
pub fn p_value(p: f64) -> String {
    if p < 1e-4 { format!("{p:.1e}") } else { format!("{p:.4}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn small_p_values_keep_their_size() {
        assert_eq!(p_value(1.7e-18), "1.7e-18");
        assert_eq!(p_value(0.03125), "0.0312");
    }

    #[test]
    fn rates_show_counts_intervals_and_reasons() {
        let r = json!({"value": 0.25, "k": 1, "n": 4, "ci95": {"lower": 0.0063, "upper": 0.8059}});
        assert_eq!(rate(&r), "25.00% (1/4) [0.63-80.59%]");
        let z = json!({"value": 0.0, "k": 0, "n": 100, "ci95": {"lower": 0.0, "upper": 0.0362}, "rule_of_three": 0.03});
        assert_eq!(rate(&z), "0.00% (0/100) [0.00-3.62%] rule of three 3.00%");
        assert_eq!(rate(&json!({"value": null, "reason": "no attack presentations"})), "n/a (no attack presentations)");
        assert_eq!(threshold(&json!("+inf")), "+inf");
        assert_eq!(threshold(&json!(0.5)), "0.5000");
    }

    #[test]
    fn typed_figures_read_as_their_json() {
        use crate::metrics::{Rate, Threshold};
        for (k, n) in [(1, 4), (0, 100), (7, 7)] {
            let r = Rate::of(k, n, "").value().unwrap().clone();
            assert_eq!(typed_rate(&r), rate(&serde_json::to_value(&r).unwrap()));
        }
        let na = Metric::<Rate>::na("no attack presentations");
        assert_eq!(metric_rate(&na), rate(&serde_json::to_value(&na).unwrap()));
        for t in [0.5, 0.123456, f64::INFINITY] {
            assert_eq!(typed_threshold(Threshold(t)), threshold(&serde_json::to_value(Threshold(t)).unwrap()));
        }
    }
}
