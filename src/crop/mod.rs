//! Face crops for the PAD classifiers: which source rectangle a model sees around a detected face, and how that
//! rectangle becomes the model's input size.
//!
//! Each model family was trained on crops made by its upstream code, quirks included (truncation toward zero,
//! inclusive ends, a letterbox that sometimes resizes to 127 instead of 128). A classifier only reproduces its
//! reference scores when fed the same pixels, so every rule here is a literal port of the Python reference
//! (`shared/tools/ref_pipeline.py`), with all coordinates in `i64`/`f64` so that no box, however absurd, can
//! overflow or panic.

mod border;
mod resize;

use std::fmt;

pub use border::copy_make_border_reflect101;
pub use resize::{resize_area, resize_lanczos4, resize_linear};

use crate::frame::{FaceBox, Frame};

/// How the crop rectangle is derived from the face box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CropRule {
    /// Silent-Face (`silentface_crop`): the box (x, y, w, h) = (x1, y1, x2 - x1, y2 - y1) scaled about its centre by
    /// `min(scale, (H-1)/h, (W-1)/w)`, shifted (not shrunk) back inside the image, corners truncated toward zero,
    /// both ends inclusive. The crop therefore always lies inside the image.
    ShiftInside { scale: f64 },
    /// MiniFAS-128 (`minifas_crop`): a square of side `int(max(w, h) * scale)` centred on the box, its corner
    /// truncated toward zero; parts outside the image are filled by reflect-101 mirroring of the part inside.
    ReflectSquare { scale: f64 },
}

/// How the crop becomes `out_w x out_h`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resize {
    /// `cv2.resize(..., INTER_LINEAR)` straight to the output size (aspect ratio not kept).
    Linear,
    /// `minifas_preprocess`: scale by `min(out_w / w, out_h / h)` keeping the aspect ratio, each side truncated
    /// with `int()` (so a square crop sometimes becomes 127 instead of 128 pixels, upstream's quirk), INTER_LANCZOS4
    /// when enlarging and INTER_AREA otherwise, then reflect-101 padding to the output size (larger half of the
    /// padding at the bottom and right).
    Letterbox,
}

/// The source rectangle a crop rule selects, in pixels of the frame: columns `x .. x + width` and rows
/// `y .. y + height` (half-open). [`CropRule::ShiftInside`] rectangles lie inside the frame;
/// [`CropRule::ReflectSquare`] ones may extend past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CropRect {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
}

/// Why a face could not be cropped.
#[derive(Clone, Debug, PartialEq)]
pub enum CropError {
    /// The frame has no pixels.
    EmptyFrame,
    /// The output size has a zero side.
    EmptyOutput { width: usize, height: usize },
    /// The crop scale is not a positive finite number.
    BadScale(f64),
    /// The face box has a non-positive width or height.
    DegenerateBox(FaceBox),
    /// The crop rectangle has no pixels (a scale so small that the square's side truncates to 0).
    EmptyCrop(CropRect),
    /// The crop rectangle does not overlap the image, so there is nothing to crop or reflect.
    OutsideImage { rect: CropRect, width: usize, height: usize },
    /// The crop square is implausibly large for the image (its pixels would need gigabytes).
    CropTooLarge { side: i64, limit: i64 },
    /// The letterbox would shrink one side of the crop to 0 pixels.
    TooElongated { width: usize, height: usize },
}

impl fmt::Display for CropError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CropError::EmptyFrame => write!(f, "cannot crop a face from an empty image"),
            CropError::EmptyOutput { width, height } => write!(f, "crop output size {width}x{height} has no pixels"),
            CropError::BadScale(s) => write!(f, "crop scale {s} is not a positive number"),
            CropError::DegenerateBox(b) => {
                write!(f, "face box ({}, {})-({}, {}) has a non-positive width or height", b.x1, b.y1, b.x2, b.y2)
            }
            CropError::EmptyCrop(r) => {
                write!(f, "crop rectangle {}x{} at ({}, {}) has no pixels", r.width, r.height, r.x, r.y)
            }
            CropError::OutsideImage { rect: r, width, height } => write!(
                f,
                "crop rectangle {}x{} at ({}, {}) lies entirely outside the {width}x{height} image",
                r.width, r.height, r.x, r.y
            ),
            CropError::CropTooLarge { side, limit } => {
                write!(f, "crop square of side {side} is too large for the image (limit {limit})")
            }
            CropError::TooElongated { width, height } => {
                write!(f, "a {width}x{height} crop is too elongated to letterbox: one side would shrink to 0 pixels")
            }
        }
    }
}

impl std::error::Error for CropError {}

/// A reflect-square crop may extend past the image, but its side is limited to this many times the image's longer
/// side: real face boxes stay near the image, and an absurd box must not allocate gigabytes.
const MAX_SQUARE_PER_IMAGE_SIDE: i64 = 4;

/// The rectangle `rule` selects around `face` in a `width x height` image.
pub fn crop_rect(width: usize, height: usize, face: &FaceBox, rule: CropRule) -> Result<CropRect, CropError> {
    if width == 0 || height == 0 {
        return Err(CropError::EmptyFrame);
    }
    let (box_w, box_h) = (i64::from(face.x2) - i64::from(face.x1), i64::from(face.y2) - i64::from(face.y1));
    if box_w <= 0 || box_h <= 0 {
        return Err(CropError::DegenerateBox(*face));
    }
    let rect = match rule {
        CropRule::ShiftInside { scale } => shift_inside(width, height, face, check_scale(scale)?),
        CropRule::ReflectSquare { scale } => reflect_square(width, height, face, check_scale(scale)?)?,
    };
    if rect.width <= 0 || rect.height <= 0 {
        return Err(CropError::EmptyCrop(rect));
    }
    Ok(rect)
}

