//! Values that may be "n/a", and thresholds that may be +inf, in a JSON-safe form.
//!
//! A metric that needs a class the data lacks (EER without attacks, BPCER without scored bona fide
//! presentations) must never show up as a number: a 0 or NaN there reads like a result. So such
//! metrics are a [`Metric`], which serializes either as its value object or as
//! `{"value": null, "reason": "no attack presentations"}`. Every value object of the report carries
//! a non-null `value` field, so a JSON reader tests `value == null` and finds the reason beside it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A metric value, or the reason it cannot be computed on this data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Metric<T> {
    /// Serialized as `T` itself.
    Value(T),
    /// Serialized as `{"value": null, "reason": ...}`.
    NotAvailable(NotAvailable),
}

/// Why a metric is n/a; see [`Metric`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotAvailable {
    /// Always JSON `null`, so that `value` is present on both variants.
    pub value: (),
    /// Plain-language cause, e.g. "no attack presentations".
    pub reason: String,
}

impl<T> Metric<T> {
    /// An n/a metric with its reason.
    pub fn na(reason: impl Into<String>) -> Self {
        Metric::NotAvailable(NotAvailable { value: (), reason: reason.into() })
    }

    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Metric::Value(v) => Some(v),
            Metric::NotAvailable(_) => None,
        }
    }

    /// The reason, if n/a.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Metric::Value(_) => None,
            Metric::NotAvailable(na) => Some(&na.reason),
        }
    }
}

/// A decision threshold. JSON has no infinity, and serde_json would silently write `null`, which
/// would read as n/a; the +inf candidate ("reject everything") is written as the string `"+inf"`
/// instead (also in the sweep CSV). Finite thresholds are plain numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold(pub f64);

impl Serialize for Threshold {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_finite() { serializer.serialize_f64(self.0) } else { serializer.collect_str(self) }
    }
}

/// Reads what [`Threshold`]'s `Serialize` writes: a number, or the string `"+inf"`.
impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(f64),
            Text(String),
        }
        match Written::deserialize(deserializer)? {
            Written::Number(t) => Ok(Threshold(t)),
            Written::Text(t) => t
                .parse()
                .map(Threshold)
                .map_err(|_| serde::de::Error::custom(format!("threshold {t:?}: neither a number nor \"+inf\""))),
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 == f64::INFINITY { f.write_str("+inf") } else { write!(f, "{}", self.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct V {
        value: f64,
    }

    #[test]
    fn metric_serializes_value_or_null_with_reason() {
        let ok: Metric<V> = Metric::Value(V { value: 0.25 });
        let na: Metric<V> = Metric::na("no attack presentations");
        assert_eq!(serde_json::to_value(&ok).unwrap(), json!({"value": 0.25}));
        assert_eq!(serde_json::to_value(&na).unwrap(), json!({"value": null, "reason": "no attack presentations"}));
        assert_eq!(ok.value().map(|v| v.value), Some(0.25));
        assert!(ok.reason().is_none());
        assert_eq!(na.reason(), Some("no attack presentations"));
        assert!(na.value().is_none());
    }

    #[test]
    fn threshold_serializes_infinity_as_string() {
        assert_eq!(serde_json::to_value(Threshold(f64::INFINITY)).unwrap(), json!("+inf"));
        assert_eq!(serde_json::to_value(Threshold(0.5)).unwrap(), json!(0.5));
        assert_eq!(Threshold(f64::INFINITY).to_string(), "+inf");
        assert_eq!(Threshold(-0.25).to_string(), "-0.25");
    }
}
