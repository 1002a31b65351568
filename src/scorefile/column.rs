//! Which column of a score file holds which model's scores: the one rule every command that reads
//! scores (`eval --scores`, `gate`, `calibrate`, `diff`, `report`) applies, so that a figure is never
//! reported under another model's name.
//!
//! `eval --model silentface,minifas128` writes `score` (the first, primary model) and one
//! `<model>_score` column per model. The rule:
//! - `--model M` reads `M_score`. A file with per-model columns but none for `M` is refused, naming the
//!   models it holds ([`UnknownModel`], a usage error: exit 2). A file without per-model columns (an
//!   oracle, bob.pad, a vendor export) has one `score` column, and `M` names its model.
//! - no `--model` reads `score`, the primary model's; when the file holds several models,
//!   [`ModelColumn::note`] says which one that was and how to choose another.

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};

use super::{Mapping, header_of};

use crate::schema::columns::{SCORE, model_score_column, models_in};

/// The column read and the model its scores are of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelColumn {
    /// The model the scores are of: the one named, else the file's primary model; `None` for a file
    /// without per-model columns read without `--model`.
    pub model: Option<String>,
    /// The column read (`score` or `<model>_score`): what provenance records.
    pub column: String,
    /// Every model of the file (its `<model>_score` columns), primary first.
    pub models: Vec<String>,
    /// The model was chosen by `--model` (not defaulted to the primary).
    pub named: bool,
}

/// A model asked for that the score file holds no scores of: a usage error (exit 2).
#[derive(Debug)]
pub struct UnknownModel {
    pub model: String,
    pub models: Vec<String>,
}

impl fmt::Display for UnknownModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no scores of model {:?} (no column {}): the models scored in this file are {}; choose one with --model",
            self.model,
            model_score_column(&self.model),
            self.models.join(", ")
        )
    }
}

impl std::error::Error for UnknownModel {}

impl ModelColumn {
    /// Applies the rule to a header.
    pub fn select(header: &[&str], model: Option<&str>) -> Result<ModelColumn, UnknownModel> {
        let models: Vec<String> = models_in(header).into_iter().map(str::to_owned).collect();
        let named = model.is_some();
        let (model, column) = match model {
            Some(m) if models.iter().any(|x| x == m) => (Some(m.to_owned()), model_score_column(m)),
            Some(m) if !models.is_empty() => return Err(UnknownModel { model: m.to_owned(), models }),
            Some(m) => (Some(m.to_owned()), SCORE.to_owned()),
            None => (models.first().cloned(), SCORE.to_owned()),
        };
        Ok(ModelColumn { model, column, models, named })
    }

    /// Applies the rule to the header of the score file at `path`; errors name the file. A score column
    /// the user mapped (`--score-column`) is the column read, and `model` names its model.
    pub fn of_file(path: &Path, model: Option<&str>, mapping: &Mapping) -> Result<ModelColumn> {
        if mapping.pyeer_impostors.is_some() {
            // One score a line, no header: the file's one column is its score.
            let model = model.map(str::to_owned);
            return Ok(ModelColumn { named: model.is_some(), model, column: SCORE.to_owned(), models: Vec::new() });
        }
        let header = header_of(path, mapping)?;
        let names: Vec<&str> = header.iter().map(String::as_str).collect();
        if let Some(column) = &mapping.score {
            let models = models_in(&names).into_iter().map(str::to_owned).collect();
            return Ok(ModelColumn { model: model.map(str::to_owned), column: column.clone(), models, named: true });
        }
        ModelColumn::select(&names, model).with_context(|| path.display().to_string())
    }

    /// What to tell the user when the file holds several models and none was named.
    pub fn note(&self) -> Option<String> {
        match (&self.model, self.named) {
            (Some(m), false) if self.models.len() > 1 => Some(format!(
                "the file holds the scores of {} models ({}): these are {m}'s (column {}, the primary model); \
                 choose another with --model",
                self.models.len(),
                self.models.join(", "),
                self.column
            )),
            _ => None,
        }
    }

    /// `model M (column C)`, or `column C` when the model is not known.
    pub fn describe(&self) -> String {
        match &self.model {
            Some(m) => format!("model {m} (column {})", self.column),
            None => format!("column {}", self.column),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: [&str; 8] = ["path", "label", "attack_type", "score", "status", "reason", "a_score", "b_score"];

    #[test]
    fn a_named_model_reads_its_own_column() {
        let b = ModelColumn::select(&TWO, Some("b")).unwrap();
        assert_eq!((b.model.as_deref(), b.column.as_str(), b.named), (Some("b"), "b_score", true));
        assert_eq!(b.note(), None);
        let a = ModelColumn::select(&TWO, Some("a")).unwrap();
        assert_eq!((a.column.as_str(), a.note()), ("a_score", None));
    }

    #[test]
    fn no_model_reads_the_primary_and_says_so_when_there_are_several() {
        let p = ModelColumn::select(&TWO, None).unwrap();
        assert_eq!((p.model.as_deref(), p.column.as_str(), p.named), (Some("a"), "score", false));
        let note = p.note().unwrap();
        assert!(note.contains("2 models (a, b)") && note.contains("a's (column score"), "{note}");
        let one = ModelColumn::select(&["path", "score", "status", "a_score"], None).unwrap();
        assert_eq!((one.model.as_deref(), one.note()), (Some("a"), None));
    }

    #[test]
    fn an_unknown_model_is_refused_with_the_models_held() {
        let e = ModelColumn::select(&TWO, Some("c")).unwrap_err();
        assert_eq!(e.models, ["a", "b"]);
        let text = e.to_string();
        assert!(text.contains("\"c\"") && text.contains("no column c_score") && text.contains("are a, b"), "{text}");
    }

    #[test]
    fn a_file_of_one_score_column_takes_the_named_model() {
        let header = ["path", "label", "attack_type", "score", "face_found"];
        let m = ModelColumn::select(&header, Some("minifas128")).unwrap();
        assert_eq!((m.model.as_deref(), m.column.as_str(), m.named), (Some("minifas128"), "score", true));
        let none = ModelColumn::select(&header, None).unwrap();
        assert_eq!(
            (none.model.as_deref(), none.column.as_str(), none.describe()),
            (None, "score", "column score".to_owned())
        );
    }

    #[test]
    fn session_measures_ending_in_score_are_not_models() {
        let header = ["path", "label", "attack_type", "score", "status", "reason", "liveness_score", "passive_score"];
        assert!(ModelColumn::select(&header, None).unwrap().models.is_empty());
        assert_eq!(ModelColumn::select(&header, Some("m")).unwrap().column, "score");
    }
}
