//! Datasets of sessions: the frames of a loaded [`Dataset`] grouped into sessions.
//!
//! - NUAA (file names `ID_glasses_pos_session_picNo.jpg`): one session per subject, glasses, position and
//!   session number, frames in picture-number order.
//! - A manifest with a `session` column (or a folder layout with `{session}`): one session per value.
//! - Otherwise (folder convention `live/<session>/...`, `spoof/<attack_type>/<session>/...`): one session
//!   per folder holding frames; a `session.json` there adds timestamps and challenges.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::input::{SESSION_FILE, SessionInput, natural_cmp};
use crate::dataset::{Dataset, Sample};

/// The NUAA file-name fields that, together, name a capture session.
const NUAA_KEYS: [&str; 4] = ["subject", "glasses", "pos", "session"];

/// The session id of a sample.
fn session_id(sample: &Sample) -> String {
    let folder = sample.rel_path.rsplit_once('/').map_or("", |(f, _)| f);
    if let Some(fields) = NUAA_KEYS.iter().map(|k| sample.meta.get(*k).map(String::as_str)).collect::<Option<Vec<_>>>()
    {
        return format!("{folder}/{}", fields.join("_"));
    }
    match sample.meta.get("session") {
        Some(session) => session.clone(),
        None => folder.to_string(),
    }
}

/// Groups `ds` into sessions, in order of their first frame. A session whose frames disagree on label or
/// attack type is kept with a `mixed_labels` problem rather than guessed.
pub fn sessions(ds: &Dataset) -> Vec<SessionInput> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<&Sample>> = BTreeMap::new();
    for s in &ds.samples {
        let id = session_id(s);
        if !groups.contains_key(&id) {
            order.push(id.clone());
        }
        groups.entry(id).or_default().push(s);
    }
    order.into_iter().map(|id| build(ds, id.clone(), groups.remove(&id).unwrap_or_default())).collect()
}

fn build(ds: &Dataset, id: String, mut frames: Vec<&Sample>) -> SessionInput {
    frames.sort_by(|a, b| natural_cmp(&a.rel_path, &b.rel_path));
    let first = frames[0];
    let meta: BTreeMap<String, String> = first
        .meta
        .iter()
        .filter(|(k, v)| frames.iter().all(|s| s.meta.get(*k) == Some(v)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let folder = ds.root.join(first.rel_path.rsplit_once('/').map_or("", |(f, _)| f));
    let described = !first.meta.contains_key("session") && folder.join(SESSION_FILE).is_file();
    let mut session = if described {
        let mut s = SessionInput::from_folder(&folder, id.clone());
        (s.label, s.species, s.meta) = (Some(first.label), first.species.clone(), meta);
        s
    } else {
        let paths: Vec<PathBuf> = frames.iter().map(|s| s.path.clone()).collect();
        SessionInput::of_frames(id.clone(), first.label, first.species.clone(), meta, paths)
    };
    if let Some(odd) = frames.iter().find(|s| s.label != first.label || s.species != first.species) {
        session.problem = Some(super::input::Problem {
            reason: "mixed_labels",
            detail: format!(
                "session `{id}`: `{}` is {} {} but `{}` is {} {}; a session has one label and attack type",
                first.rel_path,
                first.label.as_str(),
                first.species,
                odd.rel_path,
                odd.label.as_str(),
                odd.species
            ),
        });
    }
    session
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{DatasetSpec, Label, open};

    fn touch(root: &std::path::Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"").unwrap();
    }

    fn load(root: &std::path::Path) -> Vec<SessionInput> {
        sessions(&open(&DatasetSpec { root: root.to_path_buf(), ..DatasetSpec::default() }).unwrap())
    }

    #[test]
    fn nuaa_frames_group_by_subject_glasses_pos_session() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["0001_00_00_01_10.jpg", "0001_00_00_01_9.jpg", "0001_00_00_02_0.jpg", "0001_01_00_01_0.jpg"] {
            touch(dir.path(), &format!("ClientRaw/0001/{f}"));
        }
        touch(dir.path(), "ImposterRaw/0001/0001_00_01_01_0.jpg");
        let s = load(dir.path());
        let ids: Vec<_> = s.iter().map(|s| (s.id.as_str(), s.frames.len())).collect();
        assert_eq!(
            ids,
            [
                ("ClientRaw/0001/0001_00_00_01", 2),
                ("ClientRaw/0001/0001_00_00_02", 1),
                ("ClientRaw/0001/0001_01_00_01", 1),
                ("ImposterRaw/0001/0001_00_01_01", 1)
            ]
        );
        assert!(s[0].frames[0].path.ends_with("0001_00_00_01_9.jpg"), "picture 9 before 10");
        assert_eq!((s[3].label, s[3].species.as_str()), (Some(Label::Attack), "print-rotate"));
        assert_eq!(s[0].meta["subject"], "0001");
    }

    #[test]
    fn folder_sessions_and_manifest_session_column() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in ["live/s1/2.jpg", "live/s1/10.jpg", "live/s2/1.jpg", "spoof/replay/s3/1.jpg"] {
            touch(d, &format!("folders/{f}"));
        }
        std::fs::write(d.join("folders/live/s2/session.json"), r#"{"challenges": ["blink"]}"#).unwrap();
        let s = load(&d.join("folders"));
        let ids: Vec<_> = s.iter().map(|s| (s.id.as_str(), s.frames.len(), s.species.as_str())).collect();
        assert_eq!(ids, [("live/s1", 2, ""), ("live/s2", 1, ""), ("spoof/replay/s3", 1, "replay")]);
        assert!(s[0].frames[0].path.ends_with("2.jpg"));
        assert_eq!(s[1].challenges, [crate::session::challenge::Challenge::Blink]);

        std::fs::write(d.join("m.csv"), "path,label,attack_type,session\nfolders/live/s1/2.jpg,live,,a\nfolders/live/s2/1.jpg,live,,a\nfolders/spoof/replay/s3/1.jpg,spoof,replay,a\n").unwrap();
        let m = load(&d.join("m.csv"));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].problem.as_ref().unwrap().reason, "mixed_labels");
    }
}
