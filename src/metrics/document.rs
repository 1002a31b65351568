//! The metrics document: the one contract of a run folder's `metrics.json`, written by `eval` and
//! `gate --metrics` and read back by `report`, `gate --baseline` and the runs compared.
//!
//! Writers and readers share this type so that a block cannot be spelled two ways: the engine's blocks
//! ([`MetricsReport`]), the `run` block ([`RunInfo`]) and every block `eval` adds on top (comparison,
//! bob, folds, ...) are the types their engines compute, serialized and read back as they are.
//!
//! The bytes on disk are those of the JSON value of this struct: [`MetricsDocument::to_json`] builds it
//! (serde_json's maps are sorted, so every level comes out in alphabetical key order, as before the type
//! existed), and `serde_json::to_string_pretty` of that value is the file.
//!
//! A decision-only document (`eval --decision-column`: a vendor's decisions, no scores) has none of the
//! engine's blocks and says why in `curves`; [`MetricsDocument::scored`] is the one place that tells
//! the two kinds apart.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::aggregate::Aggregation;
use super::bob::BobMetrics;
use super::calibration::ProbabilityReport;
use super::comparison::Comparison;
use super::decisions::DecisionReport;
use super::folds::FoldsReport;
use super::full_system::FullSystemReport;
use super::legacy::Legacy;
use super::report::SCHEMA_VERSION;
use super::resolution::Resolution;
use super::strata::StratumReport;
use super::{
    BandsReport, BootstrapSummary, Counts, Metric, MetricsReport, NotAvailable, RateSet, SegmentsReport, ThresholdFree,
};
use crate::schema::RunInfo;
use crate::scoreset::labels::JoinReport;

/// A run folder's `metrics.json`. The engine's blocks are `None` only in a decision-only document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricsDocument {
    pub schema_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<Counts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_threshold: Option<RateSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_free: Option<ThresholdFree>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<Metric<BootstrapSummary>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Metric<SegmentsReport>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_bands: Option<Metric<BandsReport>>,
    pub run: RunInfo,
    /// A decision-only document: why it has no curves (no scores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curves: Option<NotAvailable>,
    /// `--segment-by COLUMN:BUCKETS`: each stratified column's buckets and edges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strata: Option<Vec<StratumReport>>,
    /// `--labels`: how the score file's ids were joined to the dataset's labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<JoinReport>,
    /// `--decision-column`: the vendor's own decisions, at its operating point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisions: Option<DecisionReport>,
    /// `--group-by`: the video-level summary and the frame-level figures beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation: Option<Aggregation>,
    /// `--match`: the full-system (PAD + face match) figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_system: Option<FullSystemReport>,
    /// `--model a,b`: the models compared on the same presentations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// `--folds`: the figures per fold and their spread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folds: Option<FoldsReport>,
    /// How well the scores are calibrated as probabilities, raw and after the policy's map.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<Metric<ProbabilityReport>>,
    /// bob and pyeer figures on the same sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bob: Option<BobMetrics>,
    /// What the data can resolve (rule of three) at each operating point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// `--legacy-metrics`: ACER/HTER, labelled not ISO/IEC 30107-3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy: Option<Legacy>,
}

/// The engine's blocks of a document that has them (every document but a decision-only one).
#[derive(Debug, Clone, Copy)]
pub struct Scored<'a> {
    pub counts: &'a Counts,
    pub at_threshold: &'a RateSet,
    pub threshold_free: &'a ThresholdFree,
    pub bootstrap: &'a Metric<BootstrapSummary>,
    pub segments: &'a Metric<SegmentsReport>,
    pub decision_bands: &'a Metric<BandsReport>,
}

impl MetricsDocument {
    /// The engine's report and the run block; the other blocks are added by the writer.
    pub fn new(report: MetricsReport, run: RunInfo) -> MetricsDocument {
        MetricsDocument {
            schema_version: report.schema_version,
            counts: Some(report.counts),
            at_threshold: Some(report.at_threshold),
            threshold_free: Some(report.threshold_free),
            bootstrap: Some(report.bootstrap),
            segments: Some(report.segments),
            decision_bands: Some(report.decision_bands),
            ..MetricsDocument::decision_only(run, None)
        }
    }

