//! Finding the samples of an evaluation set and what is known about each: label, attack species (PAI
//! species in ISO/IEC 30107-3 terms), metadata and given face boxes.
//!
//! Every layout is read by an [`Adapter`]. Loading never drops anything silently: whatever could not be used
//! (a folder that is not a label, a manifest row pointing outside the dataset, ...) becomes an [`Issue`] on the
//! [`Dataset`], so that a report can show why the counts are what they are.

mod folders;
mod issue;
mod layout;
mod manifest;
mod nuaa;
pub mod paths;
pub mod summary;
mod table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub use issue::{Issue, IssueKind, Severity};

/// Ground truth of a presentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Label {
    BonaFide,
    Attack,
}

/// Folder names and manifest values accepted for bona fide presentations (compared case-insensitively,
/// `-` and spaces read as `_`).
const BONA_FIDE_NAMES: [&str; 5] = ["live", "bona_fide", "bonafide", "real", "genuine"];
/// Same for attack presentations.
const ATTACK_NAMES: [&str; 3] = ["spoof", "attack", "fake"];

impl Label {
    /// Reads a label as folders and manifests write it. Numbers are refused on purpose: datasets disagree
    /// on what `1` means (OULU-NPU: real, CelebA-Spoof: spoof).
    pub fn parse(text: &str) -> Option<Label> {
        let key = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        if BONA_FIDE_NAMES.contains(&key.as_str()) {
            Some(Label::BonaFide)
        } else if ATTACK_NAMES.contains(&key.as_str()) {
            Some(Label::Attack)
        } else {
            None
        }
    }

    /// The word score files and reports use (`live` / `attack`, as in the oracle CSVs).
    pub fn as_str(self) -> &'static str {
        match self {
            Label::BonaFide => "live",
            Label::Attack => "attack",
        }
    }

    /// The accepted spellings, for error messages.
    fn accepted() -> String {
        format!("bona fide: {}; attack: {}", BONA_FIDE_NAMES.join(", "), ATTACK_NAMES.join(", "))
    }
}

/// Species given to an attack whose attack type the dataset does not tell (always with an issue).
pub use crate::schema::UNKNOWN_SPECIES;

/// One presentation to score.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Where to read it: the dataset root joined with `rel_path` (absolute or relative as the root was given).
    pub path: PathBuf,
    /// `/`-separated path relative to the dataset root: the id that joins score files to samples.
    pub rel_path: String,
    pub label: Label,
    /// PAI species (attack type); empty for bona fide.
    pub species: String,
    /// Subject, session, device, ...: what reports can break rates down by.
    pub meta: BTreeMap<String, String>,
    /// `x1, y1, x2, y2` when the dataset ships face boxes.
    pub face_box: Option<[i32; 4]>,
}

impl Sample {
    /// A sample with no metadata yet, its `path` under `root`.
    fn new(root: &Path, rel_path: String, label: Label, species: String) -> Sample {
        Sample { path: root.join(&rel_path), rel_path, label, species, meta: BTreeMap::new(), face_box: None }
    }
}

/// A loaded evaluation set.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub name: String,
    /// The folder `rel_path`s are relative to.
    pub root: PathBuf,
    pub samples: Vec<Sample>,
    /// What was found wrong while loading; see [`Severity`] for what was kept.
    pub issues: Vec<Issue>,
}

/// What the user asked to load (the CLI's `--dataset`, `--kind`, `--layout`, `--split`).
#[derive(Clone, Debug, Default)]
pub struct DatasetSpec {
    /// A dataset folder, or a manifest file.
    pub root: PathBuf,
    /// An adapter name (`folders`, `manifest`, `nuaa`); `None` or `auto` detects it from `root`.
    pub kind: Option<String>,
    /// Folder layout pattern such as `{label}/{attack_type}/{device}/**` (folders only).
    pub layout: Option<String>,
    /// Which official split to read, for datasets that ship several (`train`, `test`).
    pub split: Option<String>,
}

/// One dataset layout. Adding a layout (CelebA-Spoof's label JSON, OULU-NPU's protocol files) is one more
/// implementation listed in [`ADAPTERS`]; see `datasets.md` for how those two fit.
trait Adapter: Sync {
    /// The `--kind` value that selects it.
    fn name(&self) -> &'static str;
    /// What [`Adapter::detect`] looks for, told to the user when no adapter recognises a path.
    fn looks_for(&self) -> &'static str;
    /// Whether `root` has this layout. Cheap: only names are looked at.
    fn detect(&self, root: &Path) -> bool;
    /// Whether `--layout` means something to this adapter.
    fn uses_layout(&self) -> bool {
        false
    }
    /// Whether `--split` means something to this adapter.
    fn uses_split(&self) -> bool {
        false
    }
    fn load(&self, spec: &DatasetSpec) -> Result<Dataset>;
}

/// Detection tries these in order: the most specific layout first, the generic folder convention last.
static ADAPTERS: [&dyn Adapter; 3] = [&manifest::Manifest, &nuaa::Nuaa, &folders::Folders];

/// Loads the dataset `spec` describes.
///
/// Errors are for what makes the whole dataset unusable (no such path, unrecognised layout, a manifest
/// without its required columns); anything smaller is an [`Issue`] on the result.
pub fn open(spec: &DatasetSpec) -> Result<Dataset> {
    let root = &spec.root;
    if !root.exists() {
        bail!("dataset `{}` does not exist", root.display());
    }
    let adapter = pick_adapter(spec)?;
    if spec.layout.is_some() && !adapter.uses_layout() {
        bail!(
            "--layout applies to the `folders` kind only, and `{}` is a `{}` dataset",
            root.display(),
            adapter.name()
        );
    }
    if spec.split.is_some() && !adapter.uses_split() {
        bail!("--split does not apply to `{}` datasets: they ship no split files", adapter.name());
    }
    adapter.load(spec).with_context(|| format!("loading `{}` as a {} dataset", root.display(), adapter.name()))
}

