//! Challenges a capture app asks for, their detection on a session's timeline of face geometry, and random
//! challenge sequences.
//!
//! Every detector measures change relative to the session's own neutral state (its first frames, or its
//! median for the eyes), never absolute values: the head angles are approximate and faces differ, so only
//! a change within one session means something.

use serde::Serialize;

use super::policy::ChallengeThresholds as Thresholds;
use crate::landmarks::Geometry;
use crate::stats::median;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Challenge {
    /// Turn the head to the subject's own left and back.
    HeadLeft,
    /// Turn the head to the subject's own right and back.
    HeadRight,
    Blink,
    Smile,
}

impl Challenge {
    pub const ALL: [Challenge; 4] = [Challenge::HeadLeft, Challenge::HeadRight, Challenge::Blink, Challenge::Smile];

    pub fn as_str(self) -> &'static str {
        match self {
            Challenge::HeadLeft => "head_left",
            Challenge::HeadRight => "head_right",
            Challenge::Blink => "blink",
            Challenge::Smile => "smile",
        }
    }

    pub fn parse(text: &str) -> Option<Challenge> {
        Challenge::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// Head movements count towards the pose score, the others towards the expression score.
    pub fn is_pose(self) -> bool {
        matches!(self, Challenge::HeadLeft | Challenge::HeadRight)
    }

    pub fn names() -> String {
        Challenge::ALL.map(Challenge::as_str).join(", ")
    }
}

/// The neutral state a session's frames are compared with.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Baseline {
    /// Median yaw, pitch and mouth width of the first frames (the subject is asked to look straight first).
    pub yaw: f64,
    pub pitch: f64,
    pub mouth_width: f64,
    /// Median eye aspect ratio of the whole session: eyes are open most of the time, blinks are short.
    pub ear: f64,
}

impl Baseline {
    pub fn of(timeline: &[Geometry], neutral_frames: usize) -> Baseline {
        let first = &timeline[..neutral_frames.max(1).min(timeline.len())];
        Baseline {
            yaw: median(first.iter().map(|g| g.yaw)),
            pitch: median(first.iter().map(|g| g.pitch)),
            mouth_width: median(first.iter().map(|g| g.mouth_width)),
            ear: median(timeline.iter().map(Geometry::ear)),
        }
    }
}

/// What a detector found for one challenge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChallengeResult {
    pub challenge: Challenge,
    pub passed: bool,
    /// Index in the timeline of the frame that completed it.
    pub completed_at: Option<usize>,
    /// The strongest response seen from where the search started: degrees of yaw towards the asked side,
    /// EAR / baseline (lowest), or mouth width / baseline (highest); `None` when no frame was left to search
    /// (an ordered challenge after one completed on the last frame).
    pub peak: Option<f64>,
}

/// Looks for `challenge` in `timeline[start..]`.
pub fn detect(
    challenge: Challenge,
    timeline: &[Geometry],
    base: &Baseline,
    t: &Thresholds,
    start: usize,
) -> ChallengeResult {
    let rest = timeline.get(start..).unwrap_or(&[]);
    if rest.is_empty() {
        return ChallengeResult { challenge, passed: false, completed_at: None, peak: None };
    }
    let found = |peak: f64, at: Option<usize>| ChallengeResult {
        challenge,
        passed: at.is_some(),
        completed_at: at.map(|i| i + start),
        peak: Some(peak),
    };
    match challenge {
        Challenge::HeadLeft | Challenge::HeadRight => {
            // Positive yaw is the subject's own left.
            let sign = if challenge == Challenge::HeadLeft { 1.0 } else { -1.0 };
            let turn: Vec<f64> = rest.iter().map(|g| sign * (g.yaw - base.yaw)).collect();
            let peak = turn.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let out = turn.iter().position(|&d| d >= t.yaw_degrees);
            let back = out.and_then(|i| {
                turn[i..].iter().position(|&d| d.abs() <= t.yaw_degrees * t.return_fraction).map(|j| i + j)
            });
            found(peak, back)
        }
        Challenge::Blink => {
            let ratio: Vec<f64> = rest.iter().map(|g| if base.ear > 0.0 { g.ear() / base.ear } else { 1.0 }).collect();
            let peak = ratio.iter().copied().fold(f64::INFINITY, f64::min);
            let closed = ratio.iter().position(|&r| r < t.blink_ratio);
            let open = closed.and_then(|i| ratio[i..].iter().position(|&r| r >= t.blink_recovery).map(|j| i + j));
            found(peak, open)
        }
        Challenge::Smile => {
            let ratio: Vec<f64> = rest
                .iter()
                .map(|g| if base.mouth_width > 0.0 { g.mouth_width / base.mouth_width } else { 1.0 })
                .collect();
            let peak = ratio.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            found(peak, ratio.iter().position(|&r| r >= t.smile_ratio))
        }
    }
}

