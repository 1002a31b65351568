//! The presentation record: the one input type of the metrics engine, whatever the score file's format.

use std::collections::BTreeMap;
use std::io::{self, Write};

/// Species of an attack whose attack type is not known: a dataset that does not tell it, or a score-file
/// row with an empty `attack_type`. APCER is per species, and an empty name would be an unreadable key in
/// every report.
pub const UNKNOWN_SPECIES: &str = "unknown";

/// One scored (or unscored) presentation to the PAD subsystem.
#[derive(Debug, Clone, PartialEq)]
pub struct Presentation {
    /// Where it came from: the image path (`test_label` for bob.pad files).
    pub id: String,
    /// True for a bona fide (live) presentation, false for an attack.
    pub bona_fide: bool,
    /// PAI species of an attack; `""` for bona fide presentations.
    pub species: String,
    /// Higher = more bona fide; `None` is a non-response.
    pub score: Option<f64>,
    /// Why there is no score; `Some` exactly when `score` is `None`.
    pub reason: Option<String>,
    /// Every other column (subject, session, device, ...), by column name.
    pub meta: BTreeMap<String, String>,
    /// The vendor's own decision, when a decision column is mapped (`--decision-column`); the score
    /// engine ignores it, `metrics::decisions` reads it.
    pub decision: Option<super::Decided>,
}

/// Length of a fingerprint in hex digits (the first 64 bits of the digest).
pub const FINGERPRINT_HEX: usize = 16;

/// The bytes a presentation fingerprint is the digest of: every presentation's id, label and species, in
/// order (scores are left out: two runs with the same fingerprint evaluated the same presentations, their
/// scores may differ). The digest (sha256, first [`FINGERPRINT_HEX`] hex digits) is taken by
/// `scorefile::fingerprint`, which owns the hashing crate.
pub fn write_fingerprint_input(presentations: &[Presentation], out: &mut impl Write) -> io::Result<()> {
    for p in presentations {
        write_fingerprint_entry(&p.id, p.bona_fide, &p.species, out)?;
    }
    Ok(())
}

/// One presentation's part of [`write_fingerprint_input`]; a run's manifest hashes its samples this way
/// before any is scored.
pub fn write_fingerprint_entry(id: &str, bona_fide: bool, species: &str, out: &mut impl Write) -> io::Result<()> {
    out.write_all(id.as_bytes())?;
    out.write_all(&[0, u8::from(bona_fide), 0])?;
    out.write_all(species.as_bytes())?;
    out.write_all(b"\n")
}
