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
    let decode =
        |name: &str| decode_file(&models.join("samples").join(name), &DecodeLimits::default()).expect("decode sample");
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
    let frame = decode_file(&models.join("samples/image_T1.jpg"), &DecodeLimits::default()).expect("decode").swap_rb();
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
