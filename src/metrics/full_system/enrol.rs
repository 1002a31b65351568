//! Which bona fide presentations enrol each subject (`--enrol`), the rule FACE_RECOGNITION.md's figures
//! were measured with: K evenly spaced frames of the subject's first live session.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::MatchInput;

/// How enrolment frames are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrolRule {
    /// `first-session:K`: among the subject's bona fide presentations that gave a descriptor, the session
    /// that sorts first (the session key is every metadata value but the subject's, e.g. NUAA's
    /// glasses/pos/session), its frames in natural path order (digit runs compared as numbers, so NUAA's
    /// picture numbers run in time order); frame `i` of `K` (from 0) is number `floor((i + 1) n / (K + 1))`
    /// of its `n`: K evenly spaced interior frames, K = 1 the middle one. On NUAA train this reproduces
    /// FACE_RECOGNITION.md's protocol (EER 1.17% against its 1.1%; docs/face-match.md).
    FirstSession { frames: usize },
}

impl FromStr for EnrolRule {
    type Err = String;

    fn from_str(s: &str) -> Result<EnrolRule, String> {
        let bad = || format!("`{s}` is not an enrolment rule: use first-session:K, e.g. first-session:3");
        let (name, k) = s.split_once(':').ok_or_else(bad)?;
        match (name, k.parse::<usize>()) {
            ("first-session", Ok(frames)) if frames > 0 => Ok(EnrolRule::FirstSession { frames }),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for EnrolRule {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            EnrolRule::FirstSession { frames } => write!(f, "first-session:{frames}"),
        }
    }
}

/// Subject -> indices into `inputs` of its enrolment presentations; subjects left without any are in the
/// second map with the reason.
pub fn choose(inputs: &[MatchInput], rule: EnrolRule) -> (BTreeMap<String, Vec<usize>>, BTreeMap<String, String>) {
    let EnrolRule::FirstSession { frames } = rule;
    // subject -> session -> presentations (path order).
    let mut sessions: BTreeMap<&str, BTreeMap<&str, Vec<usize>>> = BTreeMap::new();
    let mut bona_fide_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, p) in inputs.iter().enumerate() {
        let seen = bona_fide_of.entry(p.subject.as_str()).or_default();
        if p.bona_fide {
            *seen += 1;
            if p.descriptor.is_some() {
                sessions.entry(&p.subject).or_default().entry(&p.session).or_default().push(i);
            }
        }
    }
    let (mut chosen, mut missing) = (BTreeMap::new(), BTreeMap::new());
    for (subject, bona_fide) in bona_fide_of {
        let Some(first) = sessions.get(subject).and_then(|s| s.values().next()) else {
            let why = if bona_fide == 0 {
                "no bona fide presentation".to_string()
            } else {
                format!("none of its {bona_fide} bona fide presentation(s) gave a face descriptor")
            };
            missing.insert(subject.to_string(), why);
            continue;
        };
        let mut first = first.clone();
        first.sort_by(|&a, &b| natural(&inputs[a].path, &inputs[b].path));
        let n = first.len();
        let k = frames.min(n);
        let picks: Vec<usize> = (0..k).map(|i| first[(i + 1) * n / (k + 1)]).collect();
        chosen.insert(subject.to_string(), picks);
    }
    (chosen, missing)
}

/// Natural order: runs of ASCII digits compare as numbers (`_9.jpg` before `_10.jpg`), the rest as text.
fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let run = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
                let (i, j) = (run(x), run(y));
                let (p, q) = (trim_zeros(&x[..i]), trim_zeros(&y[..j]));
                let by_number = p.len().cmp(&q.len()).then_with(|| p.cmp(q));
                if by_number != std::cmp::Ordering::Equal {
                    return by_number;
                }
                (x, y) = (&x[i..], &y[j..]);
            }
            (Some(c), Some(d)) if c != d => return c.cmp(d),
            _ => (x, y) = (&x[1..], &y[1..]),
        }
    }
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let z = s.iter().take_while(|&&c| c == b'0').count();
    &s[z..]
}

#[cfg(test)]
mod tests {
    use super::natural;

    #[test]
    fn natural_order_compares_picture_numbers_as_numbers() {
        let mut v = ["a_10.jpg", "a_9.jpg", "a_100.jpg", "a_0.jpg", "b_1.jpg", "a_09.jpg"];
        v.sort_by(|a, b| natural(a, b));
        assert_eq!(v, ["a_0.jpg", "a_09.jpg", "a_9.jpg", "a_10.jpg", "a_100.jpg", "b_1.jpg"]);
    }
}
