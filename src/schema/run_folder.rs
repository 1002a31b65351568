//! The run folder `eval` writes and `report`, `gate`, `calibrate` and `diff` read, and the `run` block of
//! its metrics document: what was evaluated, with what, and where the threshold came from.

use serde::{Deserialize, Serialize};

use super::policy::Policy;

/// Every scored presentation, one row each (the score-file hand-off from scoring to evaluation).
pub const SCORES_CSV: &str = "scores.csv";
/// The same rows as Parquet, typed (`eval --scores-format parquet|both`); a reader of a run folder takes
/// scores.csv when it is there, else this file (`crate::scorefile::of_run`).
pub const SCORES_PARQUET: &str = "scores.parquet";

/// Which score files a scoring run leaves in its folder. scores.csv is always the file written while
/// scoring (appended row by row, so a stopped run resumes); `Parquet` converts it when the run is
/// complete and removes it, `Both` keeps both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScoresFormat {
    #[default]
    Csv,
    Parquet,
    Both,
}

impl std::str::FromStr for ScoresFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "csv" => Ok(ScoresFormat::Csv),
            "parquet" => Ok(ScoresFormat::Parquet),
            "both" => Ok(ScoresFormat::Both),
            other => Err(format!("{other:?}: the score file formats are csv, parquet and both")),
        }
    }
}
/// The metrics document: the metrics engine's report plus the `run` block ([`RunInfo`]).
pub const METRICS_JSON: &str = "metrics.json";
/// The threshold sweep: one row per candidate threshold.
pub const SWEEP_CSV: &str = "sweep.csv";
/// bob's expected performance curve: one row per weight α (`metrics::epc`).
pub const EPC_CSV: &str = "epc.csv";
/// `eval --match`: each presentation's face descriptor, written in the same pass as the scores.
pub const DESCRIPTORS_CSV: &str = "descriptors.csv";
/// `eval --match`: the per-presentation rows of the full-system evaluation.
pub const FULL_SYSTEM_CSV: &str = "full_system.csv";
/// The HTML report.
pub const INDEX_HTML: &str = "index.html";
/// The Markdown report.
pub const REPORT_MD: &str = "report.md";
/// Chart files (SVG and PNG) of the report.
pub const CHARTS_DIR: &str = "charts";
/// Face thumbnails of the report's gallery.
pub const THUMBS_DIR: &str = "thumbs";
/// The run's manifest: size, dataset fingerprint, what decides the rows, state (`crate::run::manifest`).
pub const RUN_JSON: &str = "run.json";
/// A shard's rows' positions in the whole dataset, one per line (`crate::run::shard`).
pub const POSITIONS_TXT: &str = "positions.txt";
/// A multi-model run's sweep of the comparison's model `index`, in the `comparison` block's order: the
/// evaluated model (0) has [`SWEEP_CSV`], each other model its own file, named by position so that no
/// model name reaches the file system.
pub fn model_sweep_csv(index: usize) -> String {
    if index == 0 { SWEEP_CSV.to_owned() } else { format!("sweep-model-{index}.csv") }
}
/// `liveness report RUN_A RUN_B --out DIR`: the models compared on their shared presentations
/// (`report::runs_compared`), beside the comparison's index.html.
pub const COMPARISON_JSON: &str = "comparison.json";
/// Chart stems (`.svg` and `.png` in [`CHARTS_DIR`]) of the "Models compared" section: DET and ROC curves
/// overlaid, one colour per model, and each model's score distributions side by side.
pub const MODELS_DET_CHART: &str = "models-det";
pub const MODELS_ROC_CHART: &str = "models-roc";
pub const MODELS_DISTRIBUTION_CHART: &str = "models-distribution";
/// The advisory lock of a run folder's writer (`crate::run::lock`).
pub const LOCK_FILE: &str = ".lock";

