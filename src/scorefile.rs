//! Reading score CSV files into [`Presentation`]s, the one input type of the metrics engine.
//!
//! Three layouts are accepted, told apart by the header alone (so a file is never half-parsed under
//! the wrong rules):
//!
//! | format | detected by | required columns |
//! | --- | --- | --- |
//! | `BobPad` | an `is_bonafide` column | `claimed_id,test_label,is_bonafide,attack_type,score` |
//! | `Liveness` (our `scores.csv`) | a `status` column | `path,label,attack_type,score,status,reason` |
//! | `Reference` (oracles, `ref_pipeline.py`) | anything else | `path,label,attack_type,score,face_found` |
//!
//! Non-responses (the system gave no score) are kept, not dropped: ISO/IEC 30107-3 reports them as
//! APNRR/BPNRR, and the system-level rates count them. Their reason:
//! - Reference: `face_found=0` → `no_face` (any score on such a row is ignored, as `ref_metrics.py`
//!   does); an empty score with a face → `no_score`.
//! - Liveness: `status=non_response` → the `reason` column (`unspecified` when empty); `status=ok`
//!   requires a score.
//! - BobPad: an empty score → `no_score`.
//!
//! Every column that is neither a core column of the format nor [reserved](is_reserved) becomes
//! [`Presentation::meta`], so any metadata (subject, session, device, ...) can be segmented on without
//! the reader knowing it. bob.pad's `claimed_id` becomes meta `subject`, `test_label` the id.
//!
//! An attack with an empty `attack_type` gets species [`UNKNOWN_SPECIES`] (`unknown`, as datasets name it): APCER is per species,
//! and an empty name would be an unreadable key in every report.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use crate::frame::FaceBox;
use crate::schema::columns::{self, ATTACK_TYPE, BOB_CLAIMED_ID, BOX, LABEL, PATH, REASON, SCORE, STATUS, is_reserved};
use crate::schema::presentation::{FINGERPRINT_HEX, write_fingerprint_entry, write_fingerprint_input};
use crate::schema::{Presentation, ScoreFormat, Status, UNKNOWN_SPECIES};

/// How to read a score file.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Negate every score (s → -s) for models whose score grows with "attack". Negation rather than
    /// `1 - s` keeps any score range valid (logits, distances). Thresholds must then be given on the
    /// negated scale: "bona fide iff -s >= t", i.e. iff s <= -t.
    pub flip: bool,
}

