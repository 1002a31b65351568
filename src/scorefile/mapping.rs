//! Reading a score file of no known format: which column is what, which label words mean bona fide or
//! attack, and the score's scale and direction, as the user states them (issue 11). Nothing here is
//! guessed but the column names of the plainest export (`path`/`id`/`file`, `label`, `score`), and the
//! reader says which columns it used.

use anyhow::{Result, bail};

pub use crate::schema::mapping::Mapping;
use crate::schema::mapping::{ATTACK_WORDS, LIVE_WORDS};
use crate::schema::{Decided, VendorDecision};

impl Mapping {
    /// True when the user asked for anything: the file is then read as a mapped file, whatever its
    /// header looks like.
    pub fn is_given(&self) -> bool {
        *self != Mapping::default()
    }

    /// The JSON pointers (`/a/b`) among the mapped columns, which a JSON Lines header must add.
    pub fn pointers(&self) -> Vec<&str> {
        let named = [&self.id, &self.label, &self.score, &self.species, &self.reason, &self.decision];
        let segments = self.segments.iter().flatten();
        named.into_iter().flatten().chain(segments).map(String::as_str).filter(|c| c.starts_with('/')).collect()
    }

    /// The metadata names of the kept segment columns: a pointer's last key (`/sample/subject` →
    /// `subject`), a column its name.
    pub fn segment_names(&self) -> Vec<String> {
        self.segments.iter().flatten().map(|c| meta_name(c).to_owned()).collect()
    }

    /// Checks what can be checked before reading: lists given in pairs, disjoint; a positive scale.
    pub fn validate(&self) -> Result<()> {
        if self.live_labels.is_empty() != self.attack_labels.is_empty() {
            bail!("give both --live-labels and --attack-labels (labels are never guessed)");
        }
        if let Some(w) = self.live_labels.iter().find(|w| self.attack_labels.iter().any(|a| a.eq_ignore_ascii_case(w)))
        {
            bail!("label {w:?} is in both --live-labels and --attack-labels");
        }
        if let Some(s) = self.scale.filter(|s| !(s.is_finite() && *s > 0.0)) {
            bail!("--score-scale must be a positive number, got {s}");
        }
        match (&self.decision, self.decision_map.is_empty()) {
            (Some(c), true) => bail!(
                "--decision-column {c:?} needs --decision-map WORD={},... (what the vendor's words mean is \
                 never guessed)",
                VendorDecision::choices()
            ),
            (None, false) => {
                bail!("--decision-map needs --decision-column COLUMN: the column the vendor's words are in")
            }
            _ => {}
        }
        for (i, w) in self.decision_map.iter().enumerate() {
            if let Some(other) = self.decision_map[..i].iter().find(|o| o.word.eq_ignore_ascii_case(&w.word)) {
                bail!("--decision-map names {:?} twice ({other} and {w})", w.word);
            }
        }
        if self.pyeer_impostors.is_some() {
            let bare = Mapping {
                pyeer_impostors: self.pyeer_impostors.clone(),
                scale: self.scale,
                higher_is_attack: self.higher_is_attack,
                ..Mapping::default()
            };
            if *self != bare {
                bail!(
                    "--format pyeer files hold one score a line and nothing else: of the mapping options only \
                     --score-scale and --higher-is-attack apply"
                );
            }
        }
        Ok(())
    }

    /// Reads a decision cell by `--decision-map`; an empty cell is a no response. `reason` is the reason
    /// column's cell, the reason of a retry or no response when not empty.
    pub fn decide(&self, cell: &str, reason: &str) -> Result<Decided> {
        let why = |word: &str| Some(if reason.is_empty() { word } else { reason }.to_owned());
        if cell.is_empty() {
            return Ok(Decided { decision: VendorDecision::NoResponse, reason: why("no_decision") });
        }
        let Some(w) = self.decision_map.iter().find(|w| w.word.eq_ignore_ascii_case(cell)) else {
            bail!(
                "decision {cell:?} is not in --decision-map ({}); add it, e.g. --decision-map {cell}=retry",
                self.decision_map.iter().map(|w| w.word.as_str()).collect::<Vec<_>>().join(", ")
            )
        };
        let reason = match w.decision {
            VendorDecision::Retry | VendorDecision::NoResponse => why(cell),
            VendorDecision::BonaFide | VendorDecision::Attack => None,
        };
        Ok(Decided { decision: w.decision, reason })
    }

