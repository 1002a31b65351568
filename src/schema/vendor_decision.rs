//! A vendor's own decision, for APIs that return no score (Azure's `realface/spoofface/uncertain`,
//! Acuant's `Live/NotLive/PoorQuality`): what each of the vendor's words means, as the user states it
//! with `--decision-map WORD=bona_fide|attack|retry|no_response` (never guessed), and the decision a
//! presentation got. Recorded in a run's `metrics.json` (`run.mapping`) with the rest of the mapping.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a vendor's word means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VendorDecision {
    /// Accepted as a bona fide (live) presentation.
    BonaFide,
    /// Rejected as an attack.
    Attack,
    /// The vendor asked for another capture (`uncertain`, `PoorQuality`): no decision on this one.
    Retry,
    /// The vendor failed to process the presentation (an error): no decision.
    NoResponse,
}

impl VendorDecision {
    pub const ALL: [VendorDecision; 4] =
        [VendorDecision::BonaFide, VendorDecision::Attack, VendorDecision::Retry, VendorDecision::NoResponse];

    pub const fn as_str(self) -> &'static str {
        match self {
            VendorDecision::BonaFide => "bona_fide",
            VendorDecision::Attack => "attack",
            VendorDecision::Retry => "retry",
            VendorDecision::NoResponse => "no_response",
        }
    }

    pub fn parse(text: &str) -> Option<VendorDecision> {
        VendorDecision::ALL.into_iter().find(|d| d.as_str() == text)
    }

    /// `bona_fide|attack|retry|no_response`, for messages.
    pub fn choices() -> String {
        VendorDecision::ALL.map(VendorDecision::as_str).join("|")
    }
}

/// One entry of `--decision-map`: a vendor's word (compared without case) and what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionWord {
    pub word: String,
    pub decision: VendorDecision,
}

impl FromStr for DecisionWord {
    type Err = String;

    /// `WORD=bona_fide|attack|retry|no_response`.
    fn from_str(s: &str) -> Result<DecisionWord, String> {
        let syntax = || format!("`{s}` is not WORD={}", VendorDecision::choices());
        let (word, decision) = s.split_once('=').ok_or_else(syntax)?;
        let (word, decision) = (word.trim(), decision.trim());
        if word.is_empty() {
            return Err(syntax());
        }
        let decision = VendorDecision::parse(&decision.to_ascii_lowercase()).ok_or_else(|| {
            format!("`{s}`: {decision:?} is not a decision; a word means one of {}", VendorDecision::choices())
        })?;
        Ok(DecisionWord { word: word.to_owned(), decision })
    }
}

impl fmt::Display for DecisionWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.word, self.decision.as_str())
    }
}

/// The vendor's decision of one presentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
    pub decision: VendorDecision,
    /// For a retry or a no response: the reason column's value, else the vendor's word (`uncertain`),
    /// else `no_decision` (an empty cell). `None` for a decision.
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_words_parse_and_print() {
        let w: DecisionWord = "realface=bona_fide".parse().unwrap();
        assert_eq!((w.word.as_str(), w.decision), ("realface", VendorDecision::BonaFide));
        assert_eq!(" PoorQuality = Retry ".parse::<DecisionWord>().unwrap().to_string(), "PoorQuality=retry");
        assert!(
            "realface".parse::<DecisionWord>().unwrap_err().contains("is not WORD=bona_fide|attack|retry|no_response")
        );
        assert!("=attack".parse::<DecisionWord>().is_err());
        let e = "spoofface=spoof".parse::<DecisionWord>().unwrap_err();
        assert!(e.contains("\"spoof\" is not a decision"), "{e}");
    }
}
