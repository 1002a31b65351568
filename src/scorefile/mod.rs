//! Reading score files into [`Presentation`]s, the one input type of the metrics engine.
//!
//! Four layouts are accepted, told apart by the header alone (so a file is never half-parsed under
//! the wrong rules):
//!
//! | format | detected by | required columns |
//! | --- | --- | --- |
//! | `BobPad` | an `is_bonafide` column | `claimed_id,test_label,is_bonafide,attack_type,score` |
//! | `Liveness` (our `scores.csv`) | a `status` column | `path,label,attack_type,score,status,reason` |
//! | `Reference` (oracles, `ref_pipeline.py`) | a `face_found` column | `path,label,attack_type,score,face_found` |
//! | mapped (any export, [`Mapping`]) | anything else, or any mapping option | an id, a label and a score column |
//!
//! Any of them may be delimited text (comma, tab, semicolon, pipe) or JSON Lines ([`table`]).
//!
//! Non-responses (the system gave no score) are kept, not dropped: ISO/IEC 30107-3 reports them as
//! APNRR/BPNRR, and the system-level rates count them. Their reason:
//! - Reference: `face_found=0` → `no_face` (any score on such a row is ignored, as `ref_metrics.py`
//!   does); an empty score with a face → `no_score`.
//! - Liveness: `status=non_response` → the `reason` column (`unspecified` when empty); `status=ok`
//!   requires a score.
//! - BobPad: an empty score → `no_score`.
//! - mapped: an empty score cell, or a word (`error`, `timeout`) → the mapped reason column's value,
//!   else `no_score` (empty) or the word itself.
//!
//! Every column that is neither a core column of the format nor [reserved](is_reserved) becomes
//! [`Presentation::meta`], so any metadata (subject, session, device, ...) can be segmented on without
//! the reader knowing it (a mapped file with `segments` keeps only those). bob.pad's `claimed_id`
//! becomes meta `subject`, `test_label` the id.
//!
//! An attack with an empty `attack_type` gets species [`UNKNOWN_SPECIES`] (`unknown`, as datasets name it): APCER is per species,
//! and an empty name would be an unreadable key in every report.

pub mod column;
pub mod columnar;
mod delimiter;
pub mod mapping;
pub mod parquet;
pub mod pyeer;
pub mod table;

pub use column::{ModelColumn, UnknownModel};
pub use mapping::Mapping;

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use crate::frame::FaceBox;
use crate::schema::columns::{self, ATTACK_TYPE, BOB_CLAIMED_ID, BOX, LABEL, PATH, REASON, SCORE, STATUS, is_reserved};
use crate::schema::mapping::{ID_NAMES, LABEL_NAMES, SCORE_NAMES, SPECIES_NAMES};
use crate::schema::presentation::{FINGERPRINT_HEX, write_fingerprint_entry};
use crate::schema::score_columns::{self, ScoreColumns};
use crate::schema::{Presentation, Presentations, ScoreFormat, Status, UNKNOWN_SPECIES};
use table::Table;

/// How to read a score file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Read every score as `1 - s`, for models whose score grows with "attack" (docs/metrics.md). Like
    /// negation it reverses the order for any range, and it keeps an attack probability on the live
    /// probability scale that policies and `--threshold` (0..1) are given on: with `-s` every flipped
    /// score was below every threshold, so every presentation was an attack and APCER gates passed.
    pub flip: bool,
    /// The column the scores are read from ([`ModelColumn::column`]); `None` reads `score` (or the
    /// mapping's score column). The format's non-response rules (status, face_found) apply unchanged.
    pub score_column: Option<String>,
    /// How to read a file of no known format; given, it is read as a mapped file whatever its header.
    pub mapping: Mapping,
    /// Reserved columns read as metadata too: the numeric columns a `--segment-by COLUMN:BUCKETS` cuts
    /// (quality measures are reserved so that they never become default segments of raw values).
    pub keep: Vec<String>,
    /// The labels come from elsewhere (`--labels DATASET`): no label or species column is read, and every
    /// row is read as bona fide of no species until `scoreset::labels::join` labels it.
    pub unlabelled: bool,
}

impl ReadOptions {
    /// Reads `score`, negated or not.
    pub fn flip(flip: bool) -> ReadOptions {
        ReadOptions { flip, ..ReadOptions::default() }
    }

    /// Reads the scores of `column`, a mapped file by `mapping`.
    pub fn column(flip: bool, column: &ModelColumn, mapping: &Mapping) -> ReadOptions {
        ReadOptions { score_column: Some(column.column.clone()), mapping: mapping.clone(), ..ReadOptions::flip(flip) }
    }

    /// These options, also keeping `columns` as metadata ([`ReadOptions::keep`]).
    pub fn keeping(self, columns: &[String]) -> ReadOptions {
        ReadOptions { keep: columns.to_vec(), ..self }
    }
}

