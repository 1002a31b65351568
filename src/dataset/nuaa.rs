//! NUAA Photograph Imposter: `ClientRaw/` (bona fide) and `ImposterRaw/` (printed photos), listed by the
//! split index files `client_train_raw.txt`, `imposter_train_raw.txt` (and `*_test_raw.txt`).
//!
//! File names are `ID_glasses_pos_session_picNo.jpg`; the attack species comes from `pos`, the way the
//! project's oracles do it: `00` print-still, `01`/`03` print-rotate, `02`/`04` print-warp.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::paths::{self, PathProblem};
use super::table;
use super::{Adapter, Dataset, DatasetSpec, Issue, IssueKind, Label, Sample, UNKNOWN_SPECIES, display_name};

pub struct Nuaa;

/// A class folder, the prefix of its index files, and its label.
struct Class {
    folder: &'static str,
    index_prefix: &'static str,
    label: Label,
}

const CLASSES: [Class; 2] = [
    Class { folder: "ClientRaw", index_prefix: "client", label: Label::BonaFide },
    Class { folder: "ImposterRaw", index_prefix: "imposter", label: Label::Attack },
];

const SPLITS: [&str; 2] = ["train", "test"];

fn index_name(class: &Class, split: &str) -> String {
    format!("{}_{split}_raw.txt", class.index_prefix)
}

impl Adapter for Nuaa {
    fn name(&self) -> &'static str {
        "nuaa"
    }

    fn looks_for(&self) -> &'static str {
        "a folder with ClientRaw/ and ImposterRaw/ (NUAA Photograph Imposter)"
    }

    fn detect(&self, root: &Path) -> bool {
        CLASSES.iter().all(|c| root.join(c.folder).is_dir())
    }

    fn uses_split(&self) -> bool {
        true
    }

    fn load(&self, spec: &DatasetSpec) -> Result<Dataset> {
        let root = &spec.root;
        if !self.detect(root) {
            bail!("`{}` has no ClientRaw/ and ImposterRaw/ folders", root.display());
        }
        let mut loader = Loader { root, samples: Vec::new(), issues: Vec::new(), seen: HashSet::new() };
        let splits = splits(root, spec.split.as_deref())?;
        if splits.is_empty() {
            for class in &CLASSES {
                loader.list(class)?;
            }
        } else {
            if splits.len() > 1 {
                let message = "train and test index files are both here: both splits loaded (metadata `split`); \
                               pass --split train or --split test to evaluate one";
                loader.issues.push(Issue::warning(IssueKind::Index, "./", message));
            }
            for split in splits {
                for class in &CLASSES {
                    loader.index(class, split)?;
                }
            }
        }
        Ok(Dataset { name: display_name(root), root: root.clone(), samples: loader.samples, issues: loader.issues })
    }
}

/// The splits to read from index files: the one asked for, else every one with an index file here. Empty
/// means there is no index at all and the folders are listed.
fn splits(root: &Path, wanted: Option<&str>) -> Result<Vec<&'static str>> {
    let has_index = |split: &str| CLASSES.iter().any(|c| root.join(index_name(c, split)).is_file());
    let Some(wanted) = wanted else {
        return Ok(SPLITS.into_iter().filter(|s| has_index(s)).collect());
    };
    let Some(split) = SPLITS.into_iter().find(|s| *s == wanted) else {
        bail!("NUAA has no split `{wanted}`: use {}", SPLITS.join(" or "));
    };
    if !has_index(split) {
        let names: Vec<String> = CLASSES.iter().map(|c| index_name(c, split)).collect();
        bail!("no index file for split `{split}` in `{}` (looked for {})", root.display(), names.join(", "));
    }
    Ok(vec![split])
}

struct Loader<'a> {
    root: &'a Path,
    samples: Vec<Sample>,
    issues: Vec<Issue>,
    /// `rel_path`s already loaded, to catch an image listed twice.
    seen: HashSet<String>,
}

