//! The session policy (`configs/sessions/*.toml`): weights, threshold and bands of the liveness score,
//! frame selection, challenge detection thresholds, and how passive PAD combines with active liveness.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

const BUILTIN_DEFAULT: &str = include_str!("../../configs/sessions/default.toml");

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SessionPolicy {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub pose_weight: f64,
    pub expression_weight: f64,
    /// liveness_passed iff liveness_score (0-100) >= threshold.
    pub threshold: f64,
    /// Frames scored per session at most (evenly sampled); 0 = all.
    pub max_frames: usize,
    pub min_frames: usize,
    pub neutral_frames: usize,
    pub second_face_share: f64,
    pub passive_fusion: Fusion,
    pub combine: Combine,
    pub bands: SessionBands,
    pub detection: ChallengeThresholds,
    pub variation: Variation,
}

/// How per-frame passive scores become one session score (as bob's `finalize_scores` offers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fusion {
    Mean,
    Median,
    Min,
    Max,
}

impl Fusion {
    pub fn apply(self, values: &[f64]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        Some(match self {
            Fusion::Mean => values.iter().sum::<f64>() / values.len() as f64,
            Fusion::Median => crate::stats::median(values.iter().copied()),
            Fusion::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
            Fusion::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

/// Which verdicts the session decision needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    Both,
    Either,
    Active,
    Passive,
}

impl Combine {
    /// The decision; a missing passive verdict (passive PAD not run) leaves the active one alone.
    pub fn decide(self, active: bool, passive: Option<bool>) -> bool {
        match (self, passive) {
            (_, None) | (Combine::Active, _) => active,
            (Combine::Both, Some(p)) => active && p,
            (Combine::Either, Some(p)) => active || p,
            (Combine::Passive, Some(p)) => p,
        }
    }
}

/// The session score's confidence bands (0-100): `very_high`, `high` (the default pass mark), `review`, else
/// `likely_spoof`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SessionBands {
    pub very_high: f64,
    pub high: f64,
    pub review: f64,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeThresholds {
    pub yaw_degrees: f64,
    pub return_fraction: f64,
    pub blink_ratio: f64,
    pub blink_recovery: f64,
    pub smile_ratio: f64,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variation {
    pub full_yaw_degrees: f64,
    pub full_pitch_degrees: f64,
}

impl SessionPolicy {
    pub fn parse(text: &str, origin: &str) -> Result<SessionPolicy> {
        let p: SessionPolicy = toml::from_str(text).with_context(|| format!("invalid session policy {origin}"))?;
        p.validate().with_context(|| format!("invalid session policy {origin}"))?;
        Ok(p)
    }

    fn validate(&self) -> Result<()> {
        crate::policy::finite_numbers(self)?;
        let percent = |name: &str, v: f64| {
            if (0.0..=100.0).contains(&v) { Ok(()) } else { bail!("{name} must be within 0..100, got {v}") }
        };
        percent("threshold", self.threshold)?;
        percent("bands.very_high", self.bands.very_high)?;
        percent("bands.high", self.bands.high)?;
        percent("bands.review", self.bands.review)?;
        if !(self.bands.review <= self.bands.high && self.bands.high <= self.bands.very_high) {
            bail!("bands must satisfy review <= high <= very_high");
        }
        if self.pose_weight < 0.0 || self.expression_weight < 0.0 || self.pose_weight + self.expression_weight <= 0.0 {
            bail!("pose_weight and expression_weight must be >= 0 with a positive sum");
        }
        if self.variation.full_yaw_degrees <= 0.0 || self.variation.full_pitch_degrees <= 0.0 {
            bail!("variation.full_yaw_degrees and full_pitch_degrees must be positive");
        }
        let d = &self.detection;
        if !(d.blink_ratio < d.blink_recovery && d.smile_ratio > 1.0 && d.yaw_degrees > 0.0) {
            bail!("detection needs blink_ratio < blink_recovery, smile_ratio > 1 and yaw_degrees > 0");
        }
        if self.min_frames == 0 {
            bail!("min_frames must be at least 1");
        }
        Ok(())
    }

    /// The band of a liveness score (0-100).
    pub fn band(&self, score: f64) -> &'static str {
        if score >= self.bands.very_high {
            "very_high"
        } else if score >= self.bands.high {
            "high"
        } else if score >= self.bands.review {
            "review"
        } else {
            "likely_spoof"
        }
    }
}

/// `--session-policy`: a name in `<config dir>/sessions/`, a path, or `default` (built in).
pub fn resolve(spec: &str, config_dirs: &[PathBuf]) -> Result<SessionPolicy> {
    let (text, origin) = crate::policy::find_config(spec, config_dirs, "sessions", BUILTIN_DEFAULT)?;
    SessionPolicy::parse(&text, &origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_bands_and_combination() {
        let p = resolve("default", &[]).unwrap();
        assert_eq!((p.threshold, p.pose_weight, p.expression_weight), (75.0, 0.5, 0.5));
        let bands: Vec<_> = [95.0, 90.0, 89.9, 75.0, 74.9, 50.0, 49.9, 0.0].map(|s| p.band(s)).into();
        assert_eq!(
            bands,
            ["very_high", "very_high", "high", "high", "review", "review", "likely_spoof", "likely_spoof"]
        );
        assert!(!Combine::Both.decide(true, Some(false)) && Combine::Both.decide(true, None));
        assert!(Combine::Either.decide(false, Some(true)) && !Combine::Passive.decide(true, Some(false)));
    }

    #[test]
    fn fusion_rules() {
        let v = [0.2, 0.9, 0.4];
        let got: Vec<_> = [Fusion::Mean, Fusion::Median, Fusion::Min, Fusion::Max].map(|f| f.apply(&v).unwrap()).into();
        assert!((got[0] - 0.5).abs() < 1e-12 && got[1..] == [0.4, 0.2, 0.9], "{got:?}");
        assert_eq!(Fusion::Mean.apply(&[]), None);
    }

    #[test]
    fn bad_policies_are_refused_with_the_reason() {
        let typo = BUILTIN_DEFAULT.replace("pose_weight", "pose_wieght");
        assert!(format!("{:#}", SessionPolicy::parse(&typo, "s.toml").unwrap_err()).contains("pose_wieght"));
        let inverted = BUILTIN_DEFAULT.replace("review = 50.0", "review = 80.0");
        assert!(format!("{:#}", SessionPolicy::parse(&inverted, "s.toml").unwrap_err()).contains("review <= high"));
        let err = format!("{:#}", resolve("nope", &[]).unwrap_err());
        assert!(err.contains("nope.toml") && err.contains("sessions"), "{err}");
    }
}
