//! The CI gate: criteria from a TOML file checked against a metrics document (the `metrics.json`
//! schema of [`crate::metrics::MetricsReport`]), one verdict per criterion.
//!
//! Criteria read the same document `eval` writes, by path, so a baseline can be any earlier
//! `metrics.json` and the gate needs no second definition of any metric. A criterion whose metric is
//! n/a on this data (a species without presentations, completion without a subject column) fails with
//! that reason: a gate that passes because nothing was measured is worse than no gate. Marking it
//! `optional = true` turns that case into "skipped".

mod output;
mod spec;

pub use output::{junit, markdown, table};
pub use spec::{Check, Criterion, Gate, METRICS, MetricKind, Param, Side};

use serde_json::Value;

use crate::metrics::format::{pct, rate};

/// What a criterion measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub value: f64,
    /// 95% interval, for rates.
    pub ci: Option<(f64, f64)>,
    /// Human-readable: value, counts, interval, and the worst species or segment.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Skipped,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Skipped => "skipped",
        }
    }
}

/// One criterion's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub criterion: String,
    pub limit: String,
    pub measured: String,
    pub verdict: Verdict,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
}

/// Checks every criterion of `gate` against `current` (and `baseline` for regression criteria).
pub fn check(gate: &Gate, current: &Value, baseline: Option<&Value>) -> Vec<Outcome> {
    gate.criteria.iter().map(|c| check_one(c, current, baseline)).collect()
}

fn check_one(c: &Criterion, current: &Value, baseline: Option<&Value>) -> Outcome {
    let limit = limit_text(c);
    let outcome = |measured: String, verdict: Verdict, reason: Option<String>| Outcome {
        criterion: c.label(),
        limit: limit.clone(),
        measured,
        verdict,
        reason,
    };
    let not_evaluable = |measured: String, why: String| {
        let verdict = if c.optional { Verdict::Skipped } else { Verdict::Fail };
        outcome(measured, verdict, Some(why))
    };
    let now = match measure(c, current) {
        Ok(m) => m,
        Err(why) => return not_evaluable("n/a".into(), format!("cannot be evaluated: {why}")),
    };
    let compared = match c.side {
        Side::Value => now.value,
        Side::Upper => now.ci.map_or(now.value, |ci| ci.1),
        Side::Lower => now.ci.map_or(now.value, |ci| ci.0),
    };
    let (ok, detail) = match c.check {
        Check::Max(x) => (compared <= x, None),
        Check::Min(x) => (compared >= x, None),
        Check::MaxRegression(tol) => {
            let Some(base) = baseline else {
                return not_evaluable(now.text, "no baseline given".into());
            };
            let then = match measure(c, base) {
                Ok(m) => m,
                Err(why) => return not_evaluable(now.text, format!("baseline: {why}")),
            };
            let worse_by = if c.metric.higher_is_better { then.value - now.value } else { now.value - then.value };
            // The difference of two ratios is not exact in floating point (0.05 - 0.04 > 0.01): a change
            // of exactly the tolerance must pass, so rounding noise below 1e-12 is ignored.
            (
                worse_by <= tol + 1e-12,
                Some(format!("baseline {}, change {:+.2} points", then.text, 100.0 * (now.value - then.value))),
            )
        }
    };
    let measured = match detail {
        Some(d) => format!("{} ({d})", now.text),
        None => now.text,
    };
    if ok {
        outcome(measured, Verdict::Pass, None)
    } else {
        let what = match c.side {
            Side::Value => "value",
            Side::Upper => "upper 95% bound",
            Side::Lower => "lower 95% bound",
        };
        outcome(measured, Verdict::Fail, Some(format!("{what} {} is outside {limit}", number(c.metric, compared))))
    }
}

/// The criterion's metric in a metrics document, or why it is not there.
pub fn measure(c: &Criterion, doc: &Value) -> Result<Measured, String> {
    let path = c.path();
    let mut node = doc;
    for (depth, key) in path.iter().enumerate() {
        if let Some(reason) = not_available(node) {
            return Err(reason);
        }
        node = match node.get(key) {
            Some(next) => next,
            None if c.metric.path.get(depth) == Some(&"{species}") => {
                let present: Vec<&str> =
                    node.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
                return Err(format!("no presentations of species {key:?} (species present: {})", present.join(", ")));
            }
            None => return Err(format!("the metrics document has no {}", path[..=depth].join("."))),
        };
    }
    if let Some(reason) = not_available(node) {
        return Err(reason);
    }
    let value = node["value"].as_f64().ok_or_else(|| format!("{} has no numeric value", path.join(".")))?;
    let ci = match (node["ci95"]["lower"].as_f64(), node["ci95"]["upper"].as_f64()) {
        (Some(lo), Some(hi)) => Some((lo, hi)),
        _ => None,
    };
    let mut text = if node.get("k").is_some() { rate(node) } else { number(c.metric, value) };
    if let Some(s) = node["species"].as_str() {
        text += &format!(" species {s}");
    }
    if let (Some(col), Some(seg)) = (node["column"].as_str(), node["segment"].as_str()) {
        text += &format!(" segment {col}={seg}");
    }
    Ok(Measured { value, ci, text })
}

/// `{"value": null, "reason": ...}` -> the reason.
fn not_available(node: &Value) -> Option<String> {
    (node.get("value").is_some_and(Value::is_null)).then(|| node["reason"].as_str().unwrap_or("n/a").to_owned())
}

fn number(metric: &MetricKind, x: f64) -> String {
    if metric.name == "auc" { format!("{x:.5}") } else { pct(&Value::from(x)) }
}

fn limit_text(c: &Criterion) -> String {
    let side = match c.side {
        Side::Value => "",
        Side::Upper => "upper95 ",
        Side::Lower => "lower95 ",
    };
    match c.check {
        Check::Max(x) => format!("{side}<= {}", number(c.metric, x)),
        Check::Min(x) => format!("{side}>= {}", number(c.metric, x)),
        Check::MaxRegression(x) if c.metric.higher_is_better => format!(">= baseline - {}", number(c.metric, x)),
        Check::MaxRegression(x) => format!("<= baseline + {}", number(c.metric, x)),
    }
}

#[cfg(test)]
mod tests;
