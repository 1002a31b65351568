//! `sweep.csv` checked against what metrics.json recorded of it (rows and sha256).
//!
//! A sweep cut at a line end is still valid CSV, so without a record the report would draw shortened
//! curves beside whole figures. Run folders from before the record are read as they are.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::schema::run_folder::SweepRecord;

/// Data rows and sha256 of the sweep's bytes.
pub fn record(sweep: &[u8]) -> SweepRecord {
    SweepRecord { rows: data_rows(sweep), sha256: format!("{:x}", Sha256::digest(sweep)) }
}

fn data_rows(bytes: &[u8]) -> u64 {
    (bytes.iter().filter(|&&b| b == b'\n').count() as u64).saturating_sub(1)
}

/// [`verify_record`] of a record still held as JSON (a `comparison` row's `sweep_csv`, until that block
/// is typed); anything but a record is no record.
pub fn verify(path: &Path, recorded: &Value) -> Result<()> {
    verify_record(path, serde_json::from_value::<SweepRecord>(recorded.clone()).ok().as_ref())
}

/// Refuses a sweep file that is not the one metrics.json's `run.sweep_csv` describes (nothing to check in
/// a folder from before the record).
pub fn verify_record(path: &Path, recorded: Option<&SweepRecord>) -> Result<()> {
    let Some(recorded) = recorded else { return Ok(()) };
    let sha = recorded.sha256.as_str();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if format!("{:x}", Sha256::digest(&bytes)) == sha {
        return Ok(());
    }
    bail!(
        "{} is damaged: {} data rows where metrics.json records {} (sha256 differs); the charts would be wrong. \
         Fix: rerun `liveness eval ... --resume` on the run folder to rewrite it",
        path.display(),
        data_rows(&bytes),
        recorded.rows
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_cut_at_a_line_end_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sweep.csv");
        let whole = b"threshold,bpcer\n+inf,1\n0.5,0.2\n";
        let rec = serde_json::to_value(record(whole)).unwrap();
        assert_eq!(rec["rows"], 2);
        std::fs::write(&p, whole).unwrap();
        verify(&p, &rec).unwrap();
        verify(&p, &Value::Null).unwrap();
        std::fs::write(&p, &whole[..23]).unwrap();
        let e = verify(&p, &rec).unwrap_err().to_string();
        assert!(e.contains("1 data rows where metrics.json records 2"), "{e}");
    }
}
