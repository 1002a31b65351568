//! A fusion against each of its members on a held-out split: do the fused decisions and figures differ
//! from the member's by more than chance?
//!
//! Each model decides at its own threshold, chosen on the dev split by one target (the same rule for
//! all, so no model is favoured by its operating point). Decisions are compared by McNemar's exact test
//! (`diff::stats`), per class and overall; AUC, EER and BPCER by a paired subject-clustered bootstrap
//! (`metrics::paired`).

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::Paired;
use crate::calibrate::{Bound, Target, choose, figures};
use crate::diff::{mcnemar_exact, paired_change};
use crate::metrics::paired::{PairedDifferences, paired_bootstrap};
use crate::metrics::{BootstrapOptions, Sweep};
use crate::model::fusion::Fusion;
use crate::schema::{Presentation, is_bona_fide};

/// McNemar on the decisions of one class (or all presentations): `worse` = the fusion wrong where the
/// member was right.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decisions {
    pub class: &'static str,
    pub n: u64,
    /// Errors of the fusion and of the member.
    pub fused_errors: u64,
    pub member_errors: u64,
    pub worse: u64,
    pub better: u64,
    pub p_value: f64,
    /// Change of the error rate (fusion - member) and its conditional 95% interval.
    pub change: f64,
    pub change_ci95: (f64, f64),
}

/// The fusion against one member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersusMember {
    pub member: String,
    pub member_threshold: f64,
    pub decisions: Vec<Decisions>,
    /// `a` is the fusion, `b` the member; `None` without a subject column.
    pub bootstrap: Option<PairedDifferences>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub target: String,
    pub fused_threshold: f64,
    pub presentations: usize,
    pub members: Vec<VersusMember>,
}

/// The threshold meeting `target` on `presentations`.
fn threshold(presentations: &[Presentation], target: Target) -> Result<f64> {
    let sweep = Sweep::build(presentations)?;
    Ok(figures(&sweep, choose(&sweep, target, Bound::Point)?)?.threshold.0)
}

/// Compares `fusion` with each member (named `names`) on `eval`, thresholds chosen on `dev`.
pub fn compare(
    dev: &Paired,
    eval: &Paired,
    fusion: &Fusion,
    names: &[String],
    target: Target,
    options: BootstrapOptions,
) -> Result<Comparison> {
    let fused_threshold = threshold(&dev.fused(fusion), target).context("the fusion's threshold on the dev split")?;
    let fused = eval.fused(fusion);
    let mut members = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let t = threshold(&dev.member(i), target).with_context(|| format!("{name}'s threshold on the dev split"))?;
        let member = eval.member(i);
        let wrong = |p: &Presentation, t: f64| p.score.is_some_and(|s| is_bona_fide(s, t) != p.bona_fide);
        let errors: Vec<(bool, bool, bool)> =
            fused.iter().zip(&member).map(|(f, m)| (f.bona_fide, wrong(f, fused_threshold), wrong(m, t))).collect();
        let decisions = [("bona fide", Some(true)), ("attack", Some(false)), ("all", None)]
            .into_iter()
            .map(|(class, keep)| decisions(class, errors.iter().filter(|e| keep.is_none_or(|k| e.0 == k))))
            .collect();
        members.push(VersusMember {
            member: name.clone(),
            member_threshold: t,
            decisions,
            bootstrap: paired_bootstrap(&fused, &member, (fused_threshold, t), options),
        });
    }
    Ok(Comparison { target: target.to_string(), fused_threshold, presentations: fused.len(), members })
}

fn decisions<'a>(class: &'static str, errors: impl Iterator<Item = &'a (bool, bool, bool)>) -> Decisions {
    let (mut n, mut fused_errors, mut member_errors, mut worse, mut better) = (0, 0, 0, 0, 0);
    for &(_, f, m) in errors {
        n += 1;
        fused_errors += u64::from(f);
        member_errors += u64::from(m);
        worse += u64::from(f && !m);
        better += u64::from(m && !f);
    }
    let (change, change_ci95) = paired_change(worse, better, n);
    Decisions {
        class,
        n,
        fused_errors,
        member_errors,
        worse,
        better,
        p_value: mcnemar_exact(worse, better),
        change,
        change_ci95,
    }
}
