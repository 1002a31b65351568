//! Face chips for the recognition network: the affine map from chip pixels to image pixels, and the bilinear
//! warp that samples it (`FACE_RECOGNITION.md`, "Crop").
//!
//! Both rules are a 2x3 matrix `M` taking chip pixel `(u, v, 1)` to image pixel `(x, y)` (pixel centres at
//! integers), sampled bilinearly with black outside the image, as OpenCV's
//! `warpAffine(rgb, M, size, INTER_LINEAR | WARP_INVERSE_MAP, BORDER_CONSTANT, 0)` does.

use crate::frame::{FaceBox, Frame};

/// Chip pixel -> image pixel: `x = m[0][0] u + m[0][1] v + m[0][2]`, `y = m[1][0] u + m[1][1] v + m[1][2]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine(pub [[f64; 3]; 2]);

impl Affine {
    pub fn apply(&self, u: f64, v: f64) -> (f64, f64) {
        let m = &self.0;
        (m[0][0] * u + m[0][1] * v + m[0][2], m[1][0] * u + m[1][1] * v + m[1][2])
    }

    /// The largest distance, in image pixels, between where `self` and `other` send a corner or the centre of
    /// a `side` chip: how far apart two chips' samples can be.
    pub fn max_deviation(&self, other: &Affine, side: usize) -> f64 {
        let s = (side - 1) as f64;
        [(0.0, 0.0), (s, 0.0), (0.0, s), (s, s), (s / 2.0, s / 2.0)]
            .iter()
            .map(|&(u, v)| {
                let (a, b) = (self.apply(u, v), other.apply(u, v));
                (a.0 - b.0).hypot(a.1 - b.1)
            })
            .fold(0.0, f64::max)
    }
}

/// Face-mesh indices of the five dlib points, in template order: the subject's left eye outer and inner
/// corners, right eye outer and inner corners, nose base.
pub const MESH_POINTS: [usize; 5] = [263, 362, 33, 133, 2];

/// dlib's 5-point template (`shape_predictor_5_face_landmarks` mean shape) in unit chip coordinates, paired
/// with [`MESH_POINTS`].
const TEMPLATE: [(f64, f64); 5] = [
    (0.8595674595992, 0.2134981538014),
    (0.6460604764104, 0.2289674387677),
    (0.1205750620789, 0.2137274526848),
    (0.3340850613712, 0.2290642403242),
    (0.4901123135679, 0.6277975316475),
];

/// dlib's `get_face_chip_details(shape, side, padding)`: the similarity transform (rotation, uniform scale,
/// translation) that best maps the padded template onto the five points, least squares. `points` are image
/// pixels with pixel centres at integers.
pub fn dlib5(points: &[(f64, f64); 5], side: usize, padding: f64) -> Affine {
    let chip: Vec<(f64, f64)> = TEMPLATE
        .iter()
        .map(|&(x, y)| {
            let k = side as f64 / (1.0 + 2.0 * padding);
            ((padding + x) * k, (padding + y) * k)
        })
        .collect();
    similarity(&chip, points)
}

/// The five dlib points from a 468-point mesh in image coordinates (`x0 + x * side / 192`), shifted by half a
/// pixel so pixel centres fall on integers.
pub fn mesh_points(mesh: &[[f64; 3]]) -> [(f64, f64); 5] {
    MESH_POINTS.map(|i| (mesh[i][0] - 0.5, mesh[i][1] - 0.5))
}

/// The `box` rule: a square of side `max(w, h)` of the integer detector box, same centre; chip pixel `u`
/// samples `cx - side / 2 + (u + 0.5) side / chip - 0.5`.
pub fn square(face: &FaceBox, side: usize) -> Affine {
    let (w, h) = (face.width() as f64, face.height() as f64);
    let len = w.max(h);
    let k = len / side as f64;
    let cx = f64::from(face.x1 + face.x2) / 2.0;
    let cy = f64::from(face.y1 + face.y2) / 2.0;
    let offset = |c: f64| c - len / 2.0 + 0.5 * k - 0.5;
    Affine([[k, 0.0, offset(cx)], [0.0, k, offset(cy)]])
}

