//! `liveness compare`, `persons` and `search` on real NUAA images with the real models: distances,
//! liveness and the combined decision, enrolment refused for attacks, gallery refusals.

mod common;

use std::path::{Path, PathBuf};

use common::{liveness, shared};
use predicates::prelude::*;
use predicates::str::contains;

fn nuaa(rel: &str) -> PathBuf {
    shared("datasets/nuaa-train").unwrap().join(rel)
}

/// Live frames of subject 0002 (PAD scores 0.99+).
fn live_0002(pics: &[&str]) -> Vec<PathBuf> {
    pics.iter().map(|p| nuaa(&format!("ClientRaw/0002/0002_01_00_01_{p}.jpg"))).collect()
}

fn live_0001_session1() -> Vec<PathBuf> {
    ["0", "101", "105"].iter().map(|p| nuaa(&format!("ClientRaw/0001/0001_00_00_01_{p}.jpg"))).collect()
}

fn json_of(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).expect("one JSON object")
}

fn close(v: &serde_json::Value, want: f64, tol: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() <= tol)
}

#[test]
fn compare_accepts_a_live_genuine_probe_and_rejects_a_matching_printed_photo() {
    if shared("datasets/nuaa-train").is_none() || shared("models").is_none() {
        return;
    }
    // Genuine and live: mean distance 0.1727 over three frames of the same session.
    let out = liveness()
        .arg("compare")
        .arg(nuaa("ClientRaw/0002/0002_01_00_01_100.jpg"))
        .args(live_0002(&["109", "116", "120"]))
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_of(&out);
    assert!(close(&j["distance"], 0.1727, 0.005), "{j}");
    assert!(close(&j["liveness"]["score"], 0.9976, 0.002), "{j}");
    assert_eq!((j["matched"].as_bool(), j["passed"].as_bool()), (Some(true), Some(true)), "{j}");
    assert_eq!(j["chip"]["rule"], "dlib5");
    assert_eq!(j["gallery"].as_array().unwrap().len(), 3);

    // A printed photo of 0001 matches 0001 (distance 0.334: recognition alone is fooled) but PAD rejects it.
    liveness()
        .arg("compare")
        .arg(nuaa("ImposterRaw/0001/0001_00_00_01_102.jpg"))
        .args(live_0001_session1())
        .assert()
        .success()
        .stdout(
            contains("match     yes  distance 0.33")
                .and(contains("liveness  attack  score 0.0000"))
                .and(contains("decision  REJECT  (match AND live)")),
        );
}

#[test]
fn the_match_threshold_decides_an_impostor() {
    if shared("datasets/nuaa-train").is_none() || shared("models").is_none() {
        return;
    }
    // 0002 against 0001: mean distance 0.526, a match at face-api's 0.6 (the lenient default the docs
    // warn about), none at 0.5.
    let run = |threshold: &str| {
        let out = liveness()
            .arg("compare")
            .arg(nuaa("ClientRaw/0002/0002_01_00_01_100.jpg"))
            .args(live_0001_session1())
            .args(["--json", "--match-threshold", threshold])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        json_of(&out)
    };
    let lenient = run("0.6");
    assert!(close(&lenient["distance"], 0.5258, 0.005), "{lenient}");
    assert_eq!(lenient["passed"], true);
    let strict = run("0.5");
    assert_eq!((strict["matched"].as_bool(), strict["passed"].as_bool()), (Some(false), Some(false)), "{strict}");
}

#[test]
fn a_probe_without_a_face_is_rejected_with_its_reason() {
    if shared("datasets/nuaa-train").is_none() || shared("models").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let blank = dir.path().join("blank.png");
    image::RgbImage::from_pixel(320, 240, image::Rgb([128, 128, 128])).save(&blank).unwrap();
    liveness()
        .arg("compare")
        .arg(&blank)
        .args(live_0002(&["109"]))
        .assert()
        .code(3)
        .stdout(contains("liveness  not scored: no_face").and(contains("decision  REJECT")));
}

#[test]
fn a_probe_with_two_faces_is_rejected_under_multi_face_reject() {
    if shared("datasets/nuaa-train").is_none() || shared("models").is_none() {
        return;
    }
    // Two NUAA frames side by side: two faces in one probe.
    let dir = tempfile::tempdir().unwrap();
    let two = dir.path().join("two faces.png");
    let a = image::open(nuaa("ClientRaw/0002/0002_01_00_01_100.jpg")).unwrap().to_rgb8();
    let b = image::open(nuaa("ClientRaw/0001/0001_00_00_01_0.jpg")).unwrap().to_rgb8();
    let mut both = image::RgbImage::from_pixel(a.width() + b.width(), a.height().max(b.height()), image::Rgb([128; 3]));
    image::imageops::replace(&mut both, &a, 0, 0);
    image::imageops::replace(&mut both, &b, i64::from(a.width()), 0);
    both.save(&two).unwrap();
    // The gallery frame must itself show one face under the rule: the detector reports two faces in
    // NUAA's 0002 frames 109-124, one in frame 100.
    let gallery = live_0002(&["100"]);
    liveness()
        .arg("compare")
        .arg(&two)
        .args(&gallery)
        .args(["--multi-face", "reject"])
        .assert()
        .code(3)
        .stdout(contains("liveness  not scored: multiple_faces").and(contains("decision  REJECT")));
    // Under the default rule the largest face is compared, and the probe gets a decision of its own.
    liveness().arg("compare").arg(&two).args(&gallery).assert().stdout(contains("match     "));
}

