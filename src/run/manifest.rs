//! `run.json`: what a run folder is meant to hold, written before the first score and updated at the end.
//!
//! Why a manifest: a killed `eval` leaves a valid prefix of `scores.csv` and nothing else, so without a
//! record of the intended size every consumer would take half a run for a whole one. The manifest says,
//! from the run's first moment, how many presentations the folder is meant to hold, which dataset (by
//! fingerprint) and what decides each row (model files by sha256, the policy with its quality gates, the
//! decode limit, the columns); `state` turns `complete` only once every row is on disk. It is always
//! replaced whole (write a sibling, then rename), so a reader never sees half a manifest.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema::run_folder::{METRICS_JSON, RUN_JSON, SCORES_CSV, SCORES_PARQUET};

/// Version of the manifest's layout; a reader refuses other versions.
pub const MANIFEST_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Rows are being appended; the folder holds a prefix of its presentations.
    Scoring,
    /// Every presentation has its row in `scores.csv`.
    Complete,
}

/// One shard of a sharded run: presentations whose id hashes to `index` modulo `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

/// The whole dataset a run (or every shard of it) was drawn from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetRecord {
    /// The dataset as given on the command line.
    pub source: String,
    /// [`super::fingerprint`] of every presentation of the whole dataset, in dataset order.
    pub fingerprint: String,
    /// Presentations of the whole dataset.
    pub presentations: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_version: u32,
    pub state: State,
    /// Presentations this folder is meant to hold (the whole dataset, or the shard's share of it).
    pub presentations: u64,
    /// [`super::fingerprint`] of exactly the presentations this folder holds, in order.
    pub fingerprint: String,
    pub dataset: DatasetRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardSpec>,
    /// Everything that decides a row's content: a resume under other values is refused.
    pub decides: Value,
    /// The options the metrics are computed with, so that a merge of shards computes the same figures.
    pub evaluation: Value,
    /// The command that continues this run.
    pub resume_command: String,
    /// Where each model's descriptor was read from (`builtin` or a path): provenance, not compared.
    #[serde(default)]
    pub origins: Vec<String>,
    pub created_utc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_utc: Option<String>,
}

/// What reading a folder's manifest found.
#[derive(Debug)]
pub enum Found {
    /// No `run.json`: a folder written before manifests existed, or not a run folder.
    Missing,
    /// A `run.json` that cannot be read as a manifest (edited, cut by hand, another version).
    Damaged(String),
    Manifest(Box<Manifest>),
}

impl Manifest {
    /// Reads `dir/run.json`.
    pub fn find(dir: &Path) -> Found {
        let path = dir.join(RUN_JSON);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::Missing,
            Err(e) => return Found::Damaged(format!("cannot read {}: {e}", path.display())),
        };
        match serde_json::from_slice::<Manifest>(&text) {
            Ok(m) if m.manifest_version == MANIFEST_VERSION => Found::Manifest(Box::new(m)),
            Ok(m) => Found::Damaged(format!(
                "{} has manifest_version {}, this liveness reads {MANIFEST_VERSION}",
                path.display(),
                m.manifest_version
            )),
            Err(e) => Found::Damaged(format!("{} is not a run manifest ({e})", path.display())),
        }
    }

    /// Reads `dir/run.json`, which must exist and be whole.
    pub fn load(dir: &Path) -> Result<Manifest> {
        match Manifest::find(dir) {
            Found::Manifest(m) => Ok(*m),
            Found::Missing => bail!("{} has no {RUN_JSON}: not a run folder of this liveness version", dir.display()),
            Found::Damaged(why) => bail!("{why}"),
        }
    }

    /// Replaces `dir/run.json` atomically: the new text goes to a sibling file, is synced, then renamed
    /// over the old one, so the folder holds either the old manifest or the new one, never a mix.
    pub fn store(&self, dir: &Path) -> Result<()> {
        super::atomic::write(&dir.join(RUN_JSON), serde_json::to_string_pretty(self)? + "\n")
    }

    /// The one-line refusal consumers print for a run that is not complete.
    pub fn incomplete_message(&self, run: &Path, scored: u64) -> String {
        format!(
            "{} is incomplete: {scored} of {} presentations scored; resume with `{}`",
            run.display(),
            self.presentations,
            self.resume_command
        )
    }
}

