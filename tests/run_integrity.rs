//! Issue 18: a run killed part-way is refused by every consumer (gate, calibrate, diff, report,
//! eval --scores) with one line and exit 2; `--allow-incomplete` computes on it and every output says so;
//! after `--resume` everything equals an uninterrupted run. A run folder without a manifest, or with a
//! damaged one, is "completeness unknown".

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::{kill_after_rows, liveness, nuaa_subset, rows, shared};

/// 30 live then 30 print: a kill between rows 36 and 59 leaves both classes and an incomplete run.
const N: usize = 30;

fn run(args: &[&OsStr]) -> (i32, String, String) {
    let out = liveness().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn metrics_without_run(p: &Path) -> serde_json::Value {
    let mut doc: serde_json::Value = serde_json::from_str(&read(p)).unwrap();
    doc.as_object_mut().unwrap().remove("run");
    doc
}

#[test]
fn an_incomplete_run_is_refused_then_marked_then_resumed() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = |name: &str| tmp.path().join(name);
    let data = t("data");
    nuaa_subset(&data, N);
    let criteria = t("gate.toml");
    std::fs::write(&criteria, "name = \"lenient\"\n[[criterion]]\nmetric = \"bpcer\"\nmax = 1.0\n").unwrap();
    let (full, part) = (t("full"), t("part"));
    let (code, _, err) =
        run(&[os("eval"), data.as_os_str(), os("--out"), full.as_os_str(), os("--bootstrap"), os("0")]);
    assert_eq!(code, 0, "{err}");

    let args =
        [os("eval"), data.as_os_str(), os("--out"), part.as_os_str(), os("-j"), os("1"), os("--bootstrap"), os("0")];
    let scored = kill_after_rows(&args, &part, 36);
    assert!((36..2 * N).contains(&scored), "killed at {scored} rows");
    let message = format!("is incomplete: {scored} of {} presentations scored; resume with `liveness eval", 2 * N);

    // A JUnit file of an earlier passing gate sits at the path CI reads.
    let junit = t("junit.xml");
    let gate = |scores: &Path, extra: &[&OsStr]| {
        let mut a = vec![os("gate"), scores.as_os_str(), os("--policy"), os("default"), os("--criteria")];
        a.extend([criteria.as_os_str(), os("--junit"), junit.as_os_str()]);
        a.extend(extra);
        run(&a)
    };
    assert_eq!(gate(&full, &[]).0, 0);
    assert!(read(&junit).contains("failures=\"0\""));

    // Refused by default, each with the one line and exit 2.
    let (code, _, err) = gate(&part, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&message) && err.contains("--resume`"), "{err}");
    let x = read(&junit);
    assert!(x.contains("failures=\"1\"") && x.contains("is incomplete") && !x.contains("failures=\"0\""), "{x}");
    let calibrate = |scores: &Path, extra: &[&OsStr]| {
        let mut a =
            vec![os("calibrate"), scores.as_os_str(), os("--target"), os("eer"), os("--model"), os("silentface")];
        a.extend(extra);
        run(&a)
    };
    let scores_csv = part.join("scores.csv");
    let eval_scores = |extra: &[&OsStr]| {
        let out = t("from-scores");
        let mut a = vec![os("eval"), os("--scores"), scores_csv.as_os_str(), os("--out"), out.as_os_str()];
        a.extend([os("--bootstrap"), os("0")]);
        a.extend(extra);
        (run(&a), out)
    };
    for (what, (code, _, err)) in [
        ("calibrate", calibrate(&part, &[])),
        ("calibrate scores.csv", calibrate(&scores_csv, &[])),
        ("eval --scores", eval_scores(&[]).0),
        ("diff", run(&[os("diff"), full.as_os_str(), part.as_os_str()])),
        ("report", run(&[os("report"), part.as_os_str()])),
    ] {
        assert_eq!(code, 2, "{what}: {err}");
        assert!(err.contains(&message), "{what}: {err}");
    }

    // --allow-incomplete: computed, and every output carries the coverage.
    let note = format!("INCOMPLETE: {scored} of {} presentations scored", 2 * N);
    let (summary, metrics) = (t("summary.md"), t("gate-metrics.json"));
    let (code, out, err) = gate(
        &part,
        &[os("--allow-incomplete"), os("--summary"), summary.as_os_str(), os("--metrics"), metrics.as_os_str()],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("coverage: {note}")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("coverage") && l.contains("skipped")), "{out}");
    for file in [&junit, &summary, &metrics] {
        assert!(read(file).contains(&note), "{}: {}", file.display(), read(file));
    }
    assert!(read(&junit).contains("<skipped message=\"INCOMPLETE"), "{}", read(&junit));
    let policy = t("policy.toml");
    let (code, out, err) =
        calibrate(&part, &[os("--allow-incomplete"), os("--name"), os("p"), os("--out"), policy.as_os_str()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&note), "{out}");
    assert!(read(&policy).contains(&format!("coverage = \"{note}")), "{}", read(&policy));
    let ((code, _, err), from_scores) = eval_scores(&[os("--allow-incomplete")]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&read(&from_scores.join("metrics.json"))).unwrap();
    assert_eq!(doc["run"]["coverage"]["complete"], false);
    assert_eq!(doc["run"]["coverage"]["scored"], scored as u64);
    assert!(read(&from_scores.join("report.md")).contains(&format!("incomplete run: {note}")));
    assert!(read(&from_scores.join("index.html")).contains(&note));
    // The folder of figures computed on half a run is itself refused by `report` unless allowed.
    assert_eq!(run(&[os("report"), from_scores.as_os_str()]).0, 2);
    assert_eq!(run(&[os("report"), from_scores.as_os_str(), os("--allow-incomplete")]).0, 0);
    let (code, out, _) = run(&[os("diff"), part.as_os_str(), part.as_os_str(), os("--allow-incomplete")]);
    assert!(code == 0 && out.contains(&note), "{out}");

    // Resumed: everything works and equals the uninterrupted run.
    let (code, _, err) =
        run(&[os("eval"), data.as_os_str(), os("--out"), part.as_os_str(), os("--resume"), os("--bootstrap"), os("0")]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(full.join("scores.csv")).unwrap(), std::fs::read(&scores_csv).unwrap());
    assert_eq!(metrics_without_run(&full.join("metrics.json")), metrics_without_run(&part.join("metrics.json")));
    let tables = |scores: &Path| {
        let (code, out, err) = gate(scores, &[]);
        assert_eq!(code, 0, "{err}");
        out.lines().skip(2).map(String::from).collect::<Vec<_>>() // after the scores/policy context
    };
    assert_eq!(tables(&full), tables(&part));
    assert!(!read(&junit).contains("INCOMPLETE"));
    let figures = |scores: &Path| calibrate(scores, &[]).1.lines().skip(1).map(String::from).collect::<Vec<_>>();
    assert_eq!(figures(&full), figures(&part));
    assert_eq!(eval_scores(&[]).0.0, 0);
    assert_eq!(run(&[os("report"), part.as_os_str()]).0, 0);
}

