//! What a session is on disk: a folder of frames, ordered by name (numbers compared as numbers), or by a
//! `session.json` that lists the frames with their timestamps and the challenges that were asked:
//!
//! ```json
//! {"challenges": ["head_left", "blink"], "ordered": true,
//!  "frames": [{"file": "0001.jpg", "t": 0.00}, {"file": "0002.jpg", "t": 0.08}]}
//! ```
//!
//! `frames` may also be plain file names, or be left out (then the folder is listed). A session that cannot
//! be read keeps a [`Problem`] instead of failing the run: the other sessions are still scored.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::challenge::Challenge;
use crate::dataset::Label;

/// The optional session description file in a session folder.
pub const SESSION_FILE: &str = "session.json";

#[derive(Clone, Debug, PartialEq)]
pub struct FrameRef {
    pub path: PathBuf,
    /// Seconds from the session start, when the session file gives it.
    pub t: Option<f64>,
}

/// Why a session is not scored: a reason code for score files and a sentence naming the file and the fix.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub reason: &'static str,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SessionInput {
    /// The session's name in outputs: its folder as given, or its id in a dataset.
    pub id: String,
    /// Ground truth, for sessions read from a dataset.
    pub label: Option<Label>,
    pub species: String,
    /// Metadata shared by all the session's frames.
    pub meta: BTreeMap<String, String>,
    pub frames: Vec<FrameRef>,
    /// Challenges the capture app asked for; empty = passive mode.
    pub challenges: Vec<Challenge>,
    /// Whether the challenges had to be done in the order asked.
    pub ordered: bool,
    pub problem: Option<Problem>,
}

impl SessionInput {
    fn new(id: String) -> SessionInput {
        SessionInput {
            id,
            label: None,
            species: String::new(),
            meta: BTreeMap::new(),
            frames: Vec::new(),
            challenges: Vec::new(),
            ordered: true,
            problem: None,
        }
    }

    fn fail(mut self, reason: &'static str, detail: String) -> SessionInput {
        self.problem = Some(Problem { reason, detail });
        self
    }

    /// Reads the session in folder `dir`, reported as `id`.
    pub fn from_folder(dir: &Path, id: String) -> SessionInput {
        let s = SessionInput::new(id);
        if !dir.is_dir() {
            return s.fail("not_a_folder", format!("{}: a session is a folder of frames", dir.display()));
        }
        let file = dir.join(SESSION_FILE);
        if file.is_file() {
            return s.described(dir, &file);
        }
        let s = s.listed(dir);
        if s.problem.is_none() && s.frames.is_empty() {
            let detail = format!(
                "{}: no frames (looked for .{} files)",
                dir.display(),
                crate::dataset::paths::IMAGE_EXTENSIONS.join(", .")
            );
            return s.fail("no_frames", detail);
        }
        s
    }

