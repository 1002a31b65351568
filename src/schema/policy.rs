//! The decision policy (`configs/policies/*.toml`): threshold, pass/retry/fail bands, quality gates and the
//! `[calibration]` record of how the threshold was chosen. Parsing the TOML (and its checks) is in
//! `crate::policy`; the decision rules themselves are here, so every part of the tool decides alike.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use super::model_file::ModelFile;

/// The decision rule, the one place it is written: bona fide iff `score >= threshold`. Scoring, the
/// metrics engine, calibration, diff, the report's gallery and sessions all decide through it.
#[inline]
pub fn is_bona_fide(score: f64, threshold: f64) -> bool {
    score >= threshold
}

/// The band rule: pass iff `score >= bands.pass`, retry iff `score >= bands.retry`, fail below.
#[inline]
pub fn band(score: f64, bands: &Bands) -> Band {
    if is_bona_fide(score, bands.pass) {
        Band::Pass
    } else if is_bona_fide(score, bands.retry) {
        Band::Retry
    } else {
        Band::Fail
    }
}

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
    /// Face match (`compare`, `search`, `persons`, `eval --match`): same person iff distance <
    /// match_threshold. Written by `liveness calibrate` on an `eval --match` run; absent: the
    /// recognizer's default (its descriptor's `threshold`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_threshold: Option<f64>,
    /// How the threshold was chosen (written by `liveness calibrate`); absent in hand-written policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    /// The map from raw score to calibrated P(bona fide) (written by `liveness calibrate --probability`);
    /// absent: only the raw score is reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<super::probability::Probability>,
}

/// Pass/retry edges on the live probability (0..1).
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

/// What to do when an image holds several faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MultiFace {
    /// Score the largest face (the reference pipeline's rule).
    Largest,
    /// Refuse the image: a non-response with reason `multiple_faces`.
    Reject,
}

impl MultiFace {
    pub const ALL: [MultiFace; 2] = [MultiFace::Largest, MultiFace::Reject];

    pub const fn as_str(self) -> &'static str {
        match self {
            MultiFace::Largest => "largest",
            MultiFace::Reject => "reject",
        }
    }

    pub const fn help(self) -> &'static str {
        match self {
            MultiFace::Largest => "Score the largest face (the reference pipeline's rule)",
            MultiFace::Reject => "Refuse the image: a non-response with reason `multiple_faces`",
        }
    }
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
    /// The band of a live probability: pass >= bands.pass, retry >= bands.retry, else fail.
    pub fn band(&self, score: f64) -> Band {
        band(score, &self.bands)
    }

    /// The decision at the threshold: bona fide iff score >= threshold.
    pub fn is_live(&self, score: f64) -> bool {
        is_bona_fide(score, self.threshold)
    }
}

/// The `[calibration]` section: how the threshold was chosen and on what, so that a threshold in a config
/// file can be traced to a model (by ONNX sha256), a dataset (by fingerprint) and a target, and so that
/// `gate` can refuse to apply it to another model.
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
    /// The column of `scores` that was read (`score`, or `<model>_score`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// the presentation fingerprint (`scorefile::fingerprint`) of the calibration presentations.
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
    /// Calibrated on an `eval --match` run: the match threshold and what the whole system reaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_match: Option<MatchCalibration>,
}

/// The face-match side of a calibration on an `eval --match` run folder.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatchCalibration {
    /// The recognizer descriptor and its ONNX file's sha256: a match threshold holds for one model.
    pub recognizer: String,
    pub recognizer_sha256: String,
    /// The enrolment rule the comparisons were made with (`first-session:3`).
    pub enrolment: String,
    /// `--match-target`, when the match threshold was held to a limit on the matcher's own errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_target: Option<MatchTarget>,
    /// Same person iff distance < match_threshold (the policy's `match_threshold`).
    pub match_threshold: f64,
    /// The matcher alone at the match threshold.
    pub fmr: Figure,
    pub fnmr: Figure,
    /// The whole system at (threshold, match_threshold): the worst species' attacks that PAD accepts AND
    /// that match, and the genuine presentations that PAD rejects OR that do not match.
    pub attack_acceptance_max: Figure,
    pub bona_fide_rejection: Figure,
}

/// A limit on the matcher's own errors, for its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum MatchTarget {
    /// Lowest FNMR among match thresholds with FMR <= x; ties to the lowest (strictest) threshold.
    FnmrAtFmr(f64),
}

pub const MATCH_TARGET_SYNTAX: &str = "fnmr@fmr=X (lowest FNMR with FMR <= X)";

impl FromStr for MatchTarget {
    type Err = String;

    fn from_str(s: &str) -> Result<MatchTarget, String> {
        match s.trim().strip_prefix("fnmr@fmr=").map(str::parse::<f64>) {
            Some(Ok(x)) if (0.0..=1.0).contains(&x) => Ok(MatchTarget::FnmrAtFmr(x)),
            Some(_) => Err(format!("`{s}`: the FMR must be a rate within 0..1")),
            None => Err(format!("unknown match target `{s}`; match targets: {MATCH_TARGET_SYNTAX}")),
        }
    }
}

impl fmt::Display for MatchTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchTarget::FnmrAtFmr(x) => write!(f, "fnmr@fmr={x}"),
        }
    }
}

impl TryFrom<String> for MatchTarget {
    type Error = String;
    fn try_from(s: String) -> Result<MatchTarget, String> {
        s.parse()
    }
}

impl From<MatchTarget> for String {
    fn from(t: MatchTarget) -> String {
        t.to_string()
    }
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
    /// The whole system (PAD and face match, an `eval --match` run): the (PAD threshold, match threshold)
    /// pair of the 2-D sweep's grid with the lowest bona fide full-system rejection (PAD reject OR no
    /// match) among pairs whose worst-species full-system attack acceptance (PAD accept AND match) is <= x.
    FullSystem(f64),
}

pub const TARGET_SYNTAX: &str = "eer, bpcerN (e.g. bpcer20 = BPCER at APCER_max <= 5%), bpcer@apcer=X, apcer@bpcer=X, \
     fixed=T, cost:apcer=A,bpcer=B, full-system:bpcer@apcer=X (PAD and face match together, on an eval --match run)";

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
        if let Some(x) = t.strip_prefix("full-system:bpcer@apcer=") {
            return unit(x).map(Target::FullSystem);
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
            Target::FullSystem(x) => write!(f, "full-system:bpcer@apcer={x}"),
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    #[default]
    Point,
    Upper,
}

impl Bound {
    pub const ALL: [Bound; 2] = [Bound::Point, Bound::Upper];

    pub const fn as_str(self) -> &'static str {
        match self {
            Bound::Point => "point",
            Bound::Upper => "upper",
        }
    }
}
