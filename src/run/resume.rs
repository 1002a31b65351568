//! Checking what a stopped run already wrote.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::dataset::Dataset;

/// How many leading samples of `ds` are complete rows in the score file at `path`, after cutting any
/// half-written last line; `None` when there is no file or not even a complete header (start afresh).
/// Refuses a file whose header or paths do not match this dataset and these models: mixing two runs in one
/// file would corrupt every metric.
pub fn completed_rows(path: &Path, header: &[String], ds: &Dataset) -> Result<Option<usize>> {
    if !path.exists() {
        return Ok(None);
    }
    cut_partial_line(path)?;
    if std::fs::metadata(path)?.len() == 0 {
        return Ok(None);
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let found: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    if found != header {
        bail!(
            "cannot resume: {} has columns {:?} but this run writes {:?} (different models or dataset?). Use another --out folder or drop --resume",
            path.display(),
            found,
            header
        );
    }
    let mut n = 0;
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.with_context(|| format!("cannot resume: {} row {} is malformed", path.display(), i + 2))?;
        let Some(sample) = ds.samples.get(i) else {
            bail!("cannot resume: {} has more rows than the dataset has samples ({})", path.display(), ds.samples.len())
        };
        if rec.get(0) != Some(sample.rel_path.as_str()) {
            bail!(
                "cannot resume: row {} of {} is {:?} but sample {} of the dataset is {:?} (the dataset changed?)",
                i + 2,
                path.display(),
                rec.get(0).unwrap_or(""),
                i + 1,
                sample.rel_path
            );
        }
        n += 1;
    }
    Ok(Some(n))
}

/// Truncates the file after its last newline: a line without one was cut by the stop.
fn cut_partial_line(path: &Path) -> Result<()> {
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let len = f.metadata()?.len();
    let tail = len.min(1 << 20);
    f.seek(SeekFrom::Start(len - tail))?;
    let mut buf = Vec::with_capacity(tail as usize);
    f.read_to_end(&mut buf)?;
    let keep = match buf.iter().rposition(|&b| b == b'\n') {
        Some(p) => len - tail + p as u64 + 1,
        None if tail == len => 0,
        None => bail!("{}: last line longer than 1 MiB; not a score file?", path.display()),
    };
    if keep < len {
        f.set_len(keep)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_last_line_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.csv");
        std::fs::write(&p, "a,b\n1,2\n3,").unwrap();
        cut_partial_line(&p).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a,b\n1,2\n");
        cut_partial_line(&p).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a,b\n1,2\n");
    }
}
