//! `sweep.csv` read back for drawing: the rows a chart needs, not all of them.
//!
//! A 10-million-score run has up to 10 million sweep rows, far more than any chart has pixels. Rows are
//! therefore thinned while streaming: a row is kept when some rate moved by more than a tolerance since
//! the last kept row, either linearly (threshold sweeps, ROC, distributions) or on the normal-deviate
//! scale (DET curves, whose low-error tail is where probit axes zoom in). Kept rows are exact copies of
//! rows of the file, so anything drawn is a point of `sweep.csv`; the metrics themselves are computed
//! from every score by `liveness eval` and never from this table.

use std::path::Path;

use anyhow::{Context, Result, bail};

use super::charts::probit::probit;

/// Largest linear change of a rate between kept rows (0.05 percentage points).
pub const LINEAR_TOLERANCE: f64 = 0.0005;
/// Largest change on the normal-deviate scale between kept rows (a DET axis spans about 4-6 units).
pub const PROBIT_TOLERANCE: f64 = 0.01;
/// Rates below this are treated as this on the probit scale (they sit on a DET axis edge anyway).
const PROBIT_FLOOR: f64 = 1e-6;

/// The thinned sweep: thresholds decreasing from +inf, rates per row (NaN where undefined).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepTable {
    pub species: Vec<String>,
    pub rows: Vec<SweepRow>,
    /// Rows in the file (before thinning).
    pub total_rows: usize,
}

/// One row of `sweep.csv`, exactly as written.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    pub threshold: f64,
    /// APCER per species, in [`SweepTable::species`] order.
    pub apcer: Vec<f64>,
    pub apcer_max: f64,
    pub apcer_pooled: f64,
    pub bpcer: f64,
}

impl SweepRow {
    /// The value of CSV cell `i` (0 = threshold).
    fn value(&self, i: usize) -> f64 {
        let n = self.apcer.len();
        match i {
            0 => self.threshold,
            i if i <= n => self.apcer[i - 1],
            i if i == n + 1 => self.apcer_max,
            i if i == n + 2 => self.apcer_pooled,
            _ => self.bpcer,
        }
    }

    fn rates(&self) -> impl Iterator<Item = f64> + '_ {
        self.apcer.iter().copied().chain([self.apcer_max, self.apcer_pooled, self.bpcer])
    }

    /// True when some rate differs from `other`'s by more than the linear or probit tolerance.
    fn moved_from(&self, other: &SweepRow) -> bool {
        self.rates().zip(other.rates()).any(|(a, b)| {
            if a.is_nan() || b.is_nan() {
                return a.is_nan() != b.is_nan();
            }
            if (a - b).abs() > LINEAR_TOLERANCE {
                return true;
            }
            // Between 5% and 95% the probit's slope is at most 9.7, so a linear move within tolerance
            // (0.0005) moves less than 0.005 on the probit scale: no need to compute it.
            if (0.05..=0.95).contains(&a) && (0.05..=0.95).contains(&b) {
                return false;
            }
            let z = |r: f64| probit(r.clamp(PROBIT_FLOOR, 1.0 - PROBIT_FLOOR));
            (z(a) - z(b)).abs() > PROBIT_TOLERANCE
        })
    }
}

impl SweepTable {
    /// Reads and thins `sweep.csv` (see the module documentation). The first and last rows are always
    /// kept, so the curves reach both ends.
    pub fn read(path: &Path) -> Result<SweepTable> {
        let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Self::parse(std::io::BufReader::with_capacity(1 << 20, file), &path.display().to_string())
    }

    pub fn parse<R: std::io::Read>(input: R, source: &str) -> Result<SweepTable> {
        let mut reader = csv::Reader::from_reader(input);
        let header: Vec<String> =
            reader.headers().with_context(|| format!("{source}: no header"))?.iter().map(str::to_owned).collect();
        let species = parse_header(&header).with_context(|| format!("{source}: not a sweep.csv header"))?;
        let mut rows: Vec<SweepRow> = Vec::new();
        let mut last: Option<SweepRow> = None;
        let mut total_rows = 0;
        let mut record = csv::ByteRecord::new();
        let mut previous_record = csv::ByteRecord::new();
        while reader.read_byte_record(&mut record).with_context(|| format!("{source}: malformed CSV"))? {
            total_rows += 1;
            // The previous row is the pending one, or the last kept when it was kept.
            let previous = last.as_ref().or(rows.last()).map(|row| (&previous_record, row));
            let row =
                parse_row(&record, species.len(), previous).with_context(|| format!("{source}, row {total_rows}"))?;
            std::mem::swap(&mut record, &mut previous_record);
            match rows.last() {
                Some(kept) if !row.moved_from(kept) => last = Some(row),
                _ => {
                    rows.push(row);
                    last = None;
                }
            }
        }
        rows.extend(last);
        if rows.is_empty() {
            bail!("{source}: no sweep rows");
        }
        Ok(SweepTable { species, rows, total_rows })
    }

    /// The rates at threshold `t` (bona fide iff score >= t): those of the lowest kept threshold >= t,
    /// since no score lies between the two. Exact on an unthinned table, within tolerance otherwise.
    pub fn at(&self, t: f64) -> &SweepRow {
        let above = self.rows.partition_point(|r| r.threshold >= t);
        &self.rows[above.saturating_sub(1)]
    }

