//! The score-file columns: one typed list from which the writers (`score --csv`, `eval`'s `scores.csv`,
//! `session score --csv`) build their headers and the reader (`scorefile`) knows the formats, the
//! required columns and which columns are reserved (never metadata).
//!
//! A liveness score file is `path,label,attack_type`, then any metadata columns, then the result columns
//! of its kind: [`IMAGE_RESULT`] + one `<model>_score` per model + [`QUALITY`] for images, or
//! [`SESSION_RESULT`] for sessions. Both kinds start with [`OUTCOME`] (`score,status,reason,decision,band`),
//! so evaluation reads either without knowing which it is.

/// What a column holds; decides whether the reader may treat it as metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Identifies the presentation (`path`, `label`, `attack_type`).
    Sample,
    /// The system's answer: score, status, reason, decision, band.
    Outcome,
    /// Face count and box.
    Face,
    /// A quality measure (`q_*`).
    Quality,
    /// A per-session measure (liveness score, variation scores, frame counts, ...).
    SessionMeasure,
    /// Which challenges passed or failed: kept as metadata on purpose, so rates can be broken down by
    /// which challenge stops which attack.
    SessionOutcome,
}

/// One column of a score file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub role: Role,
}

impl Column {
    /// True for engine outputs, which would make useless, near-unique segments.
    pub const fn reserved(self) -> bool {
        !matches!(self.role, Role::Sample | Role::SessionOutcome)
    }
}

const fn col(name: &'static str, role: Role) -> Column {
    Column { name, role }
}

pub const PATH: &str = "path";
pub const LABEL: &str = "label";
pub const ATTACK_TYPE: &str = "attack_type";
pub const SCORE: &str = "score";
pub const STATUS: &str = "status";
pub const REASON: &str = "reason";
pub const DECISION: &str = "decision";
pub const BAND: &str = "band";
pub const FACE_COUNT: &str = "face_count";
/// The face box, `x1,y1,x2,y2` (pixels of the decoded, upright image).
pub const BOX: [&str; 4] = ["x1", "y1", "x2", "y2"];
/// The reference pipeline's (and the oracles') response column: `1` a face was found, `0` none.
pub const FACE_FOUND: &str = "face_found";
/// bob.pad's columns.
pub const BOB_CLAIMED_ID: &str = "claimed_id";
pub const BOB_TEST_LABEL: &str = "test_label";
pub const BOB_IS_BONAFIDE: &str = "is_bonafide";
/// The calibrated P(bona fide) of the policy's probability map, after the quality columns; written only
/// when the policy has a map (`[probability]`).
pub const CALIBRATED: &str = "calibrated_live_probability";
/// Suffix of the per-model score columns: `<model>_score`.
pub const MODEL_SCORE_SUFFIX: &str = "_score";
/// Prefix of the quality columns.
pub const QUALITY_PREFIX: &str = "q_";

/// The columns that identify a presentation, first in every liveness and reference score file.
pub const SAMPLE: [&str; 3] = [PATH, LABEL, ATTACK_TYPE];

/// The outcome columns both image and session score files start their results with.
pub const OUTCOME: [Column; 5] = [
    col(SCORE, Role::Outcome),
    col(STATUS, Role::Outcome),
    col(REASON, Role::Outcome),
    col(DECISION, Role::Outcome),
    col(BAND, Role::Outcome),
];

/// Result columns of an image score file, before the per-model and quality columns.
pub const IMAGE_RESULT: [Column; 10] = [
    OUTCOME[0],
    OUTCOME[1],
    OUTCOME[2],
    OUTCOME[3],
    OUTCOME[4],
    col(FACE_COUNT, Role::Face),
    col(BOX[0], Role::Face),
    col(BOX[1], Role::Face),
    col(BOX[2], Role::Face),
    col(BOX[3], Role::Face),
];

