//! Labels from elsewhere (`eval --scores vendor.csv --labels DATASET`): vendor exports often hold only ids
//! and scores. The labels, species and metadata come from the dataset (a NUAA folder, `live/ spoof/`
//! folders or a manifest, through the dataset loaders), joined on the id.
//!
//! The join rule, tried in this order for each score row:
//! 1. the id is a sample's dataset-relative path (`ClientRaw/0001/x.jpg`; `\` read as `/`, `./` dropped);
//! 2. the id is a path ending in one (`/data/nuaa/ClientRaw/0001/x.jpg`, `s3://bucket/ClientRaw/...`);
//! 3. the id is a bare file name that exactly one sample has.
//!
//! Rows that match no sample (extra) and samples no row matched (missing) are left out of the metrics and
//! reported with counts and examples, never dropped silently; two rows matching one sample, or no row
//! matching any, are refused. The joined presentations are in dataset order with the samples' paths as
//! ids, so their fingerprint is the one a scoring run of the same samples has.

use std::collections::HashMap;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Label};
use crate::schema::Presentation;

/// How many ids a report names.
const EXAMPLES: usize = 5;

/// What the join did, for metrics.json (`labels`) and the terminal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinReport {
    /// The dataset the labels came from.
    pub dataset: String,
    pub samples: usize,
    pub rows: usize,
    pub joined: usize,
    /// Joined by rule 1, 2 and 3 of the module doc.
    pub by_path: usize,
    pub by_path_suffix: usize,
    pub by_file_name: usize,
    /// Score rows that match no sample: left out.
    pub extra: usize,
    pub extra_examples: Vec<String>,
    /// Bare file names shared by several samples: which one is meant cannot be told (counted in `extra`).
    pub ambiguous: usize,
    /// Samples without a score row: left out.
    pub missing: usize,
    pub missing_examples: Vec<String>,
}

impl JoinReport {
    /// One line for the terminal.
    pub fn line(&self) -> String {
        let mut s = format!(
            "labels from {}: {} of {} score rows joined to its {} samples ({} by path, {} by a path ending in \
             one, {} by file name)",
            self.dataset, self.joined, self.rows, self.samples, self.by_path, self.by_path_suffix, self.by_file_name
        );
        if self.extra > 0 {
            s += &format!(
                "; {} rows match no sample and are left out ({} ambiguous file names), e.g. {}",
                self.extra,
                self.ambiguous,
                self.extra_examples.join(", ")
            );
        }
        if self.missing > 0 {
            s += &format!(
                "; {} samples have no score row and are left out, e.g. {}",
                self.missing,
                self.missing_examples.join(", ")
            );
        }
        s
    }
}

