//! Score files read into typed columns ([`ScoreColumns`]) instead of one record and metadata map per
//! row (issue 11: 10 million rows in seconds, memory flat in the unused metadata).
//!
//! Delimited text is read in blocks; each block is cut at newlines into pieces parsed in parallel (rayon)
//! by the same row rules as the streaming reader ([`super::Row`]), then appended in order, so values are
//! numbered as a sequential read numbers them and an error names the same line. The fast split handles
//! what the plainest exports hold: no quotes, `\n` or `\r\n` line ends, blank lines skipped. Anything
//! else (a quote anywhere, a lone `\r`, a row of another width, bytes that are not UTF-8) and JSON Lines
//! are read by the streaming reader, whose rules and messages are the reference, then put into columns.
//! A duplicate id is refused by the streaming reader too, so that the message names both lines.

use std::fs::File;
use std::hash::BuildHasher;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use rayon::prelude::*;

use super::{Cells, Layout, ReadOptions, Row, layout_of, parquet};
use crate::schema::{Presentations, ScoreColumns};

/// Bytes read at a time: the file is never held whole.
const BLOCK: usize = 32 << 20;
/// Pieces a block is cut into per thread (so that a slow piece does not leave a core idle).
const PIECES_PER_THREAD: usize = 4;

/// Reads the score file at `path` into columns; for a mapped file, also the columns it used. Vendor
/// decisions (`--decision-column`) are not held in columns: read those as records.
pub fn read_columns(path: &Path, options: &ReadOptions) -> Result<(ScoreColumns, Option<String>)> {
    let source = path.display().to_string();
    ensure!(options.mapping.decision.is_none(), "{source}: vendor decisions are read as records, not columns");
    if options.mapping.pyeer_impostors.is_none() {
        if parquet::is_parquet(path) {
            let read = parquet::read_columns(path, options)?;
            if !has_duplicate_ids(&read.0) {
                return Ok(read); // else the streaming reader refuses it, naming both rows
            }
        } else {
            let file = File::open(path).with_context(|| format!("cannot open score file {source}"))?;
            let size = file.metadata().ok().map(|m| m.len());
            if let Fast::Read(columns, used) = parse(file, size, &source, options, BLOCK)? {
                return Ok((*columns, used));
            }
        }
    }
    let (records, used) = super::read_described(path, options.clone())?;
    Ok((ScoreColumns::from_records(&records), used))
}

/// [`read_columns`] of text (`source` names it in messages), in blocks of `block` bytes.
#[cfg(test)]
pub fn parse_columns(
    input: impl Read,
    source: &str,
    options: &ReadOptions,
    block: usize,
) -> Result<(ScoreColumns, Option<String>)> {
    let mut text = Vec::new();
    let mut input = input;
    input.read_to_end(&mut text).with_context(|| format!("{source}: cannot read"))?;
    match parse(&text[..], Some(text.len() as u64), source, options, block)? {
        Fast::Read(columns, used) => Ok((*columns, used)),
        Fast::Streaming => {
            let (records, used) = super::parse_described(&text[..], source, options.clone())?;
            Ok((ScoreColumns::from_records(&records), used))
        }
    }
}

/// What the fast reader made of a file.
enum Fast {
    Read(Box<ScoreColumns>, Option<String>),
    /// Not for the fast split: read it with the streaming reader.
    Streaming,
}

/// Where a record is, in the CSV reader's line numbers: a record's "line" there is where the reader stood
/// when the record before it ended, the line after it, or the same line when that record ended with
/// `\r\n` (its `\r` ends it, the `\n` is counted with the next). So blank lines between two records are
/// passed over, and a file of `\r\n` line ends numbers each row by the line before it.
#[derive(Clone, Copy)]
struct Last {
    /// The physical line (1-based) of the last record, counted from where the numbering starts.
    line: u64,
    crlf: bool,
}

impl Last {
    /// The line the CSV reader gives the record after this one.
    fn next(self) -> u64 {
        self.line + u64::from(!self.crlf)
    }
}

/// A piece's outcome: its rows, how many physical lines it holds and its last record (lines counted
/// from the piece's start), or why it failed.
enum Piece {
    Rows(Box<ScoreColumns>, u64, Option<Last>),
    /// A row refused by the row rules, after this record of the piece (`None`: the piece's first).
    Refused(Option<Last>, anyhow::Error),
    Streaming,
}

