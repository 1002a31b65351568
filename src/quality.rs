//! Capture-quality measures and gates: a low score is often a poor capture, not an attack.

use serde::Serialize;

use crate::crop::resize_linear;
use crate::frame::{FaceBox, Frame};
use crate::policy::QualityGates;

/// Side of the square the face region is resized to before measuring sharpness and exposure, so that the
/// numbers do not depend on the face's size in pixels.
const PATCH: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Quality {
    /// Shorter side of the face box, pixels.
    pub face_px: f64,
    /// Face box area (clipped to the image) over image area.
    pub face_share: f64,
    /// Variance of the 4-neighbour Laplacian of the grey face patch.
    pub sharpness: f64,
    /// Mean grey level of the face patch, 0..255.
    pub brightness: f64,
    /// Share of face-patch pixels at <= 5 or >= 250.
    pub clipped_share: f64,
    /// The face box reaches or crosses the image border.
    pub at_border: bool,
}

/// Measures the face region of `frame`. Returns `None` when the box lies entirely outside the image.
pub fn measure(frame: &Frame, face: &FaceBox) -> Option<Quality> {
    // In i64: an image side may exceed i32 (with a raised --max-pixels) and so may a given box.
    let (w, h) = (frame.width as i64, frame.height as i64);
    let [fx1, fy1, fx2, fy2] = [face.x1, face.y1, face.x2, face.y2].map(i64::from);
    let (x1, y1, x2, y2) = (fx1.max(0), fy1.max(0), fx2.min(w), fy2.min(h));
    if x2 <= x1 || y2 <= y1 {
        return None;
    }
    let region = sub_frame(frame, x1 as usize, y1 as usize, (x2 - x1) as usize, (y2 - y1) as usize);
    let grey = to_grey(&resize_linear(&region, PATCH, PATCH));
    let n = grey.len() as f64;
    let brightness = grey.iter().sum::<f64>() / n;
    let clipped = grey.iter().filter(|&&g| g <= 5.0 || g >= 250.0).count() as f64 / n;
    Some(Quality {
        face_px: face.width().min(face.height()) as f64,
        face_share: (x2 - x1) as f64 * (y2 - y1) as f64 / (w as f64 * h as f64),
        sharpness: laplacian_variance(&grey, PATCH),
        brightness,
        clipped_share: clipped,
        at_border: fx1 <= 0 || fy1 <= 0 || fx2 >= w || fy2 >= h,
    })
}

/// The first gate `q` fails, as a non-response reason code.
pub fn gate(q: &Quality, g: &QualityGates) -> Option<&'static str> {
    if q.face_px < g.min_face_px || q.face_share < g.min_face_share {
        Some("face_too_small")
    } else if q.sharpness < g.min_sharpness {
        Some("too_blurry")
    } else if q.brightness < g.min_brightness {
        Some("too_dark")
    } else if q.brightness > g.max_brightness {
        Some("too_bright")
    } else if q.clipped_share > g.max_clipped_share {
        Some("overexposed")
    } else if g.reject_border && q.at_border {
        Some("face_at_border")
    } else {
        None
    }
}

fn sub_frame(frame: &Frame, x: usize, y: usize, w: usize, h: usize) -> Frame {
    let mut pixels = Vec::with_capacity(w * h * 3);
    for row in y..y + h {
        pixels.extend_from_slice(&frame.row(row)[x * 3..(x + w) * 3]);
    }
    Frame::new(w, h, pixels)
}

/// ITU-R BT.601 luma, as OpenCV's RGB2GRAY.
fn to_grey(f: &Frame) -> Vec<f64> {
    f.pixels
        .chunks_exact(3)
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect()
}

/// Variance of `4 * centre - up - down - left - right` over the interior pixels of a `side x side` image.
fn laplacian_variance(grey: &[f64], side: usize) -> f64 {
    let mut values = Vec::with_capacity((side - 2) * (side - 2));
    for y in 1..side - 1 {
        for x in 1..side - 1 {
            let at = |xx: usize, yy: usize| grey[yy * side + xx];
            values.push(at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y));
        }
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / values.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(w: usize, h: usize, v: u8) -> Frame {
        Frame::new(w, h, vec![v; w * h * 3])
    }

    #[test]
    fn flat_grey_face_has_zero_sharpness_and_its_level_as_brightness() {
        let f = flat(200, 100, 100);
        let q = measure(&f, &FaceBox { x1: 50, y1: 20, x2: 100, y2: 80 }).unwrap();
        assert_eq!(q.face_px, 50.0);
        assert!((q.face_share - 50.0 * 60.0 / 20000.0).abs() < 1e-12);
        assert_eq!(q.sharpness, 0.0);
        assert!((q.brightness - 100.0).abs() < 1e-9);
        assert_eq!(q.clipped_share, 0.0);
        assert!(!q.at_border);
    }

    #[test]
    fn laplacian_variance_of_a_checkerboard_by_hand() {
        // Checkerboard 0/1: every interior Laplacian is +-4 (4 neighbours differ), mean 0, variance 16.
        let side = 6;
        let g: Vec<f64> = (0..side * side).map(|i| ((i / side + i % side) % 2) as f64).collect();
        assert!((laplacian_variance(&g, side) - 16.0).abs() < 1e-12);
    }

    #[test]
    fn gates_name_the_failing_measure() {
        let gates = crate::policy::resolve("default", &[]).unwrap().quality;
        let good = Quality {
            face_px: 150.0,
            face_share: 0.1,
            sharpness: 100.0,
            brightness: 120.0,
            clipped_share: 0.0,
            at_border: true,
        };
        assert_eq!(gate(&good, &gates), None);
        assert_eq!(gate(&Quality { face_px: 20.0, ..good }, &gates), Some("face_too_small"));
        assert_eq!(gate(&Quality { sharpness: 1.0, ..good }, &gates), Some("too_blurry"));
        assert_eq!(gate(&Quality { brightness: 10.0, ..good }, &gates), Some("too_dark"));
        assert_eq!(gate(&Quality { brightness: 250.0, ..good }, &gates), Some("too_bright"));
        assert_eq!(gate(&Quality { clipped_share: 0.9, ..good }, &gates), Some("overexposed"));
    }

    #[test]
    fn dark_clipped_box_at_the_border() {
        let f = flat(100, 100, 0);
        let q = measure(&f, &FaceBox { x1: -10, y1: 0, x2: 50, y2: 50 }).unwrap();
        assert!(q.at_border);
        assert_eq!(q.clipped_share, 1.0);
        assert!(measure(&f, &FaceBox { x1: 200, y1: 0, x2: 250, y2: 50 }).is_none());
    }
}
