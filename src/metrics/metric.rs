//! Values that may be "n/a", and thresholds that may be +inf, in a JSON-safe form.
//!
//! A metric that needs a class the data lacks (EER without attacks, BPCER without scored bona fide
//! presentations) must never show up as a number: a 0 or NaN there reads like a result. So such
//! metrics are a [`Metric`], which serializes either as its value object or as
//! `{"value": null, "reason": "no attack presentations"}`. Every value object of the report carries
//! a non-null `value` field, so a JSON reader tests `value == null` and finds the reason beside it.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A metric value, or the reason it cannot be computed on this data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Metric<T> {
    /// Serialized as `T` itself.
    Value(T),
    /// Serialized as `{"value": null, "reason": ...}`.
    NotAvailable(NotAvailable),
}

/// Read back by its shape, not by trying each variant: an object whose `value` is `null` is n/a (and must
/// carry its `reason`), anything else must be a `T`. So a malformed `T` is reported as what is wrong with
/// it, not as "data did not match any variant".
impl<'de, T: DeserializeOwned> Deserialize<'de> for Metric<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(deserializer)?;
        if v.get("value").is_some_and(serde_json::Value::is_null) {
            NotAvailable::deserialize(v).map(Metric::NotAvailable).map_err(D::Error::custom)
        } else {
            T::deserialize(v).map(Metric::Value).map_err(D::Error::custom)
        }
    }
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
        Metric::NotAvailable(NotAvailable::new(reason))
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

impl NotAvailable {
    /// The n/a value with its reason.
    pub fn new(reason: impl Into<String>) -> Self {
        NotAvailable { value: (), reason: reason.into() }
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

impl Threshold {
    /// The threshold when it is a number (not +inf).
    pub fn finite(self) -> Option<f64> {
        self.0.is_finite().then_some(self.0)
    }
}

/// A number, or the string a non-finite threshold is written as (`"+inf"`).
impl<'de> Deserialize<'de> for Threshold {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(f64),
            Text(String),
        }
        match Written::deserialize(deserializer)? {
            Written::Number(x) => Ok(Threshold(x)),
            Written::Text(s) => s
                .parse::<f64>()
                .ok()
                .filter(|x| !x.is_finite())
                .map(Threshold)
                .ok_or_else(|| D::Error::custom(format!("threshold {s:?} is neither a number nor \"+inf\""))),
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

    #[test]
    fn metrics_and_thresholds_read_back_as_written() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct W {
            value: f64,
            threshold: Threshold,
        }
        for m in [Metric::Value(W { value: 0.25, threshold: Threshold(f64::INFINITY) }), Metric::na("no attacks")] {
            let back: Metric<W> = serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
            assert_eq!(back, m);
        }
        let bad = serde_json::from_value::<Metric<W>>(json!({"value": 0.5})).unwrap_err().to_string();
        assert!(bad.contains("threshold"), "{bad}");
        assert!(serde_json::from_value::<Metric<W>>(json!({"value": null})).is_err(), "n/a needs its reason");
        assert!(serde_json::from_value::<Threshold>(json!("high")).is_err());
    }
}
