//! A score file as a header and records of text cells, whatever its syntax: delimited text (comma, tab,
//! semicolon or pipe, told from the header line) or JSON Lines (one object per line, told from a first
//! `{`). The layout rules of the reader then apply to both alike.
//!
//! JSON Lines columns are the first object's top-level keys (sorted), plus any JSON pointer (`/a/b`) the user
//! mapped; a cell is the value's text (numbers as written by serde_json, which round-trips them), empty
//! for `null` or an absent key.

use std::io::{BufRead, BufReader, Read};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::delimiter::sniff_delimiter;

/// Records of one file, read one at a time into a reused [`csv::StringRecord`].
pub enum Table<R: Read> {
    Delimited(csv::Reader<BufReader<R>>),
    JsonLines {
        lines: std::io::Lines<BufReader<R>>,
        header: Vec<String>,
        first: Option<Value>,
        line: u64,
    },
    /// A Parquet file ([`super::parquet`]), opened by path rather than from a stream.
    Parquet(Box<super::parquet::Rows>),
}

impl<R: Read> Table<R> {
    /// Opens `input`; `pointers` are JSON pointers to add to a JSON Lines header.
    pub fn open(input: R, pointers: &[&str]) -> Result<Table<R>> {
        let mut input = BufReader::with_capacity(1 << 20, input);
        let start = input.fill_buf().context("cannot read")?;
        let first_char = start.iter().find(|b| !b.is_ascii_whitespace()).copied();
        if first_char == Some(b'{') {
            return Table::json_lines(input, pointers);
        }
        let delimiter = sniff_delimiter(start);
        let reader = csv::ReaderBuilder::new().delimiter(delimiter).trim(csv::Trim::All).from_reader(input);
        Ok(Table::Delimited(reader))
    }

    fn json_lines(input: BufReader<R>, pointers: &[&str]) -> Result<Table<R>> {
        let mut lines = input.lines();
        let mut line = 0;
        let first = loop {
            line += 1;
            let Some(text) = lines.next() else { bail!("no JSON object in the file") };
            let text = text.context("cannot read")?;
            if !text.trim().is_empty() {
                break parse_object(&text).with_context(|| format!("line {line}"))?;
            }
        };
        let mut header: Vec<String> = first.as_object().into_iter().flatten().map(|(k, _)| k.clone()).collect();
        header.extend(pointers.iter().filter(|p| p.starts_with('/')).map(|p| (*p).to_owned()));
        Ok(Table::JsonLines { lines, header, first: Some(first), line: line - 1 })
    }

    /// The column names.
    pub fn header(&mut self) -> Result<Vec<String>> {
        match self {
            Table::Delimited(r) => {
                let header = r.headers().context("cannot read the CSV header")?;
                Ok(header.iter().map(|h| crate::escape::csv_unescape(h).to_owned()).collect())
            }
            Table::JsonLines { header, .. } => Ok(header.clone()),
            Table::Parquet(rows) => Ok(rows.header().to_vec()),
        }
    }

    /// Delimited cells are written through [`crate::escape::csv`], so their text cells are read through
    /// [`crate::escape::csv_unescape`] ([`Table::header`] does so itself); JSON cells are taken as they are.
    pub fn escaped(&self) -> bool {
        matches!(self, Table::Delimited(_))
    }

    /// Reads the next record into `record`; returns its line number, `None` at the end.
    pub fn next(&mut self, record: &mut csv::StringRecord) -> Result<Option<u64>> {
        match self {
            Table::Parquet(rows) => rows.next(record),
            Table::Delimited(r) => {
                if !r.read_record(record).context("malformed CSV")? {
                    return Ok(None);
                }
                Ok(Some(record.position().map_or(0, csv::Position::line)))
            }
            Table::JsonLines { lines, header, first, line } => {
                let object = match first.take() {
                    Some(v) => {
                        *line += 1;
                        v
                    }
                    None => loop {
                        *line += 1;
                        let Some(text) = lines.next() else { return Ok(None) };
                        let text = text.context("cannot read")?;
                        if !text.trim().is_empty() {
                            break parse_object(&text).with_context(|| format!("line {line}"))?;
                        }
                    },
                };
                record.clear();
                for name in header.iter() {
                    let value = if name.starts_with('/') { object.pointer(name) } else { object.get(name) };
                    record.push_field(&cell(value));
                }
                Ok(Some(*line))
            }
        }
    }
}

fn parse_object(text: &str) -> Result<Value> {
    let v: Value = serde_json::from_str(text).context("not a JSON object")?;
    if !v.is_object() {
        bail!("not a JSON object: {}", text.chars().take(40).collect::<String>());
    }
    Ok(v)
}

fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, pointers: &[&str]) -> (Vec<String>, Vec<(u64, Vec<String>)>) {
        let mut t = Table::open(text.as_bytes(), pointers).unwrap();
        let header = t.header().unwrap();
        let mut record = csv::StringRecord::new();
        let mut out = Vec::new();
        while let Some(line) = t.next(&mut record).unwrap() {
            out.push((line, record.iter().map(str::to_owned).collect()));
        }
        (header, out)
    }

    #[test]
    fn delimiters_are_told_from_the_header() {
        assert_eq!(sniff_delimiter(b"a\tb\tc\n1,2\t3"), b'\t');
        assert_eq!(sniff_delimiter(b"a;b;\"c;d,e\"\n"), b';');
        assert_eq!(sniff_delimiter(b"a|b\n"), b'|');
        assert_eq!(sniff_delimiter(b"score\n"), b',');
        let (header, data) = rows("id;score\nx; 0.5\n", &[]);
        assert_eq!((header, data), (vec!["id".into(), "score".into()], vec![(2, vec!["x".into(), "0.5".into()])]));
    }

    #[test]
    fn json_lines_cells_by_key_and_pointer() {
        let text =
            "{\"id\":\"a\",\"out\":{\"p\":0.25},\"ok\":true,\"n\":null}\n\n{\"id\":\"b\",\"out\":{\"p\":1e-3}}\n";
        let (header, data) = rows(text, &["/out/p", "id"]);
        // Keys in sorted order (serde_json's map), then the pointers.
        assert_eq!(header, ["id", "n", "ok", "out", "/out/p"]);
        assert_eq!(data[0], (1, vec!["a".into(), String::new(), "true".into(), "{\"p\":0.25}".into(), "0.25".into()]));
        assert_eq!(
            data[1],
            (3, vec!["b".into(), String::new(), String::new(), "{\"p\":0.001}".into(), "0.001".into()])
        );
        let mut t = Table::open("{\"id\":1}\n[1]\n".as_bytes(), &[]).unwrap();
        let mut r = csv::StringRecord::new();
        t.next(&mut r).unwrap();
        let e = format!("{:#}", t.next(&mut r).unwrap_err());
        assert!(e.contains("line 2") && e.contains("not a JSON object"), "{e}");
    }
}