/// The presentation fingerprint: sha256 over [`write_fingerprint_input`] (id, label and species of every
/// presentation, in order), first 16 hex digits. Two runs with the same fingerprint evaluated the same
/// presentations (scores may differ).
pub fn fingerprint(presentations: &[Presentation]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    write_fingerprint_input(presentations, &mut h).expect("hashing does not fail");
    format!("{:x}", h.finalize())[..FINGERPRINT_HEX].to_string()
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

/// Reads a score CSV file; errors name the file, the line and the offending value.
pub fn read_scores(path: &Path, options: ReadOptions) -> Result<Vec<Presentation>> {
    let file = File::open(path).with_context(|| format!("cannot open score file {}", path.display()))?;
    parse_scores(file, &path.display().to_string(), options)
}

/// Parses score CSV text; `source` names the input in error messages.
pub fn parse_scores<R: Read>(input: R, source: &str, options: ReadOptions) -> Result<Vec<Presentation>> {
    let mut out = Vec::new();
    visit_rows(input, source, options, |row| {
        out.push(row.presentation()?);
        Ok(())
    })?;
    Ok(out)
}

/// Reads a score file row by row without keeping it, handing each [`Row`] to `visit`; an error from
/// `visit` stops the scan and is reported with the file and line. For files too large to hold as
/// presentations, e.g. when a report only needs the worst few rows.
pub fn visit_scores(path: &Path, options: ReadOptions, visit: impl FnMut(&Row) -> Result<()>) -> Result<()> {
    let file = File::open(path).with_context(|| format!("cannot open score file {}", path.display()))?;
    visit_rows(std::io::BufReader::with_capacity(1 << 20, file), &path.display().to_string(), options, visit)
}

fn visit_rows<R: Read>(
    input: R,
    source: &str,
    options: ReadOptions,
    mut visit: impl FnMut(&Row) -> Result<()>,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(input);
    let header: Vec<String> = reader
        .headers()
        .with_context(|| format!("{source}: cannot read the CSV header"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let layout = Layout::resolve(&header).with_context(|| format!("{source}: unusable header"))?;
    for record in reader.records() {
        let record = record.with_context(|| format!("{source}: malformed CSV"))?;
        let line = record.position().map_or(0, csv::Position::line);
        visit(&Row { layout: &layout, record: &record, options }).with_context(|| format!("{source}, line {line}"))?;
    }
    Ok(())
}

/// Column indices of one file, resolved once from its header.
struct Layout {
    format: ScoreFormat,
    id: Option<usize>,
    label: Option<usize>,
    species: Option<usize>,
    score: Option<usize>,
    /// `face_found` (Reference), `status` (Liveness); `None` for BobPad.
    response: Option<usize>,
    /// `reason` (Liveness only).
    reason: Option<usize>,
    meta: Vec<(String, usize)>,
    /// `x1,y1,x2,y2`, when all four columns exist.
    face_box: Option<[usize; 4]>,
}

impl Layout {
    fn resolve(header: &[String]) -> Result<Layout> {
        let names: Vec<&str> = header.iter().map(String::as_str).collect();
        let format = ScoreFormat::detect(&names);
        check_required(format, &names)?;
        let at = |name: &str| names.iter().position(|c| *c == name);
        let (id, label, response, reason) = match format {
            ScoreFormat::Reference => (at(PATH), at(LABEL), at(columns::FACE_FOUND), None),
            ScoreFormat::Liveness => (at(PATH), at(LABEL), at(STATUS), at(REASON)),
            ScoreFormat::BobPad => (at(columns::BOB_TEST_LABEL), at(columns::BOB_IS_BONAFIDE), None, None),
        };
        Ok(Layout {
            format,
            id,
            label,
            species: at(ATTACK_TYPE),
            score: at(SCORE),
            response,
            reason,
            meta: meta_columns(format, &names)?,
            face_box: match BOX.map(at) {
                [Some(a), Some(b), Some(c), Some(d)] => Some([a, b, c, d]),
                _ => None,
            },
        })
    }

    /// The score, or the reason there is none, under the format's non-response convention.
    fn response<'r>(&self, field: &impl Fn(Option<usize>) -> &'r str) -> Result<(Option<f64>, Option<String>)> {
        let score = parse_score(field(self.score))?;
        let no_score = |reason: &str| Ok((None, Some(reason.to_owned())));
        match self.format {
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

/// One row of a score file met by [`visit_scores`]. The label and score are parsed on demand and the
/// whole presentation (id, species, metadata) only when asked for, so a scan over millions of rows
/// allocates only for the few rows it keeps.
pub struct Row<'a> {
    layout: &'a Layout,
    record: &'a csv::StringRecord,
    options: ReadOptions,
}

impl<'a> Row<'a> {
    /// A cell; absent columns read as empty (only optional ones can be, check_required saw to the rest).
    fn field(&self, i: Option<usize>) -> &'a str {
        i.and_then(|i| self.record.get(i)).unwrap_or("")
    }

    pub fn bona_fide(&self) -> Result<bool> {
        let label = self.field(self.layout.label);
        match self.layout.format {
            ScoreFormat::BobPad => parse_bool(label),
            _ => parse_label(label),
        }
    }

    /// The score (negated with `flip`), or `None` for a non-response.
    pub fn score(&self) -> Result<Option<f64>> {
        Ok(self.response()?.0)
    }

    fn response(&self) -> Result<(Option<f64>, Option<String>)> {
        let (score, reason) = self.layout.response(&|i| self.field(i))?;
        let flip = if self.options.flip { -1.0 } else { 1.0 };
        Ok((score.map(|s| flip * s), reason))
    }

    pub fn presentation(&self) -> Result<Presentation> {
        let bona_fide = self.bona_fide()?;
        let species = match (bona_fide, self.field(self.layout.species)) {
            (true, _) => String::new(),
            (false, "") => UNKNOWN_SPECIES.to_owned(),
            (false, s) => s.to_owned(),
        };
        let (score, reason) = self.response()?;
        Ok(Presentation {
            id: self.field(self.layout.id).to_owned(),
            bona_fide,
            species,
            score,
            reason,
            meta: self.layout.meta.iter().map(|(name, i)| (name.clone(), self.field(Some(*i)).to_owned())).collect(),
        })
    }

    /// The face box (`x1,y1,x2,y2`); `None` when the file has no box columns or a cell is not an integer.
    pub fn face_box(&self) -> Option<FaceBox> {
        let [x1, y1, x2, y2] = self.layout.face_box?.map(|i| self.record.get(i).and_then(|v| v.parse::<i32>().ok()));
        Some(FaceBox { x1: x1?, y1: y1?, x2: x2?, y2: y2? })
    }
}

fn check_required(format: ScoreFormat, names: &[&str]) -> Result<()> {
    let missing: Vec<&str> = format.required().iter().copied().filter(|c| !names.contains(c)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    bail!(
        "missing required column(s) {} for the {format:?} format; columns found: {}; this format needs: {} \
         (recognized formats: Reference needs {}, Liveness (has `status`) needs {}, BobPad (has `is_bonafide`) needs {})",
        missing.join(","),
        names.join(","),
        format.required().join(","),
        ScoreFormat::Reference.required().join(","),
        ScoreFormat::Liveness.required().join(","),
        ScoreFormat::BobPad.required().join(","),
    )
}

/// Metadata columns and their indices; bob.pad's `claimed_id` is renamed `subject`.
fn meta_columns(format: ScoreFormat, names: &[&str]) -> Result<Vec<(String, usize)>> {
    let core = format.identity();
    let mut meta: Vec<(String, usize)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if core.contains(name) || is_reserved(name) {
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
    let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(value));
    match () {
        _ if is(&["live", "bona_fide", "bonafide", "real", "genuine"]) => Ok(true),
        _ if is(&["attack", "spoof", "fake"]) => Ok(false),
        _ => bail!(
            "label {value:?} is neither bona fide (live, bona_fide, bonafide, real, genuine) \
             nor attack (attack, spoof, fake)"
        ),
    }
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

#[cfg(test)]
mod tests {
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
        visit_scores(&path, ReadOptions { flip: true }, |row| {
            scores.push((row.bona_fide()?, row.score()?));
            Ok(())
        })
        .unwrap();
        assert_eq!(scores, [(true, Some(-0.9)), (false, None), (false, Some(-0.25))]);
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
        let e = error("path,label,score\na,live,0.5\n");
        assert!(e.contains("missing required column(s) attack_type,face_found"), "{e}");
        assert!(e.contains("columns found: path,label,score"), "{e}");
        assert!(e.contains("this format needs: path,label,attack_type,score,face_found"), "{e}");
    }

    #[test]
    fn flip_negates_scores() {
        let options = ReadOptions { flip: true };
        let rows =
            parse_scores("path,label,attack_type,score,face_found\na,live,,0.25,1\n".as_bytes(), "t", options).unwrap();
        assert_eq!(rows[0].score, Some(-0.25));
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
}
