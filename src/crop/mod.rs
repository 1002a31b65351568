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
mod tests {
    use base64::Engine as _;

    use super::*;
    use crate::decode::{DecodeLimits, decode_file};
    use crate::test_support::{bgr_sha256, reference_json, shared_models};

    fn face(x1: i32, y1: i32, x2: i32, y2: i32) -> FaceBox {
        FaceBox { x1, y1, x2, y2 }
    }

    /// Silent-Face's (x, y, w, h) as the box the crop rule receives (x2 = x + w, as `ultraface_box_to_xywh` inverts).
    fn from_xywh(v: &serde_json::Value) -> FaceBox {
        let n = |i: usize| v[i].as_i64().expect("integer box") as i32;
        face(n(0), n(1), n(0) + n(2), n(1) + n(3))
    }

    /// Inclusive corners `[x1, y1, x2, y2]`, the JSON's convention.
    fn inclusive(r: CropRect) -> [i64; 4] {
        [r.x, r.y, r.x + r.width - 1, r.y + r.height - 1]
    }

    /// Every crop in `silent_face_reference_scores.json`: the three samples x two models with their detector boxes, and
    /// the four extra geometry cases, reproduced to the pixel (crop box and sha256 of the 80x80 BGR crop).
    #[test]
    fn silent_face_reference_crops() {
        let Some(models) = shared_models("silent_face_reference_crops") else { return };
        let json = reference_json(&models);
        let decode = |name: &str| {
            decode_file(&models.join("samples").join(name), &DecodeLimits::default()).expect("decode sample")
        };
        let mut cases = Vec::new();
        for (name, image) in json["images"].as_object().expect("images") {
            for (model, m) in image["models"].as_object().expect("models") {
                cases.push((
                    format!("{name} {model}"),
                    name.clone(),
                    from_xywh(&image["detector"]["bbox_xywh"]),
                    m.clone(),
                ));
            }
        }
        for (case, extra) in json["extra_crop_geometry_cases"].as_object().expect("extra cases") {
            let image = extra["image"].as_str().expect("image name");
            for (model, m) in extra["models"].as_object().expect("models") {
                let mut m = m.clone();
                m["crop_scale"] = json["models"][model]["crop_scale"].clone();
                cases.push((format!("{case} {model}"), image.to_string(), from_xywh(&extra["bbox_xywh_given"]), m));
            }
        }
        assert_eq!(cases.len(), 14);
        for (label, image, face, m) in cases {
            let frame = decode(&image);
            let rule = CropRule::ShiftInside { scale: m["crop_scale"].as_f64().expect("scale") };
            let rect = crop_rect(frame.width, frame.height, &face, rule).expect("crop rect");
            let expected: Vec<i64> =
                m["crop_box_x1y1x2y2_inclusive"].as_array().expect("box").iter().map(|v| v.as_i64().unwrap()).collect();
            assert_eq!(inclusive(rect).to_vec(), expected, "{label}: crop box");
            let crop = crop_face(&frame, &face, rule, Resize::Linear, 80, 80).expect("crop");
            if let Some(b64) = m["crop_bgr_hwc_uint8_base64"].as_str() {
                // Where the JSON has the pixels themselves, say how far off a mismatch is.
                let expected = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64");
                let got = crop.swap_rb().pixels;
                let differing = got.iter().zip(&expected).filter(|(a, b)| a != b).count();
                let max = got.iter().zip(&expected).map(|(a, b)| a.abs_diff(*b)).max();
                assert_eq!((differing, max), (0, Some(0)), "{label}: crop values differing, max difference");
            }
            assert_eq!(bgr_sha256(&crop), m["crop_bgr_uint8_sha256"].as_str().unwrap(), "{label}: crop pixels");
        }
    }

