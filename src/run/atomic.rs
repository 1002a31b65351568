//! Whole-file writes of a run folder's documents (metrics.json, sweep.csv, run.json, positions.txt,
//! index.html, report.md): the text goes to a hidden sibling, is synced, then renamed over the old file.
//! A kill or a full disk mid-write leaves the old file or none, never a truncated one a reader would
//! take for whole; the error names the file the tool meant to write, not only "No space left on device".

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` atomically (same folder, so the rename never crosses file systems).
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    write_with(path, |f| Ok(f.write_all(bytes.as_ref())?))
}

/// Writes `path` atomically with `fill`, which streams into the hidden sibling (a file too large to hold
/// in memory first, such as a Parquet score file); returns what `fill` returns.
pub fn write_with<T>(path: &Path, fill: impl FnOnce(&mut std::fs::File) -> Result<T>) -> Result<T> {
    let name = path.file_name().map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let attempt = || -> Result<T> {
        let mut f = std::fs::File::create(&tmp)?;
        let value = fill(&mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(value)
    };
    attempt()
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_names_the_file_when_it_cannot() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("metrics.json");
        write(&p, "old").unwrap();
        write(&p, "new text").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new text");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left");
        let e = write(&dir.path().join("missing/metrics.json"), "x").unwrap_err();
        assert!(
            format!("{e:#}").contains("cannot write") && format!("{e:#}").contains("missing/metrics.json"),
            "{e:#}"
        );
    }
}