/// Quality columns of an image score file, after the per-model scores.
pub const QUALITY: [Column; 6] = [
    col("q_face_px", Role::Quality),
    col("q_face_share", Role::Quality),
    col("q_sharpness", Role::Quality),
    col("q_brightness", Role::Quality),
    col("q_clipped_share", Role::Quality),
    col("q_at_border", Role::Quality),
];

/// Result columns of a session score file (`liveness session score --csv`).
pub const SESSION_RESULT: [Column; 22] = [
    OUTCOME[0],
    OUTCOME[1],
    OUTCOME[2],
    OUTCOME[3],
    OUTCOME[4],
    col("liveness_mode", Role::SessionMeasure),
    col("liveness_score", Role::SessionMeasure),
    col("liveness_passed", Role::SessionMeasure),
    col("pose_variation_score", Role::SessionMeasure),
    col("expression_variation_score", Role::SessionMeasure),
    col("passive_score", Role::SessionMeasure),
    col("challenges_asked", Role::SessionMeasure),
    col("challenges_completed", Role::SessionMeasure),
    col("challenges_passed", Role::SessionOutcome),
    col("challenges_failed", Role::SessionOutcome),
    col("frames_captured", Role::SessionMeasure),
    col("frames_used", Role::SessionMeasure),
    col("yaw_range", Role::SessionMeasure),
    col("pitch_range", Role::SessionMeasure),
    col("ear_min_ratio", Role::SessionMeasure),
    col("blink", Role::SessionMeasure),
    col("smile_peak", Role::SessionMeasure),
];

/// The per-model score column of `model`.
pub fn model_score_column(model: &str) -> String {
    format!("{model}{MODEL_SCORE_SUFFIX}")
}

/// The model a `<model>_score` column is of.
pub fn model_of_score_column(column: &str) -> Option<&str> {
    column.strip_suffix(MODEL_SCORE_SUFFIX)
}

/// The models whose scores a score file's header holds: its `<model>_score` columns, in header order
/// (the first is the primary model, whose scores are also in `score`). The session measures that end in
/// `_score` (`liveness_score`, `passive_score`, ...) are columns of their own, not models.
pub fn models_in<'a>(header: &[&'a str]) -> Vec<&'a str> {
    let named = |c: &str| IMAGE_RESULT.iter().chain(&SESSION_RESULT).any(|n| n.name == c);
    header.iter().filter(|c| !named(c)).filter_map(|c| model_of_score_column(c)).filter(|m| !m.is_empty()).collect()
}

/// True for columns that are never metadata: every reserved column of the lists above, the reference
/// format's `face_found`, the calibrated probability, any per-model `*_score` and any quality `q_*` column.
pub fn is_reserved(column: &str) -> bool {
    column == FACE_FOUND
        || column == CALIBRATED
        || IMAGE_RESULT.iter().chain(&SESSION_RESULT).any(|c| c.name == column && c.reserved())
        || column.ends_with(MODEL_SCORE_SUFFIX)
        || column.starts_with(QUALITY_PREFIX)
}

/// The header of an image score file: sample columns, metadata, results, per-model scores, quality, and
/// the calibrated probability when `calibrated` (the policy has a probability map).
pub fn image_header(meta: &[String], models: &[String], calibrated: bool) -> Vec<String> {
    let mut h = sample_header(meta);
    h.extend(image_result_header(models, calibrated));
    h
}

/// The result part of an image score file's header (what `score --csv` writes after `path`).
pub fn image_result_header(models: &[String], calibrated: bool) -> Vec<String> {
    let mut h: Vec<String> = IMAGE_RESULT.iter().map(|c| c.name.to_owned()).collect();
    h.extend(models.iter().map(|m| model_score_column(m)));
    h.extend(QUALITY.iter().map(|c| c.name.to_owned()));
    if calibrated {
        h.push(CALIBRATED.to_owned());
    }
    h
}

/// The header of a session score file.
pub fn session_header(meta: &[String]) -> Vec<String> {
    let mut h = sample_header(meta);
    h.extend(SESSION_RESULT.iter().map(|c| c.name.to_owned()));
    h
}