/// A delimited file read in blocks of whole lines, past a header the fast split reads as the streaming
/// reader does.
struct Blocks<R> {
    input: R,
    buffer: Vec<u8>,
    /// Bytes of `buffer` handed out as the last block.
    used: usize,
    eof: bool,
    block: usize,
    header: Vec<String>,
    delimiter: u8,
    /// The header line, as the record before the first row.
    last: Last,
}

impl<R: Read> Blocks<R> {
    /// Opens `input` past its header line; `None` when the file is not for the fast split (JSON Lines,
    /// no header line, a header with quotes or a byte order mark).
    fn open(mut input: R, source: &str, block: usize) -> Result<Option<Blocks<R>>> {
        let mut buffer = Vec::with_capacity(block.min(BLOCK) + 4096);
        let eof = fill(&mut input, &mut buffer, block, source)?;
        let start = buffer.iter().position(|b| !b.is_ascii_whitespace());
        if start.is_none_or(|i| buffer[i] == b'{') {
            return Ok(None); // JSON Lines, or nothing: the streaming reader says what it is
        }
        // The header line: read by the streaming reader (quotes, a byte order mark and all), then checked
        // to be what the fast split makes of it.
        let Some(header_end) = buffer.iter().position(|b| *b == b'\n') else { return Ok(None) };
        let header = super::table::Table::open(&buffer[..=header_end], &[])
            .and_then(|mut t| t.header())
            .with_context(|| format!("{source}: cannot read the header"))?;
        let delimiter = super::delimiter::sniff_delimiter(&buffer);
        let line = std::str::from_utf8(&buffer[..=header_end]).ok();
        let split = line.map(trimmed_line).and_then(|line| {
            let cells = fields(line, delimiter)?.map(|c| crate::escape::csv_unescape(c).to_owned());
            Some(cells.collect::<Vec<String>>())
        });
        if split.as_ref() != Some(&header) {
            return Ok(None);
        }
        let last = Last { line: 1, crlf: line.is_some_and(|l| l.ends_with("\r\n")) };
        Ok(Some(Blocks { input, buffer, used: header_end + 1, eof, block, header, delimiter, last }))
    }

    /// The next block of whole lines (`Err` inside when it is not UTF-8), `None` at the end; call
    /// [`Blocks::lines`] with the lines it spans before asking for the next.
    fn next(&mut self, source: &str) -> Result<Option<Result<&str, ()>>> {
        self.buffer.drain(..self.used);
        self.used = 0;
        if self.buffer.is_empty() && self.eof {
            return Ok(None);
        }
        if !self.eof && !self.buffer.contains(&b'\n') {
            self.eof = fill(&mut self.input, &mut self.buffer, self.block, source)?;
        }
        self.used = match self.eof {
            true => self.buffer.len(),
            false => self.buffer.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1),
        };
        let text = std::str::from_utf8(&self.buffer[..self.used]).map_err(|_| ());
        Ok(Some(text))
    }
}

/// The fast read of `input`, of `size` bytes when known (to reserve the columns once).
fn parse(input: impl Read, size: Option<u64>, source: &str, options: &ReadOptions, block: usize) -> Result<Fast> {
    options.mapping.validate()?;
    let Some(mut blocks) = Blocks::open(input, source, block)? else { return Ok(Fast::Streaming) };
    let layout = layout_of(&blocks.header, source, options)?;
    let meta: Vec<String> = layout.meta.iter().map(|(n, _)| n.clone()).collect();
    let mut columns = ScoreColumns::new(&meta);
    let (width, delimiter) = (blocks.header.len(), blocks.delimiter);
    let mut last = blocks.last;
    // Physical lines before the block's first.
    let mut before = 1u64;
    let mut read = 0u64;
    while let Some(text) = blocks.next(source)? {
        let Ok(text) = text else { return Ok(Fast::Streaming) };
        let pieces = pieces(text, rayon::current_num_threads() * PIECES_PER_THREAD);
        let parsed: Vec<Piece> =
            pieces.par_iter().map(|piece| parse_piece(piece, &layout, width, delimiter, options)).collect();
        if read == 0
            && let Some(size) = size
        {
            // The rest of the file is like its first block, give or take 2%.
            let rows: usize = parsed.iter().map(|p| if let Piece::Rows(r, ..) = p { r.count() } else { 0 }).sum();
            let ids: usize = parsed.iter().map(|p| if let Piece::Rows(r, ..) = p { r.id_bytes() } else { 0 }).sum();
            let scale = size as f64 / text.len().max(1) as f64 * 1.02;
            columns.reserve((rows as f64 * scale) as usize, (ids as f64 * scale) as usize);
        }
        read += text.len() as u64;
        for piece in parsed {
            let shift = |l: Last| Last { line: before + l.line, ..l };
            match piece {
                Piece::Rows(rows, lines, end) => {
                    columns.append(*rows);
                    last = end.map_or(last, shift);
                    before += lines;
                }
                Piece::Refused(after, e) => {
                    let line = after.map_or(last, shift).next();
                    return Err(e.context(format!("{source}, line {line}")));
                }
                Piece::Streaming => return Ok(Fast::Streaming),
            }
        }
    }
    if has_duplicate_ids(&columns) {
        return Ok(Fast::Streaming); // refused there, naming both lines
    }
    Ok(Fast::Read(Box::new(columns), layout.used))
}

