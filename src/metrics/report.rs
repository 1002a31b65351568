//! The whole evaluation: options, the entry point [`evaluate`], and the JSON report schema.

use anyhow::{Result, ensure};
use serde::{Deserialize, Serialize};

use super::bands::{BandOptions, BandsReport, bands};
use super::bootstrap::{BootstrapOptions, BootstrapSummary, clustered};
use super::counts::Counts;
use super::metric::Metric;
use super::operating::ThresholdFree;
use super::population::Population;
use super::rates::{RateKind, RateSet};
use super::segments::{SegmentOptions, SegmentsReport, segments};
use super::subjects::Subjects;
use super::sweep::Sweep;
use super::tally::Tally;
use crate::schema::{Presentation, Presentations};

/// The only `schema_version` of a metrics document written and read.
pub const SCHEMA_VERSION: &str = "1";

/// The x of `bpcer_at_apcer[x]` and `apcer_at_bpcer[x]` by default (BPCER10, BPCER20, BPCER100).
pub const DEFAULT_OPERATING_RATES: [f64; 3] = [0.10, 0.05, 0.01];

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// Decision threshold: bona fide iff score >= threshold.
    pub threshold: f64,
    /// The x of the operating points, each in [0, 1].
    pub operating_rates: Vec<f64>,
    /// Per-segment metrics; `None` to skip.
    pub segments: Option<SegmentOptions>,
    /// Subject-clustered bootstrap; `None` to skip (it runs only when a `subject` column exists).
    pub bootstrap: Option<BootstrapOptions>,
    /// Pass/retry/fail policy; `None` to skip.
    pub policy: Option<BandOptions>,
}

impl EvalOptions {
    /// Defaults around a threshold: the default operating rates, every segment column (guard 30),
    /// 1000 bootstrap resamples (seed 1), no policy.
    pub fn new(threshold: f64) -> EvalOptions {
        EvalOptions {
            threshold,
            operating_rates: DEFAULT_OPERATING_RATES.to_vec(),
            segments: Some(SegmentOptions::default()),
            bootstrap: Some(BootstrapOptions::default()),
            policy: None,
        }
    }

    fn validate(&self) -> Result<()> {
        ensure!(!self.threshold.is_nan(), "the threshold must be a number");
        ensure!(
            self.operating_rates.iter().all(|x| (0.0..=1.0).contains(x)),
            "operating rates must lie in [0, 1], got {:?}",
            self.operating_rates
        );
        ensure!(self.bootstrap.is_none_or(|b| b.resamples > 0), "the bootstrap needs at least one resample");
        self.policy.as_ref().map_or(Ok(()), BandOptions::validate)
    }
}

/// The evaluation report, serialized as JSON (`schema_version` "1").
///
/// Conventions used throughout:
/// - A *rate* object is `{"value", "k", "n", "ci95": {"lower", "upper"}}` with k/n = value and a
///   two-sided 95% Clopper-Pearson interval; when k = 0 it also has `rule_of_three` (3/n, at most 1); a
///   worst-species rate has `species`; with a bootstrap, `bootstrap95` (`{"lower", "upper",
///   "resamples"}` or n/a).
/// - Anything that can be undefined is either its object or `{"value": null, "reason": "..."}`; every
///   defined object has a non-null `value`.
/// - Thresholds are numbers, except +inf, written `"+inf"`.
/// - Decision rule: bona fide iff score >= threshold. APCER/BPCER are over scored presentations;
///   non-responses are counted in APNRR/BPNRR and in the `_sys` rates.
///
/// Fields:
/// - `schema_version`: "1".
/// - `counts`: `bona_fide` and `species.<name>`: `{total, scored, non_responses, non_response_reasons}`.
/// - `at_threshold`: `threshold`; `bona_fide.{bpcer, bpnrr, bpcer_sys}`;
///   `species.<name>.{apcer, apnrr, apcer_sys}`; `attack.{apcer_max, apcer_pooled, apnrr_max,
///   apnrr_pooled, apcer_sys_max, apcer_sys_pooled}` (rates; `_max` = worst species). `_sys` rates
///   count a bona fide non-response as a rejection and an attack non-response as a correct rejection.
/// - `threshold_free`: `candidates` (distinct scores + 1); `eer_pooled` `{value, threshold,
///   apcer_pooled, bpcer}`; `bpcer_at_apcer.<x>` and `apcer_at_bpcer.<x>` `{value, threshold,
///   apcer_max, apcer_pooled, bpcer}` (value = the optimized rate); `auc_pooled` `{value}`.
/// - `bootstrap`: `{method, clusters, resamples, seed}` or n/a ("no subject column", "not requested").
/// - `segments`: `{min_count, columns.<column>.<value>: {counts, too_small, small_classes,
///   at_threshold, eer_pooled}, worst_apcer_max, worst_bpcer}`, the worst being a rate plus
///   `column` and `segment`; or n/a ("not requested").
/// - `decision_bands`: `{pass, retry, bona_fide: {pass, retry, fail, no_response}, species.<name>:
///   {same}, completion.<k>: rate over bona fide subjects}`; or n/a ("no policy given").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsReport {
    pub schema_version: String,
    pub counts: Counts,
    pub at_threshold: RateSet,
    pub threshold_free: ThresholdFree,
    pub bootstrap: Metric<BootstrapSummary>,
    pub segments: Metric<SegmentsReport>,
    pub decision_bands: Metric<BandsReport>,
}

/// The report and the sweep it was derived from (for [`super::write_sweep_csv`]).
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub report: MetricsReport,
    pub sweep: Sweep,
}