    /// A document without the engine's blocks (a vendor's decisions only, `curves` saying why).
    pub fn decision_only(run: RunInfo, curves: Option<NotAvailable>) -> MetricsDocument {
        MetricsDocument {
            schema_version: SCHEMA_VERSION.to_owned(),
            counts: None,
            at_threshold: None,
            threshold_free: None,
            bootstrap: None,
            segments: None,
            decision_bands: None,
            run,
            curves,
            strata: None,
            labels: None,
            decisions: None,
            aggregation: None,
            full_system: None,
            comparison: None,
            folds: None,
            probability: None,
            bob: None,
            resolution: None,
            legacy: None,
        }
    }

    /// Reads a document; `what` names it in the errors (a path, "baseline ..."). The version is checked
    /// first, so a document of another version is refused as that, not for the fields it lacks.
    pub fn parse(text: &str, what: &str) -> anyhow::Result<MetricsDocument> {
        #[derive(Deserialize)]
        struct Version {
            #[serde(default)]
            schema_version: Value,
        }
        let doc: Value = serde_json::from_str(text).map_err(|e| anyhow::anyhow!("{what} is not valid JSON: {e}"))?;
        let version = Version::deserialize(&doc).map_or(Value::Null, |v| v.schema_version);
        anyhow::ensure!(version == SCHEMA_VERSION, "{what}: unsupported schema_version {version}");
        serde_json::from_value(doc).map_err(|e| anyhow::anyhow!("{what} is not a metrics document: {e}"))
    }

    /// The engine's blocks, or `None` for a decision-only document (or one missing any of them).
    pub fn scored(&self) -> Option<Scored<'_>> {
        Some(Scored {
            counts: self.counts.as_ref()?,
            at_threshold: self.at_threshold.as_ref()?,
            threshold_free: self.threshold_free.as_ref()?,
            bootstrap: self.bootstrap.as_ref()?,
            segments: self.segments.as_ref()?,
            decision_bands: self.decision_bands.as_ref()?,
        })
    }

    /// The document as the JSON value written to `metrics.json` (`to_string_pretty` of it is the file).
    pub fn to_json(&self) -> serde_json::Result<Value> {
        serde_json::to_value(self)
    }

    /// The pretty-printed file.
    pub fn to_file_text(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(&self.to_json()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{completed, sample_run};
    use serde_json::json;

    #[test]
    fn a_document_reads_back_as_it_was_written() {
        let doc = completed(json!({}));
        let back: MetricsDocument = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(back.to_json().unwrap(), doc);
        assert!(back.scored().is_some());
        let text = MetricsDocument::decision_only(sample_run(), Some(NotAvailable::new("no scores"))).to_file_text();
        let decisions = MetricsDocument::parse(&text.unwrap(), "d.json").unwrap();
        assert!(decisions.scored().is_none());
        assert_eq!(decisions.curves.map(|c| c.reason), Some("no scores".into()));
    }

    #[test]
    fn a_document_that_does_not_read_says_where() {
        let e = MetricsDocument::parse("{", "m.json").unwrap_err().to_string();
        assert!(e.contains("m.json is not valid JSON"), "{e}");
        let e = MetricsDocument::parse(r#"{"schema_version": "2"}"#, "m.json").unwrap_err().to_string();
        assert!(e.contains("m.json: unsupported schema_version \"2\""), "{e}");
        let mut bad = completed(json!({}));
        bad["counts"]["bona_fide"]["total"] = json!("many");
        let e = MetricsDocument::parse(&bad.to_string(), "m.json").unwrap_err().to_string();
        assert!(e.contains("m.json is not a metrics document") && e.contains("many"), "{e}");
    }
}
