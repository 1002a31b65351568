//! Parquet score files: read as [`Rows`] of text cells, so that the reader's layout rules (formats,
//! mappings, non-responses, metadata) apply to them exactly as to CSV, and written from a run's
//! `scores.csv` with typed columns ([`write_from_csv`]).
//!
//! Types: floating-point cells are given to the reader as Rust's shortest round-trip text, which parses
//! back to the very same f64 (so metrics from a Parquet file equal those from the CSV bit for bit); other
//! columns (strings, dictionaries, integers, booleans) are cast to text by Arrow. A score column must be
//! numeric: a string score column is refused rather than parsed cell by cell ([`Rows::require_numeric`]).
//! A null is an empty cell (a non-response, as in CSV). A row's "line" in messages is its 1-based row
//! number.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use arrow_array::builder::{Float64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::{ReadOptions, layout_of};
use crate::schema::ScoreColumns;
use crate::schema::columns::{CALIBRATED, MODEL_SCORE_SUFFIX, QUALITY_PREFIX, SCORE};

/// The first (and last) four bytes of every Parquet file.
const MAGIC: &[u8; 4] = b"PAR1";
/// Rows decoded at a time: memory stays flat in the file's length.
const BATCH: usize = 64 * 1024;

/// True when `path` is a Parquet file: it starts with the Parquet magic, or is named `*.parquet` (so that
/// a truncated or corrupt one is reported as such, not read as CSV).
pub fn is_parquet(path: &Path) -> bool {
    use std::io::Read;
    let named = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let mut start = [0u8; 4];
    let magic = File::open(path).and_then(|mut f| f.read_exact(&mut start)).is_ok() && &start == MAGIC;
    named || magic
}

/// A Parquet file's rows, one batch decoded at a time.
pub struct Rows {
    reader: ParquetRecordBatchReader,
    header: Vec<String>,
    types: Vec<DataType>,
    /// The current batch, each column as text cells or f64s.
    batch: Vec<Cells>,
    at: usize,
    len: usize,
    row: u64,
}

enum Cells {
    Float(arrow_array::Float64Array),
    Text(arrow_array::StringArray),
}

impl Rows {
    /// Opens a Parquet file; a corrupt, truncated or non-Parquet file is an error saying so.
    pub fn open(path: &Path) -> Result<Rows> {
        let file = File::open(path).with_context(|| format!("cannot open score file {}", path.display()))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .context("not a readable Parquet file (truncated or corrupt?)")?
            .with_batch_size(BATCH);
        let schema = builder.schema().clone();
        let header = schema.fields().iter().map(|f| f.name().clone()).collect();
        let types = schema.fields().iter().map(|f| f.data_type().clone()).collect();
        let reader = builder.build().context("not a readable Parquet file")?;
        Ok(Rows { reader, header, types, batch: Vec::new(), at: 0, len: 0, row: 0 })
    }

    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// Refuses a score column that is not numeric: a Parquet file types its columns, and a string score
    /// column means the file was written from text that was never checked.
    pub fn require_numeric(&self, column: Option<usize>) -> Result<()> {
        let Some(i) = column else { return Ok(()) };
        let t = &self.types[i];
        if !t.is_numeric() {
            bail!(
                "the score column {:?} has type {t}, not a number: write the scores as floating-point \
                 (e.g. pandas `df[{:?}].astype(float)`, empty or null for a non-response)",
                self.header[i],
                self.header[i]
            );
        }
        Ok(())
    }

    /// Reads the next row into `record`; returns its row number, `None` at the end.
    pub fn next(&mut self, record: &mut csv::StringRecord) -> Result<Option<u64>> {
        while self.at == self.len {
            let Some(batch) = self.reader.next() else { return Ok(None) };
            let batch = batch.context("corrupt Parquet data")?;
            self.batch = batch.columns().iter().zip(&self.header).map(|(c, n)| cells(c, n)).collect::<Result<_>>()?;
            (self.at, self.len) = (0, batch.num_rows());
        }
        record.clear();
        let mut text = String::new();
        for column in &self.batch {
            record.push_field(column.cell(self.at, &mut text));
        }
        self.at += 1;
        self.row += 1;
        Ok(Some(self.row))
    }
}

