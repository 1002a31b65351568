//! Decision policies: threshold, pass/retry/fail bands and quality gates, one TOML file per use case. The
//! types and the decision rules are contracts ([`crate::schema::policy`]); this module finds and parses
//! the files.

use std::path::{Path, PathBuf};

pub use crate::schema::policy::{Band, Bands, Policy, QualityGates};
use anyhow::{Context, Result, bail};

const BUILTIN_DEFAULT: &str = include_str!("../configs/policies/default.toml");

impl Policy {
    pub fn parse(text: &str, origin: &str) -> Result<Policy> {
        let p: Policy = toml::from_str(text).with_context(|| format!("invalid policy {origin}"))?;
        p.validate().with_context(|| format!("invalid policy {origin}"))?;
        Ok(p)
    }

    fn validate(&self) -> Result<()> {
        finite_numbers(self)?;
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) { Ok(()) } else { bail!("{name} must be within 0..1, got {v}") }
        };
        unit("threshold", self.threshold)?;
        unit("bands.pass", self.bands.pass)?;
        unit("bands.retry", self.bands.retry)?;
        if let Some(t) = self.match_threshold.filter(|t| !(t.is_finite() && *t > 0.0)) {
            bail!("match_threshold must be a positive distance, got {t}");
        }
        if self.bands.retry > self.bands.pass {
            bail!("bands.retry ({}) must not exceed bands.pass ({})", self.bands.retry, self.bands.pass);
        }
        self.probability.as_ref().map_or(Ok(()), |p| p.check())
    }
}

/// Every number of a configuration must be finite: TOML reads `nan` and `inf`, and a NaN gate compares
/// false (the gate is off) while an infinite one rejects everything, each silently. Walks the parsed
/// values, so a field added later is covered without being listed; the error names the key.
pub fn finite_numbers<T: serde::Serialize>(config: &T) -> Result<()> {
    fn walk(key: &str, v: &toml::Value) -> Result<()> {
        match v {
            toml::Value::Float(f) if !f.is_finite() => bail!("{key} must be a finite number, got {f}"),
            toml::Value::Table(t) => {
                t.iter().try_for_each(|(k, v)| walk(&if key.is_empty() { k.clone() } else { format!("{key}.{k}") }, v))
            }
            toml::Value::Array(a) => a.iter().enumerate().try_for_each(|(i, v)| walk(&format!("{key}[{i}]"), v)),
            _ => Ok(()),
        }
    }
    walk("", &toml::Value::try_from(config).context("cannot read the configuration's values")?)
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