/// The presentation fingerprint: sha256 over [`write_fingerprint_entry`] of every presentation (id, label
/// and species, in order), first 16 hex digits. Two runs with the same fingerprint evaluated the same
/// presentations (scores may differ).
pub fn fingerprint(presentations: &[Presentation]) -> String {
    fingerprint_set(presentations)
}

/// [`fingerprint`] of presentations however they are held.
pub fn fingerprint_set<P: Presentations + ?Sized>(presentations: &P) -> String {
    fingerprint_of(
        (0..presentations.count()).map(|i| (presentations.id(i), presentations.bona_fide(i), presentations.species(i))),
    )
}

/// [`fingerprint`] of `(id, bona fide, species)` entries: what the presentations of these will hash to.
pub fn fingerprint_of<'a>(entries: impl IntoIterator<Item = (&'a str, bool, &'a str)>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (id, bona_fide, species) in entries {
        write_fingerprint_entry(id, bona_fide, species, &mut h).expect("hashing does not fail");
    }
    format!("{:x}", h.finalize())[..FINGERPRINT_HEX].to_string()
}

/// The score file of the run folder `dir`: scores.csv when it is there (the file a scoring run writes,
/// and keeps with `--scores-format csv|both`), else scores.parquet; scores.csv when neither is, so that a
/// message names the usual file. Every reader of a run folder's scores goes through this.
pub fn of_run(dir: &Path) -> std::path::PathBuf {
    use crate::schema::run_folder::{SCORES_CSV, SCORES_PARQUET};
    let (csv, parquet) = (dir.join(SCORES_CSV), dir.join(SCORES_PARQUET));
    if !csv.exists() && parquet.exists() { parquet } else { csv }
}

/// Reads a score file; errors name the file, the line and the offending value.
pub fn read_scores(path: &Path, options: ReadOptions) -> Result<Vec<Presentation>> {
    Ok(read_described(path, options)?.0)
}

/// [`read_scores`], and for a mapped file the columns it used (`id=path, label=label, score=score`), so
/// that the user sees what was read as what.
pub fn read_described(path: &Path, options: ReadOptions) -> Result<(Vec<Presentation>, Option<String>)> {
    if let Some(impostors) = &options.mapping.pyeer_impostors {
        return pyeer::read(path, impostors, &options);
    }
    described(open_table(path, &options.mapping)?, &path.display().to_string(), options)
}

/// The table of the score file at `path`: Parquet ([`parquet::is_parquet`]), else delimited text or JSON
/// Lines; errors name the file.
fn open_table(path: &Path, mapping: &Mapping) -> Result<Table<File>> {
    if parquet::is_parquet(path) {
        let rows = parquet::Rows::open(path).with_context(|| format!("{}: cannot read", path.display()))?;
        return Ok(Table::Parquet(Box::new(rows)));
    }
    let file = File::open(path).with_context(|| format!("cannot open score file {}", path.display()))?;
    Table::open(file, &mapping.pointers()).with_context(|| format!("{}: cannot read", path.display()))
}

/// Parses score text; `source` names the input in error messages.
pub fn parse_scores<R: Read>(input: R, source: &str, options: ReadOptions) -> Result<Vec<Presentation>> {
    Ok(parse_described(input, source, options)?.0)
}

fn parse_described<R: Read>(
    input: R,
    source: &str,
    options: ReadOptions,
) -> Result<(Vec<Presentation>, Option<String>)> {
    let table = Table::open(input, &options.mapping.pointers()).with_context(|| format!("{source}: cannot read"))?;
    described(table, source, options)
}

fn described<R: Read>(
    table: Table<R>,
    source: &str,
    options: ReadOptions,
) -> Result<(Vec<Presentation>, Option<String>)> {
    let mut out = Vec::new();
    let mut lines = Vec::new();
    let used = visit_rows(table, source, options, |row, line| {
        out.push(row.presentation()?);
        lines.push(line);
        Ok(())
    })?;
    // An id given twice (in any format: a file may be edited or concatenated) would be counted twice, so
    // it is refused with both lines, as `diff` does. Checked after reading, borrowing the ids: no copy.
    {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(out.len());
        for (i, p) in out.iter().enumerate() {
            if let Some(first) = seen.insert(p.id.as_str(), i) {
                bail!(
                    "{source}, line {}: id {:?} appears twice (lines {} and {}): ids must be unique",
                    lines[i],
                    p.id,
                    lines[first],
                    lines[i]
                );
            }
        }
    }
    Ok((out, used))
}

/// Reads a score file row by row without keeping it, handing each [`Row`] to `visit`; an error from
/// `visit` stops the scan and is reported with the file and line. For files too large to hold as
/// presentations, e.g. when a report only needs the worst few rows.
pub fn visit_scores(path: &Path, options: ReadOptions, mut visit: impl FnMut(&Row) -> Result<()>) -> Result<()> {
    if !parquet::is_parquet(path) && columnar::visit_plain(path, &options, &mut visit)? {
        return Ok(());
    }
    let table = open_table(path, &options.mapping)?;
    visit_rows(table, &path.display().to_string(), options, |row, _| visit(row))?;
    Ok(())
}

