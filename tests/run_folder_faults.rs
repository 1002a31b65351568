//! Issue 10, run folders: a resume never mixes runs (#7), a swapped model file is refused at load (#8), a
//! truncated sweep.csv is refused before charts are drawn (#12), two writers of one folder are refused
//! (#19), an existing run is never replaced without --force (#20), and a score file cut inside a quoted
//! field resumes (#21). Each hostile input is built here, at test time.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::{kill_after_rows, liveness, nuaa_subset, rows, shared};
use predicates::str::contains;

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// A manifest dataset of `n` live and `n` print NUAA images.
fn manifest_dataset(dir: &Path, n: usize) -> std::path::PathBuf {
    nuaa_subset(dir, n);
    let mut text = String::from("path,label,attack_type\n");
    for (sub, label, species) in [("live", "live", ""), ("spoof/print", "attack", "print")] {
        let mut names: Vec<_> = std::fs::read_dir(dir.join(sub)).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        for name in names {
            text += &format!("{sub}/{},{label},{species}\n", name.to_str().unwrap());
        }
    }
    let manifest = dir.join("manifest.csv");
    std::fs::write(&manifest, text).unwrap();
    manifest
}

fn eval(data: &Path, out: &Path) -> assert_cmd::Command {
    let mut c = liveness();
    c.arg("eval").arg(data).arg("--out").arg(out).args(["--bootstrap", "0"]);
    c
}

/// A models folder of links to the shared models, so one file can be swapped.
fn models_copy(dir: &Path) -> std::path::PathBuf {
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    for e in std::fs::read_dir(shared("models").unwrap()).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::os::unix::fs::symlink(&p, models.join(p.file_name().unwrap())).unwrap();
        }
    }
    models
}

#[test]
fn resume_refuses_other_policy_model_file_or_labels_naming_the_difference() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let manifest = manifest_dataset(&tmp.path().join("data"), 4);
    let out = tmp.path().join("run");
    eval(&manifest, &out).assert().code(0);

    // Another policy: the same name, other quality gates.
    let default = std::fs::read_to_string("configs/policies/default.toml").unwrap();
    let policy = tmp.path().join("default.toml");
    let sharper = regex_lite_replace(&default, "min_sharpness", "min_sharpness = 999.0");
    std::fs::write(&policy, sharper).unwrap();
    eval(&manifest, &out)
        .arg("--resume")
        .arg("--policy")
        .arg(&policy)
        .assert()
        .code(1)
        .stderr(contains("other settings").and(contains("policy.quality.min_sharpness: ")).and(contains("-> 999.0")));

    // A descriptor that keeps the model's name but points at another ONNX file (with that file's hash).
    let descriptor = std::fs::read_to_string("configs/models/silentface.toml").unwrap();
    let swapped = descriptor.replace("minifasnet_v2_2.7_80x80.onnx", "minifasnet_v1se_4.0_80x80.onnx").replace(
        &sha_of(&descriptor, "minifasnet_v2_2.7_80x80.onnx"),
        &sha_of(&descriptor, "minifasnet_v1se_4.0_80x80.onnx"),
    );
    let other = tmp.path().join("silentface.toml");
    std::fs::write(&other, swapped).unwrap();
    eval(&manifest, &out)
        .arg("--resume")
        .arg("--model")
        .arg(&other)
        .assert()
        .code(1)
        .stderr(contains("other settings").and(contains("files[0].file").or(contains("files[1].file"))));

    // Edited labels in the dataset manifest.
    let text = std::fs::read_to_string(&manifest).unwrap();
    let first = text.lines().nth(1).unwrap().to_owned();
    std::fs::write(&manifest, text.replacen(&first, &first.replace(",live,", ",attack,print"), 1)).unwrap();
    eval(&manifest, &out).arg("--resume").assert().code(1).stderr(contains("labels changed").and(contains("row 2")));
}

/// `key = ...` line of a TOML text replaced by `line`.
fn regex_lite_replace(text: &str, key: &str, line: &str) -> String {
    text.lines().map(|l| if l.trim_start().starts_with(key) { line } else { l }).collect::<Vec<_>>().join("\n") + "\n"
}

/// The sha256 a descriptor records for `file` (the line after its `file =`).
fn sha_of(descriptor: &str, file: &str) -> String {
    let at = descriptor.find(&format!("\"{file}\"")).unwrap();
    let rest = &descriptor[at..];
    let s = rest.find("sha256").unwrap();
    rest[s..].split('"').nth(1).unwrap().to_owned()
}

