//! How the user says a score file of no known format is to be read (issue 11): which column is what,
//! the label words, the score's scale and direction. Read by `scorefile` (which gives it its
//! behaviour) and recorded in a run's `metrics.json`, so that `report` reads the file again the same way.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::columns::{ATTACK_TYPE, LABEL, SCORE};
use super::vendor_decision::DecisionWord;

/// How to read a mapped score file; every field left empty falls back to the common names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Mapping {
    /// The presentation id column (CSV) or key / JSON pointer (JSON Lines, `/a/b`).
    pub id: Option<String>,
    pub label: Option<String>,
    pub score: Option<String>,
    /// The attack species (PAI) column; without one every attack is species `unknown`.
    pub species: Option<String>,
    /// The error or status column whose value is a non-response's reason.
    pub reason: Option<String>,
    /// The metadata columns to keep (what can be segmented on); `None` keeps every other column.
    pub segments: Option<Vec<String>>,
    /// Label words of bona fide and attack presentations (compared without case). Empty: the named
    /// words `live, bona_fide, bonafide, real, genuine` and `attack, spoof, fake`.
    pub live_labels: Vec<String>,
    pub attack_labels: Vec<String>,
    /// Scores are divided by this (`100` for 0–100 confidences). `None`: scores must lie in 0..1.
    pub scale: Option<f64>,
    /// Scores grow with "attack" (a spoof probability): the live score is `1 - score / scale`.
    pub higher_is_attack: bool,
    /// The vendor's own decision column (`--decision-column`), read through `decision_map`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// What each of the vendor's decision words means (`--decision-map`); stated, never guessed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decision_map: Vec<DecisionWord>,
    /// `--format pyeer`: the file of impostor (attack) scores, one a line; the score file itself holds the
    /// genuine (bona fide) scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pyeer_impostors: Option<PathBuf>,
}

/// Common names of the columns of a plain export, tried in order when a column is not mapped.
pub const ID_NAMES: [&str; 6] = ["path", "id", "file", "filename", "image", "sample_id"];
pub const LABEL_NAMES: [&str; 1] = [LABEL];
pub const SCORE_NAMES: [&str; 1] = [SCORE];
pub const SPECIES_NAMES: [&str; 2] = [ATTACK_TYPE, "species"];

/// The named label words read when no lists are given.
pub const LIVE_WORDS: [&str; 5] = ["live", "bona_fide", "bonafide", "real", "genuine"];
pub const ATTACK_WORDS: [&str; 3] = ["attack", "spoof", "fake"];
