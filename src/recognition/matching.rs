//! Comparing descriptors the way face-api.js's `FaceMatcher` does (`FACE_RECOGNITION.md`): Euclidean
//! distance; against several images of one identity, the mean of the distances (not the distance to a mean
//! descriptor); same person iff that mean is strictly below the threshold.

use super::distance;

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
