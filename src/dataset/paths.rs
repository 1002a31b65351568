//! File listing and path normalisation shared by the adapters.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

use super::{Issue, IssueKind};

/// File extensions treated as images when a folder is searched (case-insensitive).
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp", "bmp"];

pub fn is_image(name: &str) -> bool {
    has_extension(name, IMAGE_EXTENSIONS)
}

pub fn has_extension(name: &str, extensions: &[&str]) -> bool {
    name.rsplit_once('.').is_some_and(|(_, ext)| extensions.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}

/// The files under a folder, as `/`-separated paths relative to it, each list sorted.
#[derive(Debug, Default)]
pub struct Listing {
    pub images: Vec<String>,
    /// Files that are not images: skipped, and reported in case they were meant as presentations.
    pub others: Vec<String>,
    /// Entries whose names are not UTF-8 (shown lossily): they cannot be ids in a score file.
    pub non_utf8: Vec<String>,
    /// Sub-folders (and entries) that could not be listed or examined, with the reason: the rest of the
    /// folder is still listed, so one unreadable folder never loses a batch.
    pub unreadable: Vec<(String, String)>,
}

/// Lists `dir` recursively. Hidden entries (`.DS_Store`, `.git`, macOS `._` files) are skipped: they are never
/// presentations. Symbolic links are followed, each real folder once. Only `dir` itself must be listable: an
/// entry below it that cannot be listed or examined goes to [`Listing::unreadable`], except a dangling link
/// named like an image, which is listed so that scoring records it as a `missing_file` non-response.
pub fn list(dir: &Path) -> Result<Listing> {
    let mut listing = Listing::default();
    let mut visited = HashSet::new();
    let real = fs::canonicalize(dir).with_context(|| format!("resolving `{}`", dir.display()))?;
    let entries = fs::read_dir(dir).with_context(|| format!("listing `{}`", dir.display()))?;
    visited.insert(real);
    walk(dir, entries, "", &mut visited, &mut listing);
    listing.images.sort();
    listing.others.sort();
    listing.non_utf8.sort();
    listing.unreadable.sort();
    Ok(listing)
}

fn walk(dir: &Path, entries: fs::ReadDir, prefix: &str, visited: &mut HashSet<std::path::PathBuf>, out: &mut Listing) {
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.unreadable.push((prefix.to_string(), format!("cannot list `{}`: {e}", dir.display())));
                break;
            }
        };
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            out.non_utf8.push(format!("{prefix}{}", entry.file_name().to_string_lossy()));
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let rel = format!("{prefix}{name}");
        // `metadata` follows symbolic links, so linked folders and files count as what they point to.
        let is_dir = match fs::metadata(entry.path()) {
            Ok(m) => m.is_dir(),
            Err(_) if is_image(&name) => false, // a dangling link: scored as a missing_file non-response
            Err(e) => {
                out.unreadable.push((rel, format!("cannot read `{}`: {e}", entry.path().display())));
                continue;
            }
        };
        if is_dir {
            let path = entry.path();
            let listed = fs::canonicalize(&path).and_then(|real| Ok((real, fs::read_dir(&path)?)));
            match listed {
                Ok((real, _)) if visited.contains(&real) => {}
                Ok((real, entries)) => {
                    visited.insert(real);
                    walk(&path, entries, &format!("{rel}/"), visited, out);
                }
                Err(e) => out.unreadable.push((format!("{rel}/"), format!("cannot list `{}`: {e}", path.display()))),
            }
        } else if is_image(&name) {
            out.images.push(rel);
        } else {
            out.others.push(rel);
        }
    }
}

impl Listing {
    /// The issues for what was skipped, located relative to the dataset root (`prefix` is the listed
    /// folder's path from there, ending in `/`, or empty).
    pub fn issues(&self, prefix: &str) -> Vec<Issue> {
        let mut issues = Vec::new();
        if let Some(first) = self.others.first() {
            issues.push(Issue::warning(
                IssueKind::NotAnImage,
                format!("{prefix}{first}"),
                format!(
                    "{} file(s) skipped as not images (supported: {}); convert any that are presentations \
                     (videos: extract frames)",
                    self.others.len(),
                    IMAGE_EXTENSIONS.join(", ")
                ),
            ));
        }
        for (rel, why) in &self.unreadable {
            issues.push(Issue::error(
                IssueKind::Unreadable,
                format!("{prefix}{rel}"),
                format!("{why}; its images (if any) are not loaded: fix its permissions or remove it"),
            ));
        }
        for name in &self.non_utf8 {
            issues.push(Issue::error(
                IssueKind::NonUtf8,
                format!("{prefix}{name}"),
                "name is not valid UTF-8, so it cannot be an id in score files: rename it (shown with \u{fffd} \
                 for the invalid bytes)",
            ));
        }
        issues
    }
}