/// The column names of a score file (delimited or JSON Lines), for choosing a model's column.
pub fn header_of(path: &Path, mapping: &Mapping) -> Result<Vec<String>> {
    open_table(path, mapping)?.header().with_context(|| format!("{}: cannot read the header", path.display()))
}

fn visit_rows<R: Read>(
    mut table: Table<R>,
    source: &str,
    options: ReadOptions,
    mut visit: impl FnMut(&Row, u64) -> Result<()>,
) -> Result<Option<String>> {
    options.mapping.validate()?;
    let header = table.header().with_context(|| format!("{source}: cannot read the header"))?;
    let layout = layout_of(&header, source, &options)?;
    if let Table::Parquet(rows) = &table {
        rows.require_numeric(layout.score).with_context(|| format!("{source}: unusable column"))?;
    }
    let escaped = table.escaped();
    let mut record = csv::StringRecord::new();
    while let Some(line) = table.next(&mut record).with_context(|| format!("{source}: malformed input"))? {
        visit(
            &Row { layout: &layout, cells: Cells::Record(&record), typed_score: None, flip: options.flip, escaped },
            line,
        )
        .with_context(|| format!("{source}, line {line}"))?;
    }
    Ok(layout.used)
}

/// The layout of a file with this header under `options` (whose mapping is validated), no column twice.
fn layout_of(header: &[String], source: &str, options: &ReadOptions) -> Result<Layout> {
    refuse_repeated_columns(header).with_context(|| format!("{source}: unusable header"))?;
    Layout::resolve(header, options).with_context(|| format!("{source}: unusable header"))
}

/// Which reading rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Known(ScoreFormat),
    Mapped,
}

/// Column indices of one file, resolved once from its header.
struct Layout {
    kind: Kind,
    id: Option<usize>,
    label: Option<usize>,
    species: Option<usize>,
    score: Option<usize>,
    /// `face_found` (Reference), `status` (Liveness); `None` for BobPad.
    response: Option<usize>,
    /// `reason` (Liveness), the mapped reason column.
    reason: Option<usize>,
    /// The vendor's decision column (mapped files only, `--decision-column`).
    decision: Option<usize>,
    meta: Vec<(String, usize)>,
    /// `x1,y1,x2,y2`, when all four columns exist.
    face_box: Option<[usize; 4]>,
    mapping: Mapping,
    /// A mapped file's columns, as read (told to the user).
    used: Option<String>,
}

impl Layout {
    fn resolve(header: &[String], options: &ReadOptions) -> Result<Layout> {
        let names: Vec<&str> = header.iter().map(String::as_str).collect();
        let known = ["is_bonafide", STATUS, columns::FACE_FOUND].iter().any(|c| names.contains(c));
        if options.mapping.is_given() || !known || options.unlabelled {
            return Layout::mapped(&names, options);
        }
        let score_column = options.score_column.as_deref().unwrap_or(SCORE);
        let format = ScoreFormat::detect(&names);
        check_required(format, &names)?;
        if !names.contains(&score_column) {
            bail!("no score column {score_column:?}; columns found: {}", names.join(","));
        }
        let at = |name: &str| names.iter().position(|c| *c == name);
        let (id, label, response, reason) = match format {
            ScoreFormat::Reference => (at(PATH), at(LABEL), at(columns::FACE_FOUND), None),
            ScoreFormat::Liveness => (at(PATH), at(LABEL), at(STATUS), at(REASON)),
            ScoreFormat::BobPad => (at(columns::BOB_TEST_LABEL), at(columns::BOB_IS_BONAFIDE), None, None),
        };
        Ok(Layout {
            kind: Kind::Known(format),
            id,
            label,
            species: at(ATTACK_TYPE),
            score: at(score_column),
            response,
            reason,
            decision: None,
            meta: meta_columns(format, &names, &options.keep)?,
            face_box: face_box(&names),
            mapping: Mapping::default(),
            used: None,
        })
    }

