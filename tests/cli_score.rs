//! `liveness score` end to end on real models and images, and on every kind of bad input.

mod common;

use std::path::Path;

use common::{liveness, shared};
use predicates::prelude::*;
use predicates::str::contains;

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

#[test]
fn sample_images_score_as_the_reference_says() {
    let Some(models) = shared("models") else { return };
    let out = liveness().arg("score").arg("--json").arg(models.join("samples")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let recs = json_lines(&out.stdout);
    let live = |name: &str| {
        let r = recs.iter().find(|r| r["path"].as_str().unwrap().ends_with(name)).unwrap();
        r["live_probability"].as_f64().unwrap()
    };
    assert!(live("image_T1.jpg") > 0.9, "T1 {}", live("image_T1.jpg"));
    assert!(live("image_F1.jpg") < 0.5, "F1 {}", live("image_F1.jpg"));
    assert!(live("image_F2.jpg") < 0.5, "F2 {}", live("image_F2.jpg"));
    for r in &recs {
        assert_eq!(
            r["decision"].as_str().unwrap(),
            if r["live_probability"].as_f64().unwrap() >= 0.5 { "live" } else { "attack" }
        );
        assert_eq!(r["face_count"], 1);
    }
}

/// With the reference's own face boxes (upstream RetinaFace, given with --box), decode + EXIF rotation +
/// crop + resize + both networks reproduce the stored live probabilities of the Silent-Face reference.
#[test]
fn reference_boxes_reproduce_the_reference_live_probabilities() {
    let Some(models) = shared("models") else { return };
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(models.join("silent_face_reference_scores.json")).unwrap())
            .unwrap();
    for (image, entry) in json["images"].as_object().unwrap() {
        let b: Vec<i64> =
            entry["detector"]["bbox_xywh"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        let face_box = format!("{},{},{},{}", b[0], b[1], b[0] + b[2], b[1] + b[3]);
        let out = liveness()
            .args(["score", "--json", "--box", &face_box])
            .arg(models.join("samples").join(image))
            .output()
            .unwrap();
        let r = &json_lines(&out.stdout)[0];
        let got = r["live_probability"].as_f64().unwrap();
        let want = entry["live_probability"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-5, "{image}: {got} vs reference {want}");
        assert_eq!([r["width"].as_u64(), r["height"].as_u64()], [Some(480), Some(640)], "EXIF orientation applied");
    }
}

/// A PNG header claiming `w x h` pixels, a few bytes on disk (a decompression-bomb shape).
fn huge_png(path: &Path, w: u32, h: u32) {
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc(&body).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut png, b"IEND", &[]);
    std::fs::write(path, png).unwrap();
}

