//! Manifests: a CSV or JSON Lines file listing `path,label,attack_type`, optional face box columns
//! `x1,y1,x2,y2` and any metadata columns. Paths are relative to the manifest's folder, the dataset root.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::paths::{self, PathProblem};
use super::table::{self, Format, Row};
use super::{Adapter, Dataset, DatasetSpec, Issue, IssueKind, Label, Sample, UNKNOWN_SPECIES, display_name};

pub struct Manifest;

const REQUIRED: [&str; 3] = ["path", "label", "attack_type"];
const BOX: [&str; 4] = ["x1", "y1", "x2", "y2"];

impl Adapter for Manifest {
    fn name(&self) -> &'static str {
        "manifest"
    }

    fn looks_for(&self) -> &'static str {
        "a .csv or .jsonl manifest file (path,label,attack_type columns)"
    }

    fn detect(&self, root: &Path) -> bool {
        root.is_file() && Format::of(root).is_some()
    }

    fn load(&self, spec: &DatasetSpec) -> Result<Dataset> {
        let file = &spec.root;
        let Some(format) = Format::of(file).filter(|_| file.is_file()) else {
            bail!("a manifest is a file named *.csv or *.jsonl, not `{}`", file.display());
        };
        let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
        let root = match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let table = table::read(file, format, &name)?;
        if table.rows.is_empty() {
            bail!("`{name}` is empty: it needs a header and one row per sample ({})", REQUIRED.join(","));
        }
        let columns = Columns::find(&table.columns, &name)?;
        let mut samples: Vec<Sample> = Vec::new();
        let mut issues = Vec::new();
        let mut first_line: HashMap<String, (u64, usize)> = HashMap::new();
        for row in table.rows {
            let loaded = row.and_then(|row| {
                let at = format!("{name}:{}", row.line);
                columns.sample(&row, &root, &at, &mut issues).map(|sample| (row.line, at, sample))
            });
            let (line, at, sample) = match loaded {
                Ok(loaded) => loaded,
                Err(issue) => {
                    issues.push(issue);
                    continue;
                }
            };
            if let Some(&(first, index)) = first_line.get(&sample.rel_path) {
                issues.push(duplicate(&at, first, &samples[index], &sample));
                continue;
            }
            first_line.insert(sample.rel_path.clone(), (line, samples.len()));
            issues.extend(paths::missing_file(&root, &sample.rel_path, &at));
            samples.push(sample);
        }
        if samples.is_empty() {
            bail!(
                "`{name}` has no usable row; first problem: {}",
                issues.first().map_or(String::new(), ToString::to_string)
            );
        }
        Ok(Dataset { name: display_name(file), root, samples, issues })
    }
}

fn duplicate(at: &str, first_line: u64, first: &Sample, again: &Sample) -> Issue {
    let mut message = format!("`{}` is already listed on line {first_line}; this row is ignored", again.rel_path);
    if (first.label, &first.species) != (again.label, &again.species) {
        let said = |s: &Sample| format!("{} {}", s.label.as_str(), s.species).trim_end().to_owned();
        message +=
            &format!(" although it says `{}` where the first says `{}`: keep the right one", said(again), said(first));
    }
    Issue::warning(IssueKind::Duplicate, at, message)
}

/// Where each field is in a row.
struct Columns {
    path: usize,
    label: usize,
    attack_type: usize,
    face_box: Option<[usize; 4]>,
    /// Every other column, read as metadata.
    meta: Vec<(usize, String)>,
}

impl Columns {
    fn find(names: &[String], file: &str) -> Result<Columns> {
        let index = |name: &str| names.iter().position(|n| n == name);
        let [Some(path), Some(label), Some(attack_type)] = REQUIRED.map(index) else {
            let missing: Vec<&str> = REQUIRED.into_iter().filter(|c| index(c).is_none()).collect();
            bail!(
                "`{file}` lacks column(s) {}; found: {}; needed: {} (attack_type may be empty on bona fide rows), \
                 optional: {} and any metadata columns",
                missing.join(", "),
                if names.is_empty() { "none".to_owned() } else { names.join(", ") },
                REQUIRED.join(", "),
                BOX.join(", ")
            );
        };
        let present: Vec<usize> = BOX.into_iter().filter_map(index).collect();
        let face_box = match <[usize; 4]>::try_from(present.as_slice()) {
            Ok(all) => Some(all),
            Err(_) if present.is_empty() => None,
            Err(_) => {
                let absent: Vec<&str> = BOX.into_iter().filter(|c| index(c).is_none()).collect();
                bail!(
                    "`{file}` has face box column(s) without {}: give all of {} or none",
                    absent.join(", "),
                    BOX.join(", ")
                );
            }
        };
        let known = |name: &String| REQUIRED.contains(&name.as_str()) || BOX.contains(&name.as_str());
        let meta = names.iter().enumerate().filter(|(_, n)| !known(n)).map(|(i, n)| (i, n.clone())).collect();
        Ok(Columns { path, label, attack_type, face_box, meta })
    }

