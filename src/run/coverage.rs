//! How much of its run a score set is: what `gate`, `calibrate`, `diff`, `report` and `eval --scores`
//! check before computing anything, and what they print and record when told to go on regardless.
//!
//! A plain score file is what the user says it is. A run folder, or the `scores.csv` inside one, is read
//! against the folder's manifest ([`super::manifest`]): a run still `scoring` is refused unless the user
//! passes `--allow-incomplete`, and then every output carries the coverage. Shards and merges report
//! their coverage through the same type.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::manifest::{Found, Manifest, State, run_folder_of};
use crate::schema::run_folder::{CoverageInfo, METRICS_JSON, RUN_JSON, SCORES_CSV};

/// The refusal of an incomplete run: a usage error (exit 2), never a failed criterion.
#[derive(Debug)]
pub struct Incomplete(pub String);

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Incomplete {}

#[derive(Clone, Debug, PartialEq)]
pub enum Coverage {
    /// A score file outside any run folder: complete by the user's word.
    Plain,
    /// A run whose manifest records every presentation scored.
    Complete { run: PathBuf, presentations: u64 },
    /// A run (or a merge of shards) holding only part of its presentations.
    Incomplete { run: PathBuf, scored: u64, expected: u64, message: String },
    /// A run folder without a readable manifest: `expected` when metrics.json says it.
    Unknown { run: PathBuf, scored: u64, expected: Option<u64>, why: String },
}

impl Coverage {
    /// The coverage of the score set at `path` (a run folder, a score file in one, or a plain file).
    pub fn of(path: &Path) -> Result<Coverage> {
        let Some(run) = run_folder_of(path) else { return Ok(Coverage::Plain) };
        let scores = crate::scorefile::of_run(&run);
        // Only a scoring run leaves a manifest or scores.csv; `eval --scores --scores-format parquet`
        // leaves a scores.parquet beside its metrics and no manifest.
        if !run.join(SCORES_CSV).exists() && !run.join(RUN_JSON).exists() {
            return Ok(Coverage::Plain); // metrics only (`eval --scores --out`): metrics.json says the rest
        }
        Ok(match Manifest::find(&run) {
            Found::Manifest(m) if m.state == State::Complete => {
                Coverage::Complete { run, presentations: m.presentations }
            }
            Found::Manifest(m) => {
                let scored = count_rows(&scores);
                let message = m.incomplete_message(&run, scored);
                Coverage::Incomplete { run, scored, expected: m.presentations, message }
            }
            Found::Missing => {
                let expected = expected_from_metrics(&run);
                let why = format!("{} has no {RUN_JSON}", run.display());
                Coverage::Unknown { scored: count_rows(&scores), run, expected, why }
            }
            Found::Damaged(why) => Coverage::Unknown { scored: count_rows(&scores), expected: None, run, why },
        })
    }

    pub fn is_complete(&self) -> bool {
        matches!(self, Coverage::Plain | Coverage::Complete { .. })
    }

    /// Refuses an incomplete run (an [`Incomplete`] error) unless `allow`; warns on unknown completeness.
    /// Returns the note every output of an allowed incomplete run must carry.
    pub fn check(&self, allow: bool) -> Result<Option<String>> {
        match self {
            Coverage::Incomplete { message, .. } if !allow => Err(Incomplete(format!(
                "{message} (or pass --allow-incomplete to compute on the rows there, marked incomplete)"
            ))
            .into()),
            Coverage::Unknown { why, .. } => {
                crate::escape::tell!("warning: {why}: {}", self.note().unwrap_or_default());
                Ok(self.note())
            }
            _ => Ok(self.note()),
        }
    }

    /// `INCOMPLETE: 2736 of 3491 presentations scored (78.4%)`, or `None` for a complete set.
    pub fn note(&self) -> Option<String> {
        match self {
            Coverage::Plain | Coverage::Complete { .. } => None,
            Coverage::Incomplete { scored, expected, .. } => Some(format!(
                "INCOMPLETE: {scored} of {expected} presentations scored ({})",
                percent(*scored, *expected)
            )),
            Coverage::Unknown { scored, expected: Some(e), .. } => Some(format!(
                "completeness unknown: {scored} presentations read, {e} expected by metrics.json ({})",
                percent(*scored, *e)
            )),
            Coverage::Unknown { scored, expected: None, .. } => {
                Some(format!("completeness unknown: {scored} presentations read, expected count not recorded"))
            }
        }
    }

    /// The `run.coverage` block of metrics.json and gate documents; `None` for a complete set.
    pub fn info(&self) -> Option<CoverageInfo> {
        let note = self.note()?;
        Some(match self {
            Coverage::Incomplete { scored, expected, .. } => {
                CoverageInfo { complete: Some(false), scored: *scored, expected: Some(*expected), note }
            }
            Coverage::Unknown { scored, expected, .. } => {
                CoverageInfo { complete: None, scored: *scored, expected: *expected, note }
            }
            Coverage::Plain | Coverage::Complete { .. } => return None,
        })
    }
}

fn percent(k: u64, n: u64) -> String {
    if n == 0 { "n/a".into() } else { format!("{:.1}%", 100.0 * k as f64 / n as f64) }
}

/// Complete records in a score file (quoted newlines respected; a cut last record not counted).
pub fn count_rows(path: &Path) -> u64 {
    if crate::scorefile::parquet::is_parquet(path) {
        return crate::scorefile::parquet::count_rows(path).unwrap_or(0);
    }
    let Ok(mut reader) = csv::ReaderBuilder::new().flexible(true).from_path(path) else { return 0 };
    let Ok(width) = reader.headers().map(|h| h.len()) else { return 0 };
    reader.records().filter_map(Result::ok).filter(|r| r.len() == width).count() as u64
}

/// `run.presentations` of an old run folder's metrics.json. Only that field is read (not the whole
/// `crate::metrics::MetricsDocument`, a layer above): any folder that records it answers.
fn expected_from_metrics(run: &Path) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Document {
        run: Run,
    }
    #[derive(serde::Deserialize)]
    struct Run {
        presentations: u64,
    }
    let text = std::fs::read_to_string(run.join(METRICS_JSON)).ok()?;
    serde_json::from_str::<Document>(&text).ok().map(|d| d.run.presentations)
}