impl Loader<'_> {
    /// Reads one index file, in its order: the order the oracles and score files follow.
    fn index(&mut self, class: &Class, split: &str) -> Result<()> {
        let name = index_name(class, split);
        let path = self.root.join(&name);
        if !path.is_file() {
            let message = format!("missing: no {} samples for split `{split}`", class.label.as_str());
            self.issues.push(Issue::error(IssueKind::Index, name, message));
            return Ok(());
        }
        let bytes = std::fs::read(&path).with_context(|| format!("reading `{}`", path.display()))?;
        for line in table::text_lines(&bytes, &name) {
            let (number, entry) = match line {
                Ok(line) => line,
                Err(issue) => {
                    self.issues.push(issue);
                    continue;
                }
            };
            let at = format!("{name}:{number}");
            match entry_path(class, entry) {
                Ok(rel) => {
                    if let Some(sample) = self.add(class, rel, &at) {
                        sample.meta.insert("split".to_owned(), split.to_owned());
                    }
                }
                Err(issue) => self.issues.push(Issue::error(issue.0, at, issue.1)),
            }
        }
        Ok(())
    }

    /// Without index files: every image of the class folder, sorted.
    fn list(&mut self, class: &Class) -> Result<()> {
        let prefix = format!("{}/", class.folder);
        let listing = paths::list(&self.root.join(class.folder))?;
        for image in &listing.images {
            let rel = format!("{prefix}{image}");
            self.add(class, rel.clone(), &rel);
        }
        self.issues.extend(listing.issues(&prefix));
        Ok(())
    }

    /// Adds the sample at `rel` (listed at `at`) unless already there; the new sample, to complete.
    fn add(&mut self, class: &Class, rel: String, at: &str) -> Option<&mut Sample> {
        if !self.seen.insert(rel.clone()) {
            let message = format!("`{rel}` is listed again; this entry is ignored");
            self.issues.push(Issue::warning(IssueKind::Duplicate, at, message));
            return None;
        }
        self.issues.extend(paths::missing_file(self.root, &rel, at));
        let sample = describe(self.root, class.label, rel, at, &mut self.issues);
        self.samples.push(sample);
        self.samples.last_mut()
    }
}

/// The dataset-relative path of an index entry (`0001/0001_00_00_01_0.jpg`, relative to the class folder),
/// or the issue kind and message saying why it has none.
fn entry_path(class: &Class, entry: &str) -> Result<String, (IssueKind, String)> {
    match paths::normalize_rel(entry) {
        // Some copies of the index files repeat the class folder.
        Ok(rel) => Ok(match rel.strip_prefix(class.folder).and_then(|r| r.strip_prefix('/')) {
            Some(inner) => format!("{}/{inner}", class.folder),
            None => format!("{}/{rel}", class.folder),
        }),
        Err(PathProblem::Empty) => Err((IssueKind::BadValue, format!("entry `{entry}` names no file; skipped"))),
        Err(PathProblem::Escapes | PathProblem::Absolute) => {
            let message = format!("entry `{entry}` points outside {}/; skipped", class.folder);
            Err((IssueKind::OutsideRoot, message))
        }
    }
}

/// The sample for an image, its metadata read from the NUAA file name.
fn describe(root: &Path, label: Label, rel: String, at: &str, issues: &mut Vec<Issue>) -> Sample {
    let file = rel.rsplit('/').next().unwrap_or_default().to_owned();
    let fields = parse_name(&file);
    let species = match (label, fields) {
        (Label::BonaFide, _) => String::new(),
        (Label::Attack, Some([_, _, pos, _])) => species_of(pos).map_or_else(
            || {
                let message = format!(
                    "pos `{pos}` of `{file}` is none of 00 (print-still), 01/03 (print-rotate), 02/04 (print-warp): \
                     species `unknown`"
                );
                issues.push(Issue::warning(IssueKind::UnknownAttackType, at, message));
                UNKNOWN_SPECIES.to_owned()
            },
            str::to_owned,
        ),
        (Label::Attack, None) => UNKNOWN_SPECIES.to_owned(),
    };
    let mut sample = Sample::new(root, rel, label, species);
    match fields {
        Some(values) => {
            for (key, value) in ["subject", "glasses", "pos", "session"].into_iter().zip(values) {
                sample.meta.insert(key.to_owned(), value.to_owned());
            }
        }
        None => {
            let species = if label == Label::Attack { " and species `unknown`" } else { "" };
            let message = format!(
                "`{file}` is not named ID_glasses_pos_session_picNo.jpg (digits): no subject/session metadata{species}"
            );
            issues.push(Issue::warning(IssueKind::BadValue, at, message));
        }
    }
    sample
}

/// `[subject, glasses, pos, session]` from `ID_glasses_pos_session_picNo.ext`, zero padding kept.
fn parse_name(file: &str) -> Option<[&str; 4]> {
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let parts: Vec<&str> = stem.split('_').collect();
    let all_digits = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [subject, glasses, pos, session, _picture] if parts.iter().all(all_digits) => {
            Some([subject, glasses, pos, session])
        }
        _ => None,
    }
}

