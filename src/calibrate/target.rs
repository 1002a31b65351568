//! What a threshold is calibrated for, written as a short text (`bpcer20`, `apcer@bpcer=0.01`, ...) so
//! that the same words appear on the command line, in a policy's `[calibration]` section and in reports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A calibration target. Rates are the ISO/IEC 30107-3 ones of the oracle conventions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Target {
    /// Lowest BPCER among thresholds with worst-species APCER <= x; ties to the highest threshold.
    /// `bpcerN` is x = 1/N (BPCER20: APCER_max <= 5%).
    BpcerAtApcer(f64),
    /// Lowest worst-species APCER among thresholds with BPCER <= x; ties to the lowest threshold.
    ApcerAtBpcer(f64),
    /// The pooled EER's threshold (candidate i of the oracle's crossing rule).
    Eer,
    /// A threshold chosen elsewhere; calibration only measures it.
    Fixed(f64),
    /// Lowest `apcer * APCER_max + bpcer * BPCER`; ties to the highest threshold.
    Cost { apcer: f64, bpcer: f64 },
}

pub const TARGET_SYNTAX: &str = "eer, bpcerN (e.g. bpcer20 = BPCER at APCER_max <= 5%), bpcer@apcer=X, apcer@bpcer=X, \
     fixed=T, cost:apcer=A,bpcer=B";

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Target, String> {
        let unit = |v: &str| match v.parse::<f64>() {
            Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
            _ => Err(format!("`{v}` in target `{s}` must be a rate within 0..1")),
        };
        let t = s.trim();
        if t == "eer" {
            return Ok(Target::Eer);
        }
        if let Some(x) = t.strip_prefix("bpcer@apcer=") {
            return unit(x).map(Target::BpcerAtApcer);
        }
        if let Some(x) = t.strip_prefix("apcer@bpcer=") {
            return unit(x).map(Target::ApcerAtBpcer);
        }
        if let Some(x) = t.strip_prefix("fixed=") {
            return x
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Target::Fixed)
                .ok_or(format!("`{x}` is not a threshold"));
        }
        if let Some(costs) = t.strip_prefix("cost:") {
            return parse_costs(costs).map_err(|e| format!("target `{s}`: {e}"));
        }
        if let Some(n) = t.strip_prefix("bpcer").and_then(|n| n.parse::<f64>().ok()).filter(|n| *n >= 1.0) {
            return Ok(Target::BpcerAtApcer(1.0 / n));
        }
        Err(format!("unknown target `{s}`; targets: {TARGET_SYNTAX}"))
    }
}

fn parse_costs(text: &str) -> Result<Target, String> {
    let (mut apcer, mut bpcer) = (None, None);
    for part in text.split(',') {
        let (key, value) = part.split_once('=').ok_or(format!("`{part}` is not KEY=COST"))?;
        let cost = value.trim().parse::<f64>().ok().filter(|c| c.is_finite() && *c >= 0.0);
        let cost = cost.ok_or(format!("cost `{value}` must be a number >= 0"))?;
        match key.trim() {
            "apcer" => apcer = Some(cost),
            "bpcer" => bpcer = Some(cost),
            other => return Err(format!("unknown cost `{other}` (use apcer and bpcer)")),
        }
    }
    match (apcer, bpcer) {
        (Some(apcer), Some(bpcer)) if apcer + bpcer > 0.0 => Ok(Target::Cost { apcer, bpcer }),
        (Some(_), Some(_)) => Err("at least one cost must be positive".into()),
        _ => Err("give both costs: cost:apcer=A,bpcer=B".into()),
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::BpcerAtApcer(x) => write!(f, "bpcer@apcer={x}"),
            Target::ApcerAtBpcer(x) => write!(f, "apcer@bpcer={x}"),
            Target::Eer => f.write_str("eer"),
            Target::Fixed(t) => write!(f, "fixed={t}"),
            Target::Cost { apcer, bpcer } => write!(f, "cost:apcer={apcer},bpcer={bpcer}"),
        }
    }
}

impl TryFrom<String> for Target {
    type Error = String;
    fn try_from(s: String) -> Result<Target, String> {
        s.parse()
    }
}

impl From<Target> for String {
    fn from(t: Target) -> String {
        t.to_string()
    }
}

/// Which figure a constraint must meet: the point estimate, or the upper end of its two-sided 95%
/// Clopper-Pearson interval (the safe choice on small calibration sets: the limit then holds with
/// 97.5% confidence, not just on this sample).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    #[default]
    Point,
    Upper,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_form() {
        for (text, target, canonical) in [
            ("eer", Target::Eer, "eer"),
            ("bpcer20", Target::BpcerAtApcer(0.05), "bpcer@apcer=0.05"),
            ("bpcer100", Target::BpcerAtApcer(0.01), "bpcer@apcer=0.01"),
            ("bpcer@apcer=0.1", Target::BpcerAtApcer(0.1), "bpcer@apcer=0.1"),
            ("apcer@bpcer=0.02", Target::ApcerAtBpcer(0.02), "apcer@bpcer=0.02"),
            ("fixed=0.5", Target::Fixed(0.5), "fixed=0.5"),
            ("cost:apcer=10,bpcer=1", Target::Cost { apcer: 10.0, bpcer: 1.0 }, "cost:apcer=10,bpcer=1"),
        ] {
            assert_eq!(text.parse::<Target>(), Ok(target), "{text}");
            assert_eq!(target.to_string(), canonical);
            assert_eq!(canonical.parse::<Target>(), Ok(target));
        }
    }

    #[test]
    fn bad_targets_say_why() {
        assert!("bpcer0.5".parse::<Target>().unwrap_err().contains("unknown target"));
        assert!("apcer@bpcer=2".parse::<Target>().unwrap_err().contains("within 0..1"));
        assert!("cost:apcer=1".parse::<Target>().unwrap_err().contains("both costs"));
        assert!("cost:apcer=1,fee=2".parse::<Target>().unwrap_err().contains("unknown cost `fee`"));
        assert!("cost:apcer=0,bpcer=0".parse::<Target>().unwrap_err().contains("positive"));
        assert!("fixed=nan".parse::<Target>().is_err());
    }
}
