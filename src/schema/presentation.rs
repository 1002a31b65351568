//! The presentation record: the one input type of the metrics engine, whatever the score file's format.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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

/// One presentation's part of the bytes a presentation fingerprint is the digest of: its id, label and
/// species, each presentation in order (scores are left out: two runs with the same fingerprint evaluated
/// the same presentations, their scores may differ). The digest (sha256, first [`FINGERPRINT_HEX`] hex
/// digits) is taken by `scorefile::fingerprint`, which owns the hashing crate; a run's manifest hashes its
/// samples this way before any is scored.
pub fn write_fingerprint_entry(id: &str, bona_fide: bool, species: &str, out: &mut impl Write) -> io::Result<()> {
    out.write_all(id.as_bytes())?;
    out.write_all(&[0, u8::from(bona_fide), 0])?;
    out.write_all(species.as_bytes())?;
    out.write_all(b"\n")
}

/// Read access to presentations by index, whatever holds them: a slice of [`Presentation`] records, or
/// the typed columns a large score file is read into ([`super::columnar::ScoreColumns`], no record or
/// metadata map per row). The metrics engine reads through this, so both are evaluated by the same code.
pub trait Presentations {
    fn count(&self) -> usize;
    fn id(&self, i: usize) -> &str;
    fn bona_fide(&self, i: usize) -> bool;
    /// PAI species of an attack; `""` for bona fide presentations.
    fn species(&self, i: usize) -> &str;
    /// `None` is a non-response.
    fn score(&self, i: usize) -> Option<f64>;
    fn reason(&self, i: usize) -> Option<&str>;
    /// Metadata `column` of presentation `i`; `None` when it has none.
    fn meta(&self, i: usize, column: &str) -> Option<&str>;
    /// Every metadata column some presentation has, sorted.
    fn meta_columns(&self) -> BTreeSet<&str>;
    /// The distinct values of metadata `column` (a presentation without it counts as `""`).
    fn meta_values(&self, column: &str) -> BTreeSet<&str> {
        // Distinct first: a BTreeSet collected from every row would sort them all.
        let distinct: HashSet<&str> = (0..self.count()).map(|i| self.meta(i, column).unwrap_or("")).collect();
        distinct.into_iter().collect()
    }
    /// Presentation indices by value of metadata `column` (a presentation without it is in `""`).
    fn groups(&self, column: &str) -> BTreeMap<&str, Vec<usize>> {
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for i in 0..self.count() {
            groups.entry(self.meta(i, column).unwrap_or("")).or_default().push(i);
        }
        groups
    }
    /// Per presentation, the index of its value of metadata `column` (`""` when it has none), values
    /// numbered in order of first appearance; and the number of values.
    fn numbered(&self, column: &str) -> (Vec<usize>, usize) {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let of = (0..self.count())
            .map(|i| {
                let next = index.len();
                *index.entry(self.meta(i, column).unwrap_or("")).or_insert(next)
            })
            .collect();
        (of, index.len())
    }
    /// The presentations as records: borrowed when they are records already.
    fn records(&self) -> Cow<'_, [Presentation]>;
}

impl Presentations for [Presentation] {
    fn count(&self) -> usize {
        self.len()
    }
    fn id(&self, i: usize) -> &str {
        &self[i].id
    }
    fn bona_fide(&self, i: usize) -> bool {
        self[i].bona_fide
    }
    fn species(&self, i: usize) -> &str {
        &self[i].species
    }
    fn score(&self, i: usize) -> Option<f64> {
        self[i].score
    }
    fn reason(&self, i: usize) -> Option<&str> {
        self[i].reason.as_deref()
    }
    fn meta(&self, i: usize, column: &str) -> Option<&str> {
        self[i].meta.get(column).map(String::as_str)
    }
    fn meta_columns(&self) -> BTreeSet<&str> {
        self.iter().flat_map(|p| p.meta.keys().map(String::as_str)).collect()
    }
    fn records(&self) -> Cow<'_, [Presentation]> {
        Cow::Borrowed(self)
    }
}

impl Presentations for Vec<Presentation> {
    fn count(&self) -> usize {
        self.len()
    }
    fn id(&self, i: usize) -> &str {
        self.as_slice().id(i)
    }
    fn bona_fide(&self, i: usize) -> bool {
        self[i].bona_fide
    }
    fn species(&self, i: usize) -> &str {
        self.as_slice().species(i)
    }
    fn score(&self, i: usize) -> Option<f64> {
        self[i].score
    }
    fn reason(&self, i: usize) -> Option<&str> {
        self.as_slice().reason(i)
    }
    fn meta(&self, i: usize, column: &str) -> Option<&str> {
        self.as_slice().meta(i, column)
    }
    fn meta_columns(&self) -> BTreeSet<&str> {
        self.as_slice().meta_columns()
    }
    fn records(&self) -> Cow<'_, [Presentation]> {
        Cow::Borrowed(self)
    }
}