/// Checks every asked challenge. In order: each is looked for after the frame that completed the previous
/// one (a failed one leaves the search where it was); otherwise each anywhere in the session.
pub fn verify(
    asked: &[Challenge],
    ordered: bool,
    timeline: &[Geometry],
    base: &Baseline,
    t: &Thresholds,
) -> Vec<ChallengeResult> {
    let mut start = 0;
    asked
        .iter()
        .map(|&c| {
            let outcome = detect(c, timeline, base, t, if ordered { start } else { 0 });
            if let Some(at) = outcome.completed_at {
                start = at + 1;
            }
            outcome
        })
        .collect()
}

/// A random challenge sequence for a capture app: every challenge once before any repeats, never the same
/// twice in a row. Deterministic for a seed (SplitMix64), so a server can re-derive what it asked.
pub fn random_sequence(count: usize, seed: u64) -> Vec<Challenge> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut out: Vec<Challenge> = Vec::with_capacity(count);
    while out.len() < count {
        let mut round = Challenge::ALL.to_vec();
        for i in (1..round.len()).rev() {
            round.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        if out.last() == round.first() {
            round.swap(0, 1);
        }
        out.extend(round.into_iter().take(count - out.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(yaw: f64, ear: f64, mouth_width: f64) -> Geometry {
        Geometry { yaw, pitch: 0.0, roll: 0.0, ear_right: ear, ear_left: ear, mouth_width, mouth_open: 0.1 }
    }

    fn thresholds() -> Thresholds {
        Thresholds {
            yaw_degrees: 15.0,
            return_fraction: 0.5,
            blink_ratio: 0.75,
            blink_recovery: 0.9,
            smile_ratio: 1.12,
        }
    }

    #[test]
    fn head_turn_needs_the_right_direction_and_the_way_back() {
        let yaws = [2.0, 2.0, 10.0, 20.0, 9.0, 3.0];
        let tl: Vec<_> = yaws.iter().map(|&y| geometry(y, 0.3, 0.6)).collect();
        let base = Baseline::of(&tl, 2);
        let left = detect(Challenge::HeadLeft, &tl, &base, &thresholds(), 0);
        assert!(left.passed && left.completed_at == Some(4) && left.peak == Some(18.0), "{left:?}");
        assert!(!detect(Challenge::HeadRight, &tl, &base, &thresholds(), 0).passed);
        // Out but never back: not completed.
        let stuck: Vec<_> = [2.0, 2.0, 25.0, 25.0].iter().map(|&y| geometry(y, 0.3, 0.6)).collect();
        assert!(!detect(Challenge::HeadLeft, &stuck, &Baseline::of(&stuck, 2), &thresholds(), 0).passed);
    }

    #[test]
    fn blink_is_a_dip_below_the_baseline_and_a_recovery() {
        let ears = [0.30, 0.31, 0.30, 0.12, 0.29, 0.30];
        let tl: Vec<_> = ears.iter().map(|&e| geometry(0.0, e, 0.6)).collect();
        let base = Baseline::of(&tl, 2);
        assert_eq!(base.ear, 0.30);
        let b = detect(Challenge::Blink, &tl, &base, &thresholds(), 0);
        assert!(b.passed && b.completed_at == Some(4) && (b.peak.unwrap() - 0.4).abs() < 1e-9, "{b:?}");
        assert_eq!(detect(Challenge::Blink, &tl, &base, &thresholds(), 6).peak, None, "nothing left to search");
        // Eyes closing at the end and staying closed: no recovery, no blink.
        assert!(!detect(Challenge::Blink, &tl[..4], &base, &thresholds(), 0).passed);
    }

    #[test]
    fn order_matters_only_when_asked() {
        // Smile at frame 1, blink at frames 3-4.
        let tl = vec![
            geometry(0.0, 0.3, 0.60),
            geometry(0.0, 0.3, 0.70),
            geometry(0.0, 0.3, 0.60),
            geometry(0.0, 0.1, 0.60),
            geometry(0.0, 0.3, 0.60),
        ];
        let base = Baseline::of(&tl, 1);
        let asked = [Challenge::Blink, Challenge::Smile];
        let ordered = verify(&asked, true, &tl, &base, &thresholds());
        assert_eq!(ordered.iter().map(|o| o.passed).collect::<Vec<_>>(), [true, false]);
        let any_order = verify(&asked, false, &tl, &base, &thresholds());
        assert!(any_order.iter().all(|o| o.passed));
    }

    #[test]
    fn random_sequences_cover_all_before_repeating_and_follow_the_seed() {
        let s = random_sequence(4, 7);
        let mut sorted = s.clone();
        sorted.sort();
        assert_eq!(sorted, Challenge::ALL.to_vec());
        assert_eq!(random_sequence(3, 7), s[..3].to_vec());
        let long = random_sequence(40, 1);
        assert!(long.windows(2).all(|w| w[0] != w[1]));
        assert!((0..20).map(|seed| random_sequence(3, seed)).collect::<std::collections::HashSet<_>>().len() > 5);
    }

    #[test]
    fn challenge_names_round_trip() {
        for c in Challenge::ALL {
            assert_eq!(Challenge::parse(c.as_str()), Some(c));
        }
        assert_eq!(Challenge::parse("nod"), None);
    }
}
