//! The face-mesh crop: a square around the face, sampled to 192x192 exactly as the model's contract says
//! (`../shared/models/README.md`), because the landmarks are only as accurate as the crop they come from.

use crate::frame::{FaceBox, Frame};

/// The model's input side, pixels.
pub const SIDE: usize = 192;

/// A square in image pixels: top-left corner and side (fractional: it is sampled, not cut).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Square {
    pub x0: f64,
    pub y0: f64,
    pub side: f64,
}

impl Square {
    /// The contract's rule: centred on the box, side 1.5 x its longer side.
    pub fn around(x1: f64, y1: f64, x2: f64, y2: f64) -> Square {
        let side = 1.5 * (x2 - x1).max(y2 - y1);
        Square { x0: (x1 + x2) / 2.0 - side / 2.0, y0: (y1 + y2) / 2.0 - side / 2.0, side }
    }

    /// The first pass's square: around the detector's box.
    pub fn around_box(face: &FaceBox) -> Square {
        Square::around(f64::from(face.x1), f64::from(face.y1), f64::from(face.x2), f64::from(face.y2))
    }

    /// The second pass's square: around the bounding box of the first pass's landmarks (image pixels), which
    /// fits the face more tightly and consistently than the detector's box.
    pub fn around_points(points: &[[f64; 3]]) -> Square {
        let (mut x1, mut y1, mut x2, mut y2) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in points {
            x1 = x1.min(p[0]);
            y1 = y1.min(p[1]);
            x2 = x2.max(p[0]);
            y2 = y2.max(p[1]);
        }
        Square::around(x1, y1, x2, y2)
    }

    /// Model-input units (0..192) to image pixels: `x0 + u * side / 192`.
    pub fn to_image(&self, u: f64, v: f64) -> (f64, f64) {
        let k = self.side / SIDE as f64;
        (self.x0 + u * k, self.y0 + v * k)
    }
}

/// Fills `tensor` with the model input for `square` of `frame`: NHWC, RGB, pixel / 255, bilinear, border
/// pixels repeated where the square leaves the image. Input pixel `u` samples image `x0 + (u + 0.5) * side /
/// 192 - 0.5` (pixel centres aligned, as in the contract).
pub fn sample(frame: &Frame, square: &Square, tensor: &mut Vec<f32>) {
    tensor.clear();
    tensor.reserve(SIDE * SIDE * 3);
    let k = square.side / SIDE as f64;
    let taps = |origin: f64, len: usize| -> Vec<(usize, usize, f32)> {
        (0..SIDE)
            .map(|u| {
                let x = origin + (u as f64 + 0.5) * k - 0.5;
                let floor = x.floor();
                let clamp = |i: f64| i.clamp(0.0, (len - 1) as f64) as usize;
                (clamp(floor), clamp(floor + 1.0), (x - floor) as f32)
            })
            .collect()
    };
    let cols = taps(square.x0, frame.width);
    let rows = taps(square.y0, frame.height);
    for &(y0, y1, fy) in &rows {
        let (top, bottom) = (frame.row(y0), frame.row(y1));
        for &(x0, x1, fx) in &cols {
            for c in 0..3 {
                let at = |row: &[u8], x: usize| f32::from(row[x * 3 + c]);
                let upper = at(top, x0) * (1.0 - fx) + at(top, x1) * fx;
                let lower = at(bottom, x0) * (1.0 - fx) + at(bottom, x1) * fx;
                tensor.push((upper * (1.0 - fy) + lower * fy) / 255.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_is_centred_and_one_and_a_half_times_the_longer_side() {
        let s = Square::around_box(&FaceBox { x1: 100, y1: 50, x2: 200, y2: 250 });
        assert_eq!(s, Square { x0: 0.0, y0: 0.0, side: 300.0 });
        let p = Square::around_points(&[[10.0, 20.0, 0.0], [30.0, 30.0, 5.0], [20.0, 60.0, -1.0]]);
        assert_eq!(p, Square { x0: -10.0, y0: 10.0, side: 60.0 });
        assert_eq!(p.to_image(96.0, 192.0), (20.0, 70.0));
    }

    #[test]
    fn identity_square_reproduces_pixels_and_outside_repeats_the_border() {
        // A 192x192 square exactly on a 192x192 image samples each pixel centre: the image itself.
        let pixels: Vec<u8> = (0..SIDE * SIDE * 3).map(|i| (i * 31 % 251) as u8).collect();
        let frame = Frame::new(SIDE, SIDE, pixels.clone());
        let mut t = Vec::new();
        sample(&frame, &Square { x0: 0.0, y0: 0.0, side: SIDE as f64 }, &mut t);
        assert!(t.iter().zip(&pixels).all(|(a, &b)| (a * 255.0 - f32::from(b)).abs() < 1e-3));
        // A square far left of the image sees only the first column, repeated.
        sample(&frame, &Square { x0: -1000.0, y0: 0.0, side: SIDE as f64 }, &mut t);
        let first_col = |y: usize, c: usize| f32::from(pixels[y * SIDE * 3 + c]) / 255.0;
        assert!((t[(5 * SIDE + 100) * 3 + 1] - first_col(5, 1)).abs() < 1e-6);
    }

    #[test]
    fn half_pixel_offsets_interpolate() {
        // Upscaling 2x: input pixel 1 samples image x = 0.25, a quarter of the way from pixel 0 to 1.
        let frame = Frame::new(2, 1, vec![0, 0, 0, 100, 100, 100]);
        let mut t = Vec::new();
        sample(&frame, &Square { x0: 0.0, y0: 0.0, side: 2.0 }, &mut t);
        // side 2 over 192 pixels: u = 1 -> x = (1.5) * 2/192 - 0.5 < 0 -> clamped to pixel 0 (value 0).
        assert_eq!(t[3], 0.0);
        // u = 144 -> x = 144.5 / 96 - 0.5 = 1.005..: beyond the last pixel, repeated (value 100).
        assert!((t[144 * 3] - 100.0 / 255.0).abs() < 1e-6);
        // u = 96 -> x = 96.5 / 96 - 0.5 = 0.50520..: between the two.
        let want = (96.5f64 / 96.0 - 0.5) as f32 * 100.0 / 255.0;
        assert!((t[96 * 3] - want).abs() < 1e-5, "{} vs {want}", t[96 * 3]);
    }
}
