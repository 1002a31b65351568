//! A run killed part-way (a real SIGKILL to a real process) and resumed ends with exactly the same
//! scores.csv and metrics as an uninterrupted run.

mod common;

use std::path::Path;

use common::{kill_after_rows, liveness, nuaa_subset, rows, shared};

fn metrics_without_run_info(dir: &Path) -> serde_json::Value {
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("run");
    doc
}

#[test]
fn killed_run_resumes_to_identical_results() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 120);
    let (full, part) = (tmp.path().join("full"), tmp.path().join("part"));

    liveness().arg("eval").arg(&data).arg("--out").arg(&full).args(["--workers", "2"]).assert().code(0);
    assert_eq!(rows(&full.join("scores.csv")), 240);

    let args =
        ["eval".as_ref(), data.as_os_str(), "--out".as_ref(), part.as_os_str(), "--workers".as_ref(), "1".as_ref()];
    kill_after_rows(&args, &part, 40);
    let written = rows(&part.join("scores.csv"));
    assert!(written < 240, "killed before the end ({written} rows)");

    liveness().arg("eval").arg(&data).arg("--out").arg(&part).arg("--resume").assert().code(0);
    assert_eq!(std::fs::read(full.join("scores.csv")).unwrap(), std::fs::read(part.join("scores.csv")).unwrap());
    assert_eq!(metrics_without_run_info(&full), metrics_without_run_info(&part));
}

#[test]
fn resume_refuses_a_score_file_from_another_run() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 120);
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("scores.csv"), "path,label,attack_type,score\nx.jpg,live,,0.5\n").unwrap();
    liveness()
        .arg("eval")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .arg("--resume")
        .assert()
        .code(1)
        .stderr(predicates::str::contains("cannot resume"));
}
