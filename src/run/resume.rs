//! Checking what a stopped run already wrote.

use std::fs::OpenOptions;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::dataset::Sample;

/// How many leading samples of `ds` are complete rows in the score file at `path`, after cutting a
/// record the stop left half-written; `None` when there is no file or not even a complete header (start
/// afresh). Refuses a file whose header, paths or labels do not match this dataset and these models:
/// mixing two runs in one file would corrupt every metric.
///
/// A record counts as complete only when writing it again gives exactly its bytes on disk (the run wrote
/// it with the same CSV writer). That cuts a record stopped inside a quoted field, such as a file name
/// holding a newline, where "cut after the last newline" would keep half a record.
pub fn completed_rows(path: &Path, header: &[String], samples: &[Sample]) -> Result<Option<usize>> {
    completed_records(path, header, |i, rec| check_row(path, rec, i, samples))
}

/// [`completed_rows`] for any CSV file a run writes row by row beside `scores.csv` (`eval --match`'s
/// `descriptors.csv`): the header must be `header`, each data row `i` (0-based) passes `check`, a record
/// the stop left half-written is cut.
pub fn completed_records(
    path: &Path,
    header: &[String],
    check: impl Fn(usize, &csv::ByteRecord) -> Result<()>,
) -> Result<Option<usize>> {
    let Some(ends) = record_ends(path, Some(header), &check)? else { return Ok(None) };
    cut_at(path, ends.last().copied().unwrap_or(0))?;
    Ok(ends.len().checked_sub(1))
}

/// Cuts the file at `path` (complete records, as left by [`completed_records`]) after its header and
/// `rows` data rows: two files written in step are brought back to the rows both hold.
pub fn keep_rows(path: &Path, rows: usize) -> Result<()> {
    let ends = record_ends(path, None, &|_, _| Ok(()))?.unwrap_or_default();
    match ends.get(rows) {
        Some(&end) => cut_at(path, end),
        None => bail!("cannot resume: {} has fewer than {rows} rows", path.display()),
    }
}

/// The byte offset after each complete record (header first), checking the header (when given) and the
/// rows; `None` when there is no file.
fn record_ends(
    path: &Path,
    header: Option<&[String]>,
    check: &dyn Fn(usize, &csv::ByteRecord) -> Result<()>,
) -> Result<Option<Vec<usize>>> {
    if !path.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&bytes[..]);
    let mut record = csv::ByteRecord::new();
    let mut ends = Vec::new();
    let mut start = 0usize;
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .with_context(|| format!("cannot resume: {} is not a readable CSV file", path.display()))?;
        let end = reader.position().byte() as usize;
        if !more || end == start {
            break;
        }
        if written_form(&record)? != bytes[start..end] {
            if end == bytes.len() {
                break; // the record the stop cut
            }
            bail!("cannot resume: {} row {} is malformed", path.display(), ends.len() + 1);
        }
        match (ends.len(), header) {
            (0, Some(h)) => check_header(path, &record, h)?,
            (0, None) => {}
            (n, _) => check(n - 1, &record)?,
        }
        ends.push(end);
        start = end;
    }
    Ok(Some(ends))
}

fn cut_at(path: &Path, end: usize) -> Result<()> {
    let len = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.len();
    if (end as u64) < len {
        let f = OpenOptions::new().write(true).open(path).with_context(|| format!("cannot open {}", path.display()))?;
        f.set_len(end as u64).with_context(|| format!("cannot cut {}", path.display()))?;
    }
    Ok(())
}

/// The bytes the run's CSV writer produces for `record`.
fn written_form(record: &csv::ByteRecord) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_byte_record(record)?;
    w.into_inner().map_err(|e| e.into_error().into())
}

fn check_header(path: &Path, found: &csv::ByteRecord, header: &[String]) -> Result<()> {
    let found: Vec<String> = found.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
    if found != header {
        bail!(
            "cannot resume: {} has columns {:?} but this run writes {:?} (different models or dataset?). Use another --out folder or drop --resume",
            path.display(),
            found,
            header
        );
    }
    Ok(())
}