/// [`super::visit_scores`] of a delimited file the fast split reads: every row handed to `visit` in
/// order, with its line in messages. False (nothing visited) when the file is not for the fast split:
/// checked over the whole file, in parallel, before the first row is visited.
pub(super) fn visit_plain(
    path: &Path,
    options: &ReadOptions,
    visit: &mut impl FnMut(&Row) -> Result<()>,
) -> Result<bool> {
    let source = path.display().to_string();
    let open = || -> Result<Option<Blocks<File>>> {
        let file = File::open(path).with_context(|| format!("cannot open score file {source}"))?;
        Blocks::open(file, &source, BLOCK)
    };
    let Some(mut blocks) = open()? else { return Ok(false) };
    let (width, delimiter) = (blocks.header.len(), blocks.delimiter);
    while let Some(text) = blocks.next(&source)? {
        let Ok(text) = text else { return Ok(false) };
        let pieces = pieces(text, rayon::current_num_threads() * PIECES_PER_THREAD);
        if !pieces.par_iter().all(|piece| plain(piece, width, delimiter)) {
            return Ok(false);
        }
    }
    options.mapping.validate()?;
    let Some(mut blocks) = open()? else { return Ok(false) };
    let layout = layout_of(&blocks.header, &source, options)?;
    let (mut last, mut physical) = (blocks.last, 1);
    while let Some(text) = blocks.next(&source)? {
        let Ok(text) = text else { bail!("{source}: the file changed while read") };
        let mut cells: Vec<&str> = Vec::with_capacity(width);
        for whole in text.split_inclusive('\n') {
            physical += 1;
            let text = trimmed_line(whole);
            if text.is_empty() {
                continue;
            }
            let line = last.next();
            last = Last { line: physical, crlf: whole.ends_with("\r\n") };
            let Some(split) = fields(text, delimiter) else {
                bail!("{source}, line {line}: the file changed while read")
            };
            cells.clear();
            cells.extend(split);
            let row = Row {
                layout: &layout,
                cells: Cells::Fields(&cells),
                typed_score: None,
                flip: options.flip,
                escaped: true,
            };
            visit(&row).with_context(|| format!("{source}, line {line}"))?;
        }
    }
    Ok(true)
}

