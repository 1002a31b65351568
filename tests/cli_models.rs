//! `liveness models` and the CSV output of `liveness score`.

mod common;

use common::{liveness, shared};
use predicates::prelude::*;
use predicates::str::contains;

#[test]
fn list_shows_every_shipped_descriptor_and_file_presence() {
    if shared("models").is_none() {
        return;
    }
    liveness().args(["models", "list"]).assert().success().stdout(
        contains("silentface")
            .and(contains("2/2"))
            .and(contains("minifas128-int8"))
            .and(contains("face detector: ultraface_rfb_320.onnx (present)")),
    );
}

#[test]
fn verify_checks_sha256_and_shapes_of_every_file() {
    let Some(models) = shared("models") else { return };
    liveness()
        .args(["models", "verify"])
        .assert()
        .success()
        .stdout(contains("ok    silentface / minifasnet_v1se_4.0").and(contains("FAIL").not()));
    // A file with the right name but other content fails on its sha256.
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
    {
        std::os::unix::fs::symlink(&f, dir.path().join(f.file_name().unwrap())).unwrap();
    }
    std::fs::remove_file(dir.path().join("minifas_v2se_128.onnx")).unwrap();
    std::fs::copy(models.join("minifas_v2se_128_int8.onnx"), dir.path().join("minifas_v2se_128.onnx")).unwrap();
    liveness()
        .arg("--models-dir")
        .arg(dir.path())
        .args(["models", "verify", "minifas128"])
        .assert()
        .code(1)
        .stdout(contains("FAIL  minifas128").and(contains("expected af2381b8")));
}

#[test]
fn fetch_explains_models_without_a_download_url() {
    let dir = tempfile::tempdir().unwrap();
    liveness()
        .arg("--models-dir")
        .arg(dir.path())
        .args(["models", "fetch", "silentface"])
        .assert()
        .code(1)
        .stderr(contains("has no download URL").and(contains("minifasnet_v2_2.7_80x80.onnx")));
}

#[test]
fn csv_output_has_one_row_per_image_with_per_model_scores() {
    let Some(models) = shared("models") else { return };
    let out = liveness()
        .args(["score", "--csv", "--model", "silentface,minifas128"])
        .arg(models.join("samples"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    for col in ["score", "status", "decision", "band", "x1", "silentface_score", "minifas128_score", "q_sharpness"] {
        assert!(h.contains(&col.to_string()), "{col} in {h:?}");
    }
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    for row in &rows {
        assert_eq!(&row[at("score")], &row[at("silentface_score")], "the first model is the primary score");
        assert_eq!(&row[at("status")], "ok");
    }
}