/// Row `i` (0-based, after the header) must be sample `i`, with the same label and attack type.
fn check_row(path: &Path, rec: &csv::ByteRecord, i: usize, samples: &[Sample]) -> Result<()> {
    // Cells as the run's writer escaped them (crate::escape::csv), compared as the dataset gives them.
    let field =
        |k: usize| crate::escape::csv_unescape(&String::from_utf8_lossy(rec.get(k).unwrap_or_default())).to_owned();
    let Some(sample) = samples.get(i) else {
        bail!("cannot resume: {} has more rows than the dataset has samples ({})", path.display(), samples.len())
    };
    if field(0) != sample.rel_path {
        bail!(
            "cannot resume: row {} of {} is {:?} but sample {} of the dataset is {:?} (the dataset changed?)",
            i + 2,
            path.display(),
            field(0),
            i + 1,
            sample.rel_path
        );
    }
    let (label, species) = (field(1), field(2));
    if label != sample.label.as_str() || species != sample.species {
        bail!(
            "cannot resume: row {} of {} ({:?}) is labelled {label}/{species:?} but the dataset now says {}/{:?} (labels changed?)",
            i + 2,
            path.display(),
            sample.rel_path,
            sample.label.as_str(),
            sample.species
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Label;

    fn dataset(names: &[&str]) -> Vec<Sample> {
        names
            .iter()
            .map(|n| Sample {
                path: n.into(),
                rel_path: (*n).into(),
                label: Label::BonaFide,
                species: String::new(),
                meta: Default::default(),
                face_box: None,
            })
            .collect()
    }

    fn header() -> Vec<String> {
        ["path", "label", "attack_type", "score"].map(String::from).into()
    }

    fn resume(text: &str, names: &[&str]) -> (Result<Option<usize>>, String) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.csv");
        std::fs::write(&p, text).unwrap();
        let r = completed_rows(&p, &header(), &dataset(names));
        (r, std::fs::read_to_string(&p).unwrap())
    }

    #[test]
    fn partial_last_line_is_cut() {
        let (n, text) = resume("path,label,attack_type,score\na,live,,0.5\nb,li", &["a", "b"]);
        assert_eq!((n.unwrap(), text.as_str()), (Some(1), "path,label,attack_type,score\na,live,,0.5\n"));
        let (n, _) = resume("path,label,att", &["a"]);
        assert_eq!(n.unwrap(), None);
    }

    #[test]
    fn a_record_cut_inside_a_quoted_field_is_cut_back_whole() {
        let whole = "path,label,attack_type,score\na,live,,0.5\n";
        // Cut right after the newline inside the quoted file name: ends in \n, yet half a record.
        let (n, text) = resume(&format!("{whole}\"b\n"), &["a", "b\nc"]);
        assert_eq!((n.unwrap(), text.as_str()), (Some(1), whole));
        let row = "\"b\nc\",live,,0.7\n";
        let (n, text) = resume(&format!("{whole}{row}"), &["a", "b\nc"]);
        assert_eq!((n.unwrap(), text), (Some(2), format!("{whole}{row}")));
    }

    #[test]
    fn keep_rows_cuts_after_the_header_and_that_many_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.csv");
        std::fs::write(&p, "path,label,attack_type,score\n\"a\nb\",live,,0.5\nc,live,,0.7\n").unwrap();
        keep_rows(&p, 1).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "path,label,attack_type,score\n\"a\nb\",live,,0.5\n");
        assert!(keep_rows(&p, 2).unwrap_err().to_string().contains("fewer than 2 rows"));
        keep_rows(&p, 0).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "path,label,attack_type,score\n");
    }

    #[test]
    fn changed_labels_are_named() {
        let (r, _) = resume("path,label,attack_type,score\na,attack,print,0.5\n", &["a"]);
        let e = r.unwrap_err().to_string();
        assert!(e.contains("labelled attack/\"print\"") && e.contains("now says live"), "{e}");
    }
}