    /// Finite thresholds' range (lowest, highest), or `None` when no score was finite.
    pub fn score_range(&self) -> Option<(f64, f64)> {
        let finite = self.rows.iter().map(|r| r.threshold).filter(|t| t.is_finite());
        finite.fold(None, |acc, t| Some(acc.map_or((t, t), |(lo, hi): (f64, f64)| (lo.min(t), hi.max(t)))))
    }
}

fn parse_header(header: &[String]) -> Result<Vec<String>> {
    let n = header.len();
    if n < 4 || header[0] != "threshold" || header[n - 3..] != ["apcer_max", "apcer_pooled", "bpcer"] {
        bail!("expected threshold,apcer[<species>]...,apcer_max,apcer_pooled,bpcer, got {}", header.join(","));
    }
    header[1..n - 3]
        .iter()
        .map(|h| {
            crate::escape::csv_unescape(h)
                .strip_prefix("apcer[")
                .and_then(|s| s.strip_suffix(']'))
                .map(str::to_owned)
                .with_context(|| format!("column {h:?} is not apcer[<species>]"))
        })
        .collect()
}

/// Parses a row; cells identical to the previous row's (most of them: each sweep row moves one class)
/// take the previous value without parsing.
fn parse_row(
    record: &csv::ByteRecord,
    species: usize,
    previous: Option<(&csv::ByteRecord, &SweepRow)>,
) -> Result<SweepRow> {
    if record.len() != species + 4 {
        bail!("{} cells, expected {}", record.len(), species + 4);
    }
    let cell = |i: usize| -> Result<f64> {
        if let Some((_, row)) = previous.filter(|(bytes, _)| bytes.get(i) == record.get(i)) {
            return Ok(row.value(i));
        }
        let text = std::str::from_utf8(&record[i]).context("not UTF-8")?;
        match text {
            "" => Ok(f64::NAN),
            "+inf" => Ok(f64::INFINITY),
            t => t.parse::<f64>().with_context(|| format!("{t:?} is not a number")),
        }
    };
    Ok(SweepRow {
        threshold: cell(0)?,
        apcer: (1..=species).map(cell).collect::<Result<_>>()?,
        apcer_max: cell(species + 1)?,
        apcer_pooled: cell(species + 2)?,
        bpcer: cell(species + 3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_of(rows: usize) -> String {
        let mut s = String::from("threshold,apcer[print],apcer[a,b],apcer_max,apcer_pooled,bpcer\n+inf,0,,0,0,1\n");
        for i in 1..rows {
            let t = 1.0 - i as f64 / rows as f64;
            let a = i as f64 / rows as f64;
            s += &format!("{t},{a},,{a},{a},{}\n", 1.0 - a);
        }
        s.replace("apcer[a,b]", "\"apcer[a,b]\"")
    }

    #[test]
    fn keeps_ends_and_exact_rows_and_thins_within_tolerance() {
        let text = csv_of(100_000);
        let table = SweepTable::parse(text.as_bytes(), "t").unwrap();
        assert_eq!(table.species, ["print", "a,b"]);
        assert_eq!(table.total_rows, 100_000);
        assert!(table.rows.len() < 10_000, "{} rows kept", table.rows.len());
        assert_eq!(table.rows[0].threshold, f64::INFINITY);
        assert!(table.rows[0].apcer[1].is_nan());
        let last = table.rows.last().unwrap();
        assert_eq!(last.threshold, 1.0 - 99_999.0 / 100_000.0);
        // Every kept row is a row of the file, and consecutive kept rows are within tolerance.
        let file: std::collections::HashSet<String> =
            text.lines().skip(2).map(|l| l.split(',').next().unwrap().to_owned()).collect();
        for w in table.rows[1..].windows(2) {
            assert!(file.contains(&w[0].threshold.to_string()));
            assert!((w[1].bpcer - w[0].bpcer).abs() <= LINEAR_TOLERANCE + 1e-5 + 1.0 / 100_000.0);
        }
    }

    #[test]
    fn lookup_by_threshold_and_range() {
        let table = SweepTable::parse(csv_of(10).as_bytes(), "t").unwrap();
        assert_eq!(table.at(0.55).threshold, 0.6);
        assert_eq!(table.at(0.6).threshold, 0.6);
        assert_eq!(table.at(5.0).threshold, f64::INFINITY);
        assert_eq!(table.at(-1.0).threshold, 0.09999999999999998);
        assert_eq!(table.score_range(), Some((0.09999999999999998, 0.9)));
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        assert!(SweepTable::parse("a,b\n1,2\n".as_bytes(), "t").is_err());
        assert!(SweepTable::parse("threshold,apcer_max,apcer_pooled,bpcer\n".as_bytes(), "t").is_err());
        assert!(SweepTable::parse("threshold,apcer_max,apcer_pooled,bpcer\nx,0,0,1\n".as_bytes(), "t").is_err());
        assert!(SweepTable::parse("threshold,apcer_max,apcer_pooled,bpcer\n1,0,0\n".as_bytes(), "t").is_err());
    }
}