/// The PAI species of a NUAA attack from its `pos` field (how the printed photo was presented).
fn species_of(pos: &str) -> Option<&'static str> {
    match pos {
        "00" => Some("print-still"),
        "01" | "03" => Some("print-rotate"),
        "02" | "04" => Some("print-warp"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Severity, open};
    use crate::test_support::{spec, touch};

    fn nuaa(files: &[&str], indexes: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        files.iter().for_each(|rel| touch(dir.path(), rel));
        for (name, content) in indexes {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        dir
    }

    fn rels(ds: &Dataset) -> Vec<&str> {
        ds.samples.iter().map(|s| s.rel_path.as_str()).collect()
    }

    const FILES: [&str; 4] = [
        "ClientRaw/0001/0001_00_00_01_0.jpg",
        "ClientRaw/0002/0002_01_00_02_7.jpg",
        "ImposterRaw/0001/0001_00_00_01_0.jpg",
        "ImposterRaw/0001/0001_00_03_01_2.jpg",
    ];

    #[test]
    fn index_order_metadata_and_species() {
        let dir = nuaa(
            &FILES,
            &[
                ("client_train_raw.txt", "0002/0002_01_00_02_7.jpg\r\n0001\\0001_00_00_01_0.jpg\r\n\r\n"),
                ("imposter_train_raw.txt", "0001/0001_00_03_01_2.jpg\nImposterRaw/0001/0001_00_00_01_0.jpg"),
            ],
        );
        let ds = open(&spec(dir.path())).unwrap();
        assert!(ds.issues.is_empty(), "{:?}", ds.issues);
        assert_eq!(
            rels(&ds),
            [
                "ClientRaw/0002/0002_01_00_02_7.jpg",
                "ClientRaw/0001/0001_00_00_01_0.jpg",
                "ImposterRaw/0001/0001_00_03_01_2.jpg",
                "ImposterRaw/0001/0001_00_00_01_0.jpg"
            ]
        );
        let species: Vec<_> = ds.samples.iter().map(|s| s.species.as_str()).collect();
        assert_eq!(species, ["", "", "print-rotate", "print-still"]);
        let meta = &ds.samples[0].meta;
        let got: Vec<_> = ["subject", "glasses", "pos", "session", "split"].map(|k| meta[k].as_str()).to_vec();
        assert_eq!(got, ["0002", "01", "00", "02", "train"]);
    }

    #[test]
    fn bad_entries_are_issues_and_missing_files_are_kept() {
        let dir = nuaa(
            &["ClientRaw/0001/0001_00_00_01_0.jpg", "ImposterRaw/0001/0001_00_07_01_0.jpg", "ImposterRaw/0001/odd.jpg"],
            &[(
                "client_train_raw.txt",
                "0001/0001_00_00_01_0.jpg\n0001/0001_00_00_01_9.jpg\n0001/0001_00_00_01_0.jpg\n../x.jpg\n",
            )],
        );
        std::fs::write(dir.path().join("imposter_train_raw.txt"), b"0001/0001_00_07_01_0.jpg\n0001/odd.jpg\n\xff\n")
            .unwrap();
        let ds = open(&spec(dir.path())).unwrap();
        assert_eq!(
            rels(&ds),
            [
                "ClientRaw/0001/0001_00_00_01_0.jpg",
                "ClientRaw/0001/0001_00_00_01_9.jpg",
                "ImposterRaw/0001/0001_00_07_01_0.jpg",
                "ImposterRaw/0001/odd.jpg"
            ]
        );
        let found: Vec<_> = ds.issues.iter().map(|i| (i.kind, i.severity, i.location.as_str())).collect();
        assert_eq!(
            found,
            [
                (IssueKind::MissingFile, Severity::Warning, "client_train_raw.txt:2"),
                (IssueKind::Duplicate, Severity::Warning, "client_train_raw.txt:3"),
                (IssueKind::OutsideRoot, Severity::Error, "client_train_raw.txt:4"),
                (IssueKind::UnknownAttackType, Severity::Warning, "imposter_train_raw.txt:1"),
                (IssueKind::BadValue, Severity::Warning, "imposter_train_raw.txt:2"),
                (IssueKind::NonUtf8, Severity::Error, "imposter_train_raw.txt:3"),
            ]
        );
        assert_eq!(ds.samples[2].species, UNKNOWN_SPECIES);
        assert_eq!(ds.samples[3].species, UNKNOWN_SPECIES);
        assert!(ds.issues[4].message.contains("species `unknown`"));
    }

    #[test]
    fn without_index_the_folders_are_listed() {
        let mut files = FILES.to_vec();
        files.push("ClientRaw/Thumbs.db");
        let ds = open(&spec(nuaa(&files, &[]).path())).unwrap();
        let mut sorted = FILES.to_vec();
        sorted.sort();
        assert_eq!(rels(&ds), sorted);
        assert!(ds.samples.iter().all(|s| !s.meta.contains_key("split") && s.meta.contains_key("subject")));
        assert_eq!(ds.issues.len(), 1);
        assert_eq!((ds.issues[0].kind, ds.issues[0].location.as_str()), (IssueKind::NotAnImage, "ClientRaw/Thumbs.db"));
    }

    #[test]
    fn splits_are_chosen_or_both_loaded_with_a_warning() {
        let indexes = [
            ("client_train_raw.txt", "0001/0001_00_00_01_0.jpg\n"),
            ("imposter_train_raw.txt", "0001/0001_00_00_01_0.jpg\n"),
            ("client_test_raw.txt", "0002/0002_01_00_02_7.jpg\n"),
        ];
        let dir = nuaa(&FILES, &indexes);
        let mut s = spec(dir.path());
        let both = open(&s).unwrap();
        assert_eq!(both.samples.len(), 3);
        let found: Vec<_> = both.issues.iter().map(|i| (i.kind, i.severity, i.location.as_str())).collect();
        assert_eq!(
            found,
            [(IssueKind::Index, Severity::Warning, "./"), (IssueKind::Index, Severity::Error, "imposter_test_raw.txt")]
        );

        s.split = Some("test".into());
        let test = open(&s).unwrap();
        assert_eq!(rels(&test), ["ClientRaw/0002/0002_01_00_02_7.jpg"]);
        assert_eq!(test.samples[0].meta["split"], "test");
        assert_eq!(test.issues.len(), 1, "only the missing imposter_test_raw.txt");

        s.split = Some("val".into());
        assert!(format!("{:#}", open(&s).unwrap_err()).contains("no split `val`: use train or test"));
        let train_only = nuaa(&FILES, &indexes[..2]);
        let mut s = spec(train_only.path());
        s.split = Some("test".into());
        let err = format!("{:#}", open(&s).unwrap_err());
        assert!(
            err.contains("no index file for split `test`")
                && err.contains("client_test_raw.txt, imposter_test_raw.txt"),
            "{err}"
        );
    }

    #[test]
    fn names_and_species() {
        assert_eq!(parse_name("0001_00_00_01_0.jpg"), Some(["0001", "00", "00", "01"]));
        assert_eq!(parse_name("0001_00_00_01.jpg"), None);
        assert_eq!(parse_name("0001_00_0a_01_0.jpg"), None);
        assert_eq!(parse_name("0001_00__01_0.jpg"), None);
        let species: Vec<_> = ["00", "01", "02", "03", "04", "05"].map(species_of).to_vec();
        let expected = [
            Some("print-still"),
            Some("print-rotate"),
            Some("print-warp"),
            Some("print-rotate"),
            Some("print-warp"),
            None,
        ];
        assert_eq!(species, expected);
    }

    /// The loader against the oracle score file: same paths in the same order and the same ground truth,
    /// so score files join on `rel_path` and species match the expected metrics.
    #[test]
    fn real_nuaa_train_matches_the_oracle() {
        let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
        let (root, oracle) = (shared.join("datasets/nuaa-train"), shared.join("oracles/nuaa-train-silentface.csv"));
        if !root.is_dir() || !oracle.is_file() {
            eprintln!(
                "SKIPPED real_nuaa_train_matches_the_oracle: {} or {} not found",
                root.display(),
                oracle.display()
            );
            return;
        }
        let ds = open(&spec(&root)).unwrap();
        assert!(ds.issues.is_empty(), "{:?}", &ds.issues[..ds.issues.len().min(5)]);
        let mut reader = csv::Reader::from_path(&oracle).unwrap();
        let header = reader.headers().unwrap().clone();
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let fields = ["path", "label", "attack_type", "subject", "session", "glasses", "pos"].map(column);
        let mut rows = 0;
        for (i, record) in reader.records().enumerate() {
            let record = record.unwrap();
            let want = fields.map(|f| &record[f]);
            let sample = ds
                .samples
                .get(i)
                .unwrap_or_else(|| panic!("oracle row {} ({}) beyond the loaded samples", i + 2, want[0]));
            let meta = |k: &str| sample.meta.get(k).map_or("", String::as_str);
            let got = [
                sample.rel_path.as_str(),
                sample.label.as_str(),
                &sample.species,
                meta("subject"),
                meta("session"),
                meta("glasses"),
                meta("pos"),
            ];
            assert_eq!(got, want, "oracle row {}", i + 2);
            rows += 1;
        }
        assert_eq!((rows, ds.samples.len()), (3491, 3491));
    }
}
