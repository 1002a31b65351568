//! `liveness eval` on broken datasets: precise errors or warnings, never a crash, and metrics that need
//! both classes say n/a with the reason.

mod common;

use std::path::Path;

use common::{liveness, shared};
use predicates::prelude::*;
use predicates::str::contains;

fn link_samples(models: &Path, dir: &Path, names: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    for n in names {
        std::os::unix::fs::symlink(models.join("samples").join(n), dir.join(n)).unwrap();
    }
}

#[test]
fn manifest_without_required_columns_names_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.csv"), "file,label\na.jpg,live\n").unwrap();
    liveness()
        .arg("eval")
        .arg(dir.path().join("m.csv"))
        .assert()
        .code(1)
        .stderr(contains("path").and(contains("file")).and(contains("m.csv")));
}

#[test]
fn manifest_problems_are_listed_and_the_good_rows_evaluated() {
    let Some(models) = shared("models") else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("ds");
    link_samples(&models, &d, &["image_T1.jpg", "image_F1.jpg", "image_F2.jpg"]);
    let mut manifest = b"path,label,attack_type,subject\n\
        image_T1.jpg,live,,s1\n\
        image_F1.jpg,attack,print,s2\n\
        image_F2.jpg,attack,print,s3\n\
        image_F2.jpg,attack,print,s3\n\
        image_T1.jpg,maybe,,s1\n\
        ../outside.jpg,live,,s4\n\
        gone.jpg,live,,s5\n"
        .to_vec();
    manifest.extend(b"bad\xff\xfename.jpg,live,,s6\n");
    std::fs::write(d.join("manifest.csv"), manifest).unwrap();
    let out =
        liveness().arg("eval").arg(d.join("manifest.csv")).arg("--out").arg(dir.path().join("run")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "metrics computed, the missing file is a non-response:\n{stderr}");
    for kind in ["duplicate", "unknown_label", "outside_root", "missing_file", "non_utf8"] {
        assert!(stderr.contains(kind), "summary names {kind}:\n{stderr}");
    }
    let scores = std::fs::read_to_string(dir.path().join("run/scores.csv")).unwrap();
    assert_eq!(scores.lines().count(), 1 + 4, "T1, F1, F2 once, and gone.jpg as a non-response:\n{scores}");
    assert!(scores.lines().any(|l| l.starts_with("gone.jpg,") && l.contains("missing_file")), "{scores}");
}

#[test]
fn a_dataset_with_one_class_gives_n_a_with_the_reason() {
    let Some(models) = shared("models") else { return };
    let dir = tempfile::tempdir().unwrap();
    link_samples(&models, &dir.path().join("ds/live"), &["image_T1.jpg"]);
    std::fs::create_dir_all(dir.path().join("ds/spoof/print")).unwrap();
    let out =
        liveness().arg("eval").arg(dir.path().join("ds")).arg("--out").arg(dir.path().join("run")).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("EER (pooled) n/a"), "{stdout}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run/metrics.json")).unwrap()).unwrap();
    let eer = &doc["threshold_free"]["eer_pooled"];
    assert!(eer["value"].is_null());
    assert!(eer["reason"].as_str().unwrap().contains("attack"), "{eer}");
    assert!(doc["at_threshold"]["bona_fide"]["bpcer"]["value"].is_number());
}

#[test]
fn an_empty_dataset_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("live")).unwrap();
    std::fs::create_dir_all(dir.path().join("spoof/print")).unwrap();
    liveness()
        .arg("eval")
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(contains("has no samples").and(contains(dir.path().display().to_string())));
}
