//! Learned fusion of PAD models (`liveness fuse`): the member models' scores of the same presentations,
//! side by side, and the fusion rule fitted on them.
//!
//! A fusion is fitted on presentations every member scored. A presentation one member scored and another
//! did not (or that they refused for different reasons) means the columns come from different runs or
//! settings, and a rule fitted on them would not be the rule `score` applies (it scores all members on
//! one face, or none): that is refused, with the count and an example, never dropped silently.
//! Presentations no member scored are counted and left out.

pub mod compare;
pub mod fit;
pub mod markdown;

use anyhow::{Result, bail, ensure};

use crate::model::descriptor::{Combine, Descriptor, Kind};
use crate::model::fusion::{Fusion, FusionDev, FusionMethod, FusionModel, logit};
use crate::schema::Presentation;
use crate::scoreset::ScoreSet;

/// Checks that the dev run scored each member with the network files its descriptor names now: weights
/// fitted on one network's scores say nothing about another's. `scored` is the run manifest's
/// `decides.models` (name and `files[].sha256` of each model the run scored). Returns how many members
/// were checked; a run scored by no model (`eval --scores`) records none, and nothing can be checked.
pub fn check_networks(scored: &serde_json::Value, members: &[Descriptor], run: &str) -> Result<usize> {
    let Some(scored) = scored.as_array().filter(|a| !a.is_empty()) else { return Ok(0) };
    let name = |m: &serde_json::Value| m["name"].as_str().unwrap_or("").to_owned();
    for d in members {
        let Some(entry) = scored.iter().find(|m| name(m) == d.name) else {
            let names: Vec<String> = scored.iter().map(name).collect();
            bail!("{run} was not scored with {} (it scored {}): fuse the models it scored", d.name, names.join(", "));
        };
        let mut had: Vec<&str> =
            entry["files"].as_array().into_iter().flatten().filter_map(|f| f["sha256"].as_str()).collect();
        let mut has: Vec<&str> = d.members.iter().map(|m| m.sha256.as_str()).collect();
        had.sort_unstable();
        has.sort_unstable();
        ensure!(
            had == has,
            "{run} scored {} with network files of sha256 {}, but its descriptor now names {}: rescore the dev \
             split with this descriptor, or fuse with the descriptor the run was scored with",
            d.name,
            had.join(", "),
            has.join(", ")
        );
    }
    Ok(members.len())
}

/// Fewest presentations of each class a fit accepts: below that a weight is a guess.
pub const MIN_PER_CLASS: usize = 10;

/// The member models' scores of the same presentations.
#[derive(Debug, Clone)]
pub struct Paired {
    /// The presentations every member scored (ids, labels, metadata; `score` is the first member's).
    pub presentations: Vec<Presentation>,
    /// For each of those presentations, each member's live probability (in member order).
    pub probabilities: Vec<Vec<f64>>,
    /// Presentations no member scored.
    pub non_responses: usize,
}

impl Paired {
    /// Lines up the members' score sets (read from one file with one filter, so row for row the same
    /// presentations); refuses rows scored by some members only, and scores outside 0..1.
    pub fn of(sets: &[ScoreSet]) -> Result<Paired> {
        let Some(first) = sets.first() else { bail!("no member models") };
        for s in &sets[1..] {
            ensure!(
                s.presentations.len() == first.presentations.len()
                    && s.presentations.iter().zip(&first.presentations).all(|(a, b)| a.id == b.id),
                "{} and {} hold different presentations: read every member from one score file",
                first.describe(),
                s.describe()
            );
        }
        let mut out = Paired { presentations: Vec::new(), probabilities: Vec::new(), non_responses: 0 };
        let (mut differing, mut example) = (0usize, None);
        for (i, p) in first.presentations.iter().enumerate() {
            let row: Vec<&Presentation> = sets.iter().map(|s| &s.presentations[i]).collect();
            let scored = row.iter().filter(|q| q.score.is_some()).count();
            let same_reasons = row.iter().all(|q| q.reason == p.reason);
            if scored != 0 && scored != row.len() || scored == 0 && !same_reasons {
                differing += 1;
                example.get_or_insert_with(|| p.id.clone());
                continue;
            }
            if scored == 0 {
                out.non_responses += 1;
                continue;
            }
            let probs: Vec<f64> = row.iter().filter_map(|q| q.score).collect();
            if let Some((s, v)) = sets.iter().zip(&probs).find(|(_, v)| !(0.0..=1.0).contains(*v)) {
                bail!(
                    "{}: score {v} of {} is outside 0..1: fusion takes live probabilities (read the \
                     models' own `<model>_score` columns of an `eval` run)",
                    s.describe(),
                    crate::escape::terminal(&p.id)
                );
            }
            out.presentations.push(p.clone());
            out.probabilities.push(probs);
        }
        if let Some(id) = example {
            bail!(
                "the member models were scored on different presentations: {differing} presentation(s) have a \
                 score from some members but not from others, or different non-response reasons (e.g. {}). \
                 Fix: score every member in one pass (`liveness eval DATASET --model {}`)",
                crate::escape::terminal(&id),
                sets.iter().filter_map(ScoreSet::model).collect::<Vec<_>>().join(",")
            );
        }
        Ok(out)
    }