    /// Reads a label cell: bona fide (`true`) or attack.
    pub fn bona_fide(&self, value: &str) -> Result<bool> {
        fn has<'w>(mut words: impl Iterator<Item = &'w str>, value: &str) -> bool {
            words.any(|w| w.eq_ignore_ascii_case(value))
        }
        let is = |words: &[String]| has(words.iter().map(String::as_str), value);
        if self.live_labels.is_empty() {
            match () {
                _ if has(LIVE_WORDS.iter().copied(), value) => Ok(true),
                _ if has(ATTACK_WORDS.iter().copied(), value) => Ok(false),
                _ => bail!(
                    "label {value:?} is neither bona fide ({}) nor attack ({}); \
                     name your words with --live-labels and --attack-labels",
                    LIVE_WORDS.join(", "),
                    ATTACK_WORDS.join(", ")
                ),
            }
        } else if is(&self.live_labels) {
            Ok(true)
        } else if is(&self.attack_labels) {
            Ok(false)
        } else {
            bail!(
                "label {value:?} is in neither --live-labels ({}) nor --attack-labels ({})",
                self.live_labels.join(","),
                self.attack_labels.join(",")
            )
        }
    }

    /// The live score of a parsed score cell, on the 0..1 scale the policies use.
    pub fn live_score(&self, score: f64) -> Result<f64> {
        let scale = self.scale.unwrap_or(1.0);
        match self.scale {
            None if !(0.0..=1.0).contains(&score) => bail!(
                "score {score} is outside 0..1: for 0–100 confidences pass --score-scale 100 \
                 (for scores on another scale, --score-scale S divides them by S)"
            ),
            Some(s) if self.higher_is_attack && !(0.0..=s).contains(&score) => {
                bail!("score {score} is outside 0..{s}: --higher-is-attack reads scores as 0..scale attack confidences")
            }
            _ => {}
        }
        let s = score / scale;
        Ok(if self.higher_is_attack { 1.0 - s } else { s })
    }

    /// A live-scale threshold `t` on the file's own scale, and the rule there: what outputs print beside
    /// the live-scale threshold.
    pub fn on_file_scale(&self, t: f64) -> Option<String> {
        if self.scale.is_none() && !self.higher_is_attack {
            return None;
        }
        let scale = self.scale.unwrap_or(1.0);
        Some(if self.higher_is_attack {
            format!("bona fide iff file score <= {} (attack-high scores, scale {scale})", (1.0 - t) * scale)
        } else {
            format!("bona fide iff file score >= {} (scale {scale})", t * scale)
        })
    }
}

/// The metadata name of a kept column.
pub fn meta_name(column: &str) -> &str {
    if column.starts_with('/') { column.rsplit('/').next().unwrap_or(column) } else { column }
}

/// The presets of `--format NAME`: the fields of common exports (datasets.md shows an example of each).
/// None of them holds labels: map one with `--label-column` (and `--live-labels`/`--attack-labels`).
/// `pyeer` is two files of one score a line, genuine and impostor ([`super::pyeer`]): its labels are
/// which file a score is in.
pub const PRESETS: [&str; 5] = ["aws-liveness", "spoofsense", "verifik", "liveness-json", PYEER];

/// The preset of pyeer's genuine/impostor score files.
pub const PYEER: &str = "pyeer";