/// `\` as `/` and a leading `./` dropped, as the manifests read paths.
fn normalize(id: &str) -> String {
    let id = id.trim().replace('\\', "/");
    id.strip_prefix("./").map_or(id.clone(), str::to_owned)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Which sample a score row's id names, and by which rule (1, 2, 3); `Err(true)` for an ambiguous file name.
fn sample_of(
    id: &str,
    by_path: &HashMap<&str, usize>,
    by_name: &HashMap<&str, Option<usize>>,
) -> Result<(usize, u8), bool> {
    let id = normalize(id);
    if let Some(&i) = by_path.get(id.as_str()) {
        return Ok((i, 1));
    }
    // Every suffix after a `/`, longest first: the first one that is a sample path.
    if let Some(i) = id.match_indices('/').find_map(|(k, _)| by_path.get(&id[k + 1..]).copied()) {
        return Ok((i, 2));
    }
    if id.contains('/') {
        return Err(false);
    }
    match by_name.get(id.as_str()) {
        Some(Some(i)) => Ok((*i, 3)),
        Some(None) => Err(true),
        None => Err(false),
    }
}

/// The score rows of `file` labelled by `dataset` (named `dataset_name`); see the module doc.
pub fn join(
    rows: Vec<Presentation>,
    dataset: &Dataset,
    file: &str,
    dataset_name: &str,
) -> Result<(Vec<Presentation>, JoinReport)> {
    let by_path: HashMap<&str, usize> =
        dataset.samples.iter().enumerate().map(|(i, s)| (s.rel_path.as_str(), i)).collect();
    let mut by_name: HashMap<&str, Option<usize>> = HashMap::new();
    for (i, s) in dataset.samples.iter().enumerate() {
        by_name.entry(file_name(&s.rel_path)).and_modify(|e| *e = None).or_insert(Some(i));
    }
    let mut matched: Vec<Option<Presentation>> = vec![None; dataset.samples.len()];
    let mut first_row: Vec<Option<String>> = vec![None; dataset.samples.len()];
    let (mut rules, mut extra, mut ambiguous, mut extra_examples) = ([0usize; 3], 0, 0, Vec::new());
    let n_rows = rows.len();
    for row in rows {
        match sample_of(&row.id, &by_path, &by_name) {
            Ok((i, rule)) => {
                if let Some(first) = &first_row[i] {
                    bail!(
                        "{file}: rows {first:?} and {:?} are both sample {} of {dataset_name}: give each sample one row",
                        crate::escape::terminal(&row.id),
                        crate::escape::terminal(&dataset.samples[i].rel_path)
                    );
                }
                rules[usize::from(rule - 1)] += 1;
                first_row[i] = Some(crate::escape::terminal(&row.id));
                let sample = &dataset.samples[i];
                let mut meta = sample.meta.clone();
                for (k, v) in row.meta {
                    meta.entry(k).or_insert(v);
                }
                matched[i] = Some(Presentation {
                    id: sample.rel_path.clone(),
                    bona_fide: sample.label == Label::BonaFide,
                    species: if sample.label == Label::BonaFide { String::new() } else { sample.species.clone() },
                    score: row.score,
                    reason: row.reason,
                    meta,
                    decision: row.decision,
                });
            }
            Err(is_ambiguous) => {
                extra += 1;
                ambiguous += usize::from(is_ambiguous);
                if extra_examples.len() < EXAMPLES {
                    extra_examples.push(crate::escape::terminal(&row.id));
                }
            }
        }
    }
    let joined: usize = rules.iter().sum();
    if joined == 0 {
        bail!(
            "{file}: none of its {n_rows} ids is a sample of {dataset_name} ({} samples; e.g. id {} against sample \
             {}): ids must be the dataset-relative path, a path ending in it, or a file name only one sample has",
            dataset.samples.len(),
            extra_examples.first().map_or("none", String::as_str),
            dataset.samples.first().map_or("none".to_owned(), |s| crate::escape::terminal(&s.rel_path)),
        );
    }
    let missing: Vec<usize> = (0..matched.len()).filter(|&i| matched[i].is_none()).collect();
    let report = JoinReport {
        dataset: dataset_name.to_owned(),
        samples: dataset.samples.len(),
        rows: n_rows,
        joined,
        by_path: rules[0],
        by_path_suffix: rules[1],
        by_file_name: rules[2],
        extra,
        extra_examples,
        ambiguous,
        missing: missing.len(),
        missing_examples: missing
            .iter()
            .take(EXAMPLES)
            .map(|&i| crate::escape::terminal(&dataset.samples[i].rel_path))
            .collect(),
    };
    Ok((matched.into_iter().flatten().collect(), report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Sample;

    fn dataset(paths: &[(&str, bool)]) -> Dataset {
        Dataset {
            name: "ds".into(),
            root: "/d".into(),
            samples: paths
                .iter()
                .map(|(p, live)| Sample {
                    path: format!("/d/{p}").into(),
                    rel_path: (*p).into(),
                    label: if *live { Label::BonaFide } else { Label::Attack },
                    species: if *live { String::new() } else { "print".into() },
                    meta: [("subject".to_string(), p[..1].to_string())].into_iter().collect(),
                    face_box: None,
                })
                .collect(),
            issues: Vec::new(),
        }
    }

    fn row(id: &str, score: f64) -> Presentation {
        Presentation {
            id: id.into(),
            bona_fide: true,
            species: String::new(),
            score: Some(score),
            reason: None,
            meta: [("device".to_string(), "cam".to_string())].into_iter().collect(),
            decision: None,
        }
    }

    #[test]
    fn each_rule_joins_in_dataset_order_and_the_rest_is_counted() {
        let ds =
            dataset(&[("a/live/1.jpg", true), ("b/spoof/2.jpg", false), ("c/spoof/3.jpg", false), ("d/x/4.jpg", true)]);
        let rows = vec![
            row("s3://bucket/data/c/spoof/3.jpg", 0.3),
            row(".\\a\\live\\1.jpg", 0.9),
            row("2.jpg", 0.2),
            row("zzz.jpg", 0.5),
            row("/elsewhere/4.jpeg", 0.5),
        ];
        let (ps, r) = join(rows, &ds, "v.csv", "ds").unwrap();
        let ids: Vec<&str> = ps.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["a/live/1.jpg", "b/spoof/2.jpg", "c/spoof/3.jpg"]);
        assert_eq!(ps.iter().map(|p| p.bona_fide).collect::<Vec<_>>(), [true, false, false]);
        assert_eq!((ps[1].species.as_str(), ps[1].score), ("print", Some(0.2)));
        assert_eq!((ps[0].meta["subject"].as_str(), ps[0].meta["device"].as_str()), ("a", "cam"));
        assert_eq!((r.by_path, r.by_path_suffix, r.by_file_name, r.extra, r.missing), (1, 1, 1, 2, 1));
        assert_eq!(r.extra_examples, ["zzz.jpg", "/elsewhere/4.jpeg"]);
        assert_eq!(r.missing_examples, ["d/x/4.jpg"]);
        assert!(r.line().contains("2 rows match no sample and are left out"), "{}", r.line());
    }

    #[test]
    fn shared_file_names_are_ambiguous_and_two_rows_for_one_sample_are_refused() {
        let ds = dataset(&[("a/1.jpg", true), ("b/1.jpg", false)]);
        let (ps, r) = join(vec![row("1.jpg", 0.5), row("a/1.jpg", 0.4)], &ds, "v.csv", "ds").unwrap();
        assert_eq!((ps.len(), r.ambiguous, r.extra), (1, 1, 1));
        let e = join(vec![row("a/1.jpg", 0.5), row("/x/a/1.jpg", 0.4)], &ds, "v.csv", "ds").unwrap_err();
        assert!(e.to_string().contains("are both sample a/1.jpg of ds"), "{e}");
        let e = join(vec![row("q.jpg", 0.5)], &ds, "v.csv", "ds").unwrap_err().to_string();
        assert!(
            e.contains("none of its 1 ids is a sample of ds (2 samples; e.g. id q.jpg against sample a/1.jpg)"),
            "{e}"
        );
    }
}
