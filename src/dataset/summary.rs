//! What a loaded dataset holds, for the report and for a look before a long scoring run.

use std::collections::BTreeMap;
use std::fmt;

use anyhow::{Result, bail};
use serde::Serialize;

use super::{Dataset, Issue, IssueKind, Label, Severity};

/// Values shown per metadata column.
const TOP: usize = 5;
/// Issues quoted per group.
const EXAMPLES: usize = 3;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub name: String,
    pub samples: usize,
    pub bona_fide: usize,
    pub attacks: usize,
    pub with_face_box: usize,
    /// Attacks per species, most frequent first.
    pub species: Vec<Count>,
    /// One entry per metadata column, by name.
    pub meta: Vec<Column>,
    /// Loading issues by kind and severity, errors first.
    pub issues: Vec<IssueGroup>,
    /// Caveats about the dataset as a whole, such as a missing class.
    pub warnings: Vec<String>,
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Count {
    pub value: String,
    pub count: usize,
}

#[derive(Debug, Serialize)]
pub struct Column {
    pub name: String,
    pub distinct: usize,
    /// Samples without a value.
    pub missing: usize,
    /// The most frequent values, at most [`TOP`].
    pub top: Vec<Count>,
}

#[derive(Debug, Serialize)]
pub struct IssueGroup {
    pub kind: IssueKind,
    pub severity: Severity,
    pub count: usize,
    /// The first few, as loading found them.
    pub examples: Vec<Issue>,
}

/// Summarises `ds`. An empty dataset is an error: nothing could be evaluated.
pub fn summarize(ds: &Dataset) -> Result<Summary> {
    if ds.samples.is_empty() {
        let why =
            ds.issues.first().map_or(String::new(), |i| format!(" ({} loading issue(s); first: {i})", ds.issues.len()));
        bail!(
            "dataset `{}` at {} has no samples{why}; see datasets.md for the layouts read",
            ds.name,
            ds.root.display()
        );
    }
    let attacks = ds.samples.iter().filter(|s| s.label == Label::Attack).count();
    let bona_fide = ds.samples.len() - attacks;
    let mut warnings = Vec::new();
    for (count, missing) in [(bona_fide, "bona fide"), (attacks, "attack")] {
        if count == 0 {
            warnings.push(format!(
                "no {missing} samples: metrics that need both classes (BPCER at APCER, APCER at BPCER, EER, AUC) will be n/a"
            ));
        }
    }
    let species = counts(ds.samples.iter().filter(|s| s.label == Label::Attack).map(|s| s.species.as_str()));
    Ok(Summary {
        name: ds.name.clone(),
        samples: ds.samples.len(),
        bona_fide,
        attacks,
        with_face_box: ds.samples.iter().filter(|s| s.face_box.is_some()).count(),
        species,
        meta: columns(ds),
        issues: groups(&ds.issues),
        warnings,
    })
}

/// Occurrences of each value, most frequent first, ties by value.
fn counts<'a>(values: impl Iterator<Item = &'a str>) -> Vec<Count> {
    let mut by_value: BTreeMap<&str, usize> = BTreeMap::new();
    values.for_each(|v| *by_value.entry(v).or_default() += 1);
    let mut counts: Vec<Count> =
        by_value.into_iter().map(|(value, count)| Count { value: value.to_owned(), count }).collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    counts
}

fn columns(ds: &Dataset) -> Vec<Column> {
    let mut names: Vec<&str> = ds.samples.iter().flat_map(|s| s.meta.keys().map(String::as_str)).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let mut top = counts(ds.samples.iter().filter_map(|s| s.meta.get(name).map(String::as_str)));
            let present: usize = top.iter().map(|c| c.count).sum();
            let distinct = top.len();
            top.truncate(TOP);
            Column { name: name.to_owned(), distinct, missing: ds.samples.len() - present, top }
        })
        .collect()
}

fn groups(issues: &[Issue]) -> Vec<IssueGroup> {
    let mut by_kind: BTreeMap<(std::cmp::Reverse<Severity>, IssueKind), IssueGroup> = BTreeMap::new();
    for issue in issues {
        let group = by_kind.entry((std::cmp::Reverse(issue.severity), issue.kind)).or_insert_with(|| IssueGroup {
            kind: issue.kind,
            severity: issue.severity,
            count: 0,
            examples: Vec::new(),
        });
        group.count += 1;
        if group.examples.len() < EXAMPLES {
            group.examples.push(issue.clone());
        }
    }
    by_kind.into_values().collect()
}

/// `a 3, b 2, c 1`, then `+N more` when `total` has more values than shown.
fn list(counts: &[Count], total: usize) -> String {
    let mut text = counts.iter().map(|c| format!("{} {}", c.value, c.count)).collect::<Vec<_>>().join(", ");
    if total > counts.len() {
        text += &format!(", +{} more", total - counts.len());
    }
    text
}

