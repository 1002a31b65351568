//! Decision policies: threshold, pass/retry/fail bands and quality gates, one TOML file per use case.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::detect::MultiFace;

const BUILTIN_DEFAULT: &str = include_str!("../configs/policies/default.toml");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Bona fide iff score >= threshold.
    pub threshold: f64,
    pub bands: Bands,
    pub quality: QualityGates,
    /// How the threshold was chosen (written by `liveness calibrate`); absent in hand-written policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<crate::calibrate::Calibration>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bands {
    pub pass: f64,
    pub retry: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QualityGates {
    pub min_face_px: f64,
    pub min_face_share: f64,
    pub min_sharpness: f64,
    pub min_brightness: f64,
    pub max_brightness: f64,
    pub max_clipped_share: f64,
    pub reject_border: bool,
    pub multi_face: MultiFace,
}

/// Where a score falls under the policy's bands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Pass,
    Retry,
    Fail,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Pass => "pass",
            Band::Retry => "retry",
            Band::Fail => "fail",
        }
    }
}

impl Policy {
    pub fn parse(text: &str, origin: &str) -> Result<Policy> {
        let p: Policy = toml::from_str(text).with_context(|| format!("invalid policy {origin}"))?;
        p.validate().with_context(|| format!("invalid policy {origin}"))?;
        Ok(p)
    }

    fn validate(&self) -> Result<()> {
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) { Ok(()) } else { bail!("{name} must be within 0..1, got {v}") }
        };
        unit("threshold", self.threshold)?;
        unit("bands.pass", self.bands.pass)?;
        unit("bands.retry", self.bands.retry)?;
        if self.bands.retry > self.bands.pass {
            bail!("bands.retry ({}) must not exceed bands.pass ({})", self.bands.retry, self.bands.pass);
        }
        Ok(())
    }

    /// The band of a live probability: pass >= bands.pass, retry >= bands.retry, else fail.
    pub fn band(&self, score: f64) -> Band {
        if score >= self.bands.pass {
            Band::Pass
        } else if score >= self.bands.retry {
            Band::Retry
        } else {
            Band::Fail
        }
    }

    /// The decision at the threshold: bona fide iff score >= threshold.
    pub fn is_live(&self, score: f64) -> bool {
        score >= self.threshold
    }
}

/// Resolves `--policy`: a path to a TOML file, a name looked up as `<config dir>/policies/<name>.toml`, or
/// `default` (built in).
pub fn resolve(spec: &str, config_dirs: &[PathBuf]) -> Result<Policy> {
    let (text, origin) = find_config(spec, config_dirs, "policies", BUILTIN_DEFAULT)?;
    Policy::parse(&text, &origin)
}

/// The text and origin of a named configuration file: `spec` itself when it is a path (ends in `.toml` or
/// holds a `/`), else `<config dir>/<folder>/<spec>.toml` in the first configuration folder that has it,
/// else `builtin` for `default`. Shared by every kind of policy so they are all found the same way.
pub fn find_config(spec: &str, config_dirs: &[PathBuf], folder: &str, builtin: &str) -> Result<(String, String)> {
    if spec.ends_with(".toml") || spec.contains('/') {
        let text = std::fs::read_to_string(Path::new(spec)).with_context(|| format!("cannot read {spec}"))?;
        return Ok((text, spec.to_string()));
    }
    for dir in config_dirs {
        let path = dir.join(folder).join(format!("{spec}.toml"));
        if path.is_file() {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            return Ok((text, path.display().to_string()));
        }
    }
    if spec == "default" {
        return Ok((builtin.to_string(), "builtin:default".to_string()));
    }
    bail!(
        "unknown {folder} entry `{spec}`: no {spec}.toml in the {folder} folder of {config_dirs:?}; give a path to a .toml file"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_bands_and_decision() {
        let p = resolve("default", &[]).unwrap();
        assert_eq!(p.band(0.75), Band::Pass);
        assert_eq!(p.band(0.7499), Band::Retry);
        assert_eq!(p.band(0.5), Band::Retry);
        assert_eq!(p.band(0.4999), Band::Fail);
        assert!(p.is_live(0.5) && !p.is_live(0.4999));
    }

    #[test]
    fn policy_errors_are_precise() {
        let typo = BUILTIN_DEFAULT.replace("min_face_px", "min_face_pixels");
        let err = format!("{:#}", Policy::parse(&typo, "p.toml").unwrap_err());
        assert!(err.contains("p.toml") && err.contains("min_face_pixels"), "{err}");
        let missing = BUILTIN_DEFAULT.replace("threshold = 0.5\n", "");
        let err = format!("{:#}", Policy::parse(&missing, "p.toml").unwrap_err());
        assert!(err.contains("threshold"), "{err}");
        let inverted = BUILTIN_DEFAULT.replace("retry = 0.50", "retry = 0.9");
        let err = format!("{:#}", Policy::parse(&inverted, "p.toml").unwrap_err());
        assert!(err.contains("must not exceed"), "{err}");
    }
}