    /// Frames from the folder listing, in natural name order.
    fn listed(mut self, dir: &Path) -> SessionInput {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return self.fail("unreadable", format!("{}: {e}", dir.display())),
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && crate::input::is_image_name(p))
            .collect();
        files.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
        self.frames = files.into_iter().map(|path| FrameRef { path, t: None }).collect();
        self
    }

    /// Frames and challenges from `session.json`.
    fn described(mut self, dir: &Path, file: &Path) -> SessionInput {
        let parsed = std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<SessionFile>(&text).map_err(|e| e.to_string()));
        let desc = match parsed {
            Ok(d) => d,
            Err(e) => {
                let detail =
                    format!("{}: {e}. Fix: see docs/active-liveness.md for the session.json format", file.display());
                return self.fail("bad_session_file", detail);
            }
        };
        let unknown: Vec<&String> = desc.challenges.iter().filter(|c| Challenge::parse(c).is_none()).collect();
        if !unknown.is_empty() {
            let detail = format!("{}: unknown challenge(s) {unknown:?}; known: {}", file.display(), Challenge::names());
            return self.fail("unknown_challenge", detail);
        }
        self.challenges = desc.challenges.iter().filter_map(|c| Challenge::parse(c)).collect();
        self.ordered = desc.ordered;
        let Some(frames) = desc.frames else {
            let s = self.listed(dir);
            return if s.frames.is_empty() && s.problem.is_none() {
                let detail = format!("{}: lists no frames and the folder has none", file.display());
                s.fail("no_frames", detail)
            } else {
                s
            };
        };
        if frames.is_empty() {
            return self.fail("no_frames", format!("{}: `frames` is empty", file.display()));
        }
        // Frames live in the session folder: a session file cannot pull in files from elsewhere.
        let outside: Vec<&str> =
            frames.iter().map(Entry::file).filter(|f| crate::dataset::paths::normalize_rel(f).is_err()).collect();
        if !outside.is_empty() {
            let detail = format!(
                "{}: frame(s) {outside:?} are not inside {}; name frames relative to the session folder",
                file.display(),
                dir.display()
            );
            return self.fail("bad_session_file", detail);
        }
        let missing: Vec<&str> = frames.iter().map(Entry::file).filter(|f| !dir.join(f).is_file()).collect();
        if !missing.is_empty() {
            let detail = format!("{}: frame(s) {missing:?} do not exist in {}", file.display(), dir.display());
            return self.fail("missing_frame", detail);
        }
        self.frames = frames.iter().map(|e| FrameRef { path: dir.join(e.file()), t: e.time() }).collect();
        self
    }

    /// A session of dataset frames (already grouped and ordered).
    pub fn of_frames(
        id: String,
        label: Label,
        species: String,
        meta: BTreeMap<String, String>,
        frames: Vec<PathBuf>,
    ) -> SessionInput {
        let mut s = SessionInput::new(id);
        s.label = Some(label);
        s.species = species;
        s.meta = meta;
        s.frames = frames.into_iter().map(|path| FrameRef { path, t: None }).collect();
        s
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    #[serde(default)]
    challenges: Vec<String>,
    #[serde(default = "yes")]
    ordered: bool,
    frames: Option<Vec<Entry>>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Name(String),
    Timed { file: String, t: f64 },
}

impl Entry {
    fn file(&self) -> &str {
        match self {
            Entry::Name(f) | Entry::Timed { file: f, .. } => f,
        }
    }
    fn time(&self) -> Option<f64> {
        match self {
            Entry::Name(_) => None,
            Entry::Timed { t, .. } => Some(*t),
        }
    }
}

/// Name order with digit runs compared as numbers: `f_9.jpg` before `f_10.jpg` (NUAA's picture numbers,
/// and capture apps that do not zero-pad).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (n, m) = (run(x), run(y));
                let trim = |s: &[u8]| s.iter().skip_while(|&&c| c == b'0').count();
                let (dx, dy) = (&x[n - trim(&x[..n])..n], &y[m - trim(&y[..m])..m]);
                let order = dx.len().cmp(&dy.len()).then(dx.cmp(dy));
                if order != Ordering::Equal {
                    return order;
                }
                (x, y) = (&x[n..], &y[m..]);
            }
            (Some(c), Some(d)) if c != d => return c.cmp(d),
            _ => (x, y) = (&x[1..], &y[1..]),
        }
    }
}

