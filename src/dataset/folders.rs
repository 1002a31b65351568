//! The folder convention: `live/` and `spoof/<attack_type>/` (and their synonyms), or any tree a
//! `--layout` pattern describes.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::{Result, bail};

use super::layout::{DEFAULT_LAYOUT, Layout};
use super::{Adapter, Dataset, DatasetSpec, Issue, Label, Sample, UNKNOWN_SPECIES, display_name, paths};

pub struct Folders;

impl Adapter for Folders {
    fn name(&self) -> &'static str {
        "folders"
    }

    fn looks_for(&self) -> &'static str {
        "a folder with live/ (or bona_fide/, bonafide/, real/, genuine/) or spoof/<attack_type>/ (or attack/, fake/) \
         subfolders"
    }

    fn detect(&self, root: &Path) -> bool {
        let Ok(entries) = fs::read_dir(root) else { return false };
        entries.flatten().any(|e| e.path().is_dir() && e.file_name().to_str().and_then(Label::parse).is_some())
    }

    fn uses_layout(&self) -> bool {
        true
    }

    fn load(&self, spec: &DatasetSpec) -> Result<Dataset> {
        let layout = Layout::parse(spec.layout.as_deref().unwrap_or(DEFAULT_LAYOUT))?;
        let root = &spec.root;
        if !root.is_dir() {
            bail!("`{}` is not a folder", root.display());
        }
        let listing = paths::list(root)?;
        let mut samples = Vec::new();
        let mut grouped = Grouped::default();
        for rel in &listing.images {
            let dirs: Vec<&str> = rel.rsplit_once('/').map_or(Vec::new(), |(folder, _)| folder.split('/').collect());
            match layout.place(&dirs) {
                Ok(placement) => {
                    let species = match placement.label {
                        Label::BonaFide => String::new(),
                        Label::Attack => placement.species.unwrap_or_else(|| UNKNOWN_SPECIES.to_owned()),
                    };
                    let mut sample = Sample::new(root, rel.clone(), placement.label, species);
                    sample.meta = placement.meta;
                    samples.push(sample);
                    placement.notes.into_iter().for_each(|note| grouped.add(note, rel));
                }
                Err(misfit) => grouped.add(misfit, rel),
            }
        }
        let mut issues = grouped.into_issues();
        issues.extend(listing.issues(""));
        Ok(Dataset { name: display_name(root), root: root.clone(), samples, issues })
    }
}

/// Folder-level issues collected image by image, reported once per folder with a count and an example,
/// so a misnamed folder of 10,000 images is one line, not 10,000.
#[derive(Default)]
struct Grouped(BTreeMap<Issue, (usize, String)>);

impl Grouped {
    fn add(&mut self, issue: Issue, example: &str) {
        self.0.entry(issue).or_insert_with(|| (0, example.to_owned())).0 += 1;
    }