    /// A file read by the user's mapping, unmapped columns by their common names.
    fn mapped(names: &[&str], options: &ReadOptions) -> Result<Layout> {
        let m = &options.mapping;
        let found = || names.join(",");
        let pick = |given: Option<&str>, common: &[&str], flag: &str, what: &str| -> Result<Option<usize>> {
            if let Some(c) = given {
                let i = names.iter().position(|n| *n == c);
                return i.map(Some).ok_or_else(|| anyhow!("{flag} {c:?} is not a column; columns found: {}", found()));
            }
            let i = common.iter().find_map(|c| names.iter().position(|n| n == c));
            if i.is_none() && !what.is_empty() {
                bail!(
                    "no {what} column (none of {}); columns found: {}; name it with {flag}",
                    common.join(", "),
                    found()
                );
            }
            Ok(i)
        };
        let score_given = m.score.as_deref().or(options.score_column.as_deref());
        let id = pick(m.id.as_deref(), &ID_NAMES, "--id-column", "id")?;
        let (label, species) = match options.unlabelled {
            true => (None, None),
            false => (
                pick(m.label.as_deref(), &LABEL_NAMES, "--label-column", "label")?,
                pick(m.species.as_deref(), &SPECIES_NAMES, "--species-column", "")?,
            ),
        };
        // A vendor's decisions may come without scores: then a score column is read only when present.
        let score = match (&m.decision, &m.score) {
            (Some(_), None) => pick(None, &[score_given.unwrap_or(SCORE)], "--score-column", "")?,
            _ => pick(score_given, &SCORE_NAMES, "--score-column", "score")?,
        };
        let reason = pick(m.reason.as_deref(), &[], "--reason-column", "")?;
        let decision = pick(m.decision.as_deref(), &[], "--decision-column", "")?;
        // A core column, also under its other JSON name (top-level key `k` is pointer `/k`).
        let core: Vec<&str> =
            [id, label, score, species, reason, decision].into_iter().flatten().map(|i| names[i]).collect();
        let is_core = |n: &str| core.iter().any(|c| *c == n || c.strip_prefix('/') == Some(n));
        let mut meta: Vec<(String, usize)> = match &m.segments {
            Some(keep) => keep
                .iter()
                .map(|c| match names.iter().position(|n| n == c) {
                    // A pointer's metadata is named by its last key (`/sample/subject` → `subject`).
                    Some(i) => Ok((mapping::meta_name(c).to_owned(), i)),
                    None => bail!("--segment-columns {c:?} is not a column; columns found: {}", found()),
                })
                .collect::<Result<_>>()?,
            None => names
                .iter()
                .enumerate()
                .filter(|(_, n)| !is_core(n) && !is_reserved(n) && !n.starts_with('/'))
                .map(|(i, n)| ((*n).to_owned(), i))
                .collect(),
        };
        for (i, n) in names.iter().enumerate() {
            if options.keep.iter().any(|k| k == n) && !meta.iter().any(|(m, _)| m == n) {
                meta.push(((*n).to_owned(), i));
            }
        }
        let name = |i: Option<usize>| i.map_or("-", |i| names[i]);
        let label_from = if options.unlabelled { "(--labels)" } else { name(label) };
        let mut used = format!("id={}, label={label_from}, score={}", name(id), name(score));
        for (what, i) in [("species", species), ("reason", reason), ("decision", decision)] {
            if i.is_some() {
                used += &format!(", {what}={}", name(i));
            }
        }
        if !meta.is_empty() {
            used += &format!(", metadata={}", meta.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(","));
        }
        Ok(Layout {
            kind: Kind::Mapped,
            id,
            label,
            species,
            score,
            response: None,
            reason,
            decision,
            meta,
            face_box: face_box(names),
            mapping: m.clone(),
            used: Some(used),
        })
    }

    /// The score, or the reason there is none, under the format's non-response convention; `typed` is
    /// the score cell as a number when the file types it ([`Row::typed_score`]).
    fn response<'r>(
        &self,
        field: &impl Fn(Option<usize>) -> &'r str,
        typed: Option<Option<f64>>,
    ) -> Result<(Option<f64>, Option<String>)> {
        let no_score = |reason: &str| Ok((None, Some(reason.to_owned())));
        let parsed = |parse: fn(&str) -> Result<Option<f64>>| match typed {
            Some(value) => parse_typed_score(value),
            None => parse(field(self.score)),
        };
        let Kind::Known(format) = self.kind else {
            let cell = field(self.score);
            let reason = field(self.reason);
            return match parsed(parse_mapped_score)? {
                Some(s) => Ok((Some(self.mapping.live_score(s)?), None)),
                None if !reason.is_empty() => no_score(reason),
                None if cell.is_empty() => no_score("no_score"),
                None => no_score(cell),
            };
        };
        let score = parsed(parse_score)?;
        match format {
            ScoreFormat::Reference => match (field(self.response), score) {
                ("0", _) => no_score("no_face"),
                ("1", None) => no_score("no_score"),
                ("1", some) => Ok((some, None)),
                (other, _) => bail!("face_found must be 0 or 1, found {other:?}"),
            },
            ScoreFormat::Liveness => match (Status::parse(field(self.response)), score) {
                (Some(Status::Ok), None) => bail!("status is ok but the score is empty"),
                (Some(Status::Ok), some) => Ok((some, None)),
                (Some(Status::NonResponse), _) => match field(self.reason) {
                    "" => no_score("unspecified"),
                    reason => no_score(reason),
                },
                (None, _) => bail!("status must be ok or non_response, found {:?}", field(self.response)),
            },
            ScoreFormat::BobPad => match score {
                None => no_score("no_score"),
                some => Ok((some, None)),
            },
        }
    }
}

fn face_box(names: &[&str]) -> Option<[usize; 4]> {
    match BOX.map(|b| names.iter().position(|c| *c == b)) {
        [Some(a), Some(b), Some(c), Some(d)] => Some([a, b, c, d]),
        _ => None,
    }
}