/// Least-squares similarity transform taking `src` points to `dst` (Umeyama's solution without reflection, as
/// dlib's `find_similarity_transform`). In 2-D it has a closed form: with centred coordinates,
/// `a = sum(s . d) / sum |s|^2` and `b = sum(s x d) / sum |s|^2` give `[[a, -b], [b, a]]`.
fn similarity(src: &[(f64, f64)], dst: &[(f64, f64)]) -> Affine {
    let n = src.len() as f64;
    let mean = |p: &[(f64, f64)]| {
        let (sx, sy) = p.iter().fold((0.0, 0.0), |(ax, ay), &(x, y)| (ax + x, ay + y));
        (sx / n, sy / n)
    };
    let (ms, md) = (mean(src), mean(dst));
    let (mut dot, mut cross, mut norm) = (0.0, 0.0, 0.0);
    for (&(sx, sy), &(dx, dy)) in src.iter().zip(dst) {
        let (sx, sy, dx, dy) = (sx - ms.0, sy - ms.1, dx - md.0, dy - md.1);
        dot += sx * dx + sy * dy;
        cross += sx * dy - sy * dx;
        norm += sx * sx + sy * sy;
    }
    let (a, b) = if norm > 0.0 { (dot / norm, cross / norm) } else { (0.0, 0.0) };
    Affine([[a, -b, md.0 - (a * ms.0 - b * ms.1)], [b, a, md.1 - (b * ms.0 + a * ms.1)]])
}

/// The `side x side` chip: each chip pixel samples the image bilinearly at `m(u, v)`; a neighbour outside the
/// image counts as black (OpenCV's `BORDER_CONSTANT` 0), so a chip partly off the image fades to black.
pub fn warp(frame: &Frame, m: &Affine, side: usize) -> Frame {
    let mut out = vec![0u8; side * side * 3];
    let (w, h) = (frame.width as i64, frame.height as i64);
    for v in 0..side {
        for u in 0..side {
            let (x, y) = m.apply(u as f64, v as f64);
            let (fx, fy) = (x.floor(), y.floor());
            let (ax, ay) = (x - fx, y - fy);
            let (x0, y0) = (fx as i64, fy as i64);
            let mut acc = [0.0f64; 3];
            for (dy, wy) in [(0, 1.0 - ay), (1, ay)] {
                for (dx, wx) in [(0, 1.0 - ax), (1, ax)] {
                    let (xi, yi) = (x0 + dx, y0 + dy);
                    if xi < 0 || yi < 0 || xi >= w || yi >= h {
                        continue;
                    }
                    let px = frame.pixel(xi as usize, yi as usize);
                    for c in 0..3 {
                        acc[c] += wx * wy * f64::from(px[c]);
                    }
                }
            }
            let at = (v * side + u) * 3;
            for c in 0..3 {
                out[at + c] = acc[c].round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    Frame::new(side, side, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_recovers_a_known_transform_exactly() {
        // x = 2 cos30 u - 2 sin30 v + 5, y = 2 sin30 u + 2 cos30 v - 3.
        let (c, s) = (2.0 * 30f64.to_radians().cos(), 2.0 * 30f64.to_radians().sin());
        let truth = Affine([[c, -s, 5.0], [s, c, -3.0]]);
        let src = [(0.0, 0.0), (10.0, 0.0), (0.0, 7.0), (3.0, 4.0), (8.0, 9.0)];
        let dst: Vec<(f64, f64)> = src.iter().map(|&(u, v)| truth.apply(u, v)).collect();
        let got = similarity(&src, &dst);
        assert!(got.max_deviation(&truth, 150) < 1e-9, "{got:?}");
    }

    #[test]
    fn dlib5_on_the_template_itself_is_the_identity() {
        // Points placed exactly where the padded template puts them in a 150 chip map chip to image 1:1.
        let k = 150.0 / 1.5;
        let pts = TEMPLATE.map(|(x, y)| ((0.25 + x) * k, (0.25 + y) * k));
        let m = dlib5(&pts, 150, 0.25);
        assert!(m.max_deviation(&Affine([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), 150) < 1e-9, "{m:?}");
    }

    #[test]
    fn square_rule_by_hand() {
        // Box 100x200 at (10, 20): side 200, centre (60, 120); u = 0 samples 60 - 100 + 0.5 * 200/150 - 0.5.
        let m = square(&FaceBox { x1: 10, y1: 20, x2: 110, y2: 220 }, 150);
        let k = 200.0 / 150.0;
        assert_eq!(m, Affine([[k, 0.0, -40.0 + 0.5 * k - 0.5], [0.0, k, 20.0 + 0.5 * k - 0.5]]));
    }

    #[test]
    fn warp_interpolates_and_is_black_outside() {
        // A 2x1 image, black then white; chip 3x1 sampling x = -1, 0.5, 1 (y = 0).
        let frame = Frame::new(2, 1, vec![0, 0, 0, 200, 200, 200]);
        let at = |x: f64| warp(&frame, &Affine([[0.0, 0.0, x], [0.0, 0.0, 0.0]]), 1).pixels[0];
        assert_eq!(at(0.5), 100);
        assert_eq!(at(1.0), 200);
        assert_eq!(at(1.5), 100, "half of the right neighbour is outside: black");
        assert_eq!(at(-1.0), 0);
        assert_eq!(at(0.25), 50);
    }
}
