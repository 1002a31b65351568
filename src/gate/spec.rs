//! The gate file: declarative pass criteria in TOML, checked completely when loaded (unknown keys,
//! unknown metrics, a species on a metric without species, a bound on a metric without an interval)
//! so that a typo fails the CI job with a message instead of silently passing it.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;

/// A metric a criterion can name: where it lives in the metrics document and how to read it.
#[derive(Debug, PartialEq, Eq)]
pub struct MetricKind {
    pub name: &'static str,
    /// Where it is read in the typed document ([`super::measure`]).
    pub location: Location,
    /// The same place as a path, for messages; `{species}` and `{attempts}` are filled from the criterion.
    pub path: &'static [&'static str],
    pub param: Param,
    pub higher_is_better: bool,
    /// A rate object with `ci95` (everything but EER and AUC).
    pub has_ci: bool,
    pub about: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    None,
    Species,
    Attempts,
}

/// Where a metric lives in a [`crate::metrics::MetricsDocument`]; read in one place, [`super::measure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Bpcer,
    Bpnrr,
    BpcerSys,
    ApcerMax,
    ApcerPooled,
    ApnrrMax,
    ApnrrPooled,
    SpeciesApcer,
    SpeciesApnrr,
    WorstSegmentBpcer,
    WorstSegmentApcerMax,
    BonaFideRetry,
    Completion,
    Eer,
    Auc,
}

const fn rate(
    name: &'static str,
    location: Location,
    path: &'static [&'static str],
    param: Param,
    about: &'static str,
) -> MetricKind {
    MetricKind { name, location, path, param, higher_is_better: false, has_ci: true, about }
}

/// Every metric a gate can check.
pub const METRICS: &[MetricKind] = &[
    rate(
        "bpcer",
        Location::Bpcer,
        &["at_threshold", "bona_fide", "bpcer"],
        Param::None,
        "BPCER at the policy threshold",
    ),
    rate("bpnrr", Location::Bpnrr, &["at_threshold", "bona_fide", "bpnrr"], Param::None, "bona fide non-response rate"),
    rate(
        "bpcer_sys",
        Location::BpcerSys,
        &["at_threshold", "bona_fide", "bpcer_sys"],
        Param::None,
        "BPCER counting non-responses as rejections",
    ),
    rate("apcer_max", Location::ApcerMax, &["at_threshold", "attack", "apcer_max"], Param::None, "worst-species APCER"),
    rate(
        "apcer_pooled",
        Location::ApcerPooled,
        &["at_threshold", "attack", "apcer_pooled"],
        Param::None,
        "APCER over all attacks",
    ),
    rate(
        "apnrr_max",
        Location::ApnrrMax,
        &["at_threshold", "attack", "apnrr_max"],
        Param::None,
        "worst-species attack non-response rate",
    ),
    rate(
        "apnrr_pooled",
        Location::ApnrrPooled,
        &["at_threshold", "attack", "apnrr_pooled"],
        Param::None,
        "attack non-response rate",
    ),
    rate(
        "apcer",
        Location::SpeciesApcer,
        &["at_threshold", "species", "{species}", "apcer"],
        Param::Species,
        "APCER of one species",
    ),
    rate(
        "apnrr",
        Location::SpeciesApnrr,
        &["at_threshold", "species", "{species}", "apnrr"],
        Param::Species,
        "APNRR of one species",
    ),
    rate(
        "worst_segment_bpcer",
        Location::WorstSegmentBpcer,
        &["segments", "worst_bpcer"],
        Param::None,
        "BPCER of the worst metadata segment",
    ),
    rate(
        "worst_segment_apcer_max",
        Location::WorstSegmentApcerMax,
        &["segments", "worst_apcer_max"],
        Param::None,
        "APCER_max of the worst segment",
    ),
    rate(
        "bona_fide_retry",
        Location::BonaFideRetry,
        &["decision_bands", "bona_fide", "retry"],
        Param::None,
        "share of bona fide asked to retry",
    ),
    MetricKind {
        name: "completion",
        location: Location::Completion,
        path: &["decision_bands", "completion", "{attempts}"],
        param: Param::Attempts,
        higher_is_better: true,
        has_ci: true,
        about: "share of bona fide subjects passing within k attempts",
    },
    MetricKind {
        name: "eer",
        location: Location::Eer,
        path: &["threshold_free", "eer_pooled"],
        param: Param::None,
        higher_is_better: false,
        has_ci: false,
        about: "pooled EER",
    },
    MetricKind {
        name: "auc",
        location: Location::Auc,
        path: &["threshold_free", "auc_pooled"],
        param: Param::None,
        higher_is_better: true,
        has_ci: false,
        about: "pooled AUC",
    },
];

