//! Face geometry from the 468 landmarks: head angles, eye openness, mouth shape.
//!
//! The angles are approximations (a line between two landmarks, not a fitted head model): they are meant to
//! be compared with the same session's own neutral frames, never read as absolute degrees.

use serde::Serialize;

/// Landmark indices (MediaPipe Face Mesh), subject's own right/left. EAR points in the order p1..p6.
const RIGHT_EYE: [usize; 6] = [33, 160, 158, 133, 153, 144];
const LEFT_EYE: [usize; 6] = [362, 385, 387, 263, 373, 380];
const MOUTH_CORNERS: [usize; 2] = [61, 291];
const INNER_LIPS: [usize; 2] = [13, 14];
const FOREHEAD: usize = 10;
const CHIN: usize = 152;
const RIGHT_CHEEK: usize = 234;
const LEFT_CHEEK: usize = 454;
/// Outer eye corners: the eye line for roll, and the scale that mouth measures are divided by (it does not
/// change with expression, unlike the face width which widens with a smile's cheeks).
const OUTER_EYE_CORNERS: [usize; 2] = [33, 263];

/// The measures of one frame's face.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Geometry {
    /// Degrees; positive = the subject turned towards their own left (in the image as captured, not mirrored).
    pub yaw: f64,
    /// Degrees; positive = chin down.
    pub pitch: f64,
    /// Degrees; the eye line's angle in the image, positive = clockwise.
    pub roll: f64,
    /// Eye aspect ratios, subject's own right and left eye.
    pub ear_right: f64,
    pub ear_left: f64,
    /// Mouth-corner distance / outer-eye-corner distance.
    pub mouth_width: f64,
    /// Inner-lip gap / mouth-corner distance.
    pub mouth_open: f64,
}

impl Geometry {
    /// Measures `points` (468 landmarks in image pixels, `z` scaled like `x`).
    pub fn measure(points: &[[f64; 3]]) -> Geometry {
        let p = |i: usize| points[i];
        let (r, l) = (p(RIGHT_CHEEK), p(LEFT_CHEEK));
        let (top, chin) = (p(FOREHEAD), p(CHIN));
        let (eye_r, eye_l) = (p(OUTER_EYE_CORNERS[0]), p(OUTER_EYE_CORNERS[1]));
        let eyes = dist(eye_r, eye_l);
        let mouth = dist(p(MOUTH_CORNERS[0]), p(MOUTH_CORNERS[1]));
        Geometry {
            yaw: (l[2] - r[2]).atan2(l[0] - r[0]).to_degrees(),
            pitch: (chin[2] - top[2]).atan2(chin[1] - top[1]).to_degrees(),
            roll: (eye_l[1] - eye_r[1]).atan2(eye_l[0] - eye_r[0]).to_degrees(),
            ear_right: ear(points, &RIGHT_EYE),
            ear_left: ear(points, &LEFT_EYE),
            mouth_width: ratio(mouth, eyes),
            mouth_open: ratio(dist(p(INNER_LIPS[0]), p(INNER_LIPS[1])), mouth),
        }
    }

    /// Mean of both eyes' aspect ratios: a blink closes both.
    pub fn ear(&self) -> f64 {
        (self.ear_right + self.ear_left) / 2.0
    }
}

/// Eye aspect ratio (Soukupová & Čech): (|p2-p6| + |p3-p5|) / (2 |p1-p4|), in the image plane.
fn ear(points: &[[f64; 3]], idx: &[usize; 6]) -> f64 {
    let p = |k: usize| points[idx[k]];
    ratio(dist(p(1), p(5)) + dist(p(2), p(4)), 2.0 * dist(p(0), p(3)))
}

/// Image-plane distance.
fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// `a / b`, 0 for a degenerate `b` (collapsed landmarks), so no NaN reaches the statistics.
fn ratio(a: f64, b: f64) -> f64 {
    if b > 1e-9 { a / b } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat frontal face: cheeks at x = +-50, forehead above chin, eyes with the given openness.
    fn face(eye_open: f64) -> Vec<[f64; 3]> {
        let mut pts = vec![[0.0; 3]; 468];
        pts[RIGHT_CHEEK] = [-50.0, 0.0, 0.0];
        pts[LEFT_CHEEK] = [50.0, 0.0, 0.0];
        pts[FOREHEAD] = [0.0, -60.0, 0.0];
        pts[CHIN] = [0.0, 60.0, 0.0];
        for (eye, cx) in [(RIGHT_EYE, -25.0), (LEFT_EYE, 25.0)] {
            pts[eye[0]] = [cx - 10.0, 0.0, 0.0];
            pts[eye[3]] = [cx + 10.0, 0.0, 0.0];
            pts[eye[1]] = [cx - 3.0, -eye_open, 0.0];
            pts[eye[2]] = [cx + 3.0, -eye_open, 0.0];
            pts[eye[5]] = [cx - 3.0, eye_open, 0.0];
            pts[eye[4]] = [cx + 3.0, eye_open, 0.0];
        }
        pts[MOUTH_CORNERS[0]] = [-20.0, 30.0, 0.0];
        pts[MOUTH_CORNERS[1]] = [20.0, 30.0, 0.0];
        pts[INNER_LIPS[0]] = [0.0, 28.0, 0.0];
        pts[INNER_LIPS[1]] = [0.0, 32.0, 0.0];
        pts
    }

    #[test]
    fn frontal_face_measures() {
        let g = Geometry::measure(&face(3.0));
        assert_eq!((g.yaw, g.pitch, g.roll), (0.0, 0.0, 0.0));
        // EAR = (6 + 6) / (2 * 20) = 0.3 per eye.
        assert!((g.ear() - 0.3).abs() < 1e-12 && (g.ear_left - g.ear_right).abs() < 1e-12);
        // Mouth 40 px over the outer eye corners' 70 px; lips 4 px apart over 40.
        assert!((g.mouth_width - 40.0 / 70.0).abs() < 1e-12 && (g.mouth_open - 0.1).abs() < 1e-12);
        assert!(Geometry::measure(&face(0.5)).ear() < 0.06);
    }

    #[test]
    fn turning_left_is_positive_yaw_and_chin_down_positive_pitch() {
        let mut pts = face(3.0);
        // Turning to the subject's own left: their left cheek (454) recedes (z up), right cheek comes nearer.
        pts[LEFT_CHEEK] = [40.0, 0.0, 30.0];
        pts[RIGHT_CHEEK] = [-40.0, 0.0, -30.0];
        let g = Geometry::measure(&pts);
        assert!((g.yaw - 36.8698976).abs() < 1e-6, "{}", g.yaw);
        pts[CHIN] = [0.0, 60.0, 20.0];
        pts[FOREHEAD] = [0.0, -60.0, -20.0];
        let tilted = Geometry::measure(&pts);
        assert!((tilted.pitch - 40f64.atan2(120.0).to_degrees()).abs() < 1e-9, "{}", tilted.pitch);
    }

    #[test]
    fn collapsed_points_give_zero_not_nan() {
        let g = Geometry::measure(&vec![[1.0; 3]; 468]);
        assert_eq!((g.ear(), g.mouth_width, g.mouth_open), (0.0, 0.0, 0.0));
    }
}