/// A line without its line end (`\n` or `\r\n`).
fn trimmed_line(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// Every line of `piece` is blank or `width` cells the fast split reads.
fn plain(piece: &str, width: usize, delimiter: u8) -> bool {
    piece
        .split_inclusive('\n')
        .map(trimmed_line)
        .all(|line| line.is_empty() || fields(line, delimiter).is_some_and(|f| f.count() == width))
}

/// Appends up to `block` more bytes of `input` to `buffer`, more until it holds a newline; true when
/// the input ended.
fn fill(input: &mut impl Read, buffer: &mut Vec<u8>, block: usize, source: &str) -> Result<bool> {
    loop {
        let at = buffer.len();
        buffer.resize(at + block.max(1), 0);
        let mut n = 0;
        while at + n < buffer.len() {
            match input.read(&mut buffer[at + n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).with_context(|| format!("{source}: cannot read")),
            }
        }
        buffer.truncate(at + n);
        if n < block.max(1) {
            return Ok(true);
        }
        if buffer.contains(&b'\n') {
            return Ok(false);
        }
    }
}

/// `text` cut after newlines into about `n` pieces of whole lines.
fn pieces(text: &str, n: usize) -> Vec<&str> {
    let size = text.len().div_ceil(n.max(1)).max(1);
    let mut out = Vec::with_capacity(n + 1);
    let mut rest = text;
    while !rest.is_empty() {
        let end = match rest.as_bytes().get(size..).and_then(|tail| tail.iter().position(|b| *b == b'\n')) {
            Some(i) => size + i + 1,
            None => rest.len(),
        };
        let (piece, tail) = rest.split_at(end);
        out.push(piece);
        rest = tail;
    }
    out
}

/// The trimmed cells of one line, `None` when the fast split cannot read it (a quote, a lone `\r`).
fn fields(line: &str, delimiter: u8) -> Option<impl Iterator<Item = &str>> {
    if line.bytes().any(|b| b == b'"' || b == b'\r') {
        return None;
    }
    Some(line.split(char::from(delimiter)).map(str::trim))
}

fn parse_piece(piece: &str, layout: &Layout, width: usize, delimiter: u8, options: &ReadOptions) -> Piece {
    let mut rows = ScoreColumns::new(&layout.meta.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>());
    let mut cells: Vec<&str> = Vec::with_capacity(width);
    let (mut lines, mut last) = (0, None);
    for whole in piece.split_inclusive('\n') {
        lines += 1;
        let line = trimmed_line(whole);
        if line.is_empty() {
            continue; // skipped, as by the CSV reader
        }
        let after = last;
        last = Some(Last { line: lines, crlf: whole.ends_with("\r\n") });
        cells.clear();
        match fields(line, delimiter) {
            Some(split) => cells.extend(split),
            None => return Piece::Streaming,
        }
        if cells.len() != width {
            return Piece::Streaming; // the streaming reader says which widths differ
        }
        let row = Row { layout, cells: Cells::Fields(&cells), typed_score: None, flip: options.flip, escaped: true };
        if let Err(e) = row.push_to(&mut rows) {
            return Piece::Refused(after, e);
        }
    }
    Piece::Rows(Box::new(rows), lines, last)
}

/// True when two rows may share an id: their hashes, sorted in parallel, have equal neighbours (the
/// streaming reader then compares the ids themselves).
fn has_duplicate_ids(columns: &ScoreColumns) -> bool {
    let state = std::collections::hash_map::RandomState::new();
    let mut hashes: Vec<u64> = (0..columns.count()).into_par_iter().map(|i| state.hash_one(columns.id(i))).collect();
    hashes.par_sort_unstable();
    hashes.windows(2).any(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::scorefile::{Mapping, parse_scores};

    /// What a test compares of two reads: the records, and the subjects' numbering (the bootstrap's clusters).
    type View = (Vec<crate::schema::Presentation>, (Vec<usize>, usize));

    fn view(c: &ScoreColumns) -> View {
        (c.to_presentations(), c.numbered("subject"))
    }

    /// The columns of `bytes` read in blocks of `block` bytes, or the message.
    fn fast_bytes(bytes: &[u8], block: usize) -> Result<ScoreColumns, String> {
        parse_columns(bytes, "f.csv", &ReadOptions::default(), block).map(|r| r.0).map_err(|e| format!("{e:#}"))
    }

    /// What the streaming reader makes of `bytes`, or its message.
    fn streaming_bytes(bytes: &[u8]) -> Result<View, String> {
        let records = parse_scores(bytes, "f.csv", ReadOptions::default()).map_err(|e| format!("{e:#}"))?;
        let c = ScoreColumns::from_records(&records);
        Ok((records, c.numbered("subject")))
    }

    fn fast(text: &str, block: usize) -> Result<View, String> {
        fast_bytes(text.as_bytes(), block).map(|c| view(&c))
    }

    /// Both readers, every block size from one byte to the whole text, agree.
    fn agree(text: &str) -> Result<ScoreColumns, String> {
        let expected = streaming_bytes(text.as_bytes());
        for block in [1, 2, 3, 7, 16, 64, text.len().max(1), BLOCK] {
            assert_eq!(fast(text, block), expected, "block {block} of {text:?}");
        }
        fast_bytes(text.as_bytes(), BLOCK)
    }

    const PLAIN: &str = "path,label,attack_type,subject,score\n\
    a.jpg,live,,s1,0.9\n\
    b.jpg,attack,print,s2,0.25\n\
    c.jpg,attack,,s1,\n\
    d.jpg,live,,s3,0.5\n";

    #[test]
    fn a_plain_file_reads_as_the_streaming_reader_reads_it() {
        let c = agree(PLAIN).unwrap();
        assert_eq!(c.count(), 4);
        assert_eq!((c.id(1), c.species(1), c.score(1)), ("b.jpg", "print", Some(0.25)));
        assert_eq!((c.species(2), c.score(2), c.reason(2)), ("unknown", None, Some("no_score")));
        assert_eq!(c.meta(3, "subject"), Some("s3"));
        let (_, used) = parse_columns(PLAIN.as_bytes(), "f.csv", &ReadOptions::default(), 8).unwrap();
        assert_eq!(used.as_deref(), Some("id=path, label=label, score=score, species=attack_type, metadata=subject"));
    }

    #[test]
    fn crlf_blank_lines_spaces_and_no_final_newline() {
        let text =
            "path,label,attack_type,score\r\n a.jpg , live ,, 0.9\r\n\r\nb.jpg,attack,print,0.1\n\nc.jpg,live,,0.3";
        let c = agree(text).unwrap();
        assert_eq!((c.count(), c.id(0), c.score(2)), (3, "a.jpg", Some(0.3)));
    }

    #[test]
    fn quoted_fields_even_with_newlines_are_read_by_the_streaming_reader() {
        let text = "path,label,attack_type,score\n\"a,1.jpg\",live,,0.9\n\"b\nc.jpg\",attack,\"print\",0.1\n";
        let c = agree(text).unwrap();
        assert_eq!((c.id(0), c.id(1), c.species(1)), ("a,1.jpg", "b\nc.jpg", "print"));
        let quoted_header = "\"path\",label,score\nx,live,0.5\n";
        assert_eq!(agree(quoted_header).unwrap().id(0), "x");
    }

    #[test]
    fn other_delimiters_and_escaped_cells() {
        let c = agree("path;label;attack_type;score\n'=a.jpg;attack;'+print;0.2\n").unwrap();
        assert_eq!((c.id(0), c.species(0)), ("=a.jpg", "+print"));
        assert_eq!(agree("path\tlabel\tscore\nx\tlive\t1\n").unwrap().score(0), Some(1.0));
    }

    #[test]
    fn a_bad_number_names_the_file_and_the_line_in_any_block() {
        // The CSV reader's line numbers pass over blank lines: the streaming reader says line 7 (and line 2
        // for the row after `a` in a file of `\r\n` line ends).
        assert!(agree("path,label,score\r\na,live,0.1\r\n\r\nb,live,0.5x\r\n").unwrap_err().contains("line 2"));
        let text = format!("{PLAIN}e.jpg,live,,s1,0.7\n\nf.jpg,live,,s1,0.3x\n");
        let e = agree(&text).unwrap_err();
        assert_eq!(e, "f.csv, line 7: score \"0.3x\" is not a number");
    }

    #[test]
    fn nan_and_infinities_are_refused_with_the_line() {
        for (cell, line) in [("NaN", 3), ("inf", 3), ("-infinity", 3)] {
            let text = format!("path,label,score\na,live,0.5\nb,attack,{cell}\n");
            let e = agree(&text).unwrap_err();
            assert!(e.starts_with(&format!("f.csv, line {line}: score")) && e.contains("finite"), "{e}");
        }
    }

    #[test]
    fn duplicate_ids_are_refused_naming_both_lines() {
        let e = agree("path,label,score\na,live,0.5\nb,live,0.5\na,attack,0.1\n").unwrap_err();
        assert!(e.contains("id \"a\" appears twice (lines 2 and 4)"), "{e}");
    }

    #[test]
    fn malformed_rows_and_bytes_are_reported_as_the_streaming_reader_does() {
        agree("path,label,score\na,live,0.5,extra\n").unwrap_err();
        agree("path,label,score\na,live\n").unwrap_err();
        agree("path,label,score\na,maybe,0.5\n").unwrap_err();
        agree("path,label,score\na,live,0.5\rb,live,0.4\n").unwrap();
        agree("").unwrap_err();
        assert_eq!(agree("path,label,score").unwrap().count(), 0);
        let bytes = b"path,label,score\n\xff,live,0.5\n";
        assert_eq!(fast_bytes(bytes, 4).map(|c| view(&c)), streaming_bytes(bytes));
        assert!(streaming_bytes(bytes).is_err());
    }

    #[test]
    fn mapped_and_known_formats_and_json_lines() {
        let reference = "path,label,attack_type,score,face_found\na,live,,0.5,1\nb,attack,print,,0\n";
        assert_eq!(agree(reference).unwrap().reason(1), Some("no_face"));
        let liveness =
            "path,label,attack_type,score,status,reason\na,live,,0.5,ok,\nb,attack,print,,non_response,no_face\n";
        assert_eq!(agree(liveness).unwrap().reason(1), Some("no_face"));
        let json = "{\"path\":\"a\",\"label\":\"live\",\"score\":0.5}\n";
        assert_eq!(agree(json).unwrap().id(0), "a");
        let options = ReadOptions {
            mapping: Mapping {
                scale: Some(100.0),
                live_labels: vec!["1".into()],
                attack_labels: vec!["0".into()],
                ..Mapping::default()
            },
            ..ReadOptions::default()
        };
        let text = "id,label,score,site\nx,1,50,a\ny,0,25,b\n";
        let (c, _) = parse_columns(text.as_bytes(), "f.csv", &options, 3).unwrap();
        let records = parse_scores(text.as_bytes(), "f.csv", options).unwrap();
        assert_eq!(c.to_presentations(), records);
        assert_eq!((c.score(0), c.meta(1, "site")), (Some(0.5), Some("b")));
    }

    #[test]
    fn pieces_are_whole_lines_covering_the_text() {
        let text = "a\nbb\nccc\n\ndddd";
        for n in 1..8 {
            let p = pieces(text, n);
            assert_eq!(p.concat(), text);
            assert!(p[..p.len() - 1].iter().all(|s| s.ends_with('\n')), "{p:?}");
        }
        assert!(pieces("", 4).is_empty());
    }

    fn row() -> impl Strategy<Value = String> {
        let label = prop_oneof![Just("live"), Just("attack"), Just("Live"), Just("spoof")];
        let species = prop_oneof![Just(""), Just("print"), Just("replay"), Just(" mask ")];
        let score = prop_oneof![
            400 => (0u32..=1_000_000).prop_map(|s| format!("{:.6}", f64::from(s) / 1e6)),
            20 => Just(String::new()),
            20 => Just("error".to_owned()),
            1 => Just("0.5x".to_owned()),
            1 => Just("nan".to_owned()),
        ];
        let end = prop_oneof![Just("\n"), Just("\r\n"), Just("\n\n")];
        (label, species, 0u32..5, score, end)
            .prop_map(|(l, sp, subject, s, end)| format!("{l},{sp},s{subject},{s}{end}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// On generated files (unique ids, every line end, blank lines, empty, word and bad scores) the
        /// parallel reader in any block size gives exactly the streaming reader's columns, or its message.
        #[test]
        fn the_parallel_read_equals_the_sequential_one(rows in prop::collection::vec(row(), 0..200), block in 1usize..300) {
            let mut text = String::from("path,label,attack_type,subject,score\n");
            for (i, r) in rows.iter().enumerate() {
                text += &format!("img/{i}.jpg,{r}");
            }
            let expected = streaming_bytes(text.as_bytes());
            prop_assert_eq!(fast(&text, block), expected);
        }

        /// Any bytes: never a panic, and the same answer as the streaming reader.
        #[test]
        fn arbitrary_input_never_panics(bytes in prop::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b'"'), Just(b'\r'), Just(b'a'), Just(b'1'), Just(b'.'), any::<u8>()], 0..120), block in 1usize..40) {
            let text = [b"path,label,score\n".as_slice(), &bytes].concat();
            prop_assert_eq!(fast_bytes(&text, block).map(|c| view(&c)), streaming_bytes(&text));
        }
    }
}