/// A few lines: totals, species, one line per metadata column, one per issue group with its first example.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} samples, {} bona fide, {} attack", self.name, self.samples, self.bona_fide, self.attacks)?;
        if self.with_face_box > 0 {
            write!(f, ", {} with face box", self.with_face_box)?;
        }
        if !self.species.is_empty() {
            write!(f, "\nspecies: {}", list(&self.species, self.species.len()))?;
        }
        for column in &self.meta {
            write!(f, "\n{} ({} distinct): {}", column.name, column.distinct, list(&column.top, column.distinct))?;
            if column.missing > 0 {
                write!(f, "; {} without", column.missing)?;
            }
        }
        for group in &self.issues {
            write!(f, "\n{} x{}", group.kind.as_str(), group.count)?;
            if let Some(first) = group.examples.first() {
                write!(f, ", e.g. {first}")?;
            }
        }
        for warning in &self.warnings {
            write!(f, "\nwarning: {warning}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::dataset::Sample;

    fn sample(label: Label, species: &str, meta: &[(&str, &str)]) -> Sample {
        let mut s = Sample::new(&PathBuf::from("r"), format!("{species}{}.jpg", meta.len()), label, species.to_owned());
        s.meta = meta.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        s
    }

    fn dataset(samples: Vec<Sample>, issues: Vec<Issue>) -> Dataset {
        Dataset { name: "d".into(), root: PathBuf::from("r"), samples, issues }
    }

    #[test]
    fn counts_labels_species_metadata_and_issues() {
        let mut samples = vec![
            sample(Label::BonaFide, "", &[("device", "phone")]),
            sample(Label::BonaFide, "", &[]),
            sample(Label::Attack, "print", &[("device", "phone")]),
            sample(Label::Attack, "replay", &[("device", "tablet")]),
            sample(Label::Attack, "print", &[("device", "laptop")]),
        ];
        samples[0].face_box = Some([0, 0, 1, 1]);
        for (i, device) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            samples.push(sample(Label::Attack, "mask", &[("device", device), ("n", &i.to_string())]));
        }
        let issues = vec![
            Issue::warning(IssueKind::MissingFile, "m.csv:2", "gone"),
            Issue::error(IssueKind::UnknownLabel, "m.csv:3", "label `x`"),
            Issue::warning(IssueKind::MissingFile, "m.csv:4", "gone too"),
        ];
        let summary = summarize(&dataset(samples, issues)).unwrap();
        assert_eq!((summary.samples, summary.bona_fide, summary.attacks, summary.with_face_box), (10, 2, 8, 1));
        let species: Vec<_> = summary.species.iter().map(|c| (c.value.as_str(), c.count)).collect();
        assert_eq!(species, [("mask", 5), ("print", 2), ("replay", 1)]);
        let device = &summary.meta[0];
        assert_eq!((device.name.as_str(), device.distinct, device.missing, device.top.len()), ("device", 8, 1, TOP));
        assert_eq!(device.top[0], Count { value: "phone".into(), count: 2 });
        let groups: Vec<_> = summary.issues.iter().map(|g| (g.kind, g.severity, g.count)).collect();
        assert_eq!(
            groups,
            [(IssueKind::UnknownLabel, Severity::Error, 1), (IssueKind::MissingFile, Severity::Warning, 2)]
        );
        assert!(summary.warnings.is_empty());

        let text = summary.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "d: 10 samples, 2 bona fide, 8 attack, 1 with face box");
        assert_eq!(lines[1], "species: mask 5, print 2, replay 1");
        assert_eq!(lines[2], "device (8 distinct): phone 2, a 1, b 1, c 1, d 1, +3 more; 1 without");
        assert_eq!(lines[3], "n (5 distinct): 0 1, 1 1, 2 1, 3 1, 4 1; 5 without");
        assert_eq!(lines[4], "unknown_label x1, e.g. error [unknown_label] m.csv:3: label `x`");
        assert_eq!(lines[5], "missing_file x2, e.g. warning [missing_file] m.csv:2: gone");
        assert_eq!(lines.len(), 6);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["issues"][0]["kind"], "unknown_label");
        assert_eq!(json["issues"][1]["examples"][1]["message"], "gone too");
    }

    #[test]
    fn one_class_is_a_warning() {
        let summary = summarize(&dataset(vec![sample(Label::Attack, "print", &[])], Vec::new())).unwrap();
        assert_eq!(summary.warnings.len(), 1);
        assert!(summary.warnings[0].starts_with("no bona fide samples"));
        assert!(summary.to_string().ends_with("will be n/a"));
        let live_only = summarize(&dataset(vec![sample(Label::BonaFide, "", &[])], Vec::new())).unwrap();
        assert!(live_only.warnings[0].starts_with("no attack samples"));
    }

    #[test]
    fn empty_dataset_is_an_error_that_says_why() {
        let issue = Issue::error(IssueKind::UnknownLabel, "spoofs/", "not a label");
        let err = summarize(&dataset(Vec::new(), vec![issue])).unwrap_err().to_string();
        assert_eq!(
            err,
            "dataset `d` at r has no samples (1 loading issue(s); first: error [unknown_label] spoofs/: not a label); \
             see datasets.md for the layouts read"
        );
    }
}