/// Computes every metric of `presentations` (sorting the scores once).
pub fn evaluate(presentations: &[Presentation], options: &EvalOptions) -> Result<Evaluation> {
    evaluate_set(presentations, options)
}

/// [`evaluate`] of presentations however they are held (records, or a score file's columns).
pub fn evaluate_set<P: Presentations + ?Sized>(presentations: &P, options: &EvalOptions) -> Result<Evaluation> {
    options.validate()?;
    ensure!(presentations.count() > 0, "no presentations to evaluate");
    let population = Population::of(presentations)?;
    let subjects = Subjects::of(presentations);
    let t = options.threshold;
    let tally = Tally::count(&population, t);
    let (bootstrap, intervals) = match (options.bootstrap, &subjects) {
        (None, _) => (Metric::na("not requested"), None),
        (Some(_), None) => (Metric::na("no subject column"), None),
        (Some(b), Some(s)) => {
            let (summary, intervals) = clustered(&population, s, t, b, &RateKind::all(&tally));
            (Metric::Value(summary), Some(intervals))
        }
    };
    let sweep = Sweep::from_population(&population);
    let report = MetricsReport {
        schema_version: SCHEMA_VERSION.to_owned(),
        counts: Counts::new(presentations, &population, 0..presentations.count(), &tally),
        at_threshold: RateSet::build(&tally, &population.species, t, intervals.as_ref()),
        threshold_free: ThresholdFree::from_sweep(&sweep, &options.operating_rates),
        bootstrap,
        segments: match &options.segments {
            Some(s) => Metric::Value(segments(presentations, &population, t, s)?),
            None => Metric::na("not requested"),
        },
        decision_bands: match &options.policy {
            Some(p) => Metric::Value(bands(&population, subjects.as_ref(), p)),
            None => Metric::na("no policy given"),
        },
    };
    Ok(Evaluation { report, sweep })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::of_subject;
    use crate::test_support::pres;
    use serde_json::json;

    fn sample() -> Vec<Presentation> {
        vec![pres("", Some(0.9)), pres("", Some(0.2)), pres("print", Some(0.6)), pres("print", None)]
    }

    #[test]
    fn invalid_options_and_empty_input_are_errors() {
        let bad = |o: EvalOptions| evaluate(&sample(), &o).unwrap_err().to_string();
        assert!(bad(EvalOptions::new(f64::NAN)).contains("threshold"));
        assert!(bad(EvalOptions { operating_rates: vec![1.5], ..EvalOptions::new(0.5) }).contains("[0, 1]"));
        let no_resamples = Some(BootstrapOptions { resamples: 0, seed: 1 });
        assert!(bad(EvalOptions { bootstrap: no_resamples, ..EvalOptions::new(0.5) }).contains("resample"));
        let inverted = Some(BandOptions { pass: 0.2, retry: 0.4, attempts: vec![1] });
        assert!(bad(EvalOptions { policy: inverted, ..EvalOptions::new(0.5) }).contains("retry"));
        assert!(evaluate(&[], &EvalOptions::new(0.5)).unwrap_err().to_string().contains("no presentations"));
    }

    #[test]
    fn optional_sections_say_why_they_are_absent() {
        let off = EvalOptions { segments: None, bootstrap: None, ..EvalOptions::new(0.5) };
        let r = serde_json::to_value(evaluate(&sample(), &off).unwrap().report).unwrap();
        assert_eq!(r["schema_version"], json!("1"));
        assert_eq!(r["bootstrap"], json!({"value": null, "reason": "not requested"}));
        assert_eq!(r["segments"], json!({"value": null, "reason": "not requested"}));
        assert_eq!(r["decision_bands"], json!({"value": null, "reason": "no policy given"}));
        let r = serde_json::to_value(evaluate(&sample(), &EvalOptions::new(0.5)).unwrap().report).unwrap();
        assert_eq!(r["bootstrap"]["reason"], json!("no subject column"));
        assert_eq!(r["segments"]["columns"], json!({}));
    }

    #[test]
    fn report_ties_sections_together() {
        // t = +inf rejects everything: BPCER 2/2, APCER 0/1; the threshold is written "+inf".
        let ps: Vec<Presentation> = sample().into_iter().map(|p| of_subject(&p.species, p.score, "s1")).collect();
        // A one-value column is not segmented by default (segment_columns): ask for it by name.
        let by_subject = Some(SegmentOptions { columns: Some(vec!["subject".into()]), ..SegmentOptions::default() });
        let evaluation =
            evaluate(&ps, &EvalOptions { segments: by_subject, ..EvalOptions::new(f64::INFINITY) }).unwrap();
        let r = serde_json::to_value(&evaluation.report).unwrap();
        assert_eq!(r["at_threshold"]["threshold"], json!("+inf"));
        assert_eq!(r["at_threshold"]["bona_fide"]["bpcer"]["k"], json!(2));
        assert_eq!(r["at_threshold"]["attack"]["apcer_max"]["species"], json!("print"));
        assert_eq!(r["at_threshold"]["attack"]["apcer_max"]["rule_of_three"], json!(1.0));
        assert_eq!(r["counts"]["species"]["print"]["non_responses"], json!(1));
        assert_eq!(r["bootstrap"]["clusters"], json!(1));
        // One cluster: every resample is the data itself.
        assert_eq!(
            r["at_threshold"]["bona_fide"]["bpcer"]["bootstrap95"],
            json!({"lower": 1.0, "upper": 1.0, "resamples": 1000})
        );
        assert_eq!(r["segments"]["columns"]["subject"]["s1"]["counts"]["bona_fide"]["total"], json!(2));
        assert_eq!(r["threshold_free"]["candidates"], json!(4));
        assert_eq!(evaluation.sweep.candidates(), 4);
    }
}
