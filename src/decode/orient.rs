//! Applying an EXIF orientation to a [`Frame`].

use image::metadata::Orientation;

use crate::frame::Frame;

/// The frame as it should be displayed: `orientation` says how the stored pixels must be rotated/flipped (EXIF
/// values 1-8). Every case is one affine map from output pixel (u, v) to source pixel (x, y), so a single loop serves
/// all eight.
pub(super) fn apply(frame: Frame, orientation: Orientation) -> Frame {
    let (w, h) = (frame.width as i64, frame.height as i64);
    // Source (x, y) of output (u, v): x = x0 + u*xu + v*xv, y = y0 + u*yu + v*yv.
    let (x0, xu, xv, y0, yu, yv) = match orientation {
        Orientation::NoTransforms => return frame,
        Orientation::FlipHorizontal => (w - 1, -1, 0, 0, 0, 1),
        Orientation::FlipVertical => (0, 1, 0, h - 1, 0, -1),
        Orientation::Rotate180 => (w - 1, -1, 0, h - 1, 0, -1),
        Orientation::Rotate90 => (0, 0, 1, h - 1, -1, 0),
        Orientation::Rotate270 => (w - 1, 0, -1, 0, 1, 0),
        Orientation::Rotate90FlipH => (0, 0, 1, 0, 1, 0),
        Orientation::Rotate270FlipH => (w - 1, 0, -1, h - 1, -1, 0),
    };
    // x depends only on v for the four transposing cases: rows and columns swap.
    let (out_w, out_h) = if xu == 0 { (frame.height, frame.width) } else { (frame.width, frame.height) };
    // Byte offsets: one step right in the output moves `step_u` bytes in the source.
    let step_u = (yu * w + xu) * 3;
    let mut pixels = vec![0u8; frame.pixels.len()];
    // Square tiles keep both the rows written and the columns read (for rotations) in cache: a plain row-by-row
    // rotation of a phone photo is slower than decoding it.
    const TILE: usize = 64;
    for v0 in (0..out_h).step_by(TILE) {
        for u0 in (0..out_w).step_by(TILE) {
            for v in v0..(v0 + TILE).min(out_h) {
                let (u1, vi) = ((u0 + TILE).min(out_w), v as i64);
                let mut at = ((y0 + vi * yv) * w + x0 + vi * xv) * 3 + u0 as i64 * step_u;
                for px in pixels[(v * out_w + u0) * 3..(v * out_w + u1) * 3].chunks_exact_mut(3) {
                    let i = at as usize;
                    px.copy_from_slice(&frame.pixels[i..i + 3]);
                    at += step_u;
                }
            }
        }
    }
    Frame::new(out_w, out_h, pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels named by their first byte: the 3x2 image `a b c / d e f`.
    fn letters(frame: &Frame) -> String {
        frame.pixels.chunks_exact(3).map(|p| p[0] as char).collect()
    }

    #[test]
    fn all_eight_orientations() {
        let src = Frame::new(3, 2, b"abcdef".iter().flat_map(|&c| [c, 0, 0]).collect());
        // Expected by the EXIF definitions, rows concatenated: e.g. Rotate90 (clockwise) puts the first column,
        // read bottom-up, on top.
        let cases = [
            (Orientation::NoTransforms, (3, 2), "abcdef"),
            (Orientation::FlipHorizontal, (3, 2), "cbafed"),
            (Orientation::FlipVertical, (3, 2), "defabc"),
            (Orientation::Rotate180, (3, 2), "fedcba"),
            (Orientation::Rotate90, (2, 3), "daebfc"),
            (Orientation::Rotate270, (2, 3), "cfbead"),
            (Orientation::Rotate90FlipH, (2, 3), "adbecf"),
            (Orientation::Rotate270FlipH, (2, 3), "fcebda"),
        ];
        for (orientation, size, expected) in cases {
            let out = apply(src.clone(), orientation);
            assert_eq!(((out.width, out.height), letters(&out).as_str()), (size, expected), "{orientation:?}");
        }
    }
}
