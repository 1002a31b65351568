//! Padding by reflection, as OpenCV's `cv2.copyMakeBorder(..., cv2.BORDER_REFLECT_101)`.

use crate::frame::Frame;

/// Index into `0..len` that reflect-101 padding reads for position `p` (which may lie outside): the image is
/// mirrored about its first and last pixel without repeating them (`gfedcb|abcdefgh|gfedcba`), as often as needed
/// for pads wider than the image. This is OpenCV's `borderInterpolate`, written with the period `2 * len - 2` of the
/// mirroring instead of its loop; a single pixel (period 0) repeats.
fn reflect101(p: i64, len: usize) -> usize {
    let len = len as i64;
    if len == 1 {
        return 0;
    }
    let period = 2 * len - 2;
    let q = p.rem_euclid(period);
    (if q < len { q } else { period - q }) as usize
}

/// `cv2.copyMakeBorder(src, top, bottom, left, right, cv2.BORDER_REFLECT_101)`.
///
/// An empty source has nothing to reflect (OpenCV refuses it): the result is then black, so no input can panic.
pub fn copy_make_border_reflect101(src: &Frame, top: usize, bottom: usize, left: usize, right: usize) -> Frame {
    let width = src.width + left + right;
    let height = src.height + top + bottom;
    if src.width == 0 || src.height == 0 {
        return Frame::new(width, height, vec![0; width * height * 3]);
    }
    let cols: Vec<usize> = (0..width).map(|x| reflect101(x as i64 - left as i64, src.width) * 3).collect();
    let mut pixels = Vec::with_capacity(width * height * 3);
    for y in 0..height {
        let row = src.row(reflect101(y as i64 - top as i64, src.height));
        for &c in &cols {
            pixels.extend_from_slice(&row[c..c + 3]);
        }
    }
    Frame::new(width, height, pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect101_matches_opencv_border_interpolate() {
        // 'gfedcb|abcdefgh|gfedcba' for len 8, and repeated mirroring beyond one period.
        let got: Vec<usize> = (-6..14).map(|p| reflect101(p, 8)).collect();
        assert_eq!(got, [6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!((-5..6).map(|p| reflect101(p, 2)).collect::<Vec<_>>(), [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
        assert_eq!(reflect101(-1000, 1), 0);
    }

    #[test]
    fn pads_a_small_image() {
        // 2x1 image [A B] padded by 3 on the left and 1 on the right, 1 row on top: B A B | A B | A.
        let src = Frame::new(2, 1, vec![1, 1, 1, 2, 2, 2]);
        let out = copy_make_border_reflect101(&src, 1, 0, 3, 1);
        assert_eq!((out.width, out.height), (6, 2));
        let firsts: Vec<u8> = out.row(1).chunks_exact(3).map(|p| p[0]).collect();
        assert_eq!(firsts, [2, 1, 2, 1, 2, 1]);
        assert_eq!(out.row(0), out.row(1));
    }
}