/// `path: old -> new` for every leaf where `old` and `new` differ (objects by key, arrays by index).
pub fn differences(old: &Value, new: &Value) -> Vec<String> {
    fn walk(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    let sub = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    walk(&sub, x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null), out);
                }
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    walk(&format!("{path}[{i}]"), p, q, out);
                }
            }
            _ if a == b => {}
            _ => out.push(format!("{path}: {a} -> {b}")),
        }
    }
    let mut out = Vec::new();
    walk("", old, new, &mut out);
    out
}

/// `liveness ARGS...` as a shell-safe command line, with `--resume` added when absent.
pub fn resume_command(args: &[String]) -> String {
    let line = command_line(args, &["--force"]);
    if args.iter().any(|a| a == "--resume") { line } else { line + " --resume" }
}

/// `liveness ARGS...` (`args[0]` is the program) as a shell-safe command line, without the `drop` flags.
pub fn command_line(args: &[String], drop: &[&str]) -> String {
    let mut words: Vec<String> = vec!["liveness".into()];
    words.extend(args.iter().skip(1).filter(|a| !drop.contains(&a.as_str())).map(|a| shell_word(a)));
    words.join(" ")
}

fn shell_word(s: &str) -> String {
    let safe = !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if safe { s.to_owned() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

/// The run folder a score path belongs to: the folder itself, or the folder of a `scores.csv` (or
/// `scores.parquet`) inside one
/// that holds a manifest. A score file elsewhere is a plain file (`None`).
pub fn run_folder_of(path: &Path) -> Option<PathBuf> {
    if path.is_dir() {
        return Some(path.to_path_buf());
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let is_scores = path.file_name().is_some_and(|n| n == SCORES_CSV || n == SCORES_PARQUET);
    (is_scores && (dir.join(RUN_JSON).exists() || dir.join(METRICS_JSON).exists())).then(|| dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Manifest {
        Manifest {
            manifest_version: MANIFEST_VERSION,
            state: State::Scoring,
            presentations: 3,
            fingerprint: "f".into(),
            dataset: DatasetRecord { source: "d".into(), fingerprint: "f".into(), presentations: 3 },
            shard: None,
            decides: json!({"policy": {"threshold": 0.5}}),
            evaluation: json!({}),
            resume_command: "liveness eval d --out r --resume".into(),
            origins: vec![],
            created_utc: "2026-01-01T00:00:00Z".into(),
            completed_utc: None,
        }
    }

    #[test]
    fn store_replaces_whole_and_find_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(Manifest::find(dir.path()), Found::Missing));
        let mut m = sample();
        m.store(dir.path()).unwrap();
        m.state = State::Complete;
        m.store(dir.path()).unwrap();
        assert!(matches!(Manifest::find(dir.path()), Found::Manifest(f) if f.state == State::Complete));
        assert!(!dir.path().join(format!(".{RUN_JSON}.tmp")).exists());
        // A manifest cut by hand is named as damaged, never half-read.
        let text = std::fs::read_to_string(dir.path().join(RUN_JSON)).unwrap();
        std::fs::write(dir.path().join(RUN_JSON), &text[..text.len() / 2]).unwrap();
        assert!(matches!(Manifest::find(dir.path()), Found::Damaged(w) if w.contains("not a run manifest")));
    }

    #[test]
    fn differences_name_each_changed_leaf() {
        let a = json!({"policy": {"quality": {"min_sharpness": 40.0}, "name": "p"}, "models": [{"sha256": "aa"}]});
        let b = json!({"policy": {"quality": {"min_sharpness": 60.0}, "name": "p"}, "models": [{"sha256": "bb"}]});
        assert_eq!(
            differences(&a, &b),
            ["models[0].sha256: \"aa\" -> \"bb\"", "policy.quality.min_sharpness: 40.0 -> 60.0"]
        );
        assert!(differences(&a, &a).is_empty());
    }

    #[test]
    fn resume_command_is_shell_safe_and_resumes() {
        let args: Vec<String> = ["liveness", "eval", "my data", "--out", "r", "--force"].map(String::from).into();
        assert_eq!(resume_command(&args), "liveness eval 'my data' --out r --resume");
    }
}
