//! The `[probability]` section of a policy: a map, fitted by `liveness calibrate --probability` on a dev
//! split, from a model's raw score to a calibrated P(bona fide), with the prior it is stated at and where
//! it came from.
//!
//! Why in the policy: the map belongs to one model's scores (like the threshold), and `score`, `eval` and
//! `serve` already apply a policy, so all three report the same calibrated `live_probability` beside the
//! raw score. Decisions and bands stay on the raw score: the map is monotone, so it changes no ordering,
//! and a threshold calibrated on raw scores keeps meaning what its `[calibration]` record says.
//!
//! The fits' arithmetic (prediction, the prior restatement) is in `metrics::calibration`; the types are
//! here so the policy file, its parser and every reader share one definition.

use serde::{Deserialize, Serialize};

use super::model_file::ModelFile;

/// How raw scores are mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbabilityMethod {
    /// Logistic regression on the logit of the score (Platt scaling).
    Platt,
    /// Pool-adjacent-violators: the best monotone step map, linear between its breakpoints.
    Isotonic,
}

impl ProbabilityMethod {
    pub const ALL: [ProbabilityMethod; 2] = [ProbabilityMethod::Platt, ProbabilityMethod::Isotonic];

    pub const fn as_str(self) -> &'static str {
        match self {
            ProbabilityMethod::Platt => "platt",
            ProbabilityMethod::Isotonic => "isotonic",
        }
    }
}

/// Platt scaling: P(bona fide | s) = 1 / (1 + exp(a·logit(s) + b)), s clamped to [1e-12, 1 - 1e-12].
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlattFit {
    pub a: f64,
    pub b: f64,
}

/// A monotone (non-decreasing) map from score to P(bona fide): linear between breakpoints, clipped to the
/// fitted range outside it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IsotonicFit {
    /// Breakpoint scores, strictly increasing.
    pub x: Vec<f64>,
    /// P(bona fide) at each breakpoint, non-decreasing, within 0..1.
    pub y: Vec<f64>,
}

/// How well a set of probabilities is calibrated (see `metrics::calibration::fit`); absent values could
/// not be computed (one class only).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FitFigures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cllr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cllr: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brier: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ece: Option<f64>,
}

/// The `[probability]` section.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Probability {
    pub method: ProbabilityMethod,
    /// The fitted map: `platt` for method "platt", `isotonic` for "isotonic" (exactly the one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platt: Option<PlattFit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isotonic: Option<IsotonicFit>,
    /// Share of bona fide presentations in the dev split: the prior the fitted posteriors are at.
    pub dev_bona_fide_share: f64,
    /// Deployment share of attacks (`--prior-attack`) the probability is re-stated at; absent: the dev
    /// split's share (the fit as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_attack: Option<f64>,
    /// Provenance: the model whose raw scores the map takes (a map holds for one model), its ONNX files,
    /// the dev score file, its filter, and the dev presentations' fingerprint and class counts.
    pub model: String,
    pub model_files: Vec<ModelFile>,
    pub scores: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    pub dataset_fingerprint: String,
    pub bona_fide: u64,
    pub attacks: u64,
    /// UTC, ISO 8601.
    pub date: String,
    pub tool: String,
    /// Fit quality on the dev split: the raw scores read as probabilities, and the map's output.
    pub dev_raw: FitFigures,
    pub dev_calibrated: FitFigures,
}
