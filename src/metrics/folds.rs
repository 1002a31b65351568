//! Cross-validation folds (bob's `multi-metrics`, `eval --folds`): in each fold the threshold is
//! calibrated on the other folds and applied to the held-out one; every figure is reported per fold and
//! as mean ± standard deviation over the folds.
//!
//! - `subject:K`: the distinct `subject` values, sorted as strings, go to folds round-robin (the i-th
//!   subject to fold i mod K, folds named 1..K), so a person's presentations never straddle the split.
//! - `column:NAME`: the value of metadata column NAME names the fold.
//!
//! The calibration rule is the caller's (`eval` passes `calibrate`'s, with `--calibrate-target`), so no
//! module here knows the calibrate command. Standard deviations are numpy's default (ddof 0); a figure
//! undefined in a fold (no attacks held out) is left out of its mean, and `folds` counts the folds used.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};

use super::metric::{Metric, Threshold};
use super::operating::{auc_pooled, eer_pooled};
use super::subjects::SUBJECT_COLUMN;
use super::sweep::Sweep;
use crate::schema::Presentation;

/// How presentations are split into folds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum FoldSpec {
    Subject(usize),
    Column(String),
}

impl FromStr for FoldSpec {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<FoldSpec> {
        match s.split_once(':') {
            Some(("subject", k)) => {
                let k: usize = k.parse().with_context(|| format!("--folds {s}: K in subject:K must be a number"))?;
                ensure!(k >= 2, "--folds {s}: at least 2 folds");
                Ok(FoldSpec::Subject(k))
            }
            Some(("column", name)) if !name.is_empty() => Ok(FoldSpec::Column(name.to_owned())),
            _ => bail!("--folds {s}: give subject:K (subjects round-robin into K folds) or column:NAME"),
        }
    }
}

impl std::fmt::Display for FoldSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FoldSpec::Subject(k) => write!(f, "subject:{k}"),
            FoldSpec::Column(c) => write!(f, "column:{c}"),
        }
    }
}

/// Each presentation's fold name.
pub fn assign(presentations: &[Presentation], spec: &FoldSpec) -> Result<Vec<String>> {
    let column = match spec {
        FoldSpec::Subject(_) => SUBJECT_COLUMN,
        FoldSpec::Column(c) => c.as_str(),
    };
    let values = presentations
        .iter()
        .enumerate()
        .map(|(i, p)| {
            p.meta.get(column).filter(|v| !v.is_empty()).cloned().with_context(|| {
                let found: Vec<&String> = p.meta.keys().collect();
                format!(
                    "--folds {spec}: presentation {} ({}) has no {column} value; columns found: {found:?}",
                    i + 1,
                    p.id
                )
            })
        })
        .collect::<Result<Vec<String>>>()?;
    let distinct: BTreeSet<&String> = values.iter().collect();
    match spec {
        FoldSpec::Column(_) => {
            ensure!(distinct.len() >= 2, "--folds {spec}: the column holds {} value(s), folds need 2", distinct.len());
            Ok(values)
        }
        FoldSpec::Subject(k) => {
            ensure!(distinct.len() >= *k, "--folds {spec}: {} subjects cannot fill {k} folds", distinct.len());
            let fold: BTreeMap<&String, usize> =
                distinct.into_iter().enumerate().map(|(i, s)| (s, i % k + 1)).collect();
            Ok(values.iter().map(|v| fold[v].to_string()).collect())
        }
    }
}

/// One held-out fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fold {
    pub fold: String,
    pub presentations: usize,
    pub bona_fide_scored: u64,
    pub attacks_scored: u64,
    /// Calibrated on the other folds.
    pub threshold: Threshold,
    /// At the threshold, on the held-out fold.
    pub bpcer: Option<f64>,
    pub apcer_max: Option<f64>,
    pub apcer_pooled: Option<f64>,
    /// Threshold-free, on the held-out fold.
    pub eer_pooled: Option<f64>,
    pub auc_pooled: Option<f64>,
}

/// Mean ± standard deviation of one figure over the folds where it is defined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    pub std: f64,
    pub folds: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldsReport {
    pub spec: String,
    /// The calibration rule applied on the other folds.
    pub calibration: String,
    pub folds: Vec<Fold>,
    /// Keyed by the figure's name in [`Fold`].
    pub summary: BTreeMap<String, Metric<Spread>>,
}

/// Reads one figure of a fold.
type Figure = fn(&Fold) -> Option<f64>;