fn sample_header(meta: &[String]) -> Vec<String> {
    let mut h: Vec<String> = SAMPLE.map(String::from).into();
    h.extend(meta.iter().cloned());
    h
}

/// The header-detected layout of a score file (see `scorefile` for the reading rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreFormat {
    /// `path,label,attack_type,...,score,face_found,x1,y1,x2,y2` (oracles and `ref_pipeline.py`).
    Reference,
    /// Our own `scores.csv`: `path,label,attack_type,...,score,status,reason,...`.
    Liveness,
    /// bob.pad: `claimed_id,test_label,is_bonafide,attack_type,score`.
    BobPad,
}

impl ScoreFormat {
    /// Picks the format from the header's column names.
    pub fn detect(header: &[&str]) -> ScoreFormat {
        if header.contains(&BOB_IS_BONAFIDE) {
            ScoreFormat::BobPad
        } else if header.contains(&STATUS) {
            ScoreFormat::Liveness
        } else {
            ScoreFormat::Reference
        }
    }

    /// The columns a file of this format must have.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            ScoreFormat::Reference => &[PATH, LABEL, ATTACK_TYPE, SCORE, FACE_FOUND],
            ScoreFormat::Liveness => &[PATH, LABEL, ATTACK_TYPE, SCORE, STATUS, REASON],
            ScoreFormat::BobPad => &[BOB_CLAIMED_ID, BOB_TEST_LABEL, BOB_IS_BONAFIDE, ATTACK_TYPE, SCORE],
        }
    }

    /// The columns that identify a presentation (never metadata).
    pub fn identity(self) -> &'static [&'static str] {
        match self {
            ScoreFormat::BobPad => &[BOB_TEST_LABEL, BOB_IS_BONAFIDE, ATTACK_TYPE],
            _ => &SAMPLE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_columns_are_the_engine_outputs_and_challenge_outcomes_stay_metadata() {
        for c in ["score", "status", "band", "face_found", "x2", "face_count", "liveness_score", "frames_used"] {
            assert!(is_reserved(c), "{c}");
        }
        for c in ["minifas128_score", "q_anything", "primary_score"] {
            assert!(is_reserved(c), "{c}");
        }
        for c in ["subject", "session", "challenges_passed", "challenges_failed", "path", "label"] {
            assert!(!is_reserved(c), "{c}");
        }
    }

    #[test]
    fn models_are_the_per_model_score_columns_and_not_the_session_measures() {
        let image = image_header(&["subject".into()], &["silentface".into(), "minifas128".into()], false);
        let image: Vec<&str> = image.iter().map(String::as_str).collect();
        assert_eq!(models_in(&image), ["silentface", "minifas128"]);
        let session = session_header(&[]);
        assert!(models_in(&session.iter().map(String::as_str).collect::<Vec<_>>()).is_empty());
        assert!(models_in(&["path", "label", "score", "_score", "face_found"]).is_empty());
    }

    #[test]
    fn both_kinds_of_score_file_start_their_results_with_the_outcome_columns() {
        let image = image_header(&["subject".into()], &["silentface".into()], true);
        let session = session_header(&["subject".into()]);
        let outcome: Vec<&str> = OUTCOME.iter().map(|c| c.name).collect();
        assert_eq!(image[..4], ["path", "label", "attack_type", "subject"]);
        assert_eq!(image[4..9], outcome[..]);
        assert_eq!(session[4..9], outcome[..]);
        assert_eq!(image[14], "silentface_score");
        assert_eq!(image.len(), 4 + 10 + 1 + 6 + 1);
        assert_eq!(image.last().map(String::as_str), Some(CALIBRATED));
        assert!(is_reserved(CALIBRATED), "the calibrated probability is never metadata");
        assert_eq!(session.len(), 4 + 22);
        assert_eq!(ScoreFormat::detect(&image.iter().map(String::as_str).collect::<Vec<_>>()), ScoreFormat::Liveness);
    }
}
