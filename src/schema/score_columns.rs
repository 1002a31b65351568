//! Presentations as typed columns: what a large score file is read into (issue 11). One f64 score, one
//! label bit and a few interned codes per row, the ids in one text buffer: about 40 bytes a row where a
//! [`Presentation`] record with its metadata map takes several hundred. Read through [`Presentations`]
//! by the metrics engine exactly as a slice of records is.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use super::presentation::{Presentation, Presentations};

/// A text column as codes into its distinct values, numbered in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interned {
    codes: Vec<u32>,
    values: Vec<String>,
    index: HashMap<String, u32, BuildHasherDefault<Fx>>,
}

impl Interned {
    /// The code of `value`, interning it when new.
    fn code(&mut self, value: &str) -> u32 {
        // Runs of one value (reasons of scored rows, sorted files) skip the hashing.
        if let Some(&last) = self.codes.last()
            && self.values[last as usize] == value
        {
            return last;
        }
        if let Some(&c) = self.index.get(value) {
            return c;
        }
        let c = u32::try_from(self.values.len()).expect("fewer than 2^32 distinct values");
        self.values.push(value.to_owned());
        self.index.insert(value.to_owned(), c);
        c
    }

    pub fn push(&mut self, value: &str) {
        let c = self.code(value);
        self.codes.push(c);
    }

    /// The value of row `i`.
    pub fn get(&self, i: usize) -> &str {
        &self.values[self.codes[i] as usize]
    }

    /// The distinct values, in order of first appearance.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Per row, its value's index in [`Interned::values`].
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// Appends `other`'s rows, recoding its values: values first seen in `other` are numbered after
    /// this column's, so the numbering stays in order of first appearance.
    fn append(&mut self, other: Interned) {
        let recode: Vec<u32> = other.values.iter().map(|v| self.code(v)).collect();
        self.codes.extend(other.codes.iter().map(|&c| recode[c as usize]));
    }
}

/// The multiply-rotate hash of rustc (FxHash): a few cycles for the short names interned here, where the
/// default SipHash (resistant to chosen keys, which a score file's few distinct values do not need)
/// takes a large share of reading a file.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
}

/// Presentations in columns (see the module documentation); built row by row ([`ScoreColumns::push`])
/// or from parts read in parallel ([`ScoreColumns::append`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreColumns {
    id_text: String,
    /// End of each id in `id_text`.
    id_ends: Vec<usize>,
    bona_fide: Vec<bool>,
    /// `""` for bona fide presentations.
    species: Interned,
    /// NaN for a non-response (scores are finite otherwise).
    scores: Vec<f64>,
    /// A non-response's reason; `""` for scored presentations.
    reasons: Interned,
    meta: Vec<(String, Interned)>,
}

/// One row, as [`ScoreColumns::push`] takes it.
pub struct Row<'a, M> {
    pub id: &'a str,
    pub bona_fide: bool,
    pub species: &'a str,
    /// Finite; `None` for a non-response.
    pub score: Option<f64>,
    /// Some exactly when `score` is `None`.
    pub reason: Option<&'a str>,
    /// The values of the metadata columns, in the order they were named.
    pub meta: M,
}

impl ScoreColumns {
    /// No rows, with these metadata columns.
    pub fn new(meta: &[String]) -> ScoreColumns {
        ScoreColumns { meta: meta.iter().map(|m| (m.clone(), Interned::default())).collect(), ..Default::default() }
    }

    pub fn push<'a>(&mut self, row: Row<'a, impl IntoIterator<Item = &'a str>>) {
        self.id_text.push_str(row.id);
        self.id_ends.push(self.id_text.len());
        self.bona_fide.push(row.bona_fide);
        self.species.push(row.species);
        self.scores.push(row.score.unwrap_or(f64::NAN));
        self.reasons.push(row.reason.unwrap_or(""));
        for ((_, column), value) in self.meta.iter_mut().zip(row.meta) {
            column.push(value);
        }
    }

    /// Room for `rows` more rows of `id_bytes` more id text: a reader that can tell the size of what is
    /// left reserves it once rather than growing (and copying) every column by doubling.
    pub fn reserve(&mut self, rows: usize, id_bytes: usize) {
        self.id_text.reserve(id_bytes);
        self.id_ends.reserve(rows);
        self.bona_fide.reserve(rows);
        self.species.codes.reserve(rows);
        self.scores.reserve(rows);
        self.reasons.codes.reserve(rows);
        for (_, column) in &mut self.meta {
            column.codes.reserve(rows);
        }
    }

    /// Bytes of id text held.
    pub fn id_bytes(&self) -> usize {
        self.id_text.len()
    }

    /// Appends the rows of `other`, which has the same metadata columns.
    pub fn append(&mut self, other: ScoreColumns) {
        let base = self.id_text.len();
        self.id_text.push_str(&other.id_text);
        self.id_ends.extend(other.id_ends.iter().map(|e| e + base));
        self.bona_fide.extend_from_slice(&other.bona_fide);
        self.species.append(other.species);
        self.scores.extend_from_slice(&other.scores);
        self.reasons.append(other.reasons);
        for ((_, column), (_, theirs)) in self.meta.iter_mut().zip(other.meta) {
            column.append(theirs);
        }
    }

    /// The columns of `records`, whose metadata columns are the first one's (as every record a score
    /// file is read into has the same); vendor decisions are not kept.
    pub fn from_records(records: &[Presentation]) -> ScoreColumns {
        let names: Vec<String> = records.first().map(|p| p.meta.keys().cloned().collect()).unwrap_or_default();
        let mut columns = ScoreColumns::new(&names);
        for p in records {
            columns.push(Row {
                id: &p.id,
                bona_fide: p.bona_fide,
                species: &p.species,
                score: p.score,
                reason: p.reason.as_deref(),
                meta: names.iter().map(|n| p.meta.get(n).map_or("", String::as_str)),
            });
        }
        columns
    }

    /// The metadata columns, by name.
    pub fn meta_column(&self, name: &str) -> Option<&Interned> {
        self.meta.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// The presentations as records ([`Presentation`]s, metadata maps and all).
    pub fn to_presentations(&self) -> Vec<Presentation> {
        (0..self.count())
            .map(|i| Presentation {
                id: self.id(i).to_owned(),
                bona_fide: self.bona_fide[i],
                species: self.species.get(i).to_owned(),
                score: self.score(i),
                reason: self.reason(i).map(str::to_owned),
                meta: self.meta.iter().map(|(n, c)| (n.clone(), c.get(i).to_owned())).collect(),
                decision: None,
            })
            .collect()
    }
}

