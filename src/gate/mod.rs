//! The CI gate: criteria from a TOML file checked against a metrics document (the typed `metrics.json`,
//! [`MetricsDocument`]), one verdict per criterion.
//!
//! Criteria read the same document `eval` writes, each metric at its [`Location`], so a baseline can be
//! any earlier `metrics.json` and the gate needs no second definition of any metric. A criterion whose
//! metric is n/a on this data (a species without presentations, completion without a subject column)
//! fails with that reason: a gate that passes because nothing was measured is worse than no gate.
//! Marking it `optional = true` turns that case into "skipped".

mod output;
mod spec;

pub use output::{junit, markdown, table};
pub use spec::{Check, Criterion, Gate, Location, METRICS, MetricKind, Param, Side};

use crate::metrics::format::{percent, typed_rate};
use crate::metrics::{
    BandsReport, Metric, MetricsDocument, Rate, RateSet, SegmentsReport, ThresholdFree, WorstSegment,
};

/// What a criterion measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub value: f64,
    /// 95% interval, for rates.
    pub ci: Option<(f64, f64)>,
    /// Human-readable: value, counts, interval, and the worst species or segment.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Skipped,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Skipped => "skipped",
        }
    }
}

/// One criterion's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub criterion: String,
    pub limit: String,
    pub measured: String,
    pub verdict: Verdict,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
}

/// Checks every criterion of `gate` against `current` (and `baseline` for regression criteria).
pub fn check(gate: &Gate, current: &MetricsDocument, baseline: Option<&MetricsDocument>) -> Vec<Outcome> {
    gate.criteria.iter().map(|c| check_one(c, current, baseline)).collect()
}

fn check_one(c: &Criterion, current: &MetricsDocument, baseline: Option<&MetricsDocument>) -> Outcome {
    let limit = limit_text(c);
    let outcome = |measured: String, verdict: Verdict, reason: Option<String>| Outcome {
        criterion: c.label(),
        limit: limit.clone(),
        measured,
        verdict,
        reason,
    };
    let not_evaluable = |measured: String, why: String| {
        let verdict = if c.optional { Verdict::Skipped } else { Verdict::Fail };
        outcome(measured, verdict, Some(why))
    };
    let now = match measure(c, current) {
        Ok(m) => m,
        Err(why) => return not_evaluable("n/a".into(), format!("cannot be evaluated: {why}")),
    };
    let compared = match c.side {
        Side::Value => now.value,
        Side::Upper => now.ci.map_or(now.value, |ci| ci.1),
        Side::Lower => now.ci.map_or(now.value, |ci| ci.0),
    };
    let (ok, detail) = match c.check {
        Check::Max(x) => (compared <= x, None),
        Check::Min(x) => (compared >= x, None),
        Check::MaxRegression(tol) => {
            let Some(base) = baseline else {
                return not_evaluable(now.text, "no baseline given".into());
            };
            let then = match measure(c, base) {
                Ok(m) => m,
                Err(why) => return not_evaluable(now.text, format!("baseline: {why}")),
            };
            let worse_by = if c.metric.higher_is_better { then.value - now.value } else { now.value - then.value };
            // The difference of two ratios is not exact in floating point (0.05 - 0.04 > 0.01): a change
            // of exactly the tolerance must pass, so rounding noise below 1e-12 is ignored.
            (
                worse_by <= tol + 1e-12,
                Some(format!("baseline {}, change {:+.2} points", then.text, 100.0 * (now.value - then.value))),
            )
        }
    };
    let measured = match detail {
        Some(d) => format!("{} ({d})", now.text),
        None => now.text,
    };
    if ok {
        outcome(measured, Verdict::Pass, None)
    } else {
        let what = match c.side {
            Side::Value => "value",
            Side::Upper => "upper 95% bound",
            Side::Lower => "lower 95% bound",
        };
        outcome(measured, Verdict::Fail, Some(format!("{what} {} is outside {limit}", number(c.metric, compared))))
    }
}

/// The criterion's metric in a metrics document, or why it is not there.
pub fn measure(c: &Criterion, doc: &MetricsDocument) -> Result<Measured, String> {
    Ok(match locate(c, doc)? {
        Figure::Rate(r) => measured_rate(r, String::new()),
        Figure::Segment(w) => measured_rate(&w.rate, format!(" segment {}={}", w.column, w.segment)),
        Figure::Plain(value) => Measured { value, ci: None, text: number(c.metric, value) },
    })
}