/// A column as f64s (floating-point columns) or text (anything Arrow can cast to a string).
fn cells(column: &ArrayRef, name: &str) -> Result<Cells> {
    let cast = |to: &DataType| {
        arrow_cast::cast(column, to)
            .with_context(|| format!("column {name:?} of type {} cannot be read", column.data_type()))
    };
    Ok(match column.data_type() {
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            Cells::Float(cast(&DataType::Float64)?.as_primitive::<Float64Type>().clone())
        }
        _ => Cells::Text(cast(&DataType::Utf8)?.as_string::<i32>().clone()),
    })
}

/// The number of rows of a Parquet file (from its footer); `None` when it cannot be read.
pub fn count_rows(path: &Path) -> Option<u64> {
    let file = File::open(path).ok()?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).ok()?;
    u64::try_from(builder.metadata().file_metadata().num_rows()).ok()
}

/// Columns written as f64: the scores (`score`, `<model>_score`, the calibrated probability) and the
/// quality measures, when every cell is empty or a number.
fn is_numeric_column(name: &str) -> bool {
    name == SCORE || name == CALIBRATED || name.ends_with(MODEL_SCORE_SUFFIX) || name.starts_with(QUALITY_PREFIX)
}

/// Writes the delimited score file `csv_path` (comma, tab, `;` or `|`) as Parquet into `out` (the run
/// folder's writer makes that atomic: `crate::run::parquet_from_csv`), with
/// the same columns in the same order: scores and quality measures as nullable f64, the rest as strings
/// (Parquet dictionary-encodes them: labels and species take a few bytes a row group). Cells are written
/// as the text they stand for (undone from [`crate::escape::csv`]), as a Parquet reader expects.
pub fn write_from_csv(csv_path: &Path, out: impl std::io::Write + Send) -> Result<u64> {
    let mut start = Vec::new();
    File::open(csv_path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 4096), &mut start))
        .with_context(|| format!("cannot read {}", csv_path.display()))?;
    if start.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        bail!("{}: JSON Lines are not converted to Parquet (only delimited text is)", csv_path.display());
    }
    let delimiter = super::delimiter::sniff_delimiter(&start);
    let open = || {
        csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_path(csv_path)
            .with_context(|| format!("cannot read {}", csv_path.display()))
    };
    let header: Vec<String> = open()?.headers()?.iter().map(|h| crate::escape::csv_unescape(h).to_owned()).collect();
    // First pass: which candidate columns hold only numbers.
    let mut numeric: Vec<bool> = header.iter().map(|n| is_numeric_column(n)).collect();
    for record in open()?.records() {
        let record = record.with_context(|| format!("{}: malformed CSV", csv_path.display()))?;
        for (i, cell) in record.iter().enumerate() {
            if numeric.get(i) == Some(&true) && !cell.is_empty() && cell.parse::<f64>().is_err() {
                numeric[i] = false;
            }
        }
    }
    let fields: Vec<Field> = header
        .iter()
        .zip(&numeric)
        .map(|(n, &f)| Field::new(n, if f { DataType::Float64 } else { DataType::Utf8 }, true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let mut writer = ArrowWriter::try_new(out, schema.clone(), Some(props))?;
    let mut rows = 0u64;
    let mut records = open()?.into_records().peekable();
    while records.peek().is_some() {
        let chunk: Vec<csv::StringRecord> = records.by_ref().take(BATCH).collect::<Result<_, _>>()?;
        let columns: Vec<ArrayRef> = numeric
            .iter()
            .enumerate()
            .map(|(i, &f)| -> ArrayRef {
                let cells = chunk.iter().map(|r| r.get(i).unwrap_or(""));
                if f {
                    let mut b = Float64Builder::with_capacity(chunk.len());
                    cells.for_each(|c| b.append_option(c.parse::<f64>().ok()));
                    Arc::new(b.finish())
                } else {
                    let mut b = StringBuilder::new();
                    cells.for_each(|c| b.append_value(crate::escape::csv_unescape(c)));
                    Arc::new(b.finish())
                }
            })
            .collect();
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
        rows += chunk.len() as u64;
    }
    writer.close()?;
    Ok(rows)
}

/// Writes the Parquet score file `parquet` back as CSV at `csv` (text cells through
/// [`crate::escape::csv`], as the run's own writer does): what a resumed or merged Parquet-only run
/// appends to and interleaves.
pub fn write_csv(parquet: &Path, csv_path: &Path) -> Result<u64> {
    let mut rows = Rows::open(parquet).with_context(|| format!("{}: cannot read", parquet.display()))?;
    let text: Vec<bool> = rows.types.iter().map(|t| !t.is_floating()).collect();
    let write = |rows: &mut Rows| -> Result<u64> {
        let mut out = csv::Writer::from_path(csv_path)?;
        out.write_record(rows.header().iter().map(|h| crate::escape::csv(h).into_owned()))?;
        let mut record = csv::StringRecord::new();
        let mut n = 0;
        while rows.next(&mut record).with_context(|| format!("{}: cannot read", parquet.display()))?.is_some() {
            let cells = record.iter().zip(&text);
            out.write_record(cells.map(|(c, &t)| if t { crate::escape::csv(c).into_owned() } else { c.to_owned() }))?;
            n += 1;
        }
        out.flush()?;
        Ok(n)
    };
    write(&mut rows).with_context(|| format!("cannot write {}", csv_path.display()))
}

impl Cells {
    fn len(&self) -> usize {
        match self {
            Cells::Float(a) => a.len(),
            Cells::Text(a) => a.len(),
        }
    }

    /// The text of row `r` (`text` holds a number's): Rust's shortest round-trip text of a float, a
    /// string trimmed, empty for a null.
    fn cell<'a>(&'a self, r: usize, text: &'a mut String) -> &'a str {
        match self {
            Cells::Float(a) if a.is_valid(r) => {
                use std::fmt::Write;
                text.clear();
                write!(text, "{}", a.value(r)).expect("writing to a String");
                text
            }
            Cells::Text(a) if a.is_valid(r) => a.value(r).trim(),
            _ => "",
        }
    }
}

/// A Parquet file read straight into columns ([`super::columnar`]): a floating-point score column's f64s
/// as stored, never through text; other cells as [`Rows`] gives them. The rows of each batch are read in
/// parallel, by the row rules of every score file; an error names the row. Ids are not checked here.
pub(super) fn read_columns(path: &Path, options: &ReadOptions) -> Result<(ScoreColumns, Option<String>)> {
    use rayon::prelude::*;
    options.mapping.validate()?;
    let source = path.display().to_string();
    let mut rows = Rows::open(path).with_context(|| format!("{source}: cannot read"))?;
    let layout = layout_of(&rows.header, &source, options)?;
    rows.require_numeric(layout.score).with_context(|| format!("{source}: unusable column"))?;
    let meta: Vec<String> = layout.meta.iter().map(|(n, _)| n.clone()).collect();
    let mut columns = ScoreColumns::new(&meta);
    let mut before = 0u64;
    let malformed = || format!("{source}: malformed input");
    for batch in rows.reader.by_ref() {
        let batch = batch.context("corrupt Parquet data").with_context(malformed)?;
        let batch: Vec<Cells> = batch
            .columns()
            .iter()
            .zip(&rows.header)
            .map(|(c, n)| cells(c, n))
            .collect::<Result<_>>()
            .with_context(malformed)?;
        let len = batch.first().map_or(0, Cells::len);
        let size = len.div_ceil(rayon::current_num_threads() * 4).max(1);
        let starts: Vec<usize> = (0..len).step_by(size).collect();
        let parts: Vec<Result<ScoreColumns>> = starts
            .into_par_iter()
            .map(|start| {
                let mut part = ScoreColumns::new(&meta);
                let mut texts = vec![String::new(); batch.len()];
                for r in start..(start + size).min(len) {
                    let typed = match layout.score.map(|i| &batch[i]) {
                        Some(Cells::Float(a)) => Some(a.is_valid(r).then(|| a.value(r))),
                        _ => None,
                    };
                    let fields: Vec<&str> = batch
                        .iter()
                        .zip(texts.iter_mut())
                        .enumerate()
                        .map(|(j, (c, t))| if typed.is_some() && layout.score == Some(j) { "" } else { c.cell(r, t) })
                        .collect();
                    let row = super::Row {
                        layout: &layout,
                        cells: super::Cells::Fields(&fields),
                        flip: options.flip,
                        escaped: false,
                        typed_score: typed,
                    };
                    row.push_to(&mut part).with_context(|| format!("{source}, line {}", before + r as u64 + 1))?;
                }
                Ok(part)
            })
            .collect();
        for part in parts {
            columns.append(part?);
        }
        before += len as u64;
    }
    Ok((columns, layout.used))
}