/// Which frames to score when a session has more than `max` (0 = all): `max` spread evenly over the
/// timeline (by timestamp when every frame has one, else by position), first and last included.
pub fn select(frames: &[FrameRef], max: usize) -> Vec<usize> {
    let n = frames.len();
    if max == 0 || n <= max {
        return (0..n).collect();
    }
    if max == 1 {
        return vec![0];
    }
    let times: Option<Vec<f64>> = frames.iter().map(|f| f.t).collect();
    let mut picked: Vec<usize> = (0..max)
        .map(|k| match &times {
            Some(t) => {
                let target = t[0] + (t[n - 1] - t[0]) * k as f64 / (max - 1) as f64;
                (0..n).min_by(|&i, &j| (t[i] - target).abs().total_cmp(&(t[j] - target).abs())).unwrap_or(0)
            }
            None => (k * (n - 1) + (max - 1) / 2) / (max - 1),
        })
        .collect();
    picked.dedup();
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn natural_order_compares_numbers_as_numbers() {
        let mut v = vec!["a_10.jpg", "a_9.jpg", "a_100.jpg", "a_09b.jpg", "b.jpg", "a_0.jpg"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["a_0.jpg", "a_9.jpg", "a_09b.jpg", "a_10.jpg", "a_100.jpg", "b.jpg"]);
    }

    #[test]
    fn selection_spreads_over_the_timeline() {
        let frames =
            |n: usize| (0..n).map(|i| FrameRef { path: PathBuf::from(i.to_string()), t: None }).collect::<Vec<_>>();
        assert_eq!(select(&frames(5), 12), vec![0, 1, 2, 3, 4]);
        assert_eq!(select(&frames(100), 0).len(), 100);
        let s = select(&frames(120), 12);
        assert_eq!((s.len(), s[0], s[11]), (12, 0, 119));
        assert!(s.windows(2).all(|w| (10..=11).contains(&(w[1] - w[0]))), "{s:?}");
        // With timestamps, a burst of frames at the start does not take the picks.
        let mut timed = frames(20);
        for (i, f) in timed.iter_mut().enumerate() {
            f.t = Some(if i < 16 { i as f64 * 0.01 } else { 1.0 + (i - 16) as f64 });
        }
        assert_eq!(select(&timed, 3), vec![0, 17, 19]);
    }

    #[test]
    fn folder_and_session_file_problems_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let read = || SessionInput::from_folder(d, "s".into());
        assert_eq!(read().problem.unwrap().reason, "no_frames");
        write(d, "f_10.jpg", "");
        write(d, "f_9.jpg", "");
        let s = read();
        assert!(s.problem.is_none() && s.challenges.is_empty());
        assert_eq!(s.frames[0].path, d.join("f_9.jpg"));
        write(d, SESSION_FILE, r#"{"challenges": ["blink", "nod"]}"#);
        let p = read().problem.unwrap();
        assert!(p.reason == "unknown_challenge" && p.detail.contains("nod") && p.detail.contains("head_left"), "{p:?}");
        write(d, SESSION_FILE, r#"{"challenges": ["smile"], "frames": ["f_9.jpg", {"file": "gone.jpg", "t": 1.5}]}"#);
        let p = read().problem.unwrap();
        assert!(p.reason == "missing_frame" && p.detail.contains("gone.jpg"), "{p:?}");
        write(
            d,
            SESSION_FILE,
            r#"{"challenges": ["smile", "blink"], "ordered": false, "frames": [{"file": "f_10.jpg", "t": 0.5}, "f_9.jpg"]}"#,
        );
        let s = read();
        assert_eq!(
            (s.challenges, s.ordered, s.frames[0].t, s.frames[1].t),
            (vec![Challenge::Smile, Challenge::Blink], false, Some(0.5), None)
        );
        write(d, SESSION_FILE, r#"{"frames": ["f_9.jpg", "../f_10.jpg", "/etc/hostname"]}"#);
        let p = read().problem.unwrap();
        assert!(
            p.reason == "bad_session_file" && p.detail.contains("../f_10.jpg") && p.detail.contains("/etc/hostname"),
            "{p:?}"
        );
        write(d, SESSION_FILE, r#"{"challenge": ["smile"]}"#);
        assert_eq!(read().problem.unwrap().reason, "bad_session_file");
        write(d, SESSION_FILE, r#"{"frames": []}"#);
        assert_eq!(read().problem.unwrap().reason, "no_frames");
        assert_eq!(SessionInput::from_folder(&d.join("f_9.jpg"), "x".into()).problem.unwrap().reason, "not_a_folder");
    }
}
