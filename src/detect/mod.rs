//! Face detection and the choice of the face to score.

pub mod descriptor;
pub mod ultraface;

use serde::Serialize;

use crate::frame::FaceBox;

/// A detected face.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Detection {
    pub face: FaceBox,
    pub confidence: f32,
}

/// The largest face by integer box area; boxes with no width or height are ignored; ties go to the higher
/// confidence, then to the earlier box in NMS order (as the reference pipeline picks).
pub fn largest(detections: &[Detection]) -> Option<&Detection> {
    let valid = detections.iter().enumerate().filter(|(_, d)| d.face.width() > 0 && d.face.height() > 0);
    valid
        .max_by(|(i, a), (j, b)| {
            a.face.area().cmp(&b.face.area()).then(a.confidence.total_cmp(&b.confidence)).then(j.cmp(i))
        })
        .map(|(_, d)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(x1: i32, y1: i32, x2: i32, y2: i32, confidence: f32) -> Detection {
        Detection { face: FaceBox { x1, y1, x2, y2 }, confidence }
    }

    #[test]
    fn largest_prefers_area_then_confidence_then_order() {
        let small = det(0, 0, 10, 10, 0.99);
        let big = det(0, 0, 20, 20, 0.8);
        let big_sure = det(5, 5, 25, 25, 0.9);
        let big_sure_later = det(6, 6, 26, 26, 0.9);
        assert_eq!(largest(&[small, big]), Some(&big));
        assert_eq!(largest(&[big, big_sure]), Some(&big_sure));
        assert_eq!(largest(&[big_sure, big_sure_later]), Some(&big_sure));
        assert_eq!(largest(&[det(5, 5, 5, 50, 0.9)]), None);
    }
}