    /// The sample a row describes; the error is why the row is not loaded. Problems the sample survives go
    /// to `issues`.
    fn sample(&self, row: &Row, root: &Path, at: &str, issues: &mut Vec<Issue>) -> Result<Sample, Issue> {
        let value = |i: usize| row.values[i].trim();
        let rel = resolve(value(self.path), root).map_err(|(kind, message)| Issue::error(kind, at, message))?;
        let label = Label::parse(value(self.label)).ok_or_else(|| {
            let message =
                format!("label `{}` is not known (accepted: {}); row skipped", value(self.label), Label::accepted());
            Issue::error(IssueKind::UnknownLabel, at, message)
        })?;
        let attack_type = value(self.attack_type);
        let species = match label {
            Label::Attack if attack_type.is_empty() => {
                let message = "attack row with an empty attack_type: species `unknown`; fill in the attack type";
                issues.push(Issue::warning(IssueKind::UnknownAttackType, at, message));
                UNKNOWN_SPECIES.to_owned()
            }
            Label::Attack => attack_type.to_owned(),
            Label::BonaFide => {
                let says_bona_fide = attack_type.is_empty()
                    || attack_type.eq_ignore_ascii_case("none")
                    || Label::parse(attack_type) == Some(Label::BonaFide);
                if !says_bona_fide {
                    let message = format!(
                        "bona fide row with attack_type `{attack_type}`: ignored; leave it empty or fix the label"
                    );
                    issues.push(Issue::warning(IssueKind::BadValue, at, message));
                }
                String::new()
            }
        };
        let mut sample = Sample::new(root, rel, label, species);
        if let Some(columns) = self.face_box {
            let coords = columns.map(value);
            sample.face_box = face_box(coords).unwrap_or_else(|message| {
                issues.push(Issue::warning(IssueKind::BadValue, at, message));
                None
            });
        }
        for (i, name) in &self.meta {
            if !value(*i).is_empty() {
                sample.meta.insert(name.clone(), value(*i).to_owned());
            }
        }
        Ok(sample)
    }
}

/// The dataset-relative id of a manifest path, or why there is none.
fn resolve(text: &str, root: &Path) -> Result<String, (IssueKind, String)> {
    let outside = || {
        let message = format!(
            "path `{text}` is outside the dataset root `{}` (paths are relative to the manifest's folder); row skipped: \
             move the manifest to a folder above its images",
            root.display()
        );
        (IssueKind::OutsideRoot, message)
    };
    match paths::normalize_rel(text) {
        Ok(rel) => Ok(rel),
        Err(PathProblem::Empty) => Err((IssueKind::BadValue, format!("empty path `{text}`; row skipped"))),
        Err(PathProblem::Escapes) => Err(outside()),
        Err(PathProblem::Absolute) => {
            let absolute = |p: &Path| std::path::absolute(p).ok();
            let inside = absolute(Path::new(text)).zip(absolute(root)).and_then(|(file, root)| {
                let rest = file.strip_prefix(root).ok()?.to_str()?.to_owned();
                paths::normalize_rel(&rest).ok()
            });
            inside.ok_or_else(outside)
        }
    }
}

/// A face box from its four columns: all empty is no box.
fn face_box(coords: [&str; 4]) -> Result<Option<[i32; 4]>, String> {
    if coords.iter().all(|c| c.is_empty()) {
        return Ok(None);
    }
    let parsed = coords.map(coordinate);
    let bad = || format!("face box `{}` is not four integers with x1 < x2 and y1 < y2; box ignored", coords.join(","));
    match parsed {
        [Some(x1), Some(y1), Some(x2), Some(y2)] if x1 < x2 && y1 < y2 => Ok(Some([x1, y1, x2, y2])),
        _ => Err(bad()),
    }
}

/// An integer coordinate; integral decimals (`265.0`, as pandas writes integer columns with gaps) too.
fn coordinate(text: &str) -> Option<i32> {
    text.parse().ok().or_else(|| {
        let value: f64 = text.parse().ok()?;
        let in_range = value.fract() == 0.0 && value.abs() <= f64::from(i32::MAX);
        in_range.then_some(value as i32)
    })
}

