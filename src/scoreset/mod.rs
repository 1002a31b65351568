//! The scores that `calibrate`, `gate` and `diff` work on: a run folder or a score file, one model's
//! column of it, optionally restricted to some metadata values (a dev or eval split).
//!
//! Why a filter here and not a second scoring run: calibration and gating must use disjoint subsets of
//! subjects, and scoring a dataset once (`eval --model a,b`) then splitting its `scores.csv` by subject
//! costs nothing, where scoring each split per model would cost minutes in CI.
//!
//! Which model's column is read is decided by [`ModelColumn`], the rule `eval --scores` and `report`
//! apply too; the set records the column it read, so that provenance names it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Result, ensure};

pub mod labels;

use crate::run::coverage::Coverage;
use crate::schema::{Presentation, ScoreColumns};
use crate::scorefile::{Mapping, ModelColumn, ReadOptions, read_described};

/// Keep presentations whose metadata `column` is one of `values`, or within `lo..=hi` (string order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub column: String,
    pub keep: Keep,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    Values(Vec<String>),
    /// Inclusive, compared as strings: `0001..0004` keeps 0001, 0002, 0003, 0004 (zero-padded ids).
    Range(String, String),
}

impl FromStr for Filter {
    type Err = String;

    /// `COLUMN=V1,V2,...` or `COLUMN=LO..HI`.
    fn from_str(s: &str) -> Result<Filter, String> {
        let Some((column, spec)) = s.split_once('=') else {
            return Err(format!("`{s}` is not COLUMN=V1,V2 or COLUMN=LO..HI"));
        };
        let (column, spec) = (column.trim(), spec.trim());
        if column.is_empty() || spec.is_empty() {
            return Err(format!("`{s}` needs a column name and values"));
        }
        let keep = match spec.split_once("..") {
            Some((lo, hi)) if !lo.is_empty() && !hi.is_empty() && !hi.contains("..") && lo <= hi => {
                Keep::Range(lo.into(), hi.into())
            }
            Some(_) => return Err(format!("`{spec}` is not a range LO..HI with LO <= HI")),
            None => Keep::Values(spec.split(',').map(|v| v.trim().to_owned()).collect()),
        };
        Ok(Filter { column: column.to_owned(), keep })
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.keep {
            Keep::Values(v) => write!(f, "{}={}", self.column, v.join(",")),
            Keep::Range(lo, hi) => write!(f, "{}={lo}..{hi}", self.column),
        }
    }
}

impl Filter {
    fn keeps(&self, p: &Presentation) -> bool {
        let Some(v) = p.meta.get(&self.column) else { return false };
        match &self.keep {
            Keep::Values(values) => values.contains(v),
            Keep::Range(lo, hi) => lo.as_str() <= v.as_str() && v.as_str() <= hi.as_str(),
        }
    }
}

/// What to read.
#[derive(Debug, Clone, Copy)]
pub struct Selector<'a> {
    /// A run folder (its `scores.csv`) or a score file.
    pub path: &'a Path,
    /// The model whose scores to read ([`ModelColumn::select`]); `None` reads `score`, the primary's.
    pub model: Option<&'a str>,
    pub filter: Option<&'a Filter>,
    pub flip: bool,
    /// How to read a score file of no known format.
    pub mapping: Option<&'a Mapping>,
    /// Reserved columns to read as metadata too ([`ReadOptions::keep`]).
    pub keep: &'a [String],
    /// `--labels`: the dataset (and its name as given) whose labels are joined onto an id-and-score file.
    pub labels: Option<(&'a crate::dataset::Dataset, &'a str)>,
}

/// Presentations read through a [`Selector`].
#[derive(Debug, Clone)]
pub struct ScoreSet {
    /// The score file read.
    pub file: PathBuf,
    /// The column read and the model its scores are of (named, or the file's primary model).
    pub column: ModelColumn,
    pub filter: Option<Filter>,
    /// The mapping the file was read by (empty for the known formats).
    pub mapping: Mapping,
    /// A mapped file's columns as read (`id=path, label=label, score=score`), to tell the user.
    pub columns_used: Option<String>,
    pub presentations: Vec<Presentation>,
    /// How much of its run the file is (see [`crate::run::coverage`]); checked by each command.
    pub coverage: Coverage,
    /// `--labels`: what the join of the dataset's labels did.
    pub join: Option<labels::JoinReport>,
}

impl ScoreSet {
    /// Reads the selected scores; errors name the file, a missing model column or an empty filter result.
    pub fn load(sel: Selector) -> Result<ScoreSet> {
        let (file, mapping, column, read) = opened(&sel)?;
        let (mut presentations, columns_used) = read_described(&file, read)?;
        let join = match sel.labels {
            Some((dataset, name)) => {
                let (joined, report) = labels::join(presentations, dataset, &file.display().to_string(), name)?;
                presentations = joined;
                Some(report)
            }
            None => None,
        };
        if let Some(filter) = sel.filter {
            ensure!(
                presentations.iter().any(|p| p.meta.contains_key(&filter.column)),
                "{}: no column {:?} to filter on",
                file.display(),
                filter.column
            );
            presentations.retain(|p| filter.keeps(p));
            ensure!(!presentations.is_empty(), "{}: no presentation has {filter}", file.display());
        }
        let coverage = Coverage::of(sel.path)?;
        Ok(ScoreSet { file, column, filter: sel.filter.cloned(), mapping, columns_used, presentations, coverage, join })
    }