    /// (bona fide, attacks) among the scored presentations.
    pub fn counts(&self) -> (usize, usize) {
        let live = self.presentations.iter().filter(|p| p.bona_fide).count();
        (live, self.presentations.len() - live)
    }

    /// Refuses a dev set with fewer than [`MIN_PER_CLASS`] scored presentations of a class.
    pub fn check_fit_size(&self) -> Result<()> {
        let (live, attacks) = self.counts();
        ensure!(
            live >= MIN_PER_CLASS && attacks >= MIN_PER_CLASS,
            "a fusion needs at least {MIN_PER_CLASS} scored presentations of each class on the dev split; it has \
             {live} bona fide and {attacks} attack(s). Fix: widen --where or score more presentations"
        );
        Ok(())
    }

    /// The members' clipped logits, one row per presentation (the logistic fit's features).
    pub fn logits(&self) -> Vec<Vec<f64>> {
        self.probabilities.iter().map(|r| r.iter().map(|&p| logit(p)).collect()).collect()
    }

    pub fn labels(&self) -> Vec<bool> {
        self.presentations.iter().map(|p| p.bona_fide).collect()
    }

    /// The presentations with `score` replaced by `scores` (one per presentation): a member's or the
    /// fusion's, for the metrics engine.
    pub fn with_scores(&self, scores: impl Iterator<Item = f64>) -> Vec<Presentation> {
        self.presentations.iter().zip(scores).map(|(p, s)| Presentation { score: Some(s), ..p.clone() }).collect()
    }

    /// The presentations scored by member `i`.
    pub fn member(&self, i: usize) -> Vec<Presentation> {
        self.with_scores(self.probabilities.iter().map(|r| r[i]))
    }

    /// The presentations scored by `fusion`.
    pub fn fused(&self, fusion: &Fusion) -> Vec<Presentation> {
        self.with_scores(self.probabilities.iter().map(|r| fusion.combine(r)))
    }
}

/// The fitted rule: bias and weights for `logistic`, none for `mean` and `max`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub bias: Option<f64>,
    pub weights: Option<Vec<f64>>,
    pub iterations: usize,
}

/// Fits `method` on `dev` (checked for size first).
pub fn fit_rule(dev: &Paired, method: FusionMethod) -> Result<Rule> {
    dev.check_fit_size()?;
    Ok(match method {
        FusionMethod::Logistic => {
            let f = fit::fit(&dev.logits(), &dev.labels())?;
            Rule { bias: Some(f.bias), weights: Some(f.weights), iterations: f.iterations }
        }
        FusionMethod::Mean | FusionMethod::Max => Rule { bias: None, weights: None, iterations: 0 },
    })
}

/// The mean negative log-likelihood (nats) of the fused probabilities on `set`, each clipped like the
/// member probabilities (a `max` fusion can say exactly 0 or 1).
pub fn log_loss(set: &Paired, fusion: &Fusion) -> f64 {
    let eta: Vec<f64> = set.probabilities.iter().map(|r| logit(fusion.combine(r))).collect();
    fit::log_loss(&eta, &set.labels())
}

