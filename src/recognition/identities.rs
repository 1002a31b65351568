//! `descriptors.csv` in a run folder of `eval --match`: each presentation's face descriptor and how its
//! chip was cut, written row by row in the same pass as `scores.csv`, so full-system metrics can be
//! recomputed from the run folder alone.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::Described;

/// Columns before the descriptor's `d0..d{dim-1}`.
const LEAD: [&str; 3] = ["path", "chip_rule", "mesh_presence"];

pub struct IdentityWriter {
    w: csv::Writer<BufWriter<File>>,
    dim: usize,
}

impl IdentityWriter {
    pub fn create(path: &Path, dim: usize) -> Result<IdentityWriter> {
        let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = csv::Writer::from_writer(BufWriter::new(f));
        w.write_record(header(dim))?;
        w.flush()?;
        Ok(IdentityWriter { w, dim })
    }

    /// Continues a file whose complete rows [`completed_rows`] counted (a resumed run).
    pub fn append(path: &Path, dim: usize) -> Result<IdentityWriter> {
        let f = OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("cannot append to {}", path.display()))?;
        Ok(IdentityWriter { w: csv::Writer::from_writer(BufWriter::new(f)), dim })
    }

    /// One row; a presentation without a descriptor gets empty fields.
    pub fn write(&mut self, path: &str, d: Option<&Described>) -> Result<()> {
        let mut row = vec![crate::escape::csv(path).into_owned()];
        match d {
            Some(d) => {
                if d.descriptor.len() != self.dim {
                    bail!("{path}: descriptor of length {}, want {}", d.descriptor.len(), self.dim);
                }
                row.push(d.chip.rule.as_str().to_string());
                row.push(d.chip.presence.map(|p| p.to_string()).unwrap_or_default());
                // f32 Display is the shortest text that reads back to the same bits.
                row.extend(d.descriptor.iter().map(|v| v.to_string()));
            }
            None => row.extend(std::iter::repeat_n(String::new(), 2 + self.dim)),
        }
        self.w.write_record(&row)?;
        self.w.flush()?;
        Ok(())
    }
}

/// The columns of a descriptors file of `dim`-D descriptors.
pub fn header(dim: usize) -> Vec<String> {
    LEAD.iter().map(|s| s.to_string()).chain((0..dim).map(|i| format!("d{i}"))).collect()
}

/// How many leading `samples` have their row in the descriptors file at `path` (a half-written last row
/// is cut); `None` without a file or a whole header. Rows are in sample order, as [`IdentityWriter`]
/// writes them in step with `scores.csv`; a row of another presentation is refused.
pub fn completed_rows(path: &Path, dim: usize, samples: &[crate::dataset::Sample]) -> Result<Option<usize>> {
    crate::run::resume::completed_records(path, &header(dim), |i, rec| {
        let found = String::from_utf8_lossy(rec.get(0).unwrap_or_default());
        match samples.get(i) {
            Some(s) if s.rel_path == found => Ok(()),
            Some(s) => bail!(
                "cannot resume: row {} of {} is {found:?} but sample {} of the dataset is {:?} (the dataset changed?)",
                i + 2,
                path.display(),
                i + 1,
                s.rel_path
            ),
            None => bail!(
                "cannot resume: {} has more rows than the dataset has samples ({})",
                path.display(),
                samples.len()
            ),
        }
    })
}

/// A presentation's stored descriptor.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub chip_rule: String,
    pub descriptor: Vec<f32>,
}

/// Path -> descriptor (`None` for rows without one).
pub fn read(path: &Path) -> Result<HashMap<String, Option<Stored>>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = r.headers()?.clone();
    if header.len() <= LEAD.len() || header.iter().take(LEAD.len()).ne(LEAD) {
        bail!("{}: not a descriptors file (header starts {:?}, want {LEAD:?})", path.display(), &header);
    }
    let mut out = HashMap::new();
    for (line, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: row {}", path.display(), line + 2))?;
        let stored = if rec[1].is_empty() {
            None
        } else {
            let descriptor =
                rec.iter().skip(LEAD.len()).map(str::parse::<f32>).collect::<Result<Vec<_>, _>>().with_context(
                    || format!("{}: row {}: a descriptor value is not a number", path.display(), line + 2),
                )?;
            Some(Stored { chip_rule: rec[1].to_string(), descriptor })
        };
        out.insert(rec[0].to_string(), stored);
    }
    Ok(out)
}
