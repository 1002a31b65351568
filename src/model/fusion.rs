//! Fused PAD models: several PAD models run on the same face, their live probabilities combined into one
//! by a rule fitted on a dev split (`liveness fuse`) and stated in the descriptor's `[fusion]` table.
//!
//! The descriptor's `[[member]]` list holds every member model's networks; `[[fusion.model]]` says which
//! networks make up which member model (each the mean softmax of its own networks, as its own descriptor
//! says), so the fused model also reports each member model's own score. The rule is one of:
//!
//! - `logistic`: P(live) = sigmoid(bias + sum_i weight_i * logit(p_i)), with each p_i clipped to
//!   [1e-12, 1 - 1e-12] first, so a member that says exactly 0 or 1 (softmax underflow) gives a finite
//!   logit instead of an infinite one that would decide alone;
//! - `mean`: the mean of the member probabilities;
//! - `max`: the largest member probability.

use std::collections::BTreeSet;

use anyhow::{Result, bail, ensure};
use serde::{Deserialize, Serialize};

pub use crate::stats::{LOGIT_CLIP, logit_clamped as logit, sigmoid};

/// The `[fusion]` table of a fused descriptor.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fusion {
    pub method: FusionMethod,
    /// The intercept of `logistic` (absent for `mean` and `max`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<f64>,
    /// The member models, in the order of the weights.
    #[serde(rename = "model")]
    pub models: Vec<FusionModel>,
    /// Where the rule was fitted: provenance, never used to score.
    pub dev: FusionDev,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FusionMethod {
    Logistic,
    Mean,
    Max,
}

impl FusionMethod {
    pub const ALL: [FusionMethod; 3] = [FusionMethod::Logistic, FusionMethod::Mean, FusionMethod::Max];

    pub fn as_str(self) -> &'static str {
        match self {
            FusionMethod::Logistic => "logistic",
            FusionMethod::Mean => "mean",
            FusionMethod::Max => "max",
        }
    }
}

/// One member model of a fusion.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FusionModel {
    /// The member model's descriptor name (its `<name>_score` column).
    pub name: String,
    /// Its networks: names of this descriptor's `[[member]]` entries, in the member model's own order.
    pub members: Vec<String>,
    /// The sha256 of each of those networks as the member model's descriptor gave it at fitting time: a
    /// weight fitted on one file's scores says nothing about another's.
    pub sha256: Vec<String>,
    /// The `logistic` weight of its logit (absent for `mean` and `max`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
}

/// The dev split a fusion was fitted on.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FusionDev {
    /// The score file read.
    pub scores: String,
    /// Its `--where` filter, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Presentation fingerprint of the filtered dev set (`scorefile::fingerprint`).
    pub fingerprint: String,
    /// Presentations every member scored (the fit's data), of which bona fide and attacks.
    pub scored: u64,
    pub bona_fide: u64,
    pub attacks: u64,
    /// Presentations no member scored (non-responses of all members alike), left out of the fit.
    pub non_responses: u64,
    /// Mean negative log-likelihood of the fused probability on the scored dev presentations (nats).
    pub log_loss: f64,
    pub date: String,
    pub tool: String,
}