/// One row of a score file met by [`visit_scores`]. The label and score are parsed on demand and the
/// whole presentation (id, species, metadata) only when asked for, so a scan over millions of rows
/// allocates only for the few rows it keeps.
pub struct Row<'a> {
    layout: &'a Layout,
    cells: Cells<'a>,
    /// The score cell as a number, when the file types it (Parquet's floating-point columns; `None`
    /// inside for a null): read as it is instead of from text.
    typed_score: Option<Option<f64>>,
    flip: bool,
    /// Cells of delimited text, undone from [`crate::escape::csv`].
    escaped: bool,
}

/// The cells of a row: a record of the streaming reader, or the fields the parallel reader split.
#[derive(Clone, Copy)]
enum Cells<'a> {
    Record(&'a csv::StringRecord),
    Fields(&'a [&'a str]),
}

impl<'a> Cells<'a> {
    fn get(self, i: usize) -> Option<&'a str> {
        match self {
            Cells::Record(r) => r.get(i),
            Cells::Fields(f) => f.get(i).copied(),
        }
    }
}

impl<'a> Row<'a> {
    /// A cell; absent columns read as empty (only optional ones can be, check_required saw to the rest).
    fn field(&self, i: Option<usize>) -> &'a str {
        let cell = i.and_then(|i| self.cells.get(i)).unwrap_or("");
        if self.escaped { crate::escape::csv_unescape(cell) } else { cell }
    }

    /// The species of a presentation of this label: `""` for bona fide, [`UNKNOWN_SPECIES`] for an
    /// attack of no attack type.
    fn species(&self, bona_fide: bool) -> &'a str {
        match (bona_fide, self.field(self.layout.species)) {
            (true, _) => "",
            (false, "") => UNKNOWN_SPECIES,
            (false, s) => s,
        }
    }

    /// Appends this row to `columns` (whose metadata columns are the layout's); what
    /// [`Row::presentation`] makes of it, without a record or a map.
    fn push_to(&self, columns: &mut ScoreColumns) -> Result<()> {
        let bona_fide = self.bona_fide()?;
        let (score, reason) = self.response()?;
        columns.push(score_columns::Row {
            id: self.field(self.layout.id),
            bona_fide,
            species: self.species(bona_fide),
            score,
            reason: reason.as_deref(),
            meta: self.layout.meta.iter().map(|(_, i)| self.field(Some(*i))),
        });
        Ok(())
    }

    pub fn bona_fide(&self) -> Result<bool> {
        // No label column: only an unlabelled read, whose labels are joined later.
        if self.layout.label.is_none() {
            return Ok(true);
        }
        let label = self.field(self.layout.label);
        match self.layout.kind {
            Kind::Known(ScoreFormat::BobPad) => parse_bool(label),
            Kind::Known(_) => parse_label(label),
            Kind::Mapped => self.layout.mapping.bona_fide(label),
        }
    }

    /// The score (negated with `flip`), or `None` for a non-response.
    pub fn score(&self) -> Result<Option<f64>> {
        Ok(self.response()?.0)
    }

    fn response(&self) -> Result<(Option<f64>, Option<String>)> {
        let (score, reason) = self.layout.response(&|i| self.field(i), self.typed_score)?;
        Ok((score.map(|s| if self.flip { 1.0 - s } else { s }), reason))
    }

    pub fn presentation(&self) -> Result<Presentation> {
        let bona_fide = self.bona_fide()?;
        let species = self.species(bona_fide).to_owned();
        let (score, reason) = self.response()?;
        let decision = match self.layout.decision {
            Some(_) => {
                Some(self.layout.mapping.decide(self.field(self.layout.decision), self.field(self.layout.reason))?)
            }
            None => None,
        };
        Ok(Presentation {
            id: self.field(self.layout.id).to_owned(),
            bona_fide,
            species,
            score,
            reason,
            meta: self.layout.meta.iter().map(|(name, i)| (name.clone(), self.field(Some(*i)).to_owned())).collect(),
            decision,
        })
    }

    /// The face box (`x1,y1,x2,y2`); `None` when the file has no box columns or a cell is not an integer.
    pub fn face_box(&self) -> Option<FaceBox> {
        let [x1, y1, x2, y2] = self.layout.face_box?.map(|i| self.cells.get(i).and_then(|v| v.parse::<i32>().ok()));
        Some(FaceBox { x1: x1?, y1: y1?, x2: x2?, y2: y2? })
    }
}

/// A column named twice (two `score` columns) leaves which one holds the scores to chance: refused,
/// naming it and both positions.
fn refuse_repeated_columns(header: &[String]) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(header.len());
    for (i, name) in header.iter().enumerate().filter(|(_, n)| !n.is_empty()) {
        if let Some(first) = seen.insert(name, i) {
            bail!(
                "column {name:?} appears twice (columns {} and {}): rename or drop one, so it is clear which is read",
                first + 1,
                i + 1
            );
        }
    }
    Ok(())
}

