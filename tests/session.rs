//! `liveness session`: sessions built from real NUAA frames in a temporary folder.
//!
//! Ground truth of the challenge sequences was established by looking at the frames: in subject 0007's
//! live session 1, picture 174 has both eyes closed and pictures 166 and 183 open (a real blink); in
//! photo-attack session 0005_00_03_02, picture 306 shows the printed photo turned about its vertical axis
//! (289 and 324 flat): a photo faking a head turn; in subject 0006's live session 1, picture 11 has a closed
//! neutral mouth and pictures 331-342 a broad smile showing teeth.

mod common;

use std::path::Path;

use serde_json::Value;

const LIVE_0007: &str = "ClientRaw/0007/0007_00_00_01_";
const PHOTO_0005: &str = "ImposterRaw/0005/0005_00_03_02_";

/// Copies NUAA pictures `prefix<n>.jpg` into `dir` (created), keeping their names.
fn copy_frames(nuaa: &Path, prefix: &str, pictures: &[u32], dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for n in pictures {
        let src = nuaa.join(format!("{prefix}{n}.jpg"));
        std::fs::copy(&src, dir.join(src.file_name().unwrap())).unwrap();
    }
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn outcomes(session: &Value) -> Vec<(String, bool)> {
    session["verdict"]["challenges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["challenge"].as_str().unwrap().to_string(), o["passed"].as_bool().unwrap()))
        .collect()
}

#[test]
fn challenges_on_real_sequences_a_blink_and_a_turned_photo() {
    let Some(nuaa) = common::shared("datasets/nuaa-train") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (blink, turned) = (tmp.path().join("blink"), tmp.path().join("turned"));
    copy_frames(&nuaa, LIVE_0007, &[141, 145, 149, 152, 156, 160, 166, 174, 183, 188], &blink);
    std::fs::write(blink.join("session.json"), r#"{"challenges": ["blink", "head_left"]}"#).unwrap();
    copy_frames(&nuaa, PHOTO_0005, &[153, 171, 248, 289, 306, 324], &turned);
    std::fs::write(turned.join("session.json"), r#"{"challenges": ["head_left", "blink", "smile"]}"#).unwrap();
    let smile = tmp.path().join("smile");
    copy_frames(&nuaa, "ClientRaw/0006/0006_00_00_01_", &[0, 11, 15, 331, 335, 339, 342], &smile);
    std::fs::write(smile.join("session.json"), r#"{"challenges": ["smile", "head_right"]}"#).unwrap();
    let out = common::liveness()
        .args(["session", "score", "--json", "--frames", "0", "--no-passive"])
        .args([&blink, &turned, &smile])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let s = json_lines(&out.stdout);
    // The live subject blinked (picture 174) and kept the head still: blink passed, head_left failed.
    assert_eq!(outcomes(&s[0]), [("blink".to_string(), true), ("head_left".to_string(), false)]);
    assert!(s[0]["verdict"]["challenges"][0]["peak"].as_f64().unwrap() < 0.75, "EAR dip below 0.75 of the median");
    assert_eq!(s[0]["verdict"]["liveness_score"].as_f64(), Some(50.0));
    // The turned photo fakes head_left (apparent yaw +19 degrees from its neutral, then back); no blink, no smile.
    assert_eq!(
        outcomes(&s[1]),
        [("head_left".to_string(), true), ("blink".to_string(), false), ("smile".to_string(), false)]
    );
    assert!(s[1]["verdict"]["challenges"][0]["peak"].as_f64().unwrap() > 15.0);
    // In order, blink and smile are looked for after the turn completed on the last frame: nothing left.
    assert!(s[1]["verdict"]["challenges"][1]["peak"].is_null() && s[1]["verdict"]["challenges"][2]["peak"].is_null());
    assert_eq!(s[1]["verdict"]["mode"], "active");
    // The smile widens the mouth past 1.12 x the neutral width; the head stayed frontal.
    assert_eq!(outcomes(&s[2]), [("smile".to_string(), true), ("head_right".to_string(), false)]);
}

/// A frame of `w` x `h` made from a NUAA picture: resized, or two pictures side by side (`pair`).
fn synth_frame(nuaa: &Path, picture: &str, out: &Path, size: Option<(u32, u32)>, pair: bool) {
    let img = image::open(nuaa.join(picture)).unwrap().to_rgb8();
    let made = match (size, pair) {
        (Some((w, h)), _) => image::imageops::resize(&img, w, h, image::imageops::FilterType::Triangle),
        (None, true) => {
            let mut both = image::RgbImage::new(img.width() * 2, img.height());
            image::imageops::replace(&mut both, &img, 0, 0);
            image::imageops::replace(&mut both, &img, i64::from(img.width()), 0);
            both
        }
        (None, false) => image::RgbImage::from_pixel(img.width(), img.height(), image::Rgb([128, 128, 128])),
    };
    made.save(out).unwrap();
}

#[test]
fn bad_sessions_get_reasons_and_the_others_are_still_scored() {
    let Some(nuaa) = common::shared("datasets/nuaa-train") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = |name: &str| {
        let d = tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    };
    let pic = |n: u32| format!("{LIVE_0007}{n}.jpg");
    let good = dir("good");
    copy_frames(&nuaa, LIVE_0007, &[141, 145, 149], &good);
    synth_frame(&nuaa, &pic(152), &good.join("9999_blank.png"), None, false); // one frame without a face
    let empty = dir("empty");
    let sizes = dir("sizes");
    copy_frames(&nuaa, LIVE_0007, &[141, 145], &sizes);
    synth_frame(&nuaa, &pic(149), &sizes.join("0007_00_00_01_9999.png"), Some((320, 240)), false);
    let faceless = dir("faceless");
    for k in 0..3 {
        synth_frame(&nuaa, &pic(141), &faceless.join(format!("{k}.png")), None, false);
    }
    let two = dir("two_people");
    for (k, n) in [141, 145, 149].into_iter().enumerate() {
        synth_frame(&nuaa, &pic(n), &two.join(format!("{k}.png")), None, true);
    }
    let unknown = dir("unknown_challenge");
    copy_frames(&nuaa, LIVE_0007, &[141, 145, 149], &unknown);
    std::fs::write(unknown.join("session.json"), r#"{"challenges": ["blink", "wink"]}"#).unwrap();
    let missing = dir("missing_frames");
    copy_frames(&nuaa, LIVE_0007, &[141], &missing);
    std::fs::write(missing.join("session.json"), r#"{"frames": ["0007_00_00_01_141.jpg", "nope.jpg"]}"#).unwrap();
    let not_a_folder = tmp.path().join("absent");

    let sessions = [&good, &empty, &sizes, &faceless, &two, &unknown, &missing, &not_a_folder];
    let out = common::liveness().args(["session", "score", "--csv", "--frames", "0"]).args(sessions).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "some sessions not scored");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let mut rows = csv::Reader::from_reader(stdout.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let got: Vec<(&str, &str)> = rows.iter().map(|r| (&r[col("status")], &r[col("reason")])).collect();
    assert_eq!(
        got,
        [
            ("ok", ""),
            ("non_response", "no_frames"),
            ("non_response", "mixed_frame_sizes"),
            ("non_response", "no_face"),
            ("non_response", "multiple_faces"),
            ("non_response", "unknown_challenge"),
            ("non_response", "missing_frame"),
            ("non_response", "not_a_folder"),
        ]
    );
    // The good session lost only its blank frame; non-responses have no score.
    assert_eq!((&rows[0][col("frames_captured")], &rows[0][col("frames_used")]), ("4", "3"));
    let score: f64 = rows[0][col("score")].parse().unwrap();
    assert!((0.0..=1.0).contains(&score));
    assert!(rows[1..].iter().all(|r| r[col("score")].is_empty()));
    // Each reason is explained on stderr with the file and what is wrong.
    for needle in
        ["0007_00_00_01_9999.png is 320x240", "\"wink\"", "nope.jpg", "3 no_face", "3 multiple_faces", "no frames"]
    {
        assert!(stderr.contains(needle), "`{needle}` missing from stderr:\n{stderr}");
    }
}

#[test]
fn nuaa_sessions_make_an_evaluation_score_file() {
    let Some(nuaa) = common::shared("datasets/nuaa-train") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("nuaa");
    copy_frames(&nuaa, LIVE_0007, &[141, 152, 166, 174, 183, 191], &root.join("ClientRaw/0007"));
    copy_frames(&nuaa, PHOTO_0005, &[153, 171, 248, 289, 306, 324], &root.join("ImposterRaw/0005"));
    let file = tmp.path().join("sessions.csv");
    let out = common::liveness()
        .args(["session", "score", "--dataset"])
        .arg(&root)
        .args(["--frames", "0", "--scores-out"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    assert!(
        lines.next().unwrap().starts_with(
            "path,label,attack_type,glasses,pos,session,subject,score,status,reason,decision,band,liveness_mode,liveness_score"
        ),
        "{text}"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][..3], ["ClientRaw/0007/0007_00_00_01", "live", ""]);
    assert_eq!(rows[1][..3], ["ImposterRaw/0005/0005_00_03_02", "attack", "print-rotate"]);
    // Passive mode: the live session's blink is found, the photo shows none.
    let blink = text.lines().next().unwrap().split(',').position(|h| h == "blink").unwrap();
    assert_eq!((rows[0][blink], rows[1][blink]), ("1", "0"));
    // The table names the sessions too.
    let table = common::liveness()
        .args(["session", "score", "--dataset"])
        .arg(&root)
        .args(["--frames", "0", "--no-passive"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&table.stdout).contains("ImposterRaw/0005/0005_00_03_02"));
}

#[test]
fn challenge_sequences_are_random_but_reproducible() {
    let run = |seed: &str| {
        let out = common::liveness().args(["session", "challenge", "--count", "3", "--seed", seed]).output().unwrap();
        assert!(out.status.success());
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let a = run("42");
    assert_eq!(a, run("42"));
    assert_eq!(a["challenges"].as_array().unwrap().len(), 3);
    assert_eq!(a["seed"], 42);
    let distinct: std::collections::HashSet<String> =
        (0..10).map(|s| run(&s.to_string())["challenges"].to_string()).collect();
    assert!(distinct.len() > 3, "{distinct:?}");
    let refused = common::liveness().args(["session", "challenge", "--count", "0"]).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
}