/// The mapping of a preset.
pub fn preset(name: &str) -> Result<Mapping> {
    let col = |c: &str| Some(c.to_owned());
    Ok(match name {
        // AWS Rekognition GetFaceLivenessSessionResults, one JSON object per session.
        "aws-liveness" => Mapping {
            id: col("/SessionId"),
            score: col("/Confidence"),
            reason: col("/Status"),
            scale: Some(100.0),
            ..Mapping::default()
        },
        "spoofsense" => Mapping { score: col("/model_output/prob_real"), ..Mapping::default() },
        "verifik" => Mapping { score: col("/liveness_score"), ..Mapping::default() },
        // This tool's `score --json`.
        "liveness-json" => {
            Mapping { id: col("/path"), score: col("/live_probability"), reason: col("/reason"), ..Mapping::default() }
        }
        // The impostor file is the caller's to add (`--attack-scores`).
        PYEER => Mapping::default(),
        other => bail!("unknown --format {other:?}; presets: {}", PRESETS.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn label_lists_are_explicit_and_exclusive() {
        let m =
            Mapping { live_labels: words(&["True", "1"]), attack_labels: words(&["False", "0"]), ..Mapping::default() };
        assert!(m.bona_fide("true").unwrap() && m.bona_fide("1").unwrap() && !m.bona_fide("FALSE").unwrap());
        let e = m.bona_fide("live").unwrap_err().to_string();
        assert!(e.contains("\"live\" is in neither --live-labels (True,1) nor --attack-labels (False,0)"), "{e}");
        let named = Mapping::default();
        assert!(named.bona_fide("Real").unwrap() && !named.bona_fide("spoof").unwrap());
        assert!(named.bona_fide("1").unwrap_err().to_string().contains("--live-labels"));
        let half = Mapping { live_labels: words(&["1"]), ..Mapping::default() };
        assert!(half.validate().unwrap_err().to_string().contains("both"));
        let both = Mapping { live_labels: words(&["x"]), attack_labels: words(&["X"]), ..Mapping::default() };
        assert!(both.validate().unwrap_err().to_string().contains("in both"));
        assert!(Mapping { scale: Some(0.0), ..Mapping::default() }.validate().is_err());
    }

    fn decisions(map: &[&str]) -> Mapping {
        let decision_map = map.iter().map(|w| w.parse().unwrap()).collect();
        Mapping { decision: Some("result".into()), decision_map, ..Mapping::default() }
    }

    #[test]
    fn decision_words_are_read_by_the_map_without_case() {
        let m = decisions(&["realface=bona_fide", "spoofface=attack", "uncertain=retry", "error=no_response"]);
        m.validate().unwrap();
        let d = |cell: &str, reason: &str| m.decide(cell, reason).unwrap();
        assert_eq!(d("RealFace", "").decision, VendorDecision::BonaFide);
        assert_eq!((d("spoofface", "x").decision, d("spoofface", "x").reason), (VendorDecision::Attack, None));
        assert_eq!(d("Uncertain", ""), Decided { decision: VendorDecision::Retry, reason: Some("Uncertain".into()) });
        assert_eq!(d("error", "timeout").reason.as_deref(), Some("timeout"));
        assert_eq!(d("", ""), Decided { decision: VendorDecision::NoResponse, reason: Some("no_decision".into()) });
        let e = m.decide("maybe", "").unwrap_err().to_string();
        assert!(e.contains("\"maybe\" is not in --decision-map (realface, spoofface, uncertain, error)"), "{e}");
    }

    #[test]
    fn a_decision_map_needs_its_column_and_names_a_word_once() {
        let no_map = Mapping { decision: Some("result".into()), ..Mapping::default() };
        assert!(no_map.validate().unwrap_err().to_string().contains("needs --decision-map"));
        let no_column = Mapping { decision: None, ..decisions(&["live=bona_fide"]) };
        assert!(no_column.validate().unwrap_err().to_string().contains("needs --decision-column"));
        let twice = decisions(&["Live=bona_fide", "live=attack"]);
        assert!(twice.validate().unwrap_err().to_string().contains("names \"live\" twice"));
        let pyeer = Mapping { pyeer_impostors: Some("i.txt".into()), ..Mapping::default() };
        pyeer.validate().unwrap();
        let columns = Mapping { id: Some("x".into()), ..pyeer };
        assert!(columns.validate().unwrap_err().to_string().contains("one score a line"));
    }

    #[test]
    fn scores_are_scaled_and_turned_into_live_scores() {
        let plain = Mapping::default();
        assert_eq!(plain.live_score(0.25).unwrap(), 0.25);
        let e = plain.live_score(87.0).unwrap_err().to_string();
        assert!(e.contains("outside 0..1") && e.contains("--score-scale 100"), "{e}");
        let pct = Mapping { scale: Some(100.0), ..Mapping::default() };
        assert_eq!(pct.live_score(37.0).unwrap(), 0.37);
        assert_eq!(pct.on_file_scale(0.5).unwrap(), "bona fide iff file score >= 50 (scale 100)");
        let spoof = Mapping { scale: Some(100.0), higher_is_attack: true, ..Mapping::default() };
        assert_eq!(spoof.live_score(25.0).unwrap(), 0.75);
        assert!(spoof.live_score(120.0).is_err());
        assert_eq!(
            spoof.on_file_scale(0.75).unwrap(),
            "bona fide iff file score <= 25 (attack-high scores, scale 100)"
        );
        assert_eq!(plain.on_file_scale(0.5), None);
    }
}
