//! The `[calibration]` section of a policy: how its threshold was chosen and on what, so that a
//! threshold in a config file can be traced to a model (by ONNX sha256), a dataset (by fingerprint)
//! and a target, and so that `gate` can refuse to apply it to another model.

use serde::{Deserialize, Serialize};

use super::target::{Bound, Target};
use crate::metrics::Rate;

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    pub target: Target,
    pub bound: Bound,
    /// Worst-species APCER allowed at the pass edge of the retry band.
    pub pass_apcer: f64,
    /// BPCER allowed at the retry edge.
    pub retry_bpcer: f64,
    /// Model descriptor name.
    pub model: String,
    /// The score file calibrated on, and the filter applied to it.
    pub scores: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// [`crate::run::fingerprint`] of the calibration presentations.
    pub dataset_fingerprint: String,
    pub presentations: u64,
    /// Set only when calibrated on an incomplete run (`--allow-incomplete`): how much of it was there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<String>,
    /// UTC, ISO 8601.
    pub date: String,
    pub tool: String,
    /// The descriptor's ONNX files.
    pub model_files: Vec<ModelFile>,
    /// What the threshold and band edges reach on the calibration presentations.
    pub reached: Reached,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub file: String,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reached {
    /// At the threshold.
    pub bpcer: Figure,
    pub apcer_max: Figure,
    pub apcer_pooled: Figure,
    /// Worst-species APCER at the pass edge: attacks accepted outright.
    pub pass_apcer_max: Figure,
    /// BPCER at the retry edge: genuine users rejected outright.
    pub retry_bpcer: Figure,
}

/// A rate as recorded: k/n and the upper end of its 95% Clopper-Pearson interval.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub value: f64,
    pub k: u64,
    pub n: u64,
    pub upper95: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub species: Option<String>,
}

impl From<&Rate> for Figure {
    fn from(r: &Rate) -> Figure {
        Figure { value: r.value, k: r.k, n: r.n, upper95: r.ci95.upper, species: r.species.clone() }
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::Policy;

    const FIGURE: &str = "value = 0.0\nk = 0\nn = 10\nupper95 = 0.31\n";

    fn policy(calibration: &str) -> String {
        let base = include_str!("../../configs/policies/default.toml");
        let figures: String = ["bpcer", "apcer_max", "apcer_pooled", "pass_apcer_max", "retry_bpcer"]
            .iter()
            .map(|f| format!("[calibration.reached.{f}]\n{FIGURE}"))
            .collect();
        format!(
            "{base}\n[calibration]\n{calibration}model = \"silentface\"\nscores = \"s.csv\"\n\
             dataset_fingerprint = \"ab\"\npresentations = 20\ndate = \"d\"\ntool = \"t\"\n\
             pass_apcer = 0.01\nretry_bpcer = 0.01\nmodel_files = []\n{figures}"
        )
    }

    #[test]
    fn calibration_section_round_trips_and_rejects_unknown_keys_and_targets() {
        let p = Policy::parse(&policy("target = \"bpcer20\"\nbound = \"upper\"\n"), "p.toml").unwrap();
        let c = p.calibration.as_ref().unwrap();
        assert_eq!(c.target.to_string(), "bpcer@apcer=0.05");
        assert_eq!(c.reached.bpcer.n, 10);
        let again = Policy::parse(&toml::to_string(&p).unwrap(), "again").unwrap();
        assert_eq!(again.calibration, p.calibration);
        let e = format!(
            "{:#}",
            Policy::parse(&policy("target = \"eer\"\nbound = \"point\"\nseed = 1\n"), "p.toml").unwrap_err()
        );
        assert!(e.contains("unknown field `seed`"), "{e}");
        let e =
            format!("{:#}", Policy::parse(&policy("target = \"best\"\nbound = \"point\"\n"), "p.toml").unwrap_err());
        assert!(e.contains("unknown target `best`"), "{e}");
        let e = format!("{:#}", Policy::parse(&policy("bound = \"point\"\n"), "p.toml").unwrap_err());
        assert!(e.contains("missing field `target`"), "{e}");
    }
}