#[test]
fn a_model_file_swapped_under_its_descriptor_is_refused_at_load() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 2);
    let models = models_copy(tmp.path());
    let target = models.join("minifasnet_v2_2.7_80x80.onnx");
    std::fs::remove_file(&target).unwrap();
    std::fs::copy(models.join("minifasnet_v1se_4.0_80x80.onnx"), &target).unwrap();
    liveness()
        .arg("--models-dir")
        .arg(&models)
        .arg("eval")
        .arg(&data)
        .arg("--out")
        .arg(tmp.path().join("run"))
        .assert()
        .code(1)
        .stderr(contains("minifasnet_v2_2.7_80x80.onnx: sha256 is").and(contains("replaced or corrupted")));
    assert!(!tmp.path().join("run/metrics.json").exists());
}

#[test]
fn a_truncated_sweep_is_refused_before_charts_are_redrawn() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 6);
    let out = tmp.path().join("run");
    eval(&data, &out).assert().code(0);
    let sweep = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = sweep.lines().collect();
    std::fs::write(out.join("sweep.csv"), lines[..lines.len() - 2].join("\n") + "\n").unwrap(); // cut at a line end
    liveness()
        .arg("report")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(contains("sweep.csv is damaged").and(contains(format!("records {}", lines.len() - 1))));
}

#[test]
fn an_existing_run_is_replaced_only_with_force_and_never_by_two_writers_at_once() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 40);
    let out = tmp.path().join("run");

    // #19: a second writer while the first is scoring is refused, and the first run stays whole.
    let bin = assert_cmd::cargo::cargo_bin("liveness");
    let mut first = std::process::Command::new(bin)
        .env("LIVENESS_MODELS", shared("models").unwrap())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            os("eval"),
            data.as_os_str(),
            os("--out"),
            out.as_os_str(),
            os("-j"),
            os("1"),
            os("--bootstrap"),
            os("0"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while rows(&out.join("scores.csv")) < 5 {
        assert!(start.elapsed().as_secs() < 60, "first run never wrote");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    for extra in [["--resume"], ["--force"]] {
        eval(&data, &out).args(extra).assert().code(1).stderr(contains("in use by another liveness process"));
    }
    assert_eq!(first.wait().unwrap().code(), Some(0));
    let whole = std::fs::read(out.join("scores.csv")).unwrap();
    assert_eq!(rows(&out.join("scores.csv")), 80);

    // #20: without --resume an existing run is refused; --force replaces it.
    eval(&data, &out).assert().code(1).stderr(contains("already holds a run").and(contains("--force")));
    assert_eq!(std::fs::read(out.join("scores.csv")).unwrap(), whole);
    eval(&data, &out).arg("--force").assert().code(0);
    assert_eq!(std::fs::read(out.join("scores.csv")).unwrap(), whole);
}

#[test]
fn a_score_file_cut_inside_a_quoted_field_resumes_to_the_uninterrupted_file() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 4);
    // A file name holding a newline and a quote: its path is written as a quoted field.
    let some = std::fs::read_dir(data.join("live")).unwrap().next().unwrap().unwrap().path();
    std::os::unix::fs::symlink(std::fs::read_link(&some).unwrap(), data.join("live/b\"ad\nname.jpg")).unwrap();
    let (full, part) = (tmp.path().join("full"), tmp.path().join("part"));
    eval(&data, &full).assert().code(0);
    let bytes = std::fs::read(full.join("scores.csv")).unwrap();
    let quoted = bytes.windows(10).position(|w| w == b"\"live/b\"\"a").expect("quoted field");
    let cut = quoted + bytes[quoted..].iter().position(|&b| b == b'\n').unwrap() + 1; // just after the inner newline
    std::fs::create_dir_all(&part).unwrap();
    std::fs::write(part.join("scores.csv"), &bytes[..cut]).unwrap();
    eval(&data, &part).arg("--resume").assert().code(0);
    assert_eq!(std::fs::read(part.join("scores.csv")).unwrap(), bytes);
    // And a real kill, resumed, also ends byte-identical.
    let killed = tmp.path().join("killed");
    let args = [os("eval"), data.as_os_str(), os("--out"), killed.as_os_str(), os("-j"), os("1")];
    kill_after_rows(&args, &killed, 3);
    eval(&data, &killed).arg("--resume").assert().code(0);
    assert_eq!(std::fs::read(killed.join("scores.csv")).unwrap(), bytes);
}

use predicates::prelude::PredicateBooleanExt;
