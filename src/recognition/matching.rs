//! Comparing descriptors the way face-api.js's `FaceMatcher` does (`FACE_RECOGNITION.md`): Euclidean
//! distance; against several images of one identity, the mean of the distances (not the distance to a mean
//! descriptor); same person iff that mean is strictly below the threshold.

use anyhow::{Result, bail};

use super::distance;
use crate::model::descriptor::Descriptor;
use crate::schema::Policy;

/// The matcher's decision rule, the one place it is written: a match iff `distance < threshold` (strict,
/// as `FaceMatcher`; the opposite tie rule to PAD's `score >= threshold`).
#[inline]
pub fn is_match(distance: f64, threshold: f64) -> bool {
    distance < threshold
}

/// Mean Euclidean distance from `probe` to each of `enrolled` (`None` when there is none).
pub fn mean_distance<'a>(probe: &[f32], enrolled: impl IntoIterator<Item = &'a [f32]>) -> Option<f64> {
    let (sum, n) = enrolled.into_iter().fold((0.0, 0usize), |(s, n), e| (s + distance(probe, e), n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The match threshold in use: `--match-threshold`, else the policy's (`liveness calibrate` writes one on
/// an `eval --match` run), else the recognizer's default. A policy's threshold calibrated for another
/// recognizer file is refused: distances of two models are not on one scale.
pub fn threshold(recognizer: &Descriptor, given: Option<f64>, policy: Option<&Policy>) -> Result<f64> {
    let sha = recognizer.embedding.as_ref().map(|e| e.sha256.as_str());
    let from_policy = policy.and_then(|p| p.match_threshold);
    if given.is_none()
        && let Some(policy) = policy
        && let (Some(_), Some(fm)) = (from_policy, policy.calibration.as_ref().and_then(|c| c.face_match.as_ref()))
        && Some(fm.recognizer_sha256.as_str()) != sha
    {
        bail!(
            "policy {}'s match_threshold was calibrated for recognizer {} (sha256 {}), not {} ({}): pass \
             --match-threshold, or calibrate a policy for this recognizer",
            policy.name,
            fm.recognizer,
            fm.recognizer_sha256,
            recognizer.name,
            sha.unwrap_or("no embedding")
        );
    }
    let t = given.or(from_policy).or(recognizer.embedding.as_ref().map(|e| e.threshold)).unwrap_or(0.6);
    if !(t.is_finite() && t > 0.0) {
        bail!("--match-threshold must be a positive distance, got {t}");
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_of_distances_not_distance_to_the_mean() {
        // Probe at the origin, enrolled at (3,4) and (-3,-4): distances 5 and 5, mean 5; the mean descriptor
        // is the origin itself (distance 0), which FaceMatcher does not use.
        let (a, b) = ([3.0f32, 4.0], [-3.0f32, -4.0]);
        assert_eq!(mean_distance(&[0.0, 0.0], [&a[..], &b[..]]), Some(5.0));
        assert_eq!(mean_distance(&[0.0, 0.0], std::iter::empty()), None);
    }

    #[test]
    fn a_distance_equal_to_the_threshold_is_no_match() {
        assert!(is_match(0.5999, 0.6));
        assert!(!is_match(0.6, 0.6));
    }
}
