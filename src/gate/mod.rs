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
pub enum GateVerdict {
    Pass,
    Fail,
    Skipped,
}

impl GateVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            GateVerdict::Pass => "pass",
            GateVerdict::Fail => "FAIL",
            GateVerdict::Skipped => "skipped",
        }
    }
}

/// One criterion's result.
#[derive(Debug, Clone, PartialEq)]
pub struct CriterionResult {
    pub criterion: String,
    pub limit: String,
    pub measured: String,
    pub verdict: GateVerdict,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
}

/// Checks every criterion of `gate` against `current` (and `baseline` for regression criteria).
pub fn check(gate: &Gate, current: &MetricsDocument, baseline: Option<&MetricsDocument>) -> Vec<CriterionResult> {
    gate.criteria.iter().map(|c| check_one(c, current, baseline)).collect()
}

fn check_one(c: &Criterion, current: &MetricsDocument, baseline: Option<&MetricsDocument>) -> CriterionResult {
    let limit = limit_text(c);
    let outcome = |measured: String, verdict: GateVerdict, reason: Option<String>| CriterionResult {
        criterion: c.label(),
        limit: limit.clone(),
        measured,
        verdict,
        reason,
    };
    let not_evaluable = |measured: String, why: String| {
        let verdict = if c.optional { GateVerdict::Skipped } else { GateVerdict::Fail };
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
        outcome(measured, GateVerdict::Pass, None)
    } else {
        let what = match c.side {
            Side::Value => "value",
            Side::Upper => "upper 95% bound",
            Side::Lower => "lower 95% bound",
        };
        outcome(measured, GateVerdict::Fail, Some(format!("{what} {} is outside {limit}", number(c.metric, compared))))
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
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::test_support::completed;

    fn rate(k: u64, n: u64, lower: f64, upper: f64) -> Value {
        json!({"value": k as f64 / n as f64, "k": k, "n": n, "ci95": {"lower": lower, "upper": upper}})
    }

    /// A metrics document as `evaluate` serializes it, with the figures the criteria below read.
    fn doc(bpcer_k: u64) -> Value {
        completed(json!({
            "at_threshold": {
                "bona_fide": {"bpcer": rate(bpcer_k, 100, 0.01, 0.09)},
                "species": {"print": {"apcer": rate(2, 50, 0.005, 0.137)}},
                "attack": {"apcer_max": {"value": 0.04, "k": 2, "n": 50, "ci95": {"lower": 0.005, "upper": 0.137}, "species": "print"}}
            },
            "decision_bands": {"completion": {"value": null, "reason": "no subject column"}},
            "threshold_free": {"auc_pooled": {"value": 0.99}},
            "segments": {"worst_bpcer": {"value": 0.1, "k": 3, "n": 30, "ci95": {"lower": 0.02, "upper": 0.27}, "column": "session", "segment": "02"}},
        }))
    }

    /// The typed document of a JSON one.
    fn typed(doc: &Value) -> MetricsDocument {
        serde_json::from_value(doc.clone()).expect("a whole metrics document")
    }

    fn gate(criteria: &str) -> Gate {
        Gate::parse(&format!("name = \"g\"\n{criteria}")).unwrap()
    }

    fn verdicts(g: &Gate, base: Option<&Value>) -> Vec<(GateVerdict, Option<String>)> {
        check(g, &typed(&doc(5)), base.map(typed).as_ref()).into_iter().map(|o| (o.verdict, o.reason)).collect()
    }

    #[test]
    fn limits_on_value_and_upper_bound() {
        let g = gate(
            "[[criterion]]\nmetric = \"bpcer\"\nmax = 0.05\n\
         [[criterion]]\nmetric = \"bpcer\"\nmax = 0.049\n\
         [[criterion]]\nmetric = \"apcer_max\"\nmax = 0.05\nbound = \"upper\"\n\
         [[criterion]]\nmetric = \"auc\"\nmin = 0.98\n\
         [[criterion]]\nmetric = \"worst_segment_bpcer\"\nmax = 0.2\n",
        );
        let v = verdicts(&g, None);
        assert_eq!(v[0], (GateVerdict::Pass, None), "5/100 <= 0.05 exactly");
        assert_eq!(v[1].0, GateVerdict::Fail);
        assert_eq!(v[2], (GateVerdict::Fail, Some("upper 95% bound 13.70% is outside upper95 <= 5.00%".into())));
        assert_eq!((v[3].0, v[4].0), (GateVerdict::Pass, GateVerdict::Pass));
        let out = check(&g, &typed(&doc(5)), None);
        assert!(out[2].measured.ends_with("species print"), "{}", out[2].measured);
        assert!(out[4].measured.ends_with("segment session=02"), "{}", out[4].measured);
    }

    #[test]
    fn unevaluable_criteria_fail_unless_optional() {
        let g = gate(
            "[[criterion]]\nmetric = \"apcer\"\nspecies = \"mask\"\nmax = 0.1\n\
         [[criterion]]\nmetric = \"apcer\"\nspecies = \"mask\"\nmax = 0.1\noptional = true\n\
         [[criterion]]\nmetric = \"completion\"\nattempts = 3\nmin = 0.9\n",
        );
        let v = verdicts(&g, None);
        let missing = "cannot be evaluated: no presentations of species \"mask\" (species present: print)";
        assert_eq!(v[0], (GateVerdict::Fail, Some(missing.into())));
        assert_eq!(v[1], (GateVerdict::Skipped, Some(missing.into())));
        assert_eq!(v[2], (GateVerdict::Fail, Some("cannot be evaluated: no subject column".into())));
    }

    #[test]
    fn regression_against_a_baseline() {
        let g = gate(
            "[[criterion]]\nmetric = \"bpcer\"\nmax_regression = 0.01\n[[criterion]]\nmetric = \"auc\"\nmax_regression = 0.001\n",
        );
        // BPCER 5% now; baseline 4% -> worse by 1 point: allowed; baseline 3% -> 2 points: fails.
        assert_eq!(verdicts(&g, Some(&doc(4)))[0].0, GateVerdict::Pass);
        let v = verdicts(&g, Some(&doc(3)));
        assert_eq!(v[0].0, GateVerdict::Fail);
        assert_eq!(v[1].0, GateVerdict::Pass, "same AUC");
        let worse_auc = {
            let mut d = doc(5);
            d["threshold_free"]["auc_pooled"]["value"] = json!(0.995);
            d
        };
        assert_eq!(verdicts(&g, Some(&worse_auc))[1].0, GateVerdict::Fail, "AUC fell by 0.005");
        assert_eq!(verdicts(&g, None)[0], (GateVerdict::Fail, Some("no baseline given".into())));
    }

    /// Every metric a gate can name is found in a real `evaluate` document (not a hand-written one) and reads
    /// the value at its path: a renamed report field fails here, not in a user's CI job as "no such metric".
    #[test]
    fn every_gate_metric_reads_a_real_evaluate_document() {
        use crate::metrics::{BandOptions, EvalOptions, SegmentOptions, evaluate};
        use crate::test_support::pres;
        let mut ps = Vec::new();
        for i in 0..24 {
            let (species, score) = match i % 3 {
                0 => ("", Some(0.55 + 0.02 * i as f64)),
                1 => ("print", Some(0.02 * i as f64)),
                _ => ("replay", if i == 5 { None } else { Some(0.03 * i as f64) }),
            };
            let mut p = pres(species, score);
            p.meta.insert("subject".into(), format!("s{}", i % 4));
            p.meta.insert("session".into(), format!("{}", i % 2));
            ps.push(p);
        }
        let options = EvalOptions {
            segments: Some(SegmentOptions { columns: None, min_count: 1 }),
            policy: Some(BandOptions { pass: 0.8, retry: 0.6, attempts: vec![1, 3] }),
            ..EvalOptions::new(0.5)
        };
        let report = evaluate(&ps, &options).unwrap().report;
        let typed = MetricsDocument::new(report, crate::test_support::sample_run());
        let doc = typed.to_json().unwrap();
        for metric in crate::gate::spec::METRICS {
            let param = match metric.param {
                crate::gate::spec::Param::None => String::new(),
                crate::gate::spec::Param::Species => "species = \"print\"\n".into(),
                crate::gate::spec::Param::Attempts => "attempts = 3\n".into(),
            };
            let g = gate(&format!("[[criterion]]\nmetric = \"{}\"\n{param}max = 1.0\n", metric.name));
            let c = &g.criteria[0];
            let measured = measure(c, &typed).unwrap_or_else(|e| panic!("{}: {e}", metric.name));
            let mut node = &doc;
            for key in c.path() {
                node = &node[key.as_str()];
            }
            assert_eq!(Some(measured.value), node["value"].as_f64(), "{}", metric.name);
            assert_eq!(measured.ci.is_some(), metric.has_ci, "{}: interval", metric.name);
        }
    }
}