    /// MiniFAS-128 crops (`minifas_crop` + `minifas_preprocess` before its float conversion) on image_T1 (480x640 after
    /// EXIF rotation), recorded with the Python reference functions under cv2 5.0.0: square (x, y, side) and sha256 of
    /// the 128x128 BGR result. Covers a box inside, touching each border, partly outside (negative corners truncate
    /// toward zero), a square larger than the image (reflection bouncing between both edges), an enlarged crop
    /// (INTER_LANCZOS4) and the 127-pixel letterbox quirk (sides 187, 237, 161).
    #[test]
    fn minifas_reference_crops() {
        let Some(models) = shared_models("minifas_reference_crops") else { return };
        let frame =
            decode_file(&models.join("samples/image_T1.jpg"), &DecodeLimits::default()).expect("decode").swap_rb();
        #[rustfmt::skip]
    let cases = [
        ("inside", face(150, 200, 330, 400), 1.5, (90, 150, 300), "33ac978142e6f60e8af2bfcbbe411dd74b9a2561c99ff46224253fe80343ee32"),
        ("left", face(0, 250, 120, 370), 1.5, (-30, 220, 180), "dbf033237b73d8730caaa21703541768d62ba6dd5c7491ba6b8ddbe76a71ad0a"),
        ("top", face(200, 0, 300, 100), 1.5, (175, -25, 150), "041447edcf133ec5ecc16dbf9a2970a5bc38306379433f9624b4284d54241ad9"),
        ("right", face(380, 300, 480, 400), 1.5, (355, 275, 150), "909524b1b94670fdef7b5f16669b6d855cdb504cd6132a4d1dc0eca0aad8afd3"),
        ("bottom", face(100, 540, 200, 640), 1.5, (75, 515, 150), "a5ab052799fbcc358e61854c85fa143abcd1bb3c1703deb7556380071542b3c5"),
        ("out_top_left", face(-40, -30, 100, 120), 1.5, (-82, -67, 225), "1474e0627144ff9dd488c009ce050afee599d945a8129f9c64df78283c539ba1"),
        ("out_bottom_right", face(400, 560, 520, 700), 1.5, (355, 525, 210), "ddf4ad70b67364a7f534288b324e08779c4e3cda1e2e310c0fe0e121f00b02be"),
        ("huge_multi_reflect", face(-300, -300, 700, 900), 1.5, (-700, -600, 1800), "be82e3ea030084ca17bf382d064c8d1ef90f5017c3f50f0f41e63f5472e24b89"),
        ("lanczos_small", face(220, 300, 260, 340), 1.5, (210, 290, 60), "90db5608b482f1d5909cae285f658b9bc577b2dac2b0bd18132cbe2e098bb85c"),
        ("quirk_187", face(100, 100, 225, 200), 1.5, (68, 56, 187), "493c0cb079434b3598e5d9a27f6cff82c38de04b3746e98e65206cd95111a364"),
        ("quirk_237", face(100, 100, 258, 180), 1.5, (60, 21, 237), "2827f7dca02266cfd16732ea84f5990dc464e14487605599a778c49a06e412c9"),
        ("scale_161", face(150, 150, 250, 250), 1.61, (119, 119, 161), "27f7c21e3ad0b135537d898da8ac2bb795616bf846ef7d01b8817d666a81db58"),
    ];
        for (label, face, scale, (x, y, side), sha) in cases {
            let rule = CropRule::ReflectSquare { scale };
            let rect = crop_rect(frame.width, frame.height, &face, rule).expect("crop rect");
            assert_eq!(rect, CropRect { x, y, width: side, height: side }, "{label}: square");
            let out = crop_face(&frame, &face, rule, Resize::Letterbox, 128, 128).expect("crop");
            assert_eq!(crate::test_support::sha256_hex(&out.pixels), sha, "{label}: pixels");
        }
    }

    #[test]
    fn degenerate_boxes_are_errors() {
        let frame = Frame::new(40, 30, vec![7; 40 * 30 * 3]);
        let square = CropRule::ReflectSquare { scale: 1.5 };
        let shift = CropRule::ShiftInside { scale: 2.7 };
        for rule in [square, shift] {
            for b in [face(10, 10, 10, 20), face(10, 10, 20, 5), face(i32::MAX, 0, i32::MIN, 5)] {
                assert_eq!(crop_face(&frame, &b, rule, Resize::Linear, 8, 8), Err(CropError::DegenerateBox(b)));
            }
            let empty = Frame::new(0, 0, Vec::new());
            assert_eq!(crop_face(&empty, &face(0, 0, 5, 5), rule, Resize::Linear, 8, 8), Err(CropError::EmptyFrame));
            assert!(matches!(
                crop_face(&frame, &face(0, 0, 5, 5), rule, Resize::Linear, 0, 8),
                Err(CropError::EmptyOutput { .. })
            ));
        }
        let outside = crop_face(&frame, &face(100, 100, 110, 110), square, Resize::Letterbox, 16, 16);
        assert!(matches!(outside, Err(CropError::OutsideImage { .. })), "{outside:?}");
        let huge = crop_face(&frame, &face(i32::MIN, i32::MIN, i32::MAX, i32::MAX), square, Resize::Letterbox, 16, 16);
        assert!(matches!(huge, Err(CropError::CropTooLarge { .. })), "{huge:?}");
        for scale in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let bad = crop_face(&frame, &face(0, 0, 5, 5), CropRule::ShiftInside { scale }, Resize::Linear, 8, 8);
            assert!(matches!(bad, Err(CropError::BadScale(_))));
        }
        let thin = crop_face(&frame, &face(0, 0, 40, 1), CropRule::ShiftInside { scale: 1.0 }, Resize::Letterbox, 8, 8);
        assert!(matches!(thin, Err(CropError::TooElongated { .. })), "{thin:?}");
        assert!(format!("{}", CropError::DegenerateBox(face(1, 2, 1, 9))).contains("non-positive"));
    }

    /// Silent-Face's rule never fails for a box far outside the image: like the reference, it shifts the crop inside.
    #[test]
    fn shift_inside_moves_far_boxes_in() {
        let rect = crop_rect(480, 640, &face(5000, -900, 5100, -800), CropRule::ShiftInside { scale: 2.7 }).unwrap();
        assert_eq!(inclusive(rect), [209, 0, 479, 270]);
    }
}
