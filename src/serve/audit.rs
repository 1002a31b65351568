//! The decision audit log: one JSON object per decision (request id, time, policy, score, decision, model
//! sha256), appended to a JSON Lines file and flushed line by line by a writer thread of its own, so a
//! handler never waits on the disk and a killed server loses at most the line being written.

use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, mpsc};

use anyhow::{Context, Result};
use serde_json::Value;

pub struct Audit {
    tx: Mutex<Option<mpsc::Sender<Value>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Audit {
    /// Opens (creating or appending to) `path`; an unwritable path fails the server's start.
    pub fn open(path: &Path) -> Result<Audit> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open the audit log {}", path.display()))?;
        let (tx, rx) = mpsc::channel::<Value>();
        let shown = path.display().to_string();
        let writer = std::thread::Builder::new().name("liveness-audit".into()).spawn(move || {
            for line in rx {
                if let Err(e) = writeln!(file, "{line}").and_then(|()| file.flush()) {
                    eprintln!("liveness: serve: cannot write the audit log {shown}: {e}");
                }
            }
        })?;
        Ok(Audit { tx: Mutex::new(Some(tx)), writer: Mutex::new(Some(writer)) })
    }

    pub fn record(&self, entry: Value) {
        if let Some(tx) = self.tx.lock().ok().as_ref().and_then(|t| t.as_ref()) {
            let _ = tx.send(entry);
        }
    }

    /// Writes every queued line and stops the writer (at shutdown); later records are dropped.
    pub fn close(&self) {
        drop(self.tx.lock().ok().and_then(|mut t| t.take()));
        if let Some(w) = self.writer.lock().ok().and_then(|mut w| w.take()) {
            let _ = w.join();
        }
    }
}

impl Drop for Audit {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_appended_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, "{\"old\":1}\n").unwrap();
        let audit = Audit::open(&path).unwrap();
        audit.record(serde_json::json!({"request_id": "a", "score": 0.5}));
        audit.record(serde_json::json!({"request_id": "b\n", "score": 0.25}));
        audit.close();
        audit.record(serde_json::json!({"request_id": "late"}));
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!((lines[1]["request_id"].as_str(), lines[2]["request_id"].as_str()), (Some("a"), Some("b\n")));
    }
}
