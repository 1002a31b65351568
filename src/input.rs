//! Turning command-line inputs (files, folders, `-`) into a list of image files.

use std::io::BufRead;
use std::path::{Path, PathBuf};

/// An input that yields no image, with the reason (reported, never silently skipped).
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    pub input: String,
    pub reason: &'static str,
    pub detail: String,
}

/// Expands inputs in order: a folder becomes its images (recursively, sorted); `-` reads one path per line from
/// `stdin`; any other argument is taken as a file, even one that does not exist, so that it is reported as a
/// non-response with its reason by the scoring stage.
pub fn expand(inputs: &[String], stdin: &mut dyn BufRead) -> (Vec<PathBuf>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for input in inputs {
        if input == "-" {
            for line in stdin.lines() {
                match line {
                    Ok(l) if l.trim().is_empty() => {}
                    Ok(l) => add(Path::new(l.trim()), &mut files, &mut problems),
                    Err(e) => problems.push(Problem {
                        input: "-".into(),
                        reason: "unreadable",
                        detail: format!("standard input: {e}"),
                    }),
                }
            }
        } else {
            add(Path::new(input), &mut files, &mut problems);
        }
    }
    (files, problems)
}

/// A folder is listed by [`crate::dataset::paths::list`], the same walk dataset folders get (sorted, hidden
/// entries skipped, symbolic-link cycles followed once), so `score dir/` and `eval dir/` see the same images.
fn add(path: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    if !path.is_dir() {
        files.push(path.to_path_buf());
        return;
    }
    let shown = path.display().to_string();
    let listing = match crate::dataset::paths::list(path) {
        Ok(l) => l,
        Err(e) => {
            problems.push(Problem { input: shown, reason: "unreadable", detail: format!("{e:#}") });
            return;
        }
    };
    for name in &listing.non_utf8 {
        problems.push(Problem {
            input: shown.clone(),
            reason: "non_utf8_name",
            detail: format!("{}/{name}: file name is not UTF-8 and cannot be reported; rename it", path.display()),
        });
    }
    if listing.images.is_empty() {
        let detail = format!(
            "{shown}: folder holds no images (looked for .{})",
            crate::dataset::paths::IMAGE_EXTENSIONS.join(", .")
        );
        problems.push(Problem { input: shown, reason: "no_images", detail });
        return;
    }
    files.extend(listing.images.iter().map(|rel| path.join(rel)));
}

pub fn is_image_name(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(crate::dataset::paths::is_image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_recurse_sorted_and_empty_folders_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("a/b")).unwrap();
        std::fs::create_dir_all(d.join("empty")).unwrap();
        for f in ["a/b/2.PNG", "a/1.jpg", "a/notes.txt", "a/._1.jpg", "z.webp"] {
            std::fs::write(d.join(f), b"x").unwrap();
        }
        let inputs = vec![d.display().to_string(), d.join("empty").display().to_string(), "missing.jpg".into()];
        let (files, problems) = expand(&inputs, &mut std::io::empty());
        let rel: Vec<String> = files.iter().map(|f| f.strip_prefix(d).unwrap_or(f).display().to_string()).collect();
        assert_eq!(rel, vec!["a/1.jpg", "a/b/2.PNG", "z.webp", "missing.jpg"]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].reason, "no_images");
    }

    #[test]
    fn dash_reads_paths_from_stdin() {
        let mut stdin = std::io::Cursor::new("x.jpg\n\n  y.png  \n");
        let (files, problems) = expand(&["-".to_string()], &mut stdin);
        assert_eq!(files, vec![PathBuf::from("x.jpg"), PathBuf::from("y.png")]);
        assert!(problems.is_empty());
    }
}