impl Fusion {
    /// The fused live probability of the member models' probabilities `p` (in `models` order).
    pub fn combine(&self, p: &[f64]) -> f64 {
        match self.method {
            FusionMethod::Logistic => {
                let z = self.models.iter().zip(p).map(|(m, &p)| m.weight.unwrap_or(0.0) * logit(p)).sum::<f64>();
                sigmoid(self.bias.unwrap_or(0.0) + z)
            }
            FusionMethod::Mean => p.iter().sum::<f64>() / p.len() as f64,
            FusionMethod::Max => p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// For each member model, the indices of its networks in `networks` (the descriptor's `[[member]]`
    /// names and sha256s, [`super::descriptor::Descriptor::networks`]). Valid after [`Fusion::validate`].
    pub fn groups(&self, networks: &[(&str, &str)]) -> Vec<Vec<usize>> {
        self.models
            .iter()
            .map(|m| m.members.iter().filter_map(|n| networks.iter().position(|x| x.0 == n)).collect())
            .collect()
    }

    /// Checks the table against the descriptor's networks; errors say what to fix.
    pub fn validate(&self, networks: &[(&str, &str)]) -> Result<()> {
        let refit = "Fix: write the descriptor again with `liveness fuse`";
        ensure!(
            self.models.len() >= 2,
            "[fusion] needs at least 2 [[fusion.model]] entries, got {}",
            self.models.len()
        );
        let mut names = BTreeSet::new();
        let mut used = BTreeSet::new();
        for m in &self.models {
            ensure!(names.insert(m.name.as_str()), "[fusion]: model `{}` is listed twice", m.name);
            ensure!(!m.members.is_empty(), "[fusion] model `{}` lists no members", m.name);
            ensure!(
                m.members.len() == m.sha256.len(),
                "[fusion] model `{}` lists {} members but {} sha256s; {refit}",
                m.name,
                m.members.len(),
                m.sha256.len()
            );
            for (net, sha) in m.members.iter().zip(&m.sha256) {
                let Some(&(_, found)) = networks.iter().find(|x| x.0 == net) else {
                    bail!("[fusion] model `{}`: member `{net}` is no [[member]] of this descriptor; {refit}", m.name)
                };
                ensure!(
                    found == sha.as_str(),
                    "[fusion] model `{}`: member `{net}` was fitted with sha256 {sha} but [[member]] says {}; {refit}",
                    m.name,
                    found
                );
                ensure!(used.insert(net.as_str()), "[fusion]: member `{net}` belongs to two models");
            }
            match (self.method, m.weight) {
                (FusionMethod::Logistic, Some(w)) if w.is_finite() => {}
                (FusionMethod::Logistic, Some(w)) => bail!("[fusion] model `{}`: weight {w} is not finite", m.name),
                (FusionMethod::Logistic, None) => bail!("[fusion] model `{}`: logistic needs a weight", m.name),
                (_, Some(_)) => bail!("[fusion] model `{}`: only logistic has weights", m.name),
                (_, None) => {}
            }
        }
        if let Some((n, _)) = networks.iter().find(|x| !used.contains(x.0)) {
            bail!("[[member]] `{n}` belongs to no [[fusion.model]]; {refit}");
        }
        match (self.method, self.bias) {
            (FusionMethod::Logistic, Some(b)) if b.is_finite() => Ok(()),
            (FusionMethod::Logistic, Some(b)) => bail!("[fusion] bias {b} is not finite"),
            (FusionMethod::Logistic, None) => bail!("[fusion]: logistic needs a bias"),
            (_, Some(_)) => bail!("[fusion]: only logistic has a bias"),
            (_, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::descriptor::{Combine, Descriptor, catalog};

    /// A logistic fusion of silentface and minifas128 as TOML, as `liveness fuse` writes it.
    fn fused_text() -> String {
        let c = catalog(&[]).unwrap();
        let (sf, mf) = (&c["silentface"], &c["minifas128"]);
        let model = |d: &Descriptor, w: f64| FusionModel {
            name: d.name.clone(),
            members: d.members.iter().map(|m| m.name.clone()).collect(),
            sha256: d.members.iter().map(|m| m.sha256.clone()).collect(),
            weight: Some(w),
        };
        let dev = FusionDev {
            scores: "dev.csv".into(),
            filter: None,
            fingerprint: "0".into(),
            scored: 20,
            bona_fide: 10,
            attacks: 10,
            non_responses: 0,
            log_loss: 0.1,
            date: "d".into(),
            tool: "t".into(),
        };
        let d = Descriptor {
            name: "f".into(),
            combine: Combine::Fusion,
            members: sf.members.iter().chain(&mf.members).cloned().collect(),
            fusion: Some(Fusion {
                method: FusionMethod::Logistic,
                bias: Some(0.5),
                models: vec![model(sf, 2.0), model(mf, 1.5)],
                dev,
            }),
            ..sf.clone()
        };
        toml::to_string(&d).unwrap()
    }

    fn error(text: &str) -> String {
        format!("{:#}", Descriptor::parse(text, "fused.toml").unwrap_err())
    }

    #[test]
    fn a_fused_descriptor_parses_groups_its_networks_and_combines_by_its_rule() {
        let d = Descriptor::parse(&fused_text(), "fused.toml").unwrap();
        let f = d.fusion.as_ref().unwrap();
        assert_eq!(f.groups(&d.networks()), [vec![0, 1], vec![2]]);
        assert_eq!(d.score_models(), ["f", "silentface", "minifas128"]);
        let want = sigmoid(0.5 + 2.0 * logit(0.9) + 1.5 * logit(0.2));
        assert!((f.combine(&[0.9, 0.2]) - want).abs() < 1e-15);
        let mean = Fusion { method: FusionMethod::Mean, bias: None, ..f.clone() };
        let max = Fusion { method: FusionMethod::Max, ..mean.clone() };
        assert_eq!((mean.combine(&[0.9, 0.2]), max.combine(&[0.9, 0.2])), ((0.9 + 0.2) / 2.0, 0.9));
    }

    #[test]
    fn bad_fusion_tables_are_refused_naming_the_file_and_the_fix() {
        let good = fused_text();
        let e = error(&good.replacen("weight = 2.0", "weight = nan", 1));
        assert!(e.contains("fused.toml") && e.contains("weight NaN is not finite"), "{e}");
        let e = error(&good.replacen("members = [\"minifas_v2se_128\"]", "members = [\"other\"]", 1));
        assert!(e.contains("member `other` is no [[member]]") && e.contains("liveness fuse"), "{e}");
        let sha = "af2381b88f38769222ed93379e12444e2a50814575de1c46170de570c55a42b6";
        let e =
            error(&good.replacen(&format!("sha256 = [\"{sha}\"]"), &format!("sha256 = [\"{}\"]", "0".repeat(64)), 1));
        assert!(e.contains("was fitted with sha256 000") && e.contains(sha), "{e}");
        let e = error(&good.replacen("bias = 0.5", "bias = 0.5\nbais = 1.0", 1));
        assert!(e.contains("bais"), "{e}");
        let e = error(&good.replacen("method = \"logistic\"", "method = \"mean\"", 1));
        assert!(e.contains("only logistic has weights"), "{e}");
        let e = error(&good.replacen("combine = \"fusion\"", "combine = \"mean_softmax\"", 1));
        assert!(e.contains("[fusion] table but is not `combine = \"fusion\"`"), "{e}");
    }

    #[test]
    fn logit_clips_and_sigmoid_inverts_it() {
        assert_eq!(logit(0.0), logit(LOGIT_CLIP));
        assert!(logit(1.0).is_finite() && (logit(1.0) + logit(0.0)).abs() < 1e-3);
        for p in [1e-9, 0.1, 0.5, 0.73, 1.0 - 1e-9] {
            assert!((sigmoid(logit(p)) - p).abs() < 1e-12, "{p}");
        }
        assert_eq!(sigmoid(-800.0), 0.0);
        assert_eq!(sigmoid(800.0), 1.0);
    }
}