impl Presentations for ScoreColumns {
    fn count(&self) -> usize {
        self.scores.len()
    }
    fn id(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.id_ends[i - 1] };
        &self.id_text[start..self.id_ends[i]]
    }
    fn bona_fide(&self, i: usize) -> bool {
        self.bona_fide[i]
    }
    fn species(&self, i: usize) -> &str {
        self.species.get(i)
    }
    fn score(&self, i: usize) -> Option<f64> {
        let s = self.scores[i];
        (!s.is_nan()).then_some(s)
    }
    fn reason(&self, i: usize) -> Option<&str> {
        self.scores[i].is_nan().then(|| self.reasons.get(i))
    }
    fn meta(&self, i: usize, column: &str) -> Option<&str> {
        self.meta_column(column).map(|c| c.get(i))
    }
    fn meta_columns(&self) -> BTreeSet<&str> {
        match self.count() {
            0 => BTreeSet::new(),
            _ => self.meta.iter().map(|(n, _)| n.as_str()).collect(),
        }
    }
    fn meta_values(&self, column: &str) -> BTreeSet<&str> {
        match self.meta_column(column) {
            Some(c) => c.values.iter().map(String::as_str).collect(),
            None if self.count() > 0 => BTreeSet::from([""]),
            None => BTreeSet::new(),
        }
    }
    fn groups(&self, column: &str) -> BTreeMap<&str, Vec<usize>> {
        let Some(c) = self.meta_column(column) else {
            return match self.count() {
                0 => BTreeMap::new(),
                n => BTreeMap::from([("", (0..n).collect())]),
            };
        };
        let mut by_code: Vec<Vec<usize>> = vec![Vec::new(); c.values.len()];
        for (i, &code) in c.codes.iter().enumerate() {
            by_code[code as usize].push(i);
        }
        c.values.iter().map(String::as_str).zip(by_code).collect()
    }
    fn numbered(&self, column: &str) -> (Vec<usize>, usize) {
        match self.meta_column(column) {
            Some(c) => (c.codes.iter().map(|&c| c as usize).collect(), c.values.len()),
            None => (vec![0; self.count()], usize::from(self.count() > 0)),
        }
    }
    fn records(&self) -> Cow<'_, [Presentation]> {
        Cow::Owned(self.to_presentations())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Presentation> {
        let p = |id: &str, species: &str, score: Option<f64>, subject: &str| Presentation {
            id: id.into(),
            bona_fide: species.is_empty(),
            species: species.into(),
            score,
            reason: score.is_none().then(|| "no_face".to_owned()),
            meta: [("subject".to_owned(), subject.to_owned())].into(),
            decision: None,
        };
        vec![
            p("a", "", Some(0.9), "s2"),
            p("b", "print", Some(0.1), "s1"),
            p("c", "replay", None, "s2"),
            p("d", "print", Some(0.4), "s3"),
        ]
    }

    fn columns(rows: &[Presentation]) -> ScoreColumns {
        ScoreColumns::from_records(rows)
    }

    /// Every accessor answers as the records do, and parts appended equal the whole.
    #[test]
    fn columns_read_as_the_records() {
        let ps = rows();
        let c = columns(&ps);
        assert_eq!(c.to_presentations(), ps);
        let s: &[Presentation] = &ps;
        for i in 0..ps.len() {
            assert_eq!(
                (c.id(i), c.species(i), c.score(i), c.reason(i)),
                (s.id(i), s.species(i), s.score(i), s.reason(i))
            );
            assert_eq!(c.meta(i, "subject"), s.meta(i, "subject"));
            assert_eq!(c.meta(i, "site"), None);
        }
        assert_eq!(c.meta_columns(), s.meta_columns());
        assert_eq!(c.meta_values("subject"), s.meta_values("subject"));
        assert_eq!(c.groups("subject"), s.groups("subject"));
        assert_eq!(c.groups("site"), s.groups("site"));
        assert_eq!(c.numbered("subject"), s.numbered("subject"));
        let mut parts = columns(&ps[..1]);
        parts.append(columns(&ps[1..3]));
        parts.append(columns(&ps[3..]));
        assert_eq!(parts.to_presentations(), ps);
        assert_eq!(parts.numbered("subject"), c.numbered("subject"));
        assert_eq!(parts.meta_column("subject").unwrap().values(), ["s2", "s1", "s3"]);
    }
}