fn check_scale(scale: f64) -> Result<f64, CropError> {
    if scale.is_finite() && scale > 0.0 { Ok(scale) } else { Err(CropError::BadScale(scale)) }
}

/// `silentface_crop`'s rectangle, operation for operation in `f64` as Python computes it.
fn shift_inside(width: usize, height: usize, face: &FaceBox, scale: f64) -> CropRect {
    let (x, y) = (f64::from(face.x1), f64::from(face.y1));
    let (w, h) = (f64::from(face.x2) - x, f64::from(face.y2) - y);
    let (max_x, max_y) = (width as f64 - 1.0, height as f64 - 1.0);
    let scale = (max_y / h).min((max_x / w).min(scale));
    let (new_w, new_h) = (w * scale, h * scale);
    let (cx, cy) = (w / 2.0 + x, h / 2.0 + y);
    let (mut left, mut top) = (cx - new_w / 2.0, cy - new_h / 2.0);
    let (mut right, mut bottom) = (cx + new_w / 2.0, cy + new_h / 2.0);
    if left < 0.0 {
        right -= left;
        left = 0.0;
    }
    if top < 0.0 {
        bottom -= top;
        top = 0.0;
    }
    if right > max_x {
        left -= right - width as f64 + 1.0;
        right = max_x;
    }
    if bottom > max_y {
        top -= bottom - height as f64 + 1.0;
        bottom = max_y;
    }
    // Python's int(): truncation toward zero; the right and bottom ends are inclusive.
    let (x0, y0, x1, y1) = (left as i64, top as i64, right as i64, bottom as i64);
    CropRect { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }
}

/// `minifas_crop`'s square, operation for operation in `f64` as Python computes it.
fn reflect_square(width: usize, height: usize, face: &FaceBox, scale: f64) -> Result<CropRect, CropError> {
    let (w, h) = (i64::from(face.x2) - i64::from(face.x1), i64::from(face.y2) - i64::from(face.y1));
    let max_dim = w.max(h) as f64;
    let cx = f64::from(face.x1) + w as f64 / 2.0;
    let cy = f64::from(face.y1) + h as f64 / 2.0;
    let half = max_dim * scale / 2.0;
    let side = (max_dim * scale) as i64;
    let limit = MAX_SQUARE_PER_IMAGE_SIDE * width.max(height) as i64;
    if side > limit {
        return Err(CropError::CropTooLarge { side, limit });
    }
    Ok(CropRect { x: (cx - half) as i64, y: (cy - half) as i64, width: side, height: side })
}

/// Crops `face` from `frame` by `rule` and resizes it to `out_w x out_h` by `resize`.
pub fn crop_face(
    frame: &Frame,
    face: &FaceBox,
    rule: CropRule,
    resize: Resize,
    out_w: usize,
    out_h: usize,
) -> Result<Frame, CropError> {
    if out_w == 0 || out_h == 0 {
        return Err(CropError::EmptyOutput { width: out_w, height: out_h });
    }
    let rect = crop_rect(frame.width, frame.height, face, rule)?;
    let patch = extract(frame, rect)?;
    match resize {
        Resize::Linear => Ok(resize_linear(&patch, out_w, out_h)),
        Resize::Letterbox => letterbox(&patch, out_w, out_h),
    }
}

/// The pixels of `rect`: the part inside the frame, mirrored (reflect-101) about its own edges to fill the part
/// outside, as `minifas_crop` pads its slice with `cv2.copyMakeBorder`.
fn extract(frame: &Frame, rect: CropRect) -> Result<Frame, CropError> {
    let (w, h) = (frame.width as i64, frame.height as i64);
    let (x0, y0) = (rect.x.max(0), rect.y.max(0));
    let (x1, y1) = ((rect.x + rect.width).min(w), (rect.y + rect.height).min(h));
    if x1 <= x0 || y1 <= y0 {
        return Err(CropError::OutsideImage { rect, width: frame.width, height: frame.height });
    }
    let (x0, y0, x1, y1) = (x0 as usize, y0 as usize, x1 as usize, y1 as usize);
    let mut pixels = Vec::with_capacity((x1 - x0) * (y1 - y0) * 3);
    for y in y0..y1 {
        pixels.extend_from_slice(&frame.row(y)[x0 * 3..x1 * 3]);
    }
    let inside = Frame::new(x1 - x0, y1 - y0, pixels);
    let pad = |before: i64, after: i64| (before.max(0) as usize, after.max(0) as usize);
    let (left, right) = pad(-rect.x, rect.x + rect.width - w);
    let (top, bottom) = pad(-rect.y, rect.y + rect.height - h);
    if left + right + top + bottom == 0 {
        return Ok(inside);
    }
    Ok(copy_make_border_reflect101(&inside, top, bottom, left, right))
}

/// `minifas_preprocess` up to the float conversion (see [`Resize::Letterbox`]).
fn letterbox(patch: &Frame, out_w: usize, out_h: usize) -> Result<Frame, CropError> {
    let ratio = (out_w as f64 / patch.width as f64).min(out_h as f64 / patch.height as f64);
    let (new_w, new_h) = ((patch.width as f64 * ratio) as usize, (patch.height as f64 * ratio) as usize);
    if new_w == 0 || new_h == 0 {
        return Err(CropError::TooElongated { width: patch.width, height: patch.height });
    }
    let resized = if ratio > 1.0 { resize_lanczos4(patch, new_w, new_h) } else { resize_area(patch, new_w, new_h) };
    let (dw, dh) = (out_w.saturating_sub(new_w), out_h.saturating_sub(new_h));
    Ok(copy_make_border_reflect101(&resized, dh / 2, dh - dh / 2, dw / 2, dw - dw / 2))
}

#[cfg(test)]
mod tests;
