//! From a session's face geometry to its scores and decision.
//!
//! - pose_variation_score (0-100): active mode, the share of head challenges completed; passive mode, the
//!   head's range of yaw or pitch against what counts as full marks (`[variation]`).
//! - expression_variation_score (0-100): active mode, the share of blink/smile challenges completed; passive
//!   mode, the deepest eye closure or widest smile relative to the detection thresholds.
//! - liveness_score = weighted sum (0-100); in active mode a category no challenge asked for gives its
//!   weight to the other. liveness_passed iff liveness_score >= threshold.
//! - passive_score: per-frame passive PAD fused over the usable frames; the policy's `combine` makes the
//!   decision from both verdicts.

use serde::Serialize;

use super::analyze::Analysis;
use super::challenge::{self, Baseline, Challenge, ChallengeResult};
use super::input::SessionInput;
use super::policy::SessionPolicy;
use crate::landmarks::Geometry;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Challenges were asked: scores count completed challenges.
    Active,
    /// No challenges: scores measure spontaneous movement.
    Passive,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Active => "active",
            Mode::Passive => "passive",
        }
    }
}

/// What the face did over the session, relative to its own neutral state.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Measures {
    pub yaw_range: f64,
    pub pitch_range: f64,
    /// Lowest mean EAR / the session's median EAR.
    pub ear_min_ratio: f64,
    /// A blink (dip and recovery) anywhere in the session.
    pub blink: bool,
    /// Widest mouth / neutral mouth width.
    pub smile_peak: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionVerdict {
    pub mode: Mode,
    pub baseline: Baseline,
    pub measures: Measures,
    pub challenges: Vec<ChallengeResult>,
    pub pose_variation_score: f64,
    pub expression_variation_score: f64,
    pub liveness_score: f64,
    pub liveness_passed: bool,
    pub band: &'static str,
    pub passive_score: Option<f64>,
    pub passive_passed: Option<bool>,
    /// The session decision under the policy's `combine` rule.
    pub live: bool,
}

impl SessionVerdict {
    pub fn completed(&self) -> usize {
        self.challenges.iter().filter(|o| o.passed).count()
    }