fn pick_adapter(spec: &DatasetSpec) -> Result<&'static dyn Adapter> {
    let by_name = |name: &str| ADAPTERS.iter().copied().find(|a| a.name() == name);
    match (spec.kind.as_deref().filter(|k| *k != "auto"), &spec.layout) {
        (Some(kind), _) => by_name(kind).with_context(|| {
            let names: Vec<_> = ADAPTERS.iter().map(|a| a.name()).collect();
            format!("unknown dataset kind `{kind}`; known kinds: auto, {}", names.join(", "))
        }),
        // A layout pattern only means something to the folder convention, and it may put the label
        // folder below the top level, where detection would not see it.
        (None, Some(_)) => Ok(&folders::Folders),
        (None, None) => detect(&spec.root),
    }
}

fn detect(root: &Path) -> Result<&'static dyn Adapter> {
    if let Some(adapter) = ADAPTERS.iter().copied().find(|a| a.detect(root)) {
        return Ok(adapter);
    }
    let tried: Vec<_> = ADAPTERS.iter().map(|a| format!("  {}: {}", a.name(), a.looks_for())).collect();
    let manifests = manifest::manifests_in(root);
    let hint = if manifests.is_empty() {
        String::new()
    } else {
        format!("\nthis folder holds {}: pass the manifest file itself", manifests.join(", "))
    };
    bail!(
        "cannot tell the layout of dataset `{}`; looked for:\n{}{hint}\nor name it with --kind",
        root.display(),
        tried.join("\n")
    )
}

/// A name for reports: the dataset folder's name, or `folder/file` for a manifest.
fn display_name(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut parts: Vec<String> =
        absolute.components().rev().take(2).map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    parts.reverse();
    if path.is_file() { parts.join("/") } else { parts.pop().unwrap_or_default() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{spec, touch};

    #[test]
    fn label_synonyms_and_refusals() {
        for word in ["live", "Bona-Fide", "bona fide", "BONAFIDE", "real", "genuine"] {
            assert_eq!(Label::parse(word), Some(Label::BonaFide), "{word}");
        }
        for word in ["spoof", "Attack", " fake "] {
            assert_eq!(Label::parse(word), Some(Label::Attack), "{word}");
        }
        for word in ["0", "1", "+1", "", "spoofed"] {
            assert_eq!(Label::parse(word), None, "{word}");
        }
    }

    #[test]
    fn detects_each_layout() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(root, "folders/live/a.jpg");
        touch(root, "folders/spoof/print/b.jpg");
        touch(root, "nuaa/ClientRaw/0001/0001_00_00_01_0.jpg");
        touch(root, "nuaa/ImposterRaw/0001/0001_00_00_01_0.jpg");
        std::fs::write(root.join("m.csv"), "path,label,attack_type\nfolders/live/a.jpg,live,\n").unwrap();
        std::fs::write(
            root.join("m.JSONL"),
            "{\"path\":\"folders/live/a.jpg\",\"label\":\"live\",\"attack_type\":\"\"}\n",
        )
        .unwrap();
        for (path, kind) in [("folders", "folders"), ("nuaa", "nuaa"), ("m.csv", "manifest"), ("m.JSONL", "manifest")] {
            assert_eq!(detect(&root.join(path)).unwrap().name(), kind, "{path}");
        }
    }

    #[test]
    fn undetectable_layout_says_what_was_looked_for() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "images/a.jpg");
        std::fs::write(dir.path().join("labels.csv"), "").unwrap();
        let err = format!("{:#}", open(&spec(dir.path())).unwrap_err());
        for expected in ["cannot tell the layout", "ClientRaw", "live/", ".csv", "labels.csv", "--kind"] {
            assert!(err.contains(expected), "`{expected}` missing from: {err}");
        }
    }

    #[test]
    fn refuses_bad_kind_and_misplaced_options() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "live/a.jpg");
        let with = |f: fn(&mut DatasetSpec)| {
            let mut s = spec(dir.path());
            f(&mut s);
            format!("{:#}", open(&s).unwrap_err())
        };
        assert!(with(|s| s.kind = Some("celeba".into())).contains("known kinds: auto, manifest, nuaa, folders"));
        assert!(with(|s| s.split = Some("test".into())).contains("--split does not apply to `folders`"));
        assert!(with(|s| s.root = s.root.join("nope")).contains("does not exist"));
        let mut nuaa = spec(dir.path());
        nuaa.kind = Some("nuaa".into());
        nuaa.layout = Some("{label}/**".into());
        assert!(format!("{:#}", open(&nuaa).unwrap_err()).contains("--layout applies to the `folders` kind only"));
        nuaa.layout = None;
        assert!(format!("{:#}", open(&nuaa).unwrap_err()).contains("has no ClientRaw/ and ImposterRaw/ folders"));
        let mut folders = spec(&dir.path().join("live/a.jpg"));
        folders.kind = Some("folders".into());
        assert!(format!("{:#}", open(&folders).unwrap_err()).contains("a.jpg` is not a folder"));
    }

    #[test]
    fn layout_alone_selects_folders() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "s1/live/a.jpg");
        let mut s = spec(dir.path());
        s.layout = Some("{session}/{label}/**".into());
        let ds = open(&s).unwrap();
        assert_eq!(ds.samples.len(), 1);
        assert_eq!(ds.samples[0].meta["session"], "s1");
        s.kind = Some("auto".into());
        assert_eq!(open(&s).unwrap().samples.len(), 1);
    }
}