/// The fused descriptor `name`: every member model's networks as its `[[member]]`s, and the `[fusion]`
/// table of `rule` (its `log_loss` filled in from `dev`). Refuses members that are not plain PAD models and
/// members sharing a network name (their scores could not be told apart in the output).
pub fn fused_descriptor(
    name: &str,
    members: &[Descriptor],
    method: FusionMethod,
    rule: &Rule,
    dev: &Paired,
    provenance: FusionDev,
) -> Result<Descriptor> {
    let mut networks = Vec::new();
    let mut models = Vec::new();
    for (i, d) in members.iter().enumerate() {
        ensure!(
            d.kind == Kind::Pad && d.combine == Combine::MeanSoftmax,
            "`{}` ({}) is not a plain PAD model (it is {}): fuse its own member models instead",
            d.name,
            d.origin,
            if d.kind == Kind::Embedding { "a face-recognition model" } else { "itself a fusion" }
        );
        if let Some(m) =
            d.members.iter().find(|m| networks.iter().any(|n: &crate::model::descriptor::Member| n.name == m.name))
        {
            bail!(
                "`{}` and an earlier member both have a network named `{}`: a fused model needs distinct names",
                d.name,
                m.name
            );
        }
        networks.extend(d.members.iter().cloned());
        models.push(FusionModel {
            name: d.name.clone(),
            members: d.members.iter().map(|m| m.name.clone()).collect(),
            sha256: d.members.iter().map(|m| m.sha256.clone()).collect(),
            weight: rule.weights.as_ref().map(|w| w[i]),
        });
    }
    let mut fusion = Fusion { method, bias: rule.bias, models, dev: provenance };
    fusion.dev.log_loss = log_loss(dev, &fusion);
    let names: Vec<&str> = members.iter().map(|d| d.name.as_str()).collect();
    Ok(Descriptor {
        name: name.to_owned(),
        kind: Kind::Pad,
        description: format!("{} fusion of {} (liveness fuse)", method.as_str(), names.join(", ")),
        combine: Combine::Fusion,
        members: networks,
        embedding: None,
        fusion: Some(fusion),
        origin: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoreset::{Filter, Selector};

    fn sets(text: &str, models: &[&str], filter: Option<&str>) -> Result<Vec<ScoreSet>> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("scores.csv"), text).unwrap();
        let filter = filter.map(|f| f.parse::<Filter>().unwrap());
        models
            .iter()
            .map(|m| {
                ScoreSet::load(Selector {
                    path: dir.path(),
                    model: Some(m),
                    filter: filter.as_ref(),
                    flip: false,
                    mapping: None,
                    keep: &[],
                    labels: None,
                })
            })
            .collect()
    }

    const HEAD: &str = "path,label,attack_type,subject,score,status,reason,a_score,b_score\n";

    #[test]
    fn a_dev_run_scored_with_other_network_files_is_refused_naming_both() {
        let text = std::fs::read_to_string("configs/models/minifas128.toml").unwrap();
        let d = Descriptor::parse(&text, "minifas128.toml").unwrap();
        let sha = d.members[0].sha256.clone();
        let run =
            |name: &str, sha: &str| serde_json::json!([{"name": name, "files": [{"file": "f.onnx", "sha256": sha}]}]);
        assert_eq!(check_networks(&run("minifas128", &sha), std::slice::from_ref(&d), "dev").unwrap(), 1);
        let e = check_networks(&run("minifas128", "beef"), std::slice::from_ref(&d), "dev").unwrap_err().to_string();
        assert!(e.contains("sha256 beef") && e.contains(&sha) && e.contains("rescore"), "{e}");
        let e = check_networks(&run("silentface", &sha), std::slice::from_ref(&d), "dev").unwrap_err().to_string();
        assert!(e.contains("not scored with minifas128 (it scored silentface)"), "{e}");
        assert_eq!(check_networks(&serde_json::json!([]), std::slice::from_ref(&d), "dev").unwrap(), 0);
    }

    #[test]
    fn members_line_up_and_shared_non_responses_are_counted() {
        let text = format!(
            "{HEAD}x.jpg,live,,0001,0.9,ok,,0.9,0.8\ny.jpg,attack,print,0001,0.1,ok,,0.1,0.3\n\
             z.jpg,live,,0002,,non_response,no_face,,\n"
        );
        let p = Paired::of(&sets(&text, &["a", "b"], None).unwrap()).unwrap();
        assert_eq!(
            (p.probabilities.clone(), p.non_responses, p.counts()),
            (vec![vec![0.9, 0.8], vec![0.1, 0.3]], 1, (1, 1))
        );
        let e = p.check_fit_size().unwrap_err().to_string();
        assert!(e.contains("1 bona fide and 1 attack"), "{e}");
    }

    #[test]
    fn a_presentation_scored_by_one_member_only_is_refused_with_the_count() {
        // A score file of this tool refuses an `ok` row with an empty model score when read; a file without
        // a status column (two vendors' exports joined) does not.
        let text = "path,label,attack_type,subject,a_score,b_score\nx.jpg,live,,0001,0.9,\n\
                    y.jpg,attack,print,0001,0.1,0.3\nw.jpg,attack,print,0001,0.1,\n";
        let e = Paired::of(&sets(text, &["a", "b"], None).unwrap()).unwrap_err().to_string();
        assert!(e.contains("2 presentation(s)") && e.contains("x.jpg") && e.contains("--model a,b"), "{e}");
    }

    #[test]
    fn scores_outside_probabilities_are_refused() {
        let text = format!("{HEAD}x.jpg,live,,0001,90,ok,,90,0.8\n");
        let e = Paired::of(&sets(&text, &["a", "b"], None).unwrap()).unwrap_err().to_string();
        assert!(e.contains("outside 0..1"), "{e}");
    }
}