/// What a criterion reads: a rate (counts, interval), the worst segment's rate, or a bare figure (EER, AUC).
enum Figure<'a> {
    Rate(&'a Rate),
    Segment(&'a WorstSegment),
    Plain(f64),
}

/// The one place that knows where each [`Location`] is in the typed document. An n/a block or figure on
/// the way gives its reason; an absent one, the path it would be at.
fn locate<'a>(c: &Criterion, doc: &'a MetricsDocument) -> Result<Figure<'a>, String> {
    let path = c.path();
    let missing = |depth: usize| format!("the metrics document has no {}", path[..=depth].join("."));
    let at = || doc.at_threshold.as_ref().ok_or_else(|| missing(0));
    let species = || -> Result<_, String> {
        let at: &'a RateSet = at()?;
        let name = c.species.as_deref().unwrap_or_default();
        at.species.get(name).ok_or_else(|| {
            let present: Vec<&str> = at.species.keys().map(String::as_str).collect();
            format!("no presentations of species {name:?} (species present: {})", present.join(", "))
        })
    };
    let segments =
        || -> Result<&'a SegmentsReport, String> { defined(doc.segments.as_ref().ok_or_else(|| missing(0))?) };
    let bands =
        || -> Result<&'a BandsReport, String> { defined(doc.decision_bands.as_ref().ok_or_else(|| missing(0))?) };
    let threshold_free =
        || -> Result<&'a ThresholdFree, String> { doc.threshold_free.as_ref().ok_or_else(|| missing(0)) };
    let rate = |m: &'a Metric<Rate>| defined(m).map(Figure::Rate);
    let segment = |m: &'a Metric<WorstSegment>| defined(m).map(Figure::Segment);
    match c.metric.location {
        Location::Bpcer => rate(&at()?.bona_fide.bpcer),
        Location::Bpnrr => rate(&at()?.bona_fide.bpnrr),
        Location::BpcerSys => rate(&at()?.bona_fide.bpcer_sys),
        Location::ApcerMax => rate(&at()?.attack.apcer_max),
        Location::ApcerPooled => rate(&at()?.attack.apcer_pooled),
        Location::ApnrrMax => rate(&at()?.attack.apnrr_max),
        Location::ApnrrPooled => rate(&at()?.attack.apnrr_pooled),
        Location::SpeciesApcer => rate(&species()?.apcer),
        Location::SpeciesApnrr => rate(&species()?.apnrr),
        Location::WorstSegmentBpcer => segment(&segments()?.worst_bpcer),
        Location::WorstSegmentApcerMax => segment(&segments()?.worst_apcer_max),
        Location::BonaFideRetry => rate(&bands()?.bona_fide.retry),
        Location::Completion => {
            let by_attempts = defined(&bands()?.completion)?;
            rate(c.attempts.and_then(|k| by_attempts.get(&k)).ok_or_else(|| missing(2))?)
        }
        Location::Eer => defined(&threshold_free()?.eer_pooled).map(|e| Figure::Plain(e.value)),
        Location::Auc => defined(&threshold_free()?.auc_pooled).map(|a| Figure::Plain(a.value)),
    }
}

/// The value, or its n/a reason.
fn defined<T>(m: &Metric<T>) -> Result<&T, String> {
    m.value().ok_or_else(|| m.reason().unwrap_or("n/a").to_owned())
}

/// A rate's figures and text: value, counts, interval, the worst species, then `suffix`.
fn measured_rate(r: &Rate, suffix: String) -> Measured {
    let mut text = typed_rate(r);
    if let Some(s) = &r.species {
        text += &format!(" species {s}");
    }
    Measured { value: r.value, ci: Some((r.ci95.lower, r.ci95.upper)), text: text + &suffix }
}

fn number(metric: &MetricKind, x: f64) -> String {
    if metric.name == "auc" { format!("{x:.5}") } else { percent(Some(x)) }
}

fn limit_text(c: &Criterion) -> String {
    let side = match c.side {
        Side::Value => "",
        Side::Upper => "upper95 ",
        Side::Lower => "lower95 ",
    };
    match c.check {
        Check::Max(x) => format!("{side}<= {}", number(c.metric, x)),
        Check::Min(x) => format!("{side}>= {}", number(c.metric, x)),
        Check::MaxRegression(x) if c.metric.higher_is_better => format!(">= baseline - {}", number(c.metric, x)),
        Check::MaxRegression(x) => format!("<= baseline + {}", number(c.metric, x)),
    }
}

#[cfg(test)]
mod tests;