#[test]
fn a_run_without_or_with_a_damaged_manifest_is_completeness_unknown() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 10);
    let old = tmp.path().join("old");
    liveness().arg("eval").arg(&data).arg("--out").arg(&old).args(["--bootstrap", "0"]).assert().code(0);
    let criteria = tmp.path().join("gate.toml");
    std::fs::write(&criteria, "name = \"lenient\"\n[[criterion]]\nmetric = \"bpcer\"\nmax = 1.0\n").unwrap();
    let gate = || {
        liveness().arg("gate").arg(&old).args(["--policy", "default", "--criteria"]).arg(&criteria).output().unwrap()
    };

    // A folder from before manifests: a warning and the coverage against metrics.json.
    let manifest = std::fs::read_to_string(old.join("run.json")).unwrap();
    std::fs::remove_file(old.join("run.json")).unwrap();
    let out = gate();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("warning") && stderr.contains("has no run.json"), "{stderr}");
    assert!(
        stdout.contains("completeness unknown: 20 presentations read, 20 expected by metrics.json (100.0%)"),
        "{stdout}"
    );

    // A manifest cut short (by hand: the tool only ever renames a whole one into place) is named, never
    // half-read; the resume refuses it rather than guess.
    std::fs::write(old.join("run.json"), &manifest[..manifest.len() / 2]).unwrap();
    let out = gate();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("run.json is not a run manifest"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("completeness unknown"));
    liveness()
        .arg("eval")
        .arg(&data)
        .arg("--out")
        .arg(&old)
        .arg("--resume")
        .assert()
        .code(1)
        .stderr(predicates::str::contains("cannot resume").and(predicates::str::contains("--force")));

    // What a store killed before its rename leaves: a half sibling, ignored; the manifest stays whole.
    std::fs::write(old.join("run.json"), &manifest).unwrap();
    std::fs::write(old.join(".run.json.tmp"), &manifest[..10]).unwrap();
    assert_eq!(gate().status.code(), Some(0));
    liveness().arg("eval").arg(&data).arg("--out").arg(&old).args(["--resume", "--bootstrap", "0"]).assert().code(0);
    assert!(!old.join(".run.json.tmp").exists());
    assert_eq!(rows(&old.join("scores.csv")), 20);
}

use predicates::prelude::PredicateBooleanExt;
