//! A fusion against each of its members on a held-out split: do the fused decisions and figures differ
//! from the member's by more than chance?
//!
//! Each model decides at its own threshold, chosen on the dev split by one target (the same rule for
//! all, so no model is favoured by its operating point). Decisions are compared by McNemar's exact test
//! per class and overall; AUC, EER, BPCER and APCER_max by a paired subject-clustered bootstrap
//! (both in `metrics::paired`).

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::Paired;
use crate::calibrate::{Bound, Target, choose, figures};
use crate::metrics::paired::{Decisions, PairedDifferences, paired_bootstrap, paired_decisions};
use crate::metrics::{BootstrapOptions, Sweep};
use crate::model::fusion::Fusion;
use crate::schema::Presentation;

/// The fusion against one member: in `decisions` and `bootstrap`, A is the fusion and B the member.
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
        members.push(VersusMember {
            member: name.clone(),
            member_threshold: t,
            decisions: paired_decisions(&fused, &member, (fused_threshold, t)),
            bootstrap: paired_bootstrap(&fused, &member, (fused_threshold, t), options),
        });
    }
    Ok(Comparison { target: target.to_string(), fused_threshold, presentations: fused.len(), members })
}