#[test]
fn bad_inputs_are_reported_one_line_each_and_never_stop_the_batch() {
    let Some(models) = shared("models") else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = std::fs::read(models.join("samples/image_T1.jpg")).unwrap();
    std::fs::write(d.join("empty.jpg"), b"").unwrap();
    std::fs::write(d.join("truncated.jpg"), &good[..good.len() / 3]).unwrap();
    std::fs::write(d.join("text.jpg"), b"this is not an image\n").unwrap();
    huge_png(&d.join("huge.png"), 30000, 30000);
    std::os::unix::fs::symlink("/nonexistent/file.jpg", d.join("dangling.jpg")).unwrap();
    // Exists but cannot be read: reading /proc/self/mem at offset 0 fails with EIO (permissions would not
    // stop root, which CI runs as).
    std::os::unix::fs::symlink("/proc/self/mem", d.join("unreadable.jpg")).unwrap();
    std::fs::write(d.join("good.jpg"), &good).unwrap();
    std::fs::create_dir(d.join("no-images")).unwrap();

    let out = liveness()
        .args(["score", "--json"])
        .arg(d.join("empty.jpg"))
        .arg(d.join("truncated.jpg"))
        .arg(d.join("text.jpg"))
        .arg(d.join("huge.png"))
        .arg(d.join("dangling.jpg"))
        .arg(d.join("missing.jpg"))
        .arg(d.join("unreadable.jpg"))
        .arg(d.join("no-images"))
        .arg(d.join("good.jpg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "some inputs not scored -> exit 3");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let recs = json_lines(&out.stdout);
    assert_eq!(recs.len(), 8, "every file gets a record; the empty folder a stderr line");
    let good = recs.iter().find(|r| r["path"].as_str().unwrap().ends_with("good.jpg")).unwrap();
    assert!(good["live_probability"].as_f64().unwrap() > 0.9, "the good image is still scored");
    for (name, reason) in [
        ("empty.jpg", "empty_file"),
        ("truncated.jpg", "truncated"),
        ("text.jpg", "not_an_image"),
        ("huge.png", "too_large"),
        ("dangling.jpg", "missing_file"),
        ("missing.jpg", "missing_file"),
        ("unreadable.jpg", "unreadable"),
    ] {
        let r = recs.iter().find(|r| r["path"].as_str().unwrap().ends_with(name)).unwrap();
        assert_eq!(r["status"], "non_response", "{name}");
        assert_eq!(r["reason"], reason, "{name}: {r}");
        let lines: Vec<&str> = stderr.lines().filter(|l| l.contains(name)).collect();
        assert_eq!(lines.len(), 1, "exactly one stderr line names {name}:\n{stderr}");
        assert!(lines[0].contains(reason), "{}", lines[0]);
    }
    assert!(stderr.lines().any(|l| l.contains("no-images") && l.contains("no_images")), "{stderr}");
}

#[test]
fn several_faces_are_rejected_when_asked() {
    let Some(models) = shared("models") else { return };
    // Two copies of a face side by side.
    let img = image::open(models.join("samples/image_T1.jpg")).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    let mut both = image::RgbImage::new(w * 2, h);
    image::imageops::replace(&mut both, &img, 0, 0);
    image::imageops::replace(&mut both, &img, i64::from(w), 0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.png");
    both.save(&path).unwrap();
    let out = liveness().args(["score", "--json", "--multi-face", "reject"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(r["reason"], "multiple_faces");
    assert_eq!(r["face_count"], 2);
    let out = liveness().args(["score", "--json"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_lines(&out.stdout)[0]["face_count"], 2);
}

#[test]
fn a_given_box_skips_detection() {
    let Some(models) = shared("models") else { return };
    let out = liveness()
        .args(["score", "--json", "--box", "106,147,313,360"])
        .arg(models.join("samples/image_T1.jpg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(r["box"], serde_json::json!([106, 147, 313, 360]));
    assert_eq!(r["face_count"], 0, "no detection ran");
}

#[test]
fn missing_model_file_says_where_it_looked_and_how_to_fix_it() {
    if shared("models").is_none() {
        return;
    }
    let empty = tempfile::tempdir().unwrap();
    liveness()
        .args(["score", "--models-dir"])
        .arg(empty.path())
        .arg("../shared/models/samples/image_T1.jpg")
        .assert()
        .code(1)
        .stderr(contains("ultraface_rfb_320.onnx not found").and(contains("--models-dir")));
}

#[test]
fn a_descriptor_whose_input_shape_disagrees_with_the_file_is_refused() {
    if shared("models").is_none() {
        return;
    }
    let cfg = tempfile::tempdir().unwrap();
    std::fs::create_dir(cfg.path().join("models")).unwrap();
    let desc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/models/minifas128.toml")).unwrap();
    let bad = desc
        .replace("name = \"minifas128\"", "name = \"wrong-size\"")
        .replace("width = 128, height = 128", "width = 96, height = 96");
    std::fs::write(cfg.path().join("models/wrong-size.toml"), bad).unwrap();
    let expected = "has shape [-1, 3, 128, 128] but the descriptor says [1, 3, 96, 96]";
    liveness()
        .arg("--config-dir")
        .arg(cfg.path())
        .args(["score", "--model", "wrong-size", "../shared/models/samples/image_T1.jpg"])
        .assert()
        .code(1)
        .stderr(contains(expected));
    liveness()
        .arg("--config-dir")
        .arg(cfg.path())
        .args(["models", "verify", "wrong-size"])
        .assert()
        .code(1)
        .stdout(contains(expected));
}

#[test]
fn missing_onnx_runtime_says_what_to_run() {
    if shared("models").is_none() {
        return;
    }
    liveness()
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .args(["score", "../shared/models/samples/image_T1.jpg"])
        .assert()
        .code(1)
        .stderr(
            contains("ONNX Runtime").and(contains("scripts/setup.sh")).and(contains("/nonexistent/libonnxruntime.so")),
        );
}

#[test]
fn usage_errors_exit_2() {
    liveness().args(["score", "--box", "1,2,3", "x.jpg"]).assert().code(2);
    liveness().args(["score"]).assert().code(2);
}