/// The manifest files directly in `dir`, for the hint when a folder's layout is not recognised.
pub fn manifests_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| Format::of(&e.path()).is_some() && e.path().is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Severity, open};
    use crate::test_support::{spec, touch};

    /// A dataset folder with `a.jpg`, `b.jpg`, `sub/c.jpg` and a manifest `file` holding `content`.
    fn manifest(file: &str, content: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        for rel in ["a.jpg", "b.jpg", "sub/c.jpg"] {
            touch(&data, rel);
        }
        touch(dir.path(), "elsewhere.jpg");
        let path = data.join(file);
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    fn load(file: &str, content: &str) -> Result<Dataset> {
        let (_dir, path) = manifest(file, content.as_bytes());
        open(&spec(&path))
    }

    fn kinds(ds: &Dataset) -> Vec<(IssueKind, Severity, &str)> {
        ds.issues.iter().map(|i| (i.kind, i.severity, i.location.as_str())).collect()
    }

    #[test]
    fn csv_with_metadata_and_face_boxes() {
        let ds = load(
            "m.csv",
            "path,label,attack_type,device,x1,y1,x2,y2\n\
             a.jpg,live,,phone,1,2,30,40\n\
             sub\\c.jpg,Spoof,replay,,,,,\n\
             ./b.jpg,attack,print,laptop,1.0,2,3,4\n",
        )
        .unwrap();
        assert!(ds.issues.is_empty(), "{:?}", ds.issues);
        assert_eq!(ds.name, "data/m.csv");
        let got: Vec<_> =
            ds.samples.iter().map(|s| (s.rel_path.as_str(), s.label, s.species.as_str(), s.face_box)).collect();
        assert_eq!(
            got,
            [
                ("a.jpg", Label::BonaFide, "", Some([1, 2, 30, 40])),
                ("sub/c.jpg", Label::Attack, "replay", None),
                ("b.jpg", Label::Attack, "print", Some([1, 2, 3, 4])),
            ]
        );
        assert_eq!(ds.samples[0].meta["device"], "phone");
        assert!(ds.samples[1].meta.is_empty(), "empty values are absent, not empty strings");
        assert!(ds.samples[1].path.ends_with("data/sub/c.jpg"));
    }

    #[test]
    fn json_lines_read_the_same() {
        let ds = load(
            "m.jsonl",
            "{\"path\":\"a.jpg\",\"label\":\"live\",\"attack_type\":\"\",\"session\":2,\"x1\":1,\"y1\":2,\"x2\":3,\"y2\":4}\n\
             {\"path\":\"b.jpg\",\"label\":\"fake\",\"attack_type\":\"mask\"}\n",
        )
        .unwrap();
        assert!(ds.issues.is_empty(), "{:?}", ds.issues);
        assert_eq!(ds.samples[0].meta["session"], "2");
        assert_eq!(ds.samples[0].face_box, Some([1, 2, 3, 4]));
        assert_eq!(
            (ds.samples[1].label, ds.samples[1].species.as_str(), ds.samples[1].face_box),
            (Label::Attack, "mask", None)
        );
    }

    #[test]
    fn missing_columns_list_found_and_needed() {
        let err = format!("{:#}", load("m.csv", "file,label\na.jpg,live\n").unwrap_err());
        assert!(
            err.contains("lacks column(s) path, attack_type; found: file, label; needed: path, label, attack_type"),
            "{err}"
        );
        let err = format!("{:#}", load("m.csv", "path,label,attack_type,x1,y1\na.jpg,live,,1,2\n").unwrap_err());
        assert!(err.contains("face box column(s) without x2, y2"), "{err}");
    }

    #[test]
    fn empty_manifests_are_errors() {
        for (file, content) in [("m.csv", ""), ("m.csv", "path,label,attack_type\n"), ("m.jsonl", "\n\n")] {
            let err = format!("{:#}", load(file, content).unwrap_err());
            assert!(err.contains("is empty"), "{file} {content:?}: {err}");
        }
        let err = format!("{:#}", load("m.csv", "path,label,attack_type\na.jpg,maybe,\n").unwrap_err());
        assert!(err.contains("no usable row; first problem: error [unknown_label] m.csv:2"), "{err}");
    }

    #[test]
    fn bad_rows_are_precise_issues() {
        let ds = load(
            "m.csv",
            "path,label,attack_type,x1,y1,x2,y2\n\
             a.jpg,live,,,,,\n\
             b.jpg,maybe,,,,,\n\
             ../elsewhere.jpg,live,,,,,\n\
             a.jpg,spoof,print,,,,\n\
             missing.jpg,live,,,,,\n\
             b.jpg,spoof,,,,,\n\
             sub/c.jpg,live,print,5,5,1,1\n\
             ./,live,,,,,\n",
        )
        .unwrap();
        let rels: Vec<_> = ds.samples.iter().map(|s| s.rel_path.as_str()).collect();
        assert_eq!(rels, ["a.jpg", "missing.jpg", "b.jpg", "sub/c.jpg"]);
        assert_eq!(
            kinds(&ds),
            [
                (IssueKind::UnknownLabel, Severity::Error, "m.csv:3"),
                (IssueKind::OutsideRoot, Severity::Error, "m.csv:4"),
                (IssueKind::Duplicate, Severity::Warning, "m.csv:5"),
                (IssueKind::MissingFile, Severity::Warning, "m.csv:6"),
                (IssueKind::UnknownAttackType, Severity::Warning, "m.csv:7"),
                (IssueKind::BadValue, Severity::Warning, "m.csv:8"),
                (IssueKind::BadValue, Severity::Warning, "m.csv:8"),
                (IssueKind::BadValue, Severity::Error, "m.csv:9"),
            ]
        );
        let message = |i: usize| ds.issues[i].message.as_str();
        assert!(message(0).contains("label `maybe` is not known (accepted: bona fide: live,"));
        assert!(message(1).contains("path `../elsewhere.jpg` is outside the dataset root"));
        assert!(message(2).contains(
            "already listed on line 2; this row is ignored although it says `attack print` where the first says `live`"
        ));
        assert!(message(3).contains("missing_file non-response"));
        assert!(message(5).contains("bona fide row with attack_type `print`"));
        assert!(message(6).contains("face box `5,5,1,1`"));
        assert_eq!(ds.samples[2].species, UNKNOWN_SPECIES);
        assert_eq!(ds.samples[3].face_box, None);
    }

    #[test]
    fn absolute_paths_inside_the_root_are_accepted() {
        let (dir, path) = manifest("m.csv", b"");
        let data = dir.path().join("data");
        let content = format!(
            "path,label,attack_type\n{},live,\n{},live,\n",
            data.join("sub/c.jpg").display(),
            dir.path().join("elsewhere.jpg").display()
        );
        std::fs::write(&path, content).unwrap();
        let ds = open(&spec(&path)).unwrap();
        assert_eq!(ds.samples.iter().map(|s| s.rel_path.as_str()).collect::<Vec<_>>(), ["sub/c.jpg"]);
        assert_eq!(kinds(&ds), [(IssueKind::OutsideRoot, Severity::Error, "m.csv:3")]);
    }

    #[test]
    fn non_utf8_rows_are_reported_with_their_line() {
        let (_dir, path) = manifest("m.csv", b"path,label,attack_type\na.jpg,live,\nb\xe9.jpg,live,\n");
        let ds = open(&spec(&path)).unwrap();
        assert_eq!(ds.samples.len(), 1);
        assert_eq!(kinds(&ds), [(IssueKind::NonUtf8, Severity::Error, "m.csv:3")]);
    }

    #[test]
    fn bona_fide_rows_may_spell_out_their_attack_type() {
        let ds = load("m.csv", "path,label,attack_type\na.jpg,live,none\nb.jpg,real,bona fide\n").unwrap();
        assert!(ds.issues.is_empty(), "{:?}", ds.issues);
    }

    #[test]
    fn coordinates_accept_integral_decimals_only() {
        assert_eq!(coordinate("-3"), Some(-3));
        assert_eq!(coordinate("265.0"), Some(265));
        assert_eq!(coordinate("2.5"), None);
        assert_eq!(coordinate("1e12"), None);
        assert_eq!(coordinate("x"), None);
        assert_eq!(
            face_box(["1", "", "3", "4"]).unwrap_err(),
            "face box `1,,3,4` is not four integers with x1 < x2 and y1 < y2; box ignored"
        );
    }

    #[test]
    fn a_manifest_kind_needs_a_manifest_file() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "live/a.jpg");
        let mut s = spec(dir.path());
        s.kind = Some("manifest".into());
        assert!(format!("{:#}", open(&s).unwrap_err()).contains("a manifest is a file named *.csv or *.jsonl"));
    }
}
