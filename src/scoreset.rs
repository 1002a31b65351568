//! The scores that `calibrate`, `gate` and `diff` work on: a run folder or a score file, one model's
//! column of it, optionally restricted to some metadata values (a dev or eval split).
//!
//! Why a filter here and not a second scoring run: calibration and gating must use disjoint subsets of
//! subjects, and scoring a dataset once (`eval --model a,b`) then splitting its `scores.csv` by subject
//! costs nothing, where scoring each split per model would cost minutes in CI.
//!
//! Why a model column: `eval --model silentface,minifas128` writes `score` (the first model) and one
//! `<model>_score` column per model. Selecting `minifas128` renames `minifas128_score` to `score` in the
//! header before the ordinary reader sees it, so every reading rule of [`crate::scorefile`] still applies.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result, bail, ensure};

use crate::run::coverage::Coverage;
use crate::schema::Presentation;
use crate::schema::run_folder::SCORES_CSV;
use crate::scorefile::{ReadOptions, parse_scores};

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
            Some((lo, hi)) if !lo.is_empty() && !hi.is_empty() && lo <= hi => Keep::Range(lo.into(), hi.into()),
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
    /// The model whose `<model>_score` column to read; `None` reads `score`.
    pub model: Option<&'a str>,
    pub filter: Option<&'a Filter>,
    pub flip: bool,
}

/// Presentations read through a [`Selector`].
#[derive(Debug, Clone)]
pub struct ScoreSet {
    /// The score file read.
    pub file: PathBuf,
    /// The model the scores are of, when known (named, or the first `<model>_score` column).
    pub model: Option<String>,
    pub filter: Option<Filter>,
    pub presentations: Vec<Presentation>,
    /// How much of its run the file is (see [`crate::run::coverage`]); checked by each command.
    pub coverage: Coverage,
}

impl ScoreSet {
    /// Reads the selected scores; errors name the file, a missing model column or an empty filter result.
    pub fn load(sel: Selector) -> Result<ScoreSet> {
        let file = if sel.path.is_dir() { sel.path.join(SCORES_CSV) } else { sel.path.to_path_buf() };
        let text = std::fs::read(&file).with_context(|| format!("cannot read score file {}", file.display()))?;
        let (text, model) = select_model(text, sel.model).with_context(|| format!("{}", file.display()))?;
        let mut presentations = parse_scores(&text[..], &file.display().to_string(), ReadOptions { flip: sel.flip })?;
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
        Ok(ScoreSet { file, model, filter: sel.filter.cloned(), presentations, coverage })
    }

    /// `file [model] [filter]`, for reports.
    pub fn describe(&self) -> String {
        let mut s = self.file.display().to_string();
        if let Some(m) = &self.model {
            s += &format!(" model {m}");
        }
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

/// Rewrites the header so that `score` holds `model`'s column; returns the model the scores are of.
fn select_model(text: Vec<u8>, model: Option<&str>) -> Result<(Vec<u8>, Option<String>)> {
    let (header, body_start) = {
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(&text[..]);
        let header: Vec<String> =
            reader.headers().context("cannot read the CSV header")?.iter().map(str::to_owned).collect();
        (header, reader.position().byte() as usize)
    };
    let per_model: Vec<&str> = header.iter().filter_map(|c| c.strip_suffix("_score")).collect();
    let Some(model) = model else {
        return Ok((text, per_model.first().map(|m| (*m).to_owned())));
    };
    let column = format!("{model}_score");
    if !header.contains(&column) {
        if per_model.is_empty() {
            // A file with one `score` column (oracle, bob.pad): the caller names its model.
            return Ok((text, Some(model.to_owned())));
        }
        bail!("no column {column}; the models scored in this file are: {}", per_model.join(", "));
    }
    let renamed: Vec<&str> = header
        .iter()
        .map(|c| match c.as_str() {
            "score" => "primary_score", // ends in _score: reserved, never read as metadata
            c if c == column => "score",
            c => c,
        })
        .collect();
    let mut out = csv::Writer::from_writer(Vec::with_capacity(text.len()));
    out.write_record(&renamed)?;
    let mut out = out.into_inner().map_err(|e| e.into_error())?;
    out.extend_from_slice(&text[body_start..]);
    Ok((out, Some(model.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_MODELS: &str = "path,label,attack_type,subject,score,status,reason,a_score,b_score\n\
        x.jpg,live,,0001,0.9,ok,,0.9,0.2\n\
        y.jpg,attack,print,0002,0.1,ok,,0.1,0.7\n\
        z.jpg,live,,0003,,non_response,no_face,,\n";

    fn load(text: &str, model: Option<&str>, filter: Option<&str>) -> Result<ScoreSet> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SCORES_CSV), text).unwrap();
        let filter = filter.map(|f| f.parse::<Filter>().unwrap());
        ScoreSet::load(Selector { path: dir.path(), model, filter: filter.as_ref(), flip: false })
    }

    fn scores(set: &ScoreSet) -> Vec<Option<f64>> {
        set.presentations.iter().map(|p| p.score).collect()
    }

    #[test]
    fn model_column_selects_scores_and_default_is_the_primary() {
        let b = load(TWO_MODELS, Some("b"), None).unwrap();
        assert_eq!(scores(&b), [Some(0.2), Some(0.7), None]);
        assert_eq!(b.model.as_deref(), Some("b"));
        assert_eq!(b.presentations[0].meta.keys().collect::<Vec<_>>(), ["subject"]);
        let primary = load(TWO_MODELS, None, None).unwrap();
        assert_eq!((scores(&primary)[1], primary.model.as_deref()), (Some(0.1), Some("a")));
        let e = format!("{:#}", load(TWO_MODELS, Some("c"), None).unwrap_err());
        assert!(e.contains("no column c_score") && e.contains("a, b"), "{e}");
    }

    #[test]
    fn single_score_files_take_the_named_model() {
        let set = load("path,label,attack_type,score,face_found\nx,live,,0.4,1\n", Some("m"), None).unwrap();
        assert_eq!((scores(&set), set.model.as_deref()), (vec![Some(0.4)], Some("m")));
    }

    #[test]
    fn filters_by_values_and_inclusive_ranges() {
        let range = load(TWO_MODELS, None, Some("subject=0002..0003")).unwrap();
        assert_eq!(range.presentations.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["y.jpg", "z.jpg"]);
        assert!(range.describe().ends_with("model a where subject=0002..0003"), "{}", range.describe());
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
        assert!("=1".parse::<Filter>().is_err());
        assert_eq!("s = 1, 2".parse::<Filter>().unwrap().to_string(), "s=1,2");
    }
}
