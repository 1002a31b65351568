//! A run killed part-way (a real SIGKILL to a real process) and resumed ends with exactly the same
//! scores.csv and metrics as an uninterrupted run.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{liveness, shared};

/// A small folder-convention dataset of real NUAA images (symlinks): 120 live, 120 printed photos.
fn small_dataset(nuaa: &Path, dir: &Path) {
    for (sub, target, n) in [("ClientRaw", "live", 120), ("ImposterRaw", "spoof/print", 120)] {
        let dest = dir.join(target);
        std::fs::create_dir_all(&dest).unwrap();
        let mut files: Vec<_> = walk(&nuaa.join(sub));
        files.sort();
        for f in files.into_iter().step_by(7).take(n) {
            std::os::unix::fs::symlink(&f, dest.join(f.file_name().unwrap())).unwrap();
        }
    }
}

fn walk(d: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(d)
        .unwrap()
        .flat_map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() { walk(&p) } else { vec![p] }
        })
        .collect()
}

fn rows(p: &Path) -> usize {
    std::fs::read_to_string(p).map(|s| s.lines().count().saturating_sub(1)).unwrap_or(0)
}

fn metrics_without_run_info(dir: &Path) -> serde_json::Value {
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("run");
    doc
}

#[test]
fn killed_run_resumes_to_identical_results() {
    let Some(nuaa) = shared("datasets/nuaa-train") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    small_dataset(&nuaa, &data);
    let (full, part) = (tmp.path().join("full"), tmp.path().join("part"));

    liveness().arg("eval").arg(&data).arg("--out").arg(&full).args(["--workers", "2"]).assert().code(0);
    assert_eq!(rows(&full.join("scores.csv")), 240);

    let bin = assert_cmd::cargo::cargo_bin("liveness");
    let mut child = std::process::Command::new(bin)
        .env("LIVENESS_MODELS", shared("models").unwrap())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("eval")
        .arg(&data)
        .arg("--out")
        .arg(&part)
        .args(["--workers", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while rows(&part.join("scores.csv")) < 40 {
        assert!(start.elapsed() < Duration::from_secs(60), "run did not start writing scores");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let written = rows(&part.join("scores.csv"));
    assert!(written < 240, "killed before the end ({written} rows)");

    liveness().arg("eval").arg(&data).arg("--out").arg(&part).arg("--resume").assert().code(0);
    assert_eq!(std::fs::read(full.join("scores.csv")).unwrap(), std::fs::read(part.join("scores.csv")).unwrap());
    assert_eq!(metrics_without_run_info(&full), metrics_without_run_info(&part));
}

#[test]
fn resume_refuses_a_score_file_from_another_run() {
    let Some(nuaa) = shared("datasets/nuaa-train") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    small_dataset(&nuaa, &data);
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
