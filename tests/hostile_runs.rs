//! Silently wrong numbers and faults of a run (issue 10, findings 6, 9, 10, 11, 13 and 22), each hostile
//! input built here at test time: ids and columns given twice, a flipped spoof score, NaN in policies,
//! a threshold given two ways, provenance of file-read scores, a full disk, a bad filter, model files
//! that are a FIFO or /dev/zero.

mod common;

use std::path::{Path, PathBuf};

use common::{liveness, shared};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = liveness().args(args).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run_block(out: &Path) -> serde_json::Value {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    doc["run"].clone()
}

const HEADER: &str = "path,label,attack_type,score,status,reason\n";

/// Finding 6: an id listed twice, or a second `score` column, is refused naming it (as `diff` does).
#[test]
fn eval_scores_refuses_an_id_or_a_score_column_given_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let twice = write(
        tmp.path(),
        "twice.csv",
        &format!("{HEADER}a.jpg,live,,0.9,ok,\nb.jpg,live,,0.8,ok,\na.jpg,attack,print,0.9,ok,\n"),
    );
    let (code, _, err) = run(&["eval", "--bootstrap", "0", "--scores", s(&twice), "--out", s(&tmp.path().join("r1"))]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("twice.csv") && err.contains("id \"a.jpg\" appears twice (lines 2 and 4)"), "{err}");
    let columns = write(
        tmp.path(),
        "columns.csv",
        "path,label,attack_type,score,status,reason,score\na.jpg,live,,0.9,ok,,0.1\nc.jpg,attack,print,0.2,ok,,0.95\n",
    );
    let (code, _, err) =
        run(&["eval", "--bootstrap", "0", "--scores", s(&columns), "--out", s(&tmp.path().join("r2"))]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("columns.csv") && err.contains("column \"score\" appears twice (columns 4 and 7)"), "{err}");
}

/// Finding 9: `--flip` reads 1 - score, so a spoof-probability model is gated on the policy's scale, a
/// wrongly flipped (AUC 0) model fails `apcer_max`, and a threshold that gives everyone one decision is a
/// failed `operating point`, never a silent pass.
#[test]
fn a_flipped_gate_is_on_the_policy_scale_and_never_passes_a_degenerate_point() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Attack probabilities: high for attacks. Flipped, a perfect model.
    let spoof_high = write(
        d,
        "spoof.csv",
        &format!(
            "{HEADER}a.jpg,live,,0.1,ok,\nb.jpg,live,,0.2,ok,\nc.jpg,attack,print,0.9,ok,\nd.jpg,attack,print,0.8,ok,\n"
        ),
    );
    // Live probabilities: flipping them is the mistake, an AUC-0 model.
    let live_high = write(
        d,
        "live.csv",
        &format!(
            "{HEADER}a.jpg,live,,0.9,ok,\nb.jpg,live,,0.8,ok,\nc.jpg,attack,print,0.1,ok,\nd.jpg,attack,print,0.2,ok,\n"
        ),
    );
    let apcer = write(d, "apcer.toml", "name = \"apcer\"\n[[criterion]]\nmetric = \"apcer_max\"\nmax = 0.05\n");
    let both = write(
        d,
        "both.toml",
        "name = \"both\"\n[[criterion]]\nmetric = \"apcer_max\"\nmax = 0.05\n[[criterion]]\nmetric = \"bpcer\"\nmax = 0.05\n",
    );
    let gate = |scores: &Path, criteria: &Path, extra: &[&str]| {
        let mut args = vec!["gate", s(scores), "--policy", "default", "--criteria", s(criteria)];
        args.extend_from_slice(extra);
        run(&args)
    };
    let (code, out, err) = gate(&spoof_high, &both, &["--flip"]);
    assert_eq!(code, 0, "a perfect spoof-score model passes flipped:\n{out}{err}");
    let (code, out, err) = gate(&live_high, &apcer, &["--flip"]);
    assert_eq!(code, 1, "an AUC-0 model must fail apcer_max:\n{out}{err}");
    assert!(out.contains("apcer_max") && out.contains("FAIL"), "{out}");
    // Every score above the threshold: all accepted, a degenerate point that no criterion may hide.
    let all_high = write(d, "high.csv", &format!("{HEADER}a.jpg,live,,0.9,ok,\nc.jpg,attack,print,0.95,ok,\n"));
    let bpcer = write(d, "bpcer.toml", "name = \"bpcer\"\n[[criterion]]\nmetric = \"bpcer\"\nmax = 0.05\n");
    let (code, out, err) = gate(&all_high, &bpcer, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("operating point") && out.contains("all 2 scored presentations are bona fide"), "{out}");
}

