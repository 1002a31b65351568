//! Reading a manifest file, CSV or JSON Lines, into one shape: named columns and rows of strings.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{Issue, IssueKind};

/// A manifest's content. Unreadable lines stay in place as issues, so problems are reported in file order.
#[derive(Debug)]
pub struct Table {
    /// Names trimmed and lower-cased: `Path` and `path ` are the same column.
    pub columns: Vec<String>,
    pub rows: Vec<Result<Row, Issue>>,
}

/// One data line, its values in column order (`""` where a JSON line has no such key).
#[derive(Debug)]
pub struct Row {
    /// Line number in the file (1-based), for messages.
    pub line: u64,
    pub values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// Reads `path`; `name` is how messages locate it (`name:line`).
pub fn read(path: &Path, format: Format, name: &str) -> Result<Table> {
    let table = match format {
        Format::Csv => read_csv(path, name),
        Format::JsonLines => read_json_lines(path, name),
    }?;
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = table.columns.iter().find(|c| !seen.insert(c.as_str())) {
        bail!("`{name}` has column `{twice}` twice (names are compared case-insensitively); rename one");
    }
    Ok(table)
}

fn column_name(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// CSV is read as bytes so that one badly encoded line is an issue on that line rather than the end of
/// the whole read.
fn read_csv(path: &Path, name: &str) -> Result<Table> {
    let bytes = std::fs::read(path).with_context(|| format!("reading `{}`", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes.as_slice());
    let mut columns = Vec::new();
    for field in reader.byte_headers().with_context(|| format!("reading the header of `{name}`"))? {
        let Ok(text) = std::str::from_utf8(field) else {
            bail!(
                "`{name}`:1: column name `{}` is not valid UTF-8; save the manifest as UTF-8",
                String::from_utf8_lossy(field)
            );
        };
        columns.push(column_name(text));
    }
    let mut rows = Vec::new();
    let mut lines = LineCounter::default();
    for record in reader.byte_records() {
        let record = record.with_context(|| format!("reading `{name}`"))?;
        let line = lines.line_at(&bytes, record.position().map_or(0, |p| p.byte()));
        rows.push(csv_row(&record, line, &columns, name));
    }
    Ok(Table { columns, rows })
}

/// Physical line numbers from record offsets. The csv crate's own line count leaves out blank lines, and
/// its record offset is where the skipped blank lines begin; a message must point at the line an editor
/// shows.
struct LineCounter {
    offset: usize,
    line: u64,
}

impl Default for LineCounter {
    fn default() -> LineCounter {
        LineCounter { offset: 0, line: 1 }
    }
}

impl LineCounter {
    /// The line of the record found at byte `offset`; offsets must not decrease between calls.
    fn line_at(&mut self, bytes: &[u8], offset: u64) -> u64 {
        let mut offset = usize::try_from(offset).unwrap_or(usize::MAX).clamp(self.offset, bytes.len());
        while bytes.get(offset).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            offset += 1;
        }
        self.line += bytes[self.offset..offset].iter().filter(|&&b| b == b'\n').count() as u64;
        self.offset = offset;
        self.line
    }
}

fn csv_row(record: &csv::ByteRecord, line: u64, columns: &[String], name: &str) -> Result<Row, Issue> {
    let at = format!("{name}:{line}");
    if record.len() != columns.len() {
        let message = format!(
            "{} field(s) where the header has {}; row skipped: fix its commas or quoting",
            record.len(),
            columns.len()
        );
        return Err(Issue::error(IssueKind::BadValue, at, message));
    }
    let mut values = Vec::with_capacity(columns.len());
    for (field, column) in record.iter().zip(columns) {
        let Ok(text) = std::str::from_utf8(field) else {
            let message = format!(
                "column `{column}` is not valid UTF-8 (`{}`); row skipped: save the manifest as UTF-8",
                String::from_utf8_lossy(field)
            );
            return Err(Issue::error(IssueKind::NonUtf8, at, message));
        };
        values.push(text.to_owned());
    }
    Ok(Row { line, values })
}

fn read_json_lines(path: &Path, name: &str) -> Result<Table> {
    let bytes = std::fs::read(path).with_context(|| format!("reading `{}`", path.display()))?;
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    for line in text_lines(&bytes, name) {
        let object = line.and_then(|(line, text)| {
            let fields = json_object(text, &format!("{name}:{line}"))?;
            for (key, _) in &fields {
                if !columns.contains(key) {
                    columns.push(key.clone());
                }
            }
            Ok((line, fields))
        });
        objects.push(object);
    }
    let rows = objects
        .into_iter()
        .map(|object| {
            object.map(|(line, fields)| {
                let value = |column: &String| {
                    fields.iter().find(|(k, _)| k == column).map_or(String::new(), |(_, v)| v.clone())
                };
                Row { line, values: columns.iter().map(value).collect() }
            })
        })
        .collect();
    Ok(Table { columns, rows })
}

/// The non-blank lines of a line-oriented file (`name` locates it in messages), trimmed, with their
/// 1-based numbers; a line that is not UTF-8 is an issue in its place.
pub fn text_lines<'a>(bytes: &'a [u8], name: &'a str) -> impl Iterator<Item = Result<(u64, &'a str), Issue>> + 'a {
    let numbered = (1u64..).zip(bytes.split(|&b| b == b'\n'));
    numbered.filter(|(_, raw)| !raw.iter().all(u8::is_ascii_whitespace)).map(move |(line, raw)| {
        std::str::from_utf8(raw).map(|text| (line, text.trim())).map_err(|_| {
            let shown = String::from_utf8_lossy(raw);
            let message = format!("line is not valid UTF-8 (`{}`); skipped: save the file as UTF-8", shown.trim());
            Issue::error(IssueKind::NonUtf8, format!("{name}:{line}"), message)
        })
    })
}

