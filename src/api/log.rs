//! `responses.jsonl`: every final answer of an API run, appended the moment it arrives (in any order),
//! with the sample it belongs to, each attempt's status and time, and the raw body.
//!
//! Why a side file: `scores.csv` is written in sample order, so with several connections an answer can
//! arrive before the rows ahead of it are written. The log keeps it anyway, so a killed run resumes
//! without sending any answered image again (no one pays twice), and a mapping mistake is fixed by
//! re-reading the log (`eval --responses`) instead of re-sending. Headers are not logged.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::client::Try;
use crate::dataset::{Label, Sample};

/// The log's file name in a run folder.
pub const RESPONSES_JSONL: &str = "responses.jsonl";

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Logged {
    /// The sample's position in the run's samples (its `scores.csv` row, less one).
    pub n: usize,
    pub path: String,
    pub label: String,
    pub attack_type: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// The URL the request went to (without credentials).
    pub url: String,
    /// The last attempt's HTTP status; `None` when it got no answer (`error` says why).
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The last attempt's round trip.
    pub latency_ms: Option<f64>,
    /// All attempts and waits.
    pub elapsed_ms: f64,
    pub tries: Vec<Try>,
    /// The non-response reason this answer was read as (`None`: scored).
    pub reason: Option<String>,
    /// The raw body of the last answer.
    pub body: Option<String>,
    pub utc: String,
}

impl Logged {
    /// The sample this line was logged for, with its file under `root`.
    pub fn sample(&self, root: &Path) -> Result<Sample> {
        let label = Label::parse(&self.label)
            .with_context(|| format!("{}: label {:?} is neither live nor attack", self.path, self.label))?;
        Ok(Sample {
            path: root.join(&self.path),
            rel_path: self.path.clone(),
            label,
            species: self.attack_type.clone(),
            meta: self.meta.clone(),
            face_box: None,
        })
    }
}

/// Appends lines, whole, from any thread.
pub struct LogWriter {
    file: Mutex<File>,
    path: PathBuf,
}

impl LogWriter {
    /// Opens `out/responses.jsonl` to append (`keep`), or empties it.
    pub fn open(out: &Path, keep: bool) -> Result<LogWriter> {
        let path = out.join(RESPONSES_JSONL);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        if !keep {
            file.set_len(0).with_context(|| format!("cannot empty {}", path.display()))?;
        }
        Ok(LogWriter { file: Mutex::new(file), path })
    }

    /// Writes one line with a single write (append mode): a kill leaves whole lines and at most one cut
    /// last line, which the reader drops.
    pub fn write(&self, line: &Logged) -> Result<()> {
        let mut text = serde_json::to_string(line)?;
        text.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        f.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", self.path.display()))
    }
}

/// Reads a log; a cut last line (a kill in the middle of a write) is dropped, any other bad line refused.
pub fn read(path: &Path) -> Result<Vec<Logged>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let whole = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Logged>(line) {
            Ok(l) => out.push(l),
            Err(_) if i + 1 == lines.len() && !whole => break,
            Err(e) => bail!("{}, line {}: not a response record ({e})", path.display(), i + 1),
        }
    }
    Ok(out)
}

/// The latest line of each sample, by path.
pub fn latest(lines: Vec<Logged>) -> BTreeMap<String, Logged> {
    lines.into_iter().map(|l| (l.path.clone(), l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn line(n: usize, path: &str, status: u16) -> Logged {
        Logged {
            n,
            path: path.into(),
            label: "live".into(),
            attack_type: String::new(),
            meta: BTreeMap::new(),
            url: "http://h/v1".into(),
            status: Some(status),
            error: None,
            latency_ms: Some(1.5),
            elapsed_ms: 1.5,
            tries: vec![Try { status: Some(status), error: None, ms: 1.5 }],
            reason: None,
            body: Some("{\"score\":0.5}".into()),
            utc: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn lines_append_whole_and_a_cut_last_line_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let w = LogWriter::open(dir.path(), false).unwrap();
        w.write(&line(0, "a.jpg", 200)).unwrap();
        w.write(&line(1, "b.jpg", 422)).unwrap();
        let path = dir.path().join(RESPONSES_JSONL);
        assert_eq!(read(&path).unwrap(), [line(0, "a.jpg", 200), line(1, "b.jpg", 422)]);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"n\":2,\"pa");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read(&path).unwrap().len(), 2);
        std::fs::write(&path, format!("garbage\n{text}")).unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("line 1"));
        // Reopened to keep, it appends; not to keep, it starts empty.
        drop(LogWriter::open(dir.path(), false).unwrap());
        assert!(read(&path).unwrap().is_empty());
        let again = latest(vec![line(0, "a.jpg", 500), line(0, "a.jpg", 200)]);
        assert_eq!(again["a.jpg"].status, Some(200));
    }
}