/// Finding 10: NaN and infinities in a policy or a session policy are refused, naming the key.
#[test]
fn nan_and_infinity_in_policies_are_refused_by_key() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let scores = write(d, "s.csv", &format!("{HEADER}a.jpg,live,,0.9,ok,\nc.jpg,attack,print,0.2,ok,\n"));
    let default = std::fs::read_to_string("configs/policies/default.toml").unwrap();
    for (key, value) in [("min_sharpness", "nan"), ("min_brightness", "inf")] {
        let line = default.lines().find(|l| l.trim_start().starts_with(key)).unwrap_or_else(|| panic!("no {key}"));
        let policy = write(d, &format!("{key}.toml"), &default.replace(line, &format!("{key} = {value}")));
        let out = d.join(format!("run-{key}"));
        let (code, _, err) =
            run(&["eval", "--bootstrap", "0", "--scores", s(&scores), "--policy", s(&policy), "--out", s(&out)]);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(&format!("quality.{key} must be a finite number, got {value}"))
                || err.contains(&format!("{key} must be a finite number")),
            "{err}"
        );
        assert!(err.contains(&format!("{key}.toml")), "{err}");
    }
    let session = std::fs::read_to_string("configs/sessions/default.toml").unwrap();
    let policy = write(d, "pose.toml", &session.replace("pose_weight = 0.5", "pose_weight = nan"));
    let (code, _, err) = run(&["session", "score", "--session-policy", s(&policy), "--dataset", s(d)]);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("pose_weight must be a finite number, got NaN") && err.contains("pose.toml"), "{err}");
}

/// Findings 11, 13 and 22 (threshold): the source of `--threshold` is named, `--threshold` with
/// `--calibrate-on` is refused, NaN or 1.5 is a usage error (exit 2); file-read scores record no model
/// that ran; no rule-of-three bound above 100%.
#[test]
fn threshold_source_provenance_and_rates_of_file_read_scores() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let scores = write(
        d,
        "s.csv",
        "path,label,attack_type,score,status,reason,silentface_score\na.jpg,live,,0.9,ok,,0.9\nb.jpg,live,,0.8,ok,,0.8\nc.jpg,attack,print,0.2,ok,,0.2\n",
    );
    let out = d.join("run");
    let (code, stdout, err) =
        run(&["eval", "--bootstrap", "0", "--scores", s(&scores), "--threshold", "0.7", "--out", s(&out)]);
    assert_eq!(code, 0, "{err}");
    let r = run_block(&out);
    assert_eq!(r["threshold"], 0.7);
    assert_eq!(r["threshold_source"], "--threshold 0.7 (over policy default)");
    assert_eq!((&r["scored_with_models"], &r["models"]), (&false.into(), &serde_json::json!([])), "{r}");
    assert_eq!(r["model"], "silentface");
    assert!(!stdout.contains("150.00%") && !stdout.contains("300.00%"), "{stdout}");
    assert!(stdout.contains("rule of three 100.00%"), "{stdout}");

    let (code, _, err) = run(&["eval", "--scores", s(&scores), "--threshold", "0.7", "--calibrate-on", s(&scores)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--calibrate-on") && err.contains("--threshold"), "{err}");
    for bad in ["NaN", "1.5", "-0.1"] {
        let (code, _, err) = run(&["eval", "--scores", s(&scores), &format!("--threshold={bad}")]);
        assert_eq!(code, 2, "--threshold {bad}: {err}");
        assert!(err.contains("--threshold") && err.contains("0..1"), "{err}");
    }
    let (code, _, err) = run(&[
        "gate",
        s(&scores),
        "--policy",
        "default",
        "--criteria",
        "configs/gates/release.toml",
        "--where",
        "subject=0001..0002..0003",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("0001..0002..0003") && err.contains("not a range"), "{err}");
}

/// Finding 22 (faults): a full disk names the file being written; a model file that is a FIFO or a link
/// to /dev/zero is named as what it is, not "not found", and nothing blocks.
#[test]
fn a_full_disk_and_a_model_that_is_a_fifo_or_a_device_are_named() {
    let Some(models) = shared("models") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let data = d.join("data");
    std::fs::create_dir_all(data.join("live")).unwrap();
    std::fs::copy(models.join("samples/image_T1.jpg"), data.join("live/a.jpg")).unwrap();
    let out = d.join("run");
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink("/dev/full", out.join("scores.csv")).unwrap();
    let (code, _, err) = run(&["eval", s(&data), "--out", s(&out), "--force", "--bootstrap", "0"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("cannot write {}", out.join("scores.csv").display())), "{err}");
    assert!(err.contains("No space left on device"), "{err}");

    for (kind, expected) in [("fifo", "a FIFO (named pipe)"), ("zero", "a device")] {
        let dir = d.join(format!("models-{kind}"));
        std::fs::create_dir_all(&dir).unwrap();
        for e in std::fs::read_dir(&models).unwrap() {
            let p = e.unwrap().path();
            std::os::unix::fs::symlink(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
        let model = dir.join("minifasnet_v2_2.7_80x80.onnx");
        std::fs::remove_file(&model).unwrap();
        if kind == "fifo" {
            assert!(std::process::Command::new("mkfifo").arg(&model).status().unwrap().success());
        } else {
            std::os::unix::fs::symlink("/dev/zero", &model).unwrap();
        }
        let out = liveness()
            .env("LIVENESS_MODELS", &dir)
            .timeout(std::time::Duration::from_secs(120))
            .args(["score", s(&data.join("live/a.jpg"))])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(&model.display().to_string()) && err.contains(expected), "{kind}: {err}");
        assert!(!err.contains("not found"), "{kind}: {err}");
    }
}
