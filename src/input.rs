//! Turning command-line inputs (files, folders, `-`) into a list of image files, and reading them safely.

use std::fs::File;
use std::io::{BufRead, Read};
use std::os::unix::fs::OpenOptionsExt;
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
    for (rel, why) in &listing.unreadable {
        problems.push(Problem {
            input: path.join(rel).display().to_string(),
            reason: "unreadable",
            detail: format!("{why}; the other images are scored"),
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

/// Opens `path` for reading only if it is a regular file (after symbolic links). A FIFO, socket or device
/// (`/dev/zero`) named like an image or a model would block the open or never end: it is refused with an
/// `InvalidInput` error saying what it is. The open itself cannot block (`O_NONBLOCK`, which regular files
/// ignore) and the type is checked on the opened file, so a name swapped after a check is caught too.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    let file = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    let what = if kind.is_dir() {
        "a folder"
    } else if std::os::unix::fs::FileTypeExt::is_fifo(&kind) {
        "a FIFO (named pipe)"
    } else if std::os::unix::fs::FileTypeExt::is_char_device(&kind)
        || std::os::unix::fs::FileTypeExt::is_block_device(&kind)
    {
        "a device"
    } else {
        "not a regular file"
    };
    Err(std::io::Error::other(NotRegular(what)))
}

/// [`open_regular`]'s refusal: what the path is instead of a regular file.
#[derive(Debug)]
struct NotRegular(&'static str);

impl std::fmt::Display for NotRegular {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "is {}, not a regular file; only regular files are read (copy the data into a file)", self.0)
    }
}

impl std::error::Error for NotRegular {}

/// Reads a regular file ([`open_regular`]) whole, refusing one longer than `max_bytes` before reading it
/// (a sparse 3 GB file is refused by its size, not read). The length is checked again while reading, so a
/// file growing underneath cannot exceed the cap either.
pub fn read_regular(path: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len > max_bytes {
        return Err(too_long(len, max_bytes));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_long(bytes.len() as u64, max_bytes));
    }
    Ok(bytes)
}

/// The error of a file over its byte cap; [`is_too_long`] recognises it.
fn too_long(len: u64, max_bytes: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::FileTooLarge,
        format!("is {len} bytes, above the limit of {max_bytes} bytes"),
    )
}

/// Whether `e` is [`read_regular`]'s refusal of a file over its byte cap.
pub fn is_too_long(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::FileTooLarge
}

/// Whether `e` is [`open_regular`]'s refusal of a FIFO, device or folder.
pub fn is_not_regular(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<NotRegular>())
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
    fn only_regular_files_are_read_and_the_cap_holds_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f.jpg");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let e = read_regular(&fifo, 100).expect_err("a FIFO is refused, not waited on");
        assert!(is_not_regular(&e) && e.to_string().contains("FIFO"), "{e}");
        let e = read_regular(Path::new("/dev/zero"), 100).expect_err("a device is refused");
        assert!(e.to_string().contains("a device"), "{e}");
        let sparse = dir.path().join("s.jpg");
        std::fs::File::create(&sparse).unwrap().set_len(3 << 30).unwrap();
        let e = read_regular(&sparse, 1000).expect_err("over the cap");
        assert!(is_too_long(&e) && e.to_string().contains("3221225472 bytes"), "{e}");
        std::fs::write(&sparse, b"12345").unwrap();
        assert_eq!(read_regular(&sparse, 5).unwrap(), b"12345");
        assert!(is_too_long(&read_regular(&sparse, 4).unwrap_err()));
    }

    #[test]
    fn dash_reads_paths_from_stdin() {
        let mut stdin = std::io::Cursor::new("x.jpg\n\n  y.png  \n");
        let (files, problems) = expand(&["-".to_string()], &mut stdin);
        assert_eq!(files, vec![PathBuf::from("x.jpg"), PathBuf::from("y.png")]);
        assert!(problems.is_empty());
    }
}