    /// Names of the challenges with the given result, `;`-separated (score file cells).
    pub fn named(&self, passed: bool) -> String {
        self.challenges
            .iter()
            .filter(|o| o.passed == passed)
            .map(|o| o.challenge.as_str())
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Judges an analysed session; `None` when the analysis left it unscorable. `passive_threshold` is the
/// decision policy's threshold on the fused passive live probability.
pub fn judge(
    session: &SessionInput,
    analysis: &Analysis,
    policy: &SessionPolicy,
    passive_threshold: f64,
) -> Option<SessionVerdict> {
    if analysis.problem.is_some() {
        return None;
    }
    let timeline: Vec<Geometry> = analysis.usable().filter_map(|f| f.geometry).collect();
    if timeline.is_empty() {
        return None;
    }
    let base = Baseline::of(&timeline, policy.neutral_frames);
    let d = &policy.detection;
    let range = |f: fn(&Geometry) -> f64| {
        let v = timeline.iter().map(f);
        v.clone().fold(f64::NEG_INFINITY, f64::max) - v.fold(f64::INFINITY, f64::min)
    };
    let blink = challenge::detect(Challenge::Blink, &timeline, &base, d, 0);
    let smile = challenge::detect(Challenge::Smile, &timeline, &base, d, 0);
    // Searched from the first frame of a non-empty timeline, so both peaks exist.
    let (ear_min_ratio, smile_peak) = (blink.peak.unwrap_or(1.0), smile.peak.unwrap_or(1.0));
    let measures = Measures {
        yaw_range: range(|g| g.yaw),
        pitch_range: range(|g| g.pitch),
        ear_min_ratio,
        blink: blink.passed,
        smile_peak,
    };
    let outcomes = challenge::verify(&session.challenges, session.ordered, &timeline, &base, d);
    let (mode, pose, expression, pose_weight, expression_weight) = if outcomes.is_empty() {
        let v = &policy.variation;
        let pose = (measures.yaw_range / v.full_yaw_degrees).max(measures.pitch_range / v.full_pitch_degrees);
        let closure = (1.0 - measures.ear_min_ratio) / (1.0 - d.blink_ratio);
        let widening = (measures.smile_peak - 1.0) / (d.smile_ratio - 1.0);
        (Mode::Passive, percent(pose), percent(closure.max(widening)), policy.pose_weight, policy.expression_weight)
    } else {
        let share = |pose: bool| {
            let asked: Vec<&ChallengeResult> = outcomes.iter().filter(|o| o.challenge.is_pose() == pose).collect();
            let done = asked.iter().filter(|o| o.passed).count();
            (percent(done as f64 / asked.len().max(1) as f64), !asked.is_empty())
        };
        let ((pose, any_pose), (expression, any_expression)) = (share(true), share(false));
        let weight = |w: f64, asked: bool| if asked { w } else { 0.0 };
        (
            Mode::Active,
            pose,
            expression,
            weight(policy.pose_weight, any_pose),
            weight(policy.expression_weight, any_expression),
        )
    };
    let liveness_score = (pose_weight * pose + expression_weight * expression) / (pose_weight + expression_weight);
    let liveness_passed = crate::schema::is_bona_fide(liveness_score, policy.threshold);
    let passive: Vec<f64> = analysis.usable().filter_map(|f| f.passive).collect();
    let passive_score = policy.passive_fusion.apply(&passive);
    let passive_passed = passive_score.map(|p| crate::schema::is_bona_fide(p, passive_threshold));
    Some(SessionVerdict {
        mode,
        baseline: base,
        measures,
        challenges: outcomes,
        pose_variation_score: pose,
        expression_variation_score: expression,
        liveness_score,
        liveness_passed,
        band: policy.band(liveness_score),
        passive_score,
        passive_passed,
        live: policy.combine.decide(liveness_passed, passive_passed),
    })
}

/// A ratio where 1 is full marks, as 0-100.
fn percent(ratio: f64) -> f64 {
    100.0 * ratio.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::analyze::{FrameReport, Stages};
    use crate::session::policy::resolve;

    fn frame(yaw: f64, pitch: f64, ear: f64, mouth_width: f64, passive: f64) -> FrameReport {
        FrameReport {
            file: String::new(),
            t: None,
            faces: 1,
            face: None,
            presence: Some(1.0),
            geometry: Some(Geometry {
                yaw,
                pitch,
                roll: 0.0,
                ear_right: ear,
                ear_left: ear,
                mouth_width,
                mouth_open: 0.1,
            }),
            passive: Some(passive),
            dropped: None,
            points: None,
        }
    }

    fn analysis(frames: Vec<FrameReport>) -> Analysis {
        Analysis { frames_captured: frames.len(), frames, problem: None, stages: Stages::default() }
    }

    fn session(challenges: &[Challenge]) -> SessionInput {
        let mut s = SessionInput::of_frames(
            "s".into(),
            crate::dataset::Label::BonaFide,
            String::new(),
            Default::default(),
            Vec::new(),
        );
        s.challenges = challenges.to_vec();
        s
    }

    #[test]
    fn passive_mode_scores_movement_ranges() {
        let p = resolve("default", &[]).unwrap();
        // Pitch moves 5 degrees (half of full marks), eyes dip to 0.85 of the median (60% of the blink depth).
        let frames =
            vec![frame(0.0, 0.0, 0.30, 0.6, 0.9), frame(3.0, 5.0, 0.30, 0.6, 0.7), frame(0.0, 2.0, 0.255, 0.6, 0.8)];
        let v = judge(&session(&[]), &analysis(frames), &p, 0.5).unwrap();
        assert_eq!(v.mode, Mode::Passive);
        assert!((v.pose_variation_score - 50.0).abs() < 1e-9, "{}", v.pose_variation_score);
        assert!((v.expression_variation_score - 60.0).abs() < 1e-9, "{}", v.expression_variation_score);
        assert!((v.liveness_score - 55.0).abs() < 1e-9 && !v.liveness_passed && v.band == "review");
        assert!((v.passive_score.unwrap() - 0.8).abs() < 1e-12 && v.passive_passed == Some(true) && !v.live);
    }

    #[test]
    fn active_mode_counts_challenges_and_reweights_unasked_categories() {
        let p = resolve("default", &[]).unwrap();
        // A blink at frame 2; no head movement.
        let frames = vec![
            frame(0.0, 0.0, 0.3, 0.6, 0.9),
            frame(0.0, 0.0, 0.3, 0.6, 0.9),
            frame(0.0, 0.0, 0.1, 0.6, 0.9),
            frame(0.0, 0.0, 0.3, 0.6, 0.9),
        ];
        let only_blink = judge(&session(&[Challenge::Blink]), &analysis(frames.clone()), &p, 0.5).unwrap();
        assert_eq!((only_blink.mode, only_blink.liveness_score, only_blink.live), (Mode::Active, 100.0, true));
        let both = judge(&session(&[Challenge::Blink, Challenge::HeadLeft]), &analysis(frames), &p, 0.5).unwrap();
        assert_eq!(
            (both.pose_variation_score, both.expression_variation_score, both.liveness_score),
            (0.0, 100.0, 50.0)
        );
        assert_eq!(
            (both.named(true), both.named(false), both.completed(), both.live),
            ("blink".into(), "head_left".into(), 1, false)
        );
    }
}
