//! `descriptors.csv` in a run folder of `eval --match`: each presentation's face descriptor and how its
//! chip was cut, written row by row in the same pass as `scores.csv`, so full-system metrics can be
//! recomputed from the run folder alone.

use std::collections::HashMap;
use std::fs::File;
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
        let mut header: Vec<String> = LEAD.iter().map(|s| s.to_string()).collect();
        header.extend((0..dim).map(|i| format!("d{i}")));
        w.write_record(&header)?;
        Ok(IdentityWriter { w, dim })
    }

    /// One row; a presentation without a descriptor gets empty fields.
    pub fn write(&mut self, path: &str, d: Option<&Described>) -> Result<()> {
        let mut row = vec![path.to_string()];
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