fn check_required(format: ScoreFormat, names: &[&str]) -> Result<()> {
    let missing: Vec<&str> = format.required().iter().copied().filter(|c| !names.contains(c)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    bail!(
        "missing required column(s) {} for the {format:?} format; columns found: {}; this format needs: {} \
         (recognized formats: Reference (has `face_found`) needs {}, Liveness (has `status`) needs {}, \
         BobPad (has `is_bonafide`) needs {}; any other file is read by its id, label and score columns)",
        missing.join(","),
        names.join(","),
        format.required().join(","),
        ScoreFormat::Reference.required().join(","),
        ScoreFormat::Liveness.required().join(","),
        ScoreFormat::BobPad.required().join(","),
    )
}

/// Metadata columns and their indices; bob.pad's `claimed_id` is renamed `subject`.
fn meta_columns(format: ScoreFormat, names: &[&str], keep: &[String]) -> Result<Vec<(String, usize)>> {
    let core = format.identity();
    let mut meta: Vec<(String, usize)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if core.contains(name) || (is_reserved(name) && !keep.iter().any(|k| k == name)) {
            continue;
        }
        let key = if format == ScoreFormat::BobPad && *name == BOB_CLAIMED_ID { "subject" } else { name };
        if meta.iter().any(|(k, _)| k == key) {
            bail!("column {key:?} appears twice (bob.pad's claimed_id is read as subject)");
        }
        meta.push((key.to_owned(), i));
    }
    Ok(meta)
}

/// Case-insensitive without allocating: called once per row of files with millions of rows.
fn parse_label(value: &str) -> Result<bool> {
    Mapping::default().bona_fide(value)
}

fn parse_bool(value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => bail!("is_bonafide {value:?} is not True, False, 1 or 0"),
    }
}

/// Empty → `None`; NaN and infinities are errors: no threshold can place them, and +inf would
/// collide with the +inf candidate threshold of the sweep.
fn parse_score(value: &str) -> Result<Option<f64>> {
    if value.is_empty() {
        return Ok(None);
    }
    let score: f64 = value.parse().map_err(|_| anyhow!("score {value:?} is not a number"))?;
    if !score.is_finite() {
        bail!("score {value:?} is not a finite number");
    }
    Ok(Some(score))
}

/// A typed score cell ([`Row::typed_score`]) as [`parse_score`] reads its text: NaN and infinities are
/// errors, a null is `None`.
fn parse_typed_score(value: Option<f64>) -> Result<Option<f64>> {
    match value {
        Some(s) if !s.is_finite() => bail!("score {:?} is not a finite number", s.to_string()),
        other => Ok(other),
    }
}

/// A mapped file's score cell: a number, or `None` for an empty cell or a word (`error`, `timeout`: a
/// non-response). NaN, infinities and anything that starts like a number but is not one are errors.
fn parse_mapped_score(value: &str) -> Result<Option<f64>> {
    let numeric = value.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
    let special = ["nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"];
    if numeric || special.iter().any(|w| w.eq_ignore_ascii_case(value)) { parse_score(value) } else { Ok(None) }
}

#[cfg(test)]
mod tests {
    //! The reader's rules, format by format, and its errors.

    use super::*;

    #[test]
    fn engine_outputs_are_reserved_and_metadata_is_not() {
        for c in ["score", "decision", "band", "silentface_score", "q_sharpness", "yaw_range", "blink", "frames_used"] {
            assert!(is_reserved(c), "{c}");
        }
        for c in ["subject", "session", "device", "challenges_failed", "challenges_passed"] {
            assert!(!is_reserved(c), "{c}");
        }
    }

    fn parse(text: &str) -> Result<Vec<Presentation>> {
        parse_scores(text.as_bytes(), "t.csv", ReadOptions::default())
    }

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    const REFERENCE: &str = "path,label,attack_type,subject,session,glasses,pos,score,face_found,x1,y1,x2,y2\n\
    a.jpg,live,,0001,01,00,00,0.9,1,1,2,3,4\n\
    b.jpg,attack,print-warp,0002,01,00,02,,0,,,,\n\
    c.jpg,attack,,0002,01,00,02,0.25,1,1,2,3,4\n";