    fn into_issues(self) -> Vec<Issue> {
        self.0
            .into_iter()
            .map(|(mut issue, (count, example))| {
                issue.message = format!("{} [{count} image(s), e.g. `{example}`]", issue.message);
                issue
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{IssueKind, Severity, open};
    use crate::test_support::{spec, touch};

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        files.iter().for_each(|rel| touch(dir.path(), rel));
        dir
    }

    fn brief(ds: &Dataset) -> Vec<(String, Label, String)> {
        ds.samples.iter().map(|s| (s.rel_path.clone(), s.label, s.species.clone())).collect()
    }

    #[test]
    fn reads_the_convention_with_synonyms_in_sorted_order() {
        let dir = tree(&[
            "spoof/replay/b.png",
            "spoof/print/deep/er/a.JPG",
            "Real/s2/x.jpeg",
            "live/b.webp",
            "live/a.bmp",
            "fake/mask/m.jpg",
        ]);
        let ds = open(&spec(dir.path())).unwrap();
        let own = |p: &str, l, s: &str| (p.to_owned(), l, s.to_owned());
        assert_eq!(
            brief(&ds),
            [
                own("Real/s2/x.jpeg", Label::BonaFide, ""),
                own("fake/mask/m.jpg", Label::Attack, "mask"),
                own("live/a.bmp", Label::BonaFide, ""),
                own("live/b.webp", Label::BonaFide, ""),
                own("spoof/print/deep/er/a.JPG", Label::Attack, "print"),
                own("spoof/replay/b.png", Label::Attack, "replay"),
            ]
        );
        assert!(ds.issues.is_empty(), "{:?}", ds.issues);
        assert_eq!(ds.samples[0].path, dir.path().join("Real/s2/x.jpeg"));
        assert!(ds.samples.iter().all(|s| s.meta.is_empty() && s.face_box.is_none()));
    }

    #[test]
    fn images_directly_under_spoof_are_unknown_with_one_warning() {
        let dir = tree(&["attack/a.jpg", "attack/b.jpg", "attack/print/c.jpg"]);
        let ds = open(&spec(dir.path())).unwrap();
        assert_eq!(brief(&ds)[0].2, UNKNOWN_SPECIES);
        assert_eq!(brief(&ds)[1].2, UNKNOWN_SPECIES);
        assert_eq!(ds.issues.len(), 1);
        let issue = &ds.issues[0];
        assert_eq!(
            (issue.kind, issue.severity, issue.location.as_str()),
            (IssueKind::UnknownAttackType, Severity::Warning, "attack/")
        );
        assert!(issue.message.ends_with("[2 image(s), e.g. `attack/a.jpg`]"), "{}", issue.message);
    }

    #[test]
    fn unknown_top_folders_and_loose_files_are_reported_not_dropped_silently() {
        let dir =
            tree(&["live/a.jpg", "spoofs/print/b.jpg", "spoofs/print/c.jpg", "stray.jpg", "live/clip.mp4", "README"]);
        let ds = open(&spec(dir.path())).unwrap();
        assert_eq!(ds.samples.len(), 1);
        let found: Vec<_> = ds.issues.iter().map(|i| (i.kind, i.severity, i.location.as_str())).collect();
        assert_eq!(
            found,
            [
                (IssueKind::UnknownLabel, Severity::Error, "./"),
                (IssueKind::UnknownLabel, Severity::Error, "spoofs/"),
                (IssueKind::NotAnImage, Severity::Warning, "README"),
            ]
        );
        assert!(ds.issues[1].message.contains("`spoofs` is not a known label"));
        assert!(ds.issues[1].message.contains("2 image(s)"));
        assert!(ds.issues[2].message.starts_with("2 file(s) skipped"));
    }

    #[test]
    fn layout_pattern_reads_metadata_and_filters() {
        let dir = tree(&[
            "live/phone/s1/a.jpg",
            "live/laptop/b.jpg",
            "spoof/print/phone/c.jpg",
            "spoof/print/d.jpg",
            "spoof/replay/tablet/e.jpg",
        ]);
        let mut s = spec(dir.path());
        s.layout = Some("{label}/{attack_type}/{device}/**".into());
        let ds = open(&s).unwrap();
        let devices: Vec<_> = ds.samples.iter().map(|s| s.meta.get("device").map_or("-", String::as_str)).collect();
        assert_eq!(devices, ["laptop", "phone", "-", "phone", "tablet"]);
        assert_eq!(ds.issues.len(), 1);
        assert_eq!((ds.issues[0].kind, ds.issues[0].location.as_str()), (IssueKind::LayoutMismatch, "spoof/print/"));

        s.layout = Some("{label}/{attack_type}/{device}".into());
        let strict = open(&s).unwrap();
        assert_eq!(strict.samples.len(), 4, "live/phone/s1/a.jpg is deeper than the layout");
        assert!(strict.issues.iter().any(|i| i.severity == Severity::Error && i.location == "live/phone/"));
    }

    #[test]
    fn bad_layout_is_an_error() {
        let dir = tree(&["live/a.jpg"]);
        let mut s = spec(dir.path());
        s.layout = Some("{attack_type}/{label}".into());
        assert!(format!("{:#}", open(&s).unwrap_err()).contains("must come after `{label}`"));
    }

    #[test]
    fn detection_needs_a_label_folder() {
        assert!(Folders.detect(tree(&["bonafide/a.jpg"]).path()));
        assert!(!Folders.detect(tree(&["images/a.jpg", "live.jpg"]).path()));
    }
}