/// Why a listed path cannot be a dataset-relative id.
#[derive(Debug, PartialEq, Eq)]
pub enum PathProblem {
    Empty,
    Absolute,
    /// `..` climbs above the dataset root.
    Escapes,
}

/// Normalises a path as written in an index or manifest into a dataset-relative id: `\` read as `/` (lists
/// written on Windows), `.` and empty segments dropped, `..` resolved without touching the disk.
pub fn normalize_rel(text: &str) -> Result<String, PathProblem> {
    let text = text.replace('\\', "/");
    let bytes = text.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if text.starts_with('/') || drive {
        return Err(PathProblem::Absolute);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(PathProblem::Escapes)?;
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() { Err(PathProblem::Empty) } else { Ok(parts.join("/")) }
}

/// An [`IssueKind::MissingFile`] warning unless the file `rel` listed at `at` (`index.txt:12`) is there.
pub fn missing_file(root: &Path, rel: &str, at: &str) -> Option<Issue> {
    let path = root.join(rel);
    if path.is_file() {
        return None;
    }
    let what = if path.exists() { "is not a file" } else { "does not exist" };
    Some(Issue::warning(
        IssueKind::MissingFile,
        at,
        format!("`{rel}` {what} (`{}`); kept, so scoring records it as a missing_file non-response", path.display()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::touch;

    #[test]
    fn image_extensions_ignore_case() {
        assert!(
            is_image("a.JPG") && is_image("b.jpeg") && is_image("c.Png") && is_image("d.webp") && is_image("e.bmp")
        );
        assert!(!is_image("a.gif") && !is_image("jpg") && !is_image("a.jpg.txt"));
    }

    #[test]
    fn normalises_relative_paths() {
        assert_eq!(normalize_rel("a\\b/./c.jpg"), Ok("a/b/c.jpg".into()));
        assert_eq!(normalize_rel("./a//b/../c.jpg"), Ok("a/c.jpg".into()));
        assert_eq!(normalize_rel("../x.jpg"), Err(PathProblem::Escapes));
        assert_eq!(normalize_rel("a/../../x.jpg"), Err(PathProblem::Escapes));
        assert_eq!(normalize_rel("/etc/x.jpg"), Err(PathProblem::Absolute));
        assert_eq!(normalize_rel("C:\\data\\x.jpg"), Err(PathProblem::Absolute));
        assert_eq!(normalize_rel("./"), Err(PathProblem::Empty));
    }

    #[test]
    fn lists_sorted_skips_hidden_and_separates_non_images() {
        let dir = tempfile::tempdir().unwrap();
        for rel in ["b/2.jpg", "b/1.PNG", "a.b/x.bmp", "a/z.webp", "a/notes.txt", ".git/x.jpg", "a/.DS_Store"] {
            touch(dir.path(), rel);
        }
        let listing = list(dir.path()).unwrap();
        assert_eq!(listing.images, ["a.b/x.bmp", "a/z.webp", "b/1.PNG", "b/2.jpg"]);
        assert_eq!(listing.others, ["a/notes.txt"]);
        let issues = listing.issues("root/");
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].kind, IssueKind::NotAnImage);
        assert_eq!(issues[0].location, "root/a/notes.txt");
    }

    #[cfg(unix)]
    #[test]
    fn follows_links_once_and_reports_non_utf8_names() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "a/x.jpg");
        std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("a/loop")).unwrap();
        std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(b"bad\xff.jpg")), b"").unwrap();
        let listing = list(dir.path()).unwrap();
        assert_eq!(listing.images, ["a/x.jpg"]);
        assert_eq!(listing.non_utf8, ["bad\u{fffd}.jpg"]);
        assert_eq!(listing.issues("")[0].kind, IssueKind::NonUtf8);
    }

    #[test]
    fn missing_files_are_warnings() {
        let dir = tempfile::tempdir().unwrap();
        touch(dir.path(), "a/x.jpg");
        assert!(missing_file(dir.path(), "a/x.jpg", "i.txt:1").is_none());
        assert!(missing_file(dir.path(), "a", "i.txt:2").unwrap().message.starts_with("`a` is not a file"));
        let issue = missing_file(dir.path(), "a/y.jpg", "i.txt:3").unwrap();
        assert_eq!(issue.location, "i.txt:3");
        assert!(issue.message.starts_with("`a/y.jpg` does not exist"));
    }
}