    #[test]
    fn visiting_gives_each_row_with_its_face_box() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        std::fs::write(&path, REFERENCE).unwrap();
        let mut seen = Vec::new();
        visit_scores(&path, ReadOptions::default(), |row| {
            seen.push((row.presentation()?.id, row.face_box()));
            Ok(())
        })
        .unwrap();
        let face = FaceBox { x1: 1, y1: 2, x2: 3, y2: 4 };
        assert_eq!(
            seen,
            [("a.jpg".to_owned(), Some(face)), ("b.jpg".to_owned(), None), ("c.jpg".to_owned(), Some(face))]
        );
        let mut scores = Vec::new();
        visit_scores(&path, ReadOptions::flip(true), |row| {
            scores.push((row.bona_fide()?, row.score()?));
            Ok(())
        })
        .unwrap();
        assert_eq!(scores, [(true, Some(1.0 - 0.9)), (false, None), (false, Some(0.75))]);
        let err = visit_scores(&path, ReadOptions::default(), |_| anyhow::bail!("stop")).unwrap_err();
        assert!(format!("{err:#}").contains("line 2: stop"), "{err:#}");
        assert!(visit_scores(&dir.path().join("missing.csv"), ReadOptions::default(), |_| Ok(())).is_err());
    }

    #[test]
    fn reference_format_rows_and_meta() {
        let rows = parse(REFERENCE).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].id, "a.jpg");
        assert!(rows[0].bona_fide);
        assert_eq!(rows[0].species, "");
        assert_eq!(rows[0].score, Some(0.9));
        assert_eq!(rows[0].reason, None);
        let keys: Vec<&str> = rows[0].meta.keys().map(String::as_str).collect();
        assert_eq!(keys, ["glasses", "pos", "session", "subject"]);
        assert_eq!(rows[0].meta["subject"], "0001");
        assert_eq!((rows[1].score, rows[1].reason.as_deref()), (None, Some("no_face")));
        assert_eq!(rows[1].species, "print-warp");
        assert_eq!(rows[2].species, UNKNOWN_SPECIES);
    }

    #[test]
    fn reference_face_found_zero_drops_the_score_and_missing_score_is_no_score() {
        let rows = parse("path,label,attack_type,score,face_found\na,live,,0.7,0\nb,live,,,1\n").unwrap();
        assert_eq!((rows[0].score, rows[0].reason.as_deref()), (None, Some("no_face")));
        assert_eq!((rows[1].score, rows[1].reason.as_deref()), (None, Some("no_score")));
    }

    #[test]
    fn liveness_format_status_reason_and_reserved_columns() {
        let text = "path,label,attack_type,device,score,status,reason,decision,band,face_count,mini_score,q_blur,x1\n\
        a,bona_fide,,phone,0.8,ok,,live,pass,1,0.7,3,5\n\
        b,spoof,replay,phone,,non_response,multiple_faces,,,2,,,\n\
        c,fake,replay,tablet,,non_response,,,,0,,,\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows[0].meta.keys().collect::<Vec<_>>(), ["device"]);
        assert_eq!((rows[0].score, rows[0].bona_fide), (Some(0.8), true));
        assert_eq!((rows[1].bona_fide, rows[1].reason.as_deref()), (false, Some("multiple_faces")));
        assert_eq!(rows[2].reason.as_deref(), Some("unspecified"));
        assert_eq!(rows[2].meta["device"], "tablet");
    }

    #[test]
    fn liveness_status_errors_name_the_line() {
        let head = "path,label,attack_type,score,status,reason\n";
        let e = error(&format!("{head}a,live,,0.5,ok,\nb,live,,,ok,\n"));
        assert!(e.contains("line 3") && e.contains("score is empty"), "{e}");
        let e = error(&format!("{head}a,live,,0.5,maybe,\n"));
        assert!(e.contains("line 2") && e.contains("\"maybe\""), "{e}");
    }

    #[test]
    fn bob_pad_format() {
        let text = "claimed_id,test_label,is_bonafide,attack_type,score\n\
        client1,real/1.png,True,,1.5\n\
        client1,attack/2.png,0,print,-2.0\n\
        client2,attack/3.png,false,replay,\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows[0].id, "real/1.png");
        assert!(rows[0].bona_fide && !rows[1].bona_fide && !rows[2].bona_fide);
        assert_eq!(rows[1].meta["subject"], "client1");
        assert_eq!(rows[1].meta.len(), 1);
        assert_eq!((rows[1].species.as_str(), rows[1].score), ("print", Some(-2.0)));
        assert_eq!(rows[2].reason.as_deref(), Some("no_score"));
        let e = error("claimed_id,test_label,is_bonafide,attack_type,score\nc,x,yes,,1\n");
        assert!(e.contains("line 2") && e.contains("\"yes\""), "{e}");
    }

    #[test]
    fn bob_pad_subject_column_clashes_with_claimed_id() {
        let e = error("claimed_id,test_label,is_bonafide,attack_type,score,subject\n");
        assert!(e.contains("\"subject\" appears twice"), "{e}");
    }

    #[test]
    fn label_synonyms_and_unknown_label() {
        let head = "path,label,attack_type,score,face_found\n";
        for (label, live) in
            [("LIVE", true), ("bonafide", true), ("real", true), ("Genuine", true), ("attack", false), ("Spoof", false)]
        {
            let rows = parse(&format!("{head}a,{label},x,0.5,1\n")).unwrap();
            assert_eq!(rows[0].bona_fide, live, "{label}");
        }
        let e = error(&format!("{head}a,live,,0.5,1\nb,maybe,,0.5,1\n"));
        assert!(e.contains("t.csv, line 3") && e.contains("\"maybe\""), "{e}");
    }

    #[test]
    fn nan_infinite_and_garbage_scores_are_errors_naming_the_line() {
        let head = "path,label,attack_type,score,face_found\n";
        for bad in ["NaN", "inf", "-inf", "0.5x"] {
            let e = error(&format!("{head}a,live,,0.5,1\nb,live,,{bad},1\n"));
            assert!(e.contains("line 3") && e.contains(bad), "{e}");
        }
    }

    #[test]
    fn missing_columns_lists_found_and_needed() {
        let e = error("path,label,score,face_found\na,live,0.5,1\n");
        assert!(e.contains("missing required column(s) attack_type"), "{e}");
        assert!(e.contains("columns found: path,label,score,face_found"), "{e}");
        assert!(e.contains("this format needs: path,label,attack_type,score,face_found"), "{e}");
    }

    #[test]
    fn flip_reads_one_minus_the_score() {
        let options = ReadOptions::flip(true);
        let rows =
            parse_scores("path,label,attack_type,score,face_found\na,live,,0.25,1\n".as_bytes(), "t", options).unwrap();
        assert_eq!(rows[0].score, Some(0.75));
    }

    #[test]
    fn an_id_twice_or_a_column_twice_is_refused_in_every_format() {
        let e = error("path,label,attack_type,score,status,reason\na.jpg,live,,0.9,ok,\na.jpg,attack,print,0.2,ok,\n");
        assert!(e.contains("id \"a.jpg\" appears twice (lines 2 and 3)"), "{e}");
        let e = error("path,label,attack_type,score,status,reason,score\na.jpg,live,,0.9,ok,,0.1\n");
        assert!(e.contains("column \"score\" appears twice (columns 4 and 7)"), "{e}");
    }

    #[test]
    fn escaped_text_cells_read_back_as_written() {
        let text = "path,label,attack_type,=m,score,status,reason\n'=a.jpg,attack,'@x,'-1,-0.5,ok,\n";
        let rows = parse_scores(text.as_bytes(), "t", ReadOptions::default()).unwrap();
        assert_eq!((rows[0].id.as_str(), rows[0].species.as_str(), rows[0].score), ("=a.jpg", "@x", Some(-0.5)));
        assert_eq!(rows[0].meta, [("=m".to_owned(), "-1".to_owned())].into_iter().collect());
    }

    #[test]
    fn ragged_row_is_an_error() {
        let e = error("path,label,attack_type,score,face_found\na,live,,0.5\n");
        assert!(e.contains("malformed CSV"), "{e}");
    }

    #[test]
    fn read_scores_names_a_missing_file() {
        let e = read_scores(Path::new("/nonexistent/s.csv"), ReadOptions::default()).unwrap_err();
        assert!(format!("{e:#}").contains("/nonexistent/s.csv"));
    }

    #[test]
    fn detect_format_from_header() {
        assert_eq!(ScoreFormat::detect(&["claimed_id", "is_bonafide"]), ScoreFormat::BobPad);
        assert_eq!(ScoreFormat::detect(&["path", "status"]), ScoreFormat::Liveness);
        assert_eq!(ScoreFormat::detect(&["path", "face_found"]), ScoreFormat::Reference);
    }

    #[test]
    fn a_decision_column_is_read_through_the_map_and_scores_become_optional() {
        use crate::schema::VendorDecision;
        let map = ["realface=bona_fide", "spoofface=attack", "uncertain=retry", "error=no_response"];
        let mapping = Mapping {
            decision: Some("result".into()),
            decision_map: map.iter().map(|w| w.parse().unwrap()).collect(),
            reason: Some("status".into()),
            ..Mapping::default()
        };
        let options = || ReadOptions { mapping: mapping.clone(), ..ReadOptions::default() };
        let text = "id,label,result,status\na,live,RealFace,\nb,attack,spoofface,\nc,live,uncertain,\nd,attack,error,timeout\n";
        let rows = parse_scores(text.as_bytes(), "d.csv", options()).unwrap();
        let got: Vec<(VendorDecision, Option<&str>, Option<f64>)> = rows
            .iter()
            .map(|p| {
                let d = p.decision.as_ref().unwrap();
                (d.decision, d.reason.as_deref(), p.score)
            })
            .collect();
        assert_eq!(
            got,
            [
                (VendorDecision::BonaFide, None, None),
                (VendorDecision::Attack, None, None),
                (VendorDecision::Retry, Some("uncertain"), None),
                (VendorDecision::NoResponse, Some("timeout"), None),
            ]
        );
        // The decision column is not metadata; a score column beside it is read.
        assert!(rows[0].meta.is_empty());
        let both = parse_scores("id,label,score,result,status\na,live,0.25,realface,\n".as_bytes(), "d.csv", options())
            .unwrap();
        assert_eq!(
            (both[0].score, both[0].decision.as_ref().unwrap().decision),
            (Some(0.25), VendorDecision::BonaFide)
        );
        let e = format!(
            "{:#}",
            parse_scores("id,label,result,status\na,live,realface,\nb,live,maybe,\n".as_bytes(), "d.csv", options())
                .unwrap_err()
        );
        assert!(
            e.contains("d.csv, line 3")
                && e.contains("\"maybe\" is not in --decision-map (realface, spoofface, uncertain, error)"),
            "{e}"
        );
    }
}