/// Enrols `name` from `images` into `db`.
fn enrol(db: &Path, name: &str, images: &[PathBuf]) -> assert_cmd::assert::Assert {
    liveness().args(["persons", "add", "--db"]).arg(db).arg(name).args(images).assert()
}

#[test]
fn persons_enrol_live_only_refuse_duplicates_and_search_finds_the_identity() {
    if shared("datasets/nuaa-train").is_none() || shared("models").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gallery");
    let file = db.join("gallery.sqlite");
    // A first enrolment with one non-live frame (PAD 0.026) is refused whole and leaves no file behind.
    let mixed = [nuaa("ClientRaw/0001/0001_00_00_02_109.jpg"), nuaa("ClientRaw/0001/0001_00_00_02_116.jpg")];
    enrol(&db, "p0001", &mixed).code(1).stderr(
        contains("refused, nothing was written")
            .and(contains("0001_00_00_02_116.jpg: not live (score 0.0263 < threshold 0.5)")),
    );
    assert!(!file.exists());
    enrol(&db, "p0002", &live_0002(&["109", "116", "120"]))
        .success()
        .stdout(contains("enrolled p0002 from 3 live image(s)"));
    enrol(&db, "p0001", &[nuaa("ClientRaw/0001/0001_00_00_02_109.jpg"), nuaa("ClientRaw/0001/0001_00_00_02_152.jpg")])
        .success();
    let before = std::fs::read(&file).unwrap();
    // A printed photo is refused (not live); a taken name is refused; neither writes.
    enrol(&db, "p0003", &[nuaa("ImposterRaw/0003/0003_01_00_01_10.jpg")])
        .code(1)
        .stderr(contains("0003_01_00_01_10.jpg: not live"));
    enrol(&db, "p0001", &live_0002(&["124"])).code(1).stderr(contains("`p0001` is already enrolled"));
    assert_eq!(std::fs::read(&file).unwrap(), before, "refused enrolments wrote nothing");
    liveness()
        .args(["persons", "list", "--db"])
        .arg(&db)
        .assert()
        .success()
        .stdout(contains("p0001  2 image(s)").and(contains("p0002  3 image(s)")).and(contains("2 person(s)")));

    // 1:N: a live frame of 0002 finds p0002 (0.173) well ahead of p0001 (0.609).
    let out = liveness()
        .arg("search")
        .arg(nuaa("ClientRaw/0002/0002_01_00_01_100.jpg"))
        .arg("--db")
        .arg(&db)
        .arg("--json")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_of(&out);
    assert_eq!(j["identity"], "p0002", "{j}");
    assert!(close(&j["candidates"][0]["distance"], 0.1727, 0.005), "{j}");
    assert!(close(&j["candidates"][1]["distance"], 0.6087, 0.005), "{j}");
    assert_eq!((j["passed"].as_bool(), j["gallery_descriptors"].as_u64()), (Some(true), Some(5)));
    // A printed photo of 0001 is identified as p0001 and rejected by liveness.
    liveness()
        .arg("search")
        .arg(nuaa("ImposterRaw/0001/0001_00_00_01_102.jpg"))
        .arg("--db")
        .arg(&db)
        .args(["--top", "1"])
        .assert()
        .success()
        .stdout(contains("#1  p0001").and(contains("identity  p0001")).and(contains("decision  REJECT")));
    // Someone not enrolled (0003) is unknown at a calibrated threshold: nearest is p0002 at 0.445.
    liveness()
        .arg("search")
        .arg(nuaa("ClientRaw/0003/0003_01_00_01_0.jpg"))
        .arg("--db")
        .arg(&db)
        .args(["--match-threshold", "0.43"])
        .assert()
        .success()
        .stdout(contains("identity  unknown  (no one within distance 0.43").and(contains("#1  p0002  distance 0.44")));

    // A recognizer with another crop rule is refused by name.
    let configs = dir.path().join("configs");
    std::fs::create_dir_all(configs.join("models")).unwrap();
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/models/face_recognition_128.toml"))
            .unwrap();
    let boxed = shipped
        .replace("name = \"face_recognition_128\"", "name = \"face_recognition_box\"")
        .replace("rule = \"dlib5\"", "rule = \"box\"");
    std::fs::write(configs.join("models/face_recognition_box.toml"), boxed).unwrap();
    liveness()
        .arg("--config-dir")
        .arg(&configs)
        .arg("search")
        .arg(nuaa("ClientRaw/0002/0002_01_00_01_100.jpg"))
        .arg("--db")
        .arg(&db)
        .args(["--recognizer", "face_recognition_box"])
        .assert()
        .code(1)
        .stderr(contains("built with crop_rule `dlib5`, this run uses `box`"));

    // A damaged file is named, and nothing is written to it.
    let mut damaged = before.clone();
    damaged[200..4000].fill(0xAB);
    std::fs::write(&file, &damaged).unwrap();
    liveness()
        .arg("search")
        .arg(nuaa("ClientRaw/0002/0002_01_00_01_100.jpg"))
        .arg("--db")
        .arg(&db)
        .assert()
        .code(1)
        .stderr(contains("not a readable liveness gallery").or(contains("is not an SQLite database")));
    enrol(&db, "p0009", &live_0002(&["124"])).code(1);
    assert_eq!(std::fs::read(&file).unwrap(), damaged, "no write into a damaged gallery");
}