/// Which figure a limit applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The point estimate.
    #[default]
    Value,
    /// The upper end of the 95% Clopper-Pearson interval (with `max`).
    Upper,
    /// The lower end (with `min`).
    Lower,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    Max(f64),
    Min(f64),
    /// No worse than the baseline's value by more than this.
    MaxRegression(f64),
}

/// One checked criterion.
#[derive(Debug, PartialEq)]
pub struct Criterion {
    pub metric: &'static MetricKind,
    pub species: Option<String>,
    pub attempts: Option<usize>,
    pub check: Check,
    pub side: Side,
    /// Not evaluable (no such species, no subject column) is skipped instead of failed.
    pub optional: bool,
}

/// A loaded gate.
#[derive(Debug, PartialEq)]
pub struct Gate {
    pub name: String,
    pub description: String,
    /// Segment columns for the worst-segment metrics (`None`: every metadata column).
    pub segment_by: Option<Vec<String>>,
    pub min_segment: u64,
    pub criteria: Vec<Criterion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GateFile {
    name: String,
    #[serde(default)]
    description: String,
    segment_by: Option<Vec<String>>,
    #[serde(default = "default_min_segment")]
    min_segment: u64,
    #[serde(rename = "criterion", default)]
    criteria: Vec<CriterionFile>,
}

fn default_min_segment() -> u64 {
    30
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CriterionFile {
    metric: String,
    species: Option<String>,
    attempts: Option<usize>,
    max: Option<f64>,
    min: Option<f64>,
    max_regression: Option<f64>,
    #[serde(default)]
    bound: Side,
    #[serde(default)]
    optional: bool,
}

impl Gate {
    pub fn load(path: &Path) -> Result<Gate> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read gate file {}", path.display()))?;
        Gate::parse(&text).with_context(|| format!("invalid gate file {}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Gate> {
        let file: GateFile = toml::from_str(text)?;
        ensure!(!file.criteria.is_empty(), "no [[criterion]]: a gate without criteria would always pass");
        let criteria = file
            .criteria
            .into_iter()
            .enumerate()
            .map(|(i, c)| c.check().with_context(|| format!("criterion {} ({})", i + 1, c.metric)))
            .collect::<Result<_>>()?;
        Ok(Gate {
            name: file.name,
            description: file.description,
            segment_by: file.segment_by,
            min_segment: file.min_segment,
            criteria,
        })
    }

    /// The k of every completion criterion (at least 1, so the bands section is always computed).
    pub fn attempts(&self) -> Vec<usize> {
        let mut k: Vec<usize> = self.criteria.iter().filter_map(|c| c.attempts).chain([1]).collect();
        k.sort_unstable();
        k.dedup();
        k
    }

    pub fn needs_baseline(&self) -> bool {
        self.criteria.iter().any(|c| matches!(c.check, Check::MaxRegression(_)))
    }
}

impl CriterionFile {
    fn check(&self) -> Result<Criterion> {
        let Some(metric) = METRICS.iter().find(|m| m.name == self.metric) else {
            let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
            bail!("unknown metric `{}`; metrics: {}", self.metric, names.join(", "));
        };
        match (metric.param, &self.species, self.attempts) {
            (Param::Species, None, _) => bail!("`{}` needs `species = \"...\"`", metric.name),
            (Param::Attempts, _, None) => bail!("`{}` needs `attempts = k`", metric.name),
            (Param::Attempts, _, Some(0)) => bail!("attempts must be at least 1"),
            (p, Some(_), _) if p != Param::Species => bail!("`{}` has no species; use metric \"apcer\"", metric.name),
            (p, _, Some(_)) if p != Param::Attempts => bail!("`{}` takes no attempts", metric.name),
            _ => {}
        }
        let check = match (self.max, self.min, self.max_regression) {
            (Some(x), None, None) => Check::Max(x),
            (None, Some(x), None) => Check::Min(x),
            (None, None, Some(x)) => Check::MaxRegression(x),
            _ => bail!("give exactly one of max, min, max_regression"),
        };
        let limit = match check {
            Check::Max(x) | Check::Min(x) | Check::MaxRegression(x) => x,
        };
        ensure!(limit.is_finite() && (0.0..=1.0).contains(&limit), "the limit must be within 0..1, got {limit}");
        match (self.bound, check) {
            (Side::Value, _) => {}
            (_, _) if !metric.has_ci => bail!("`{}` has no confidence interval: bound must be \"value\"", metric.name),
            (Side::Upper, Check::Max(_)) | (Side::Lower, Check::Min(_)) => {}
            (Side::Upper, _) => bail!("bound = \"upper\" goes with max"),
            (Side::Lower, _) => bail!("bound = \"lower\" goes with min"),
        }
        Ok(Criterion {
            metric,
            species: self.species.clone(),
            attempts: self.attempts,
            check,
            side: self.bound,
            optional: self.optional,
        })
    }
}

impl Criterion {
    /// `apcer[print-warp]`, `completion@3`, `bpcer`.
    pub fn label(&self) -> String {
        match (&self.species, self.attempts) {
            (Some(s), _) => format!("{}[{s}]", self.metric.name),
            (_, Some(k)) => format!("{}@{k}", self.metric.name),
            _ => self.metric.name.to_owned(),
        }
    }

    /// The metric's path in a metrics document, parameters filled in.
    pub fn path(&self) -> Vec<String> {
        self.metric
            .path
            .iter()
            .map(|p| match *p {
                "{species}" => self.species.clone().unwrap_or_default(),
                "{attempts}" => self.attempts.map(|k| k.to_string()).unwrap_or_default(),
                p => p.to_owned(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(criteria: &str) -> Result<Gate> {
        Gate::parse(&format!("name = \"g\"\n{criteria}"))
    }

    fn error(criteria: &str) -> String {
        format!("{:#}", parse(criteria).unwrap_err())
    }

    #[test]
    fn parses_criteria_with_parameters_and_bounds() {
        let g = parse(
            "[[criterion]]\nmetric = \"apcer\"\nspecies = \"print\"\nmax = 0.05\nbound = \"upper\"\n\
             [[criterion]]\nmetric = \"completion\"\nattempts = 3\nmin = 0.9\noptional = true\n\
             [[criterion]]\nmetric = \"bpcer\"\nmax_regression = 0.01\n",
        )
        .unwrap();
        assert_eq!(g.criteria.len(), 3);
        assert_eq!(g.criteria[0].label(), "apcer[print]");
        assert_eq!(g.criteria[0].path(), ["at_threshold", "species", "print", "apcer"]);
        assert_eq!((g.criteria[0].check, g.criteria[0].side), (Check::Max(0.05), Side::Upper));
        assert_eq!(g.criteria[1].path(), ["decision_bands", "completion", "3"]);
        assert!(g.criteria[1].optional && g.needs_baseline());
        assert_eq!(g.attempts(), [1, 3]);
        assert_eq!(g.min_segment, 30);
    }

    #[test]
    fn mistakes_are_precise_errors() {
        assert!(
            error("[[criterion]]\nmetric = \"apcer_mx\"\nmax = 0.1\n")
                .contains("unknown metric `apcer_mx`; metrics: bpcer")
        );
        assert!(error("[[criterion]]\nmetric = \"bpcer\"\nmax = 0.1\nlimit = 2\n").contains("unknown field `limit`"));
        assert!(error("[[criterion]]\nmetric = \"bpcer\"\n").contains("exactly one of max, min, max_regression"));
        assert!(error("[[criterion]]\nmetric = \"bpcer\"\nmax = 0.1\nmin = 0.0\n").contains("exactly one"));
        assert!(error("[[criterion]]\nmetric = \"apcer\"\nmax = 0.1\n").contains("needs `species"));
        assert!(error("[[criterion]]\nmetric = \"bpcer\"\nspecies = \"x\"\nmax = 0.1\n").contains("has no species"));
        assert!(error("[[criterion]]\nmetric = \"completion\"\nmin = 0.9\n").contains("needs `attempts"));
        assert!(
            error("[[criterion]]\nmetric = \"eer\"\nmax = 0.1\nbound = \"upper\"\n").contains("no confidence interval")
        );
        assert!(error("[[criterion]]\nmetric = \"bpcer\"\nmin = 0.1\nbound = \"upper\"\n").contains("goes with max"));
        assert!(error("[[criterion]]\nmetric = \"bpcer\"\nmax = 5\n").contains("within 0..1"));
        assert!(error("").contains("no [[criterion]]"));
        let e = error("[[criterion]]\nmetric = \"bpcer\"\nmax = 0.1\n[[criterion]]\nmetric = \"x\"\nmax = 0.1\n");
        assert!(e.contains("criterion 2 (x)"), "{e}");
    }
}