/// The `run` block of a metrics document, written by `eval` and `gate --metrics`. Fields only one of them
/// knows are optional and left out when absent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunInfo {
    /// `liveness <version>`.
    pub tool: String,
    /// The command line, as given.
    pub command: Vec<String>,
    /// UTC, ISO 8601.
    pub created_utc: String,
    /// The dataset folder or score file evaluated (`gate`: the file with its model and filter).
    pub source: String,
    /// The models that scored the presentations (`eval`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<ModelInfo>>,
    /// True when `eval` scored a dataset, false when it read a score file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scored_with_models: Option<bool>,
    /// The runtime that ran the classifiers (`ort` or `openvino`) when `eval` scored a dataset: the two
    /// agree only to float rounding, so the figures name the one that produced them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// The model whose scores were evaluated or gated (the primary of a multi-model `eval`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The score-file column the scores were read from (`score`, or `<model>_score` for `--model`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_column: Option<String>,
    /// `eval --scores`: the score file read and the `--where` filter applied to it, so that the run's
    /// presentations can be read back from a folder that holds no score file of its own (`report RUN_A
    /// RUN_B`; `source` is the text for people).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// How a score file of no known format was read (`eval --scores` with a mapping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<super::mapping::Mapping>,
    pub policy: Policy,
    /// The decision threshold applied (bona fide iff score >= threshold); written `null` when +inf.
    #[serde(with = "infinite_as_null")]
    pub threshold: f64,
    /// Where the threshold came from: `policy <name>` or `<target> on <file>`.
    pub threshold_source: String,
    /// The gate's name (`gate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<String>,
    /// Scores were negated (higher = attack in the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flip: Option<bool>,
    pub presentations: usize,
    /// The presentation fingerprint: same fingerprint, same presentations.
    pub dataset_fingerprint: String,
    /// `I/N` of a shard's run (`eval --shard`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// Present only when the presentations are not their whole run (`--allow-incomplete`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageInfo>,
    /// What `sweep.csv` must be (`eval`): checked before charts are drawn from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep_csv: Option<SweepRecord>,
    /// `eval --api` / `--responses`: a remote API scored the presentations, no model ran here (`models`
    /// and `backend` are then absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<ApiRun>,
}

/// The API that scored a run, as the run block records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiRun {
    /// The endpoint, without credentials.
    pub url: String,
    /// The `--api-format` preset the answers were read with.
    pub format: String,
    /// The classifier runtime the API reports (`liveness serve`'s `/readyz`); absent when it says none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// The model the API reports, with its files' sha256 (`liveness serve`'s `/readyz`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelInfo>,
    /// `eval --responses`: the stored answers that were read again (nothing was sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responses: Option<String>,
}

/// How much of its run a score set is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageInfo {
    /// `false` for an incomplete run, `null` when unknown (a folder without run.json).
    pub complete: Option<bool>,
    pub scored: u64,
    /// Presentations the run is meant to hold, when known.
    pub expected: Option<u64>,
    /// `INCOMPLETE: 2736 of 3491 presentations scored (78.4%)`.
    pub note: String,
}

/// A comparison model's sweep file (one of [`model_sweep_csv`]) and what it must be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelSweep {
    pub file: String,
    #[serde(flatten)]
    pub record: SweepRecord,
}

/// Data rows and sha256 of a `sweep.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepRecord {
    pub rows: u64,
    pub sha256: String,
}

/// A model descriptor as recorded in the run block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub name: String,
    /// The descriptor file (or `builtin:<name>`).
    pub origin: String,
    pub members: Vec<MemberInfo>,
}

/// One ONNX file of a model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub name: String,
    pub file: String,
    pub sha256: String,
}

/// JSON has no infinity: +inf (the reject-everyone threshold) is written `null` and read back as +inf.
mod infinite_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &f64, s: S) -> Result<S::Ok, S::Error> {
        if t.is_finite() { s.serialize_f64(*t) } else { s.serialize_none() }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
    }
}