    /// [`ScoreSet::load`] into columns ([`crate::scorefile::columnar`]): the set, whose `presentations` are
    /// left empty, and the columns. For a score file read whole: no filter, labels or vendor decisions
    /// (read those with [`ScoreSet::load`]).
    pub fn load_columns(sel: Selector) -> Result<(ScoreSet, ScoreColumns)> {
        ensure!(sel.filter.is_none() && sel.labels.is_none(), "a filtered or labelled score set is read as records");
        let (file, mapping, column, read) = opened(&sel)?;
        let (columns, columns_used) = crate::scorefile::columnar::read_columns(&file, &read)?;
        let coverage = Coverage::of(sel.path)?;
        let set = ScoreSet {
            file,
            column,
            filter: None,
            mapping,
            columns_used,
            presentations: Vec::new(),
            coverage,
            join: None,
        };
        Ok((set, columns))
    }

    /// The model the scores are of, when known.
    pub fn model(&self) -> Option<&str> {
        self.column.model.as_deref()
    }

    /// `file model M (column C) [where filter]`, for reports.
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.file.display(), self.column.describe());
        if let Some(f) = &self.filter {
            s += &format!(" where {f}");
        }
        s
    }

    /// The fingerprint of the presentations read (after filtering): see [`crate::scorefile::fingerprint`].
    pub fn fingerprint(&self) -> String {
        crate::scorefile::fingerprint(&self.presentations)
    }
}

/// The score file a selector names, its mapping, the model column read and how to read it.
fn opened(sel: &Selector) -> Result<(PathBuf, Mapping, ModelColumn, ReadOptions)> {
    let file = if sel.path.is_dir() { crate::scorefile::of_run(sel.path) } else { sel.path.to_path_buf() };
    let mapping = sel.mapping.cloned().unwrap_or_default();
    let column = ModelColumn::of_file(&file, sel.model, &mapping)?;
    let read = ReadOptions {
        unlabelled: sel.labels.is_some(),
        ..ReadOptions::column(sel.flip, &column, &mapping).keeping(sel.keep)
    };
    Ok((file, mapping, column, read))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::run_folder::SCORES_CSV;

    const TWO_MODELS: &str = "path,label,attack_type,subject,score,status,reason,a_score,b_score\n\
        x.jpg,live,,0001,0.9,ok,,0.9,0.2\n\
        y.jpg,attack,print,0002,0.1,ok,,0.1,0.7\n\
        z.jpg,live,,0003,,non_response,no_face,,\n";

    fn load(text: &str, model: Option<&str>, filter: Option<&str>) -> Result<ScoreSet> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SCORES_CSV), text).unwrap();
        let filter = filter.map(|f| f.parse::<Filter>().unwrap());
        ScoreSet::load(Selector {
            path: dir.path(),
            model,
            filter: filter.as_ref(),
            flip: false,
            mapping: None,
            keep: &[],
            labels: None,
        })
    }

    fn scores(set: &ScoreSet) -> Vec<Option<f64>> {
        set.presentations.iter().map(|p| p.score).collect()
    }

    #[test]
    fn model_column_selects_scores_and_default_is_the_primary() {
        let b = load(TWO_MODELS, Some("b"), None).unwrap();
        assert_eq!(scores(&b), [Some(0.2), Some(0.7), None]);
        assert_eq!((b.model(), b.column.column.as_str()), (Some("b"), "b_score"));
        assert_eq!(b.presentations[0].meta.keys().collect::<Vec<_>>(), ["subject"]);
        let primary = load(TWO_MODELS, None, None).unwrap();
        assert_eq!((scores(&primary)[1], primary.model()), (Some(0.1), Some("a")));
        assert!(primary.column.note().is_some());
        let e = load(TWO_MODELS, Some("c"), None).unwrap_err();
        assert!(e.is::<crate::scorefile::UnknownModel>(), "{e:#}");
        let e = format!("{e:#}");
        assert!(e.contains("no column c_score") && e.contains("a, b") && e.contains(SCORES_CSV), "{e}");
    }

    #[test]
    fn single_score_files_take_the_named_model() {
        let set = load("path,label,attack_type,score,face_found\nx,live,,0.4,1\n", Some("m"), None).unwrap();
        assert_eq!((scores(&set), set.model()), (vec![Some(0.4)], Some("m")));
    }

    #[test]
    fn filters_by_values_and_inclusive_ranges() {
        let range = load(TWO_MODELS, None, Some("subject=0002..0003")).unwrap();
        assert_eq!(range.presentations.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["y.jpg", "z.jpg"]);
        assert!(range.describe().ends_with("model a (column score) where subject=0002..0003"), "{}", range.describe());
        let values = load(TWO_MODELS, None, Some("subject=0001,0003")).unwrap();
        assert_eq!(values.presentations.len(), 2);
        assert_ne!(range.fingerprint(), values.fingerprint());
        let e = load(TWO_MODELS, None, Some("subject=0009")).unwrap_err().to_string();
        assert!(e.contains("no presentation has subject=0009"), "{e}");
        let e = load(TWO_MODELS, None, Some("site=a")).unwrap_err().to_string();
        assert!(e.contains("no column \"site\""), "{e}");
    }

    #[test]
    fn filter_syntax_errors() {
        assert!("subject".parse::<Filter>().unwrap_err().contains("COLUMN="));
        assert!("subject=0009..0001".parse::<Filter>().unwrap_err().contains("LO <= HI"));
        assert!("subject=0001..0002..0003".parse::<Filter>().unwrap_err().contains("not a range LO..HI"));
        assert!("=1".parse::<Filter>().is_err());
        assert_eq!("s = 1, 2".parse::<Filter>().unwrap().to_string(), "s=1,2");
    }
}