/// Every fold held out in turn, its threshold from `calibrate` on the others.
pub fn evaluate(
    presentations: &[Presentation],
    spec: &FoldSpec,
    calibration: &str,
    calibrate: impl Fn(&[Presentation]) -> Result<f64>,
) -> Result<FoldsReport> {
    let names = assign(presentations, spec)?;
    let order: BTreeSet<&String> = names.iter().collect();
    let mut folds = Vec::new();
    for name in order {
        let split = |held: bool| -> Vec<Presentation> {
            presentations.iter().zip(&names).filter(|(_, n)| (*n == name) == held).map(|(p, _)| p.clone()).collect()
        };
        let (held, rest) = (split(true), split(false));
        let t = calibrate(&rest).with_context(|| format!("--folds {spec}: calibrating without fold {name}"))?;
        let sweep = Sweep::build(&held)?;
        let i = sweep.index_at(t);
        folds.push(Fold {
            fold: name.clone(),
            presentations: held.len(),
            bona_fide_scored: sweep.bona_fide_scored(),
            attacks_scored: sweep.attack_scored(),
            threshold: Threshold(t),
            bpcer: sweep.bpcer(i),
            apcer_max: sweep.apcer_max(i),
            apcer_pooled: sweep.apcer_pooled(i),
            eer_pooled: eer_pooled(&sweep).value().map(|e| e.value),
            auc_pooled: auc_pooled(&sweep).value().map(|a| a.value),
        });
    }
    let figures: [(&'static str, Figure); 6] = [
        ("threshold", |f| f.threshold.0.is_finite().then_some(f.threshold.0)),
        ("bpcer", |f| f.bpcer),
        ("apcer_max", |f| f.apcer_max),
        ("apcer_pooled", |f| f.apcer_pooled),
        ("eer_pooled", |f| f.eer_pooled),
        ("auc_pooled", |f| f.auc_pooled),
    ];
    let summary = figures
        .into_iter()
        .map(|(key, get)| (key.to_owned(), spread(folds.iter().filter_map(get).collect())))
        .collect();
    Ok(FoldsReport { spec: spec.to_string(), calibration: calibration.to_owned(), folds, summary })
}

fn spread(values: Vec<f64>) -> Metric<Spread> {
    if values.is_empty() {
        return Metric::na("undefined in every fold");
    }
    let (mean, variance) = crate::stats::moments(&values.iter().map(|&v| (v, 1.0)).collect::<Vec<_>>());
    Metric::Value(Spread { mean, std: variance.sqrt(), folds: values.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::of_subject;
    use proptest::prelude::*;

    #[test]
    fn specs_parse_and_bad_ones_say_how() {
        assert_eq!("subject:5".parse::<FoldSpec>().unwrap(), FoldSpec::Subject(5));
        assert_eq!("column:fold".parse::<FoldSpec>().unwrap(), FoldSpec::Column("fold".into()));
        assert!("subject:1".parse::<FoldSpec>().unwrap_err().to_string().contains("at least 2"));
        assert!("subjects".parse::<FoldSpec>().unwrap_err().to_string().contains("subject:K"));
    }

    /// Subjects s1..s4 (sorted: s1 → fold 1, s2 → 2, s3 → 1, s4 → 2).
    fn sample() -> Vec<Presentation> {
        vec![
            of_subject("", Some(0.9), "s1"),
            of_subject("print", Some(0.3), "s1"),
            of_subject("", Some(0.6), "s2"),
            of_subject("print", Some(0.7), "s2"),
            of_subject("", Some(0.8), "s3"),
            of_subject("print", Some(0.5), "s3"),
            of_subject("", Some(0.4), "s4"),
            of_subject("print", Some(0.2), "s4"),
        ]
    }

    #[test]
    fn hand_computed_two_folds() {
        assert_eq!(assign(&sample(), &FoldSpec::Subject(2)).unwrap(), ["1", "1", "2", "2", "1", "1", "2", "2"]);
        // Rule for the test: the lowest bona fide score of the other folds.
        let lowest = |ps: &[Presentation]| -> Result<f64> {
            Ok(ps.iter().filter(|p| p.bona_fide).filter_map(|p| p.score).fold(f64::INFINITY, f64::min))
        };
        let r = evaluate(&sample(), &FoldSpec::Subject(2), "lowest live", lowest).unwrap();
        // Fold 1 (s1, s3: live 0.9 0.8, print 0.3 0.5) at t = 0.4 (fold 2's lowest live): BPCER 0, APCER 1/2.
        let f1 = &r.folds[0];
        assert_eq!((f1.threshold, f1.bpcer, f1.apcer_max), (Threshold(0.4), Some(0.0), Some(0.5)));
        // Fold 2 (s2, s4: live 0.6 0.4, print 0.7 0.2) at t = 0.8: BPCER 1, APCER 0.
        let f2 = &r.folds[1];
        assert_eq!((f2.threshold, f2.bpcer, f2.apcer_max), (Threshold(0.8), Some(1.0), Some(0.0)));
        let bpcer = r.summary["bpcer"].value().unwrap();
        assert_eq!((bpcer.mean, bpcer.std, bpcer.folds), (0.5, 0.5, 2));
        let t = r.summary["threshold"].value().unwrap();
        assert!((t.mean - 0.6).abs() < 1e-15 && (t.std - 0.2).abs() < 1e-15);
        // AUC fold 1: 1; fold 2: live 0.6 beats 0.2, 0.4 beats 0.2 → 2/4.
        assert_eq!(r.folds.iter().map(|f| f.auc_pooled).collect::<Vec<_>>(), [Some(1.0), Some(0.5)]);
    }

    #[test]
    fn missing_columns_and_too_few_subjects_are_refused() {
        let err = assign(&sample(), &FoldSpec::Column("fold".into())).unwrap_err().to_string();
        assert!(err.contains("no fold value") && err.contains("subject"), "{err}");
        let err = assign(&sample(), &FoldSpec::Subject(5)).unwrap_err().to_string();
        assert!(err.contains("4 subjects cannot fill 5 folds"), "{err}");
    }

    proptest! {
        #[test]
        fn folds_match_brute_force(
            rows in prop::collection::vec((0..3usize, 0..5u8, 0..6u8), 4..40),
            k in 2..4usize,
        ) {
            let ps: Vec<Presentation> = rows
                .iter()
                .map(|&(class, score, subject)| {
                    of_subject(["", "a", "b"][class], Some(f64::from(score) / 4.0), &format!("s{subject}"))
                })
                .collect();
            let subjects: BTreeSet<&String> = ps.iter().map(|p| &p.meta["subject"]).collect();
            prop_assume!(subjects.len() >= k);
            // Rule for the test: the mean score of the other folds.
            let mean = |ps: &[Presentation]| -> Result<f64> {
                Ok(ps.iter().filter_map(|p| p.score).sum::<f64>() / ps.len() as f64)
            };
            let r = evaluate(&ps, &FoldSpec::Subject(k), "mean", mean).unwrap();
            let sorted: Vec<&String> = subjects.into_iter().collect();
            prop_assert_eq!(r.folds.len(), k);
            for (f, fold) in r.folds.iter().zip(1..) {
                let in_fold = |p: &Presentation| sorted.iter().position(|s| **s == p.meta["subject"]).unwrap() % k + 1 == fold;
                let held: Vec<&Presentation> = ps.iter().filter(|p| in_fold(p)).collect();
                let rest: Vec<&Presentation> = ps.iter().filter(|p| !in_fold(p)).collect();
                let t = rest.iter().filter_map(|p| p.score).sum::<f64>() / rest.len() as f64;
                prop_assert_eq!(f.threshold, Threshold(t));
                let live: Vec<f64> = held.iter().filter(|p| p.bona_fide).filter_map(|p| p.score).collect();
                let want = (!live.is_empty()).then(|| live.iter().filter(|&&s| s < t).count() as f64 / live.len() as f64);
                prop_assert_eq!(f.bpcer, want);
                let worst = ["a", "b"].iter().filter_map(|sp| {
                    let s: Vec<f64> = held.iter().filter(|p| p.species == *sp).filter_map(|p| p.score).collect();
                    (!s.is_empty()).then(|| s.iter().filter(|&&x| x >= t).count() as f64 / s.len() as f64)
                }).reduce(f64::max);
                prop_assert_eq!(f.apcer_max, worst);
                prop_assert_eq!(f.presentations, held.len());
            }
            let b: Vec<f64> = r.folds.iter().filter_map(|f| f.bpcer).collect();
            if let Some(s) = r.summary["bpcer"].value() {
                let m = b.iter().sum::<f64>() / b.len() as f64;
                prop_assert!((s.mean - m).abs() < 1e-12);
                prop_assert_eq!(s.folds, b.len());
            }
        }
    }
}
