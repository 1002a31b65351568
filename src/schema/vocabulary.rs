//! The words written into score files and JSON records, one enum each, so writers and readers agree.
//!
//! - status: `ok` (the system gave a score) or `non_response` (it did not; a reason says why). `score
//!   --json` wrote `scored` until these were unified; CSV, sessions and the reader always said `ok`.
//! - decision: `live` (bona fide) or `attack`, the words of the `label` column too; a non-response has no
//!   decision (an empty cell, JSON `null`). The metrics document names the classes `bona_fide` and the
//!   attack species, and counts non-responses on their own (`no_response`), never as a decision.

use serde::{Deserialize, Serialize};

/// Whether a presentation got a score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    NonResponse,
}

impl Status {
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NonResponse => "non_response",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        [Status::Ok, Status::NonResponse].into_iter().find(|s| s.as_str() == text)
    }
}

/// The decision at the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Live,
    Attack,
}

impl Decision {
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Live => "live",
            Decision::Attack => "attack",
        }
    }

    /// `Live` for a bona fide decision.
    pub const fn of(bona_fide: bool) -> Decision {
        if bona_fide { Decision::Live } else { Decision::Attack }
    }
}