/// One JSON line as `(column, value)` pairs. Numbers and booleans become their JSON text, `null` empty:
/// a manifest written by a script should not fail over `"session": 1`.
fn json_object(text: &str, at: &str) -> Result<Vec<(String, String)>, Issue> {
    let Value::Object(map) = serde_json::from_str(text)
        .map_err(|e| Issue::error(IssueKind::BadValue, at, format!("not valid JSON ({e}); line skipped")))?
    else {
        return Err(Issue::error(IssueKind::BadValue, at, "not a JSON object (`{...}`); line skipped"));
    };
    let text = |value: Value| match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    Ok(map.into_iter().map(|(k, v)| (column_name(&k), text(v))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(content: &[u8], file: &str) -> Result<Table> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(file);
        std::fs::write(&path, content).unwrap();
        read(&path, Format::of(&path).unwrap(), file)
    }

    fn values(table: &Table) -> Vec<(u64, Vec<&str>)> {
        table.rows.iter().flatten().map(|r| (r.line, r.values.iter().map(String::as_str).collect())).collect()
    }

    #[test]
    fn csv_trims_lowercases_and_numbers_lines() {
        let content =
            b"\xef\xbb\xbfPath , Label,attack_type\r\n a.jpg ,live,\r\n\r\n\n\"b,\nc.jpg\",spoof,print\nd.jpg,live,\n";
        let t = table(content, "m.csv").unwrap();
        assert_eq!(t.columns, ["path", "label", "attack_type"]);
        assert_eq!(
            values(&t),
            [(2, vec!["a.jpg", "live", ""]), (5, vec!["b,\nc.jpg", "spoof", "print"]), (7, vec!["d.jpg", "live", ""])]
        );
    }

    #[test]
    fn csv_bad_lines_become_issues_in_place() {
        let t = table(b"path,label,attack_type\na.jpg,live\nb\xff.jpg,live,\nc.jpg,live,\n", "m.csv").unwrap();
        let issues: Vec<_> =
            t.rows.iter().filter_map(|r| r.as_ref().err()).map(|i| (i.kind, i.location.as_str())).collect();
        assert_eq!(issues, [(IssueKind::BadValue, "m.csv:2"), (IssueKind::NonUtf8, "m.csv:3")]);
        assert!(t.rows[1].as_ref().unwrap_err().message.contains("column `path` is not valid UTF-8 (`b\u{fffd}.jpg`)"));
        assert_eq!(values(&t), [(4, vec!["c.jpg", "live", ""])]);
    }

    #[test]
    fn csv_header_problems_are_errors() {
        assert!(table(b"path,Path,label\n", "m.csv").unwrap_err().to_string().contains("column `path` twice"));
        assert!(table(b"pa\xffth,label\n", "m.csv").unwrap_err().to_string().contains("not valid UTF-8"));
    }

    #[test]
    fn json_lines_union_columns_and_convert_scalars() {
        let content = b"{\"path\":\"a.jpg\",\"label\":\"live\",\"session\":1}\r\n\n{\"Path\":\"b.jpg\",\"label\":\"spoof\",\"attack_type\":null,\"ok\":true}\n";
        let t = table(content, "m.jsonl").unwrap();
        // Keys come in name order within an object (serde_json's map), new ones appended.
        assert_eq!(t.columns, ["label", "path", "session", "attack_type", "ok"]);
        assert_eq!(values(&t), [(1, vec!["live", "a.jpg", "1", "", ""]), (3, vec!["spoof", "b.jpg", "", "", "true"])]);
    }

    #[test]
    fn json_lines_bad_lines_become_issues() {
        let t = table(b"{\"path\":\"a.jpg\"}\n[1]\n{oops\n\xff\n", "m.jsonl").unwrap();
        let issues: Vec<_> =
            t.rows.iter().filter_map(|r| r.as_ref().err()).map(|i| (i.kind, i.location.clone())).collect();
        assert_eq!(
            issues,
            [
                (IssueKind::BadValue, "m.jsonl:2".into()),
                (IssueKind::BadValue, "m.jsonl:3".into()),
                (IssueKind::NonUtf8, "m.jsonl:4".into())
            ]
        );
    }
}
