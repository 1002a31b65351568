//! `liveness report RUN_A RUN_B --out DIR` (and `--models`, and `--cross --calibrate-on`) on run folders
//! built at test time from generated score files: the models are compared on the presentations the runs
//! share, with the counts stated, each row equal to a single-model `eval` of the same presentations; runs
//! sharing nothing or labelling an id differently are refused; the same scores twice give no difference.

mod common;

use std::path::{Path, PathBuf};

use common::liveness;
use serde_json::Value;

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Presentation `i`'s row: ids `p<i>`, bona fide for even `i`, attacks of two species, and two models'
/// scores (`a` separates the classes better than `b`), with 10 subjects.
fn row(i: usize, shift: f64) -> String {
    let u = ((i * 7919) % 101) as f64 / 101.0;
    let (label, species, a, b) = match i.is_multiple_of(2) {
        true => ("live", "", 0.5 + 0.5 * u, 0.3 + 0.6 * u),
        false => ("attack", if i % 4 == 1 { "print" } else { "replay" }, 0.55 * u, 0.1 + 0.6 * u),
    };
    let (a, b) = ((a + shift).clamp(0.0, 1.0), (b + shift).clamp(0.0, 1.0));
    format!("p{i}.jpg,{label},{species},{:04},{a:.4},ok,,{a:.4},{b:.4}\n", i % 10)
}

/// A two-model score file of presentations `ids`, scores shifted by `shift`.
fn file(dir: &Path, name: &str, ids: impl Iterator<Item = usize>, shift: f64) -> PathBuf {
    let mut csv = String::from("path,label,attack_type,subject,score,status,reason,a_score,b_score\n");
    for i in ids {
        csv.push_str(&row(i, shift));
    }
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    path
}

/// `eval --scores FILE [--model M]` into `dir/<out>`.
fn eval(file: &Path, model: Option<&str>, out: &Path) {
    let mut cmd = liveness();
    cmd.args(["eval", "--scores"]).arg(file).arg("--out").arg(out);
    if let Some(m) = model {
        cmd.args(["--model", m]);
    }
    cmd.assert().success();
}

fn report(args: &[&std::ffi::OsStr]) -> std::process::Output {
    liveness().arg("report").args(args).output().unwrap()
}

#[test]
fn runs_on_overlapping_presentations_are_compared_on_the_shared_ones_and_each_row_is_a_single_eval() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // Run A: presentations 0..400 (model a); run B: 100..500 (model b). Shared: 100..400.
    eval(&file(t, "a.csv", 0..400, 0.0), Some("a"), &t.join("A"));
    eval(&file(t, "b.csv", 100..500, 0.0), Some("b"), &t.join("B"));
    let cmp = t.join("cmp");
    let o = report(&[t.join("A").as_os_str(), t.join("B").as_os_str(), "--out".as_ref(), cmp.as_os_str()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = json(&cmp.join("comparison.json"));
    assert_eq!(doc["shared"], 300);
    let entrants = doc["entrants"].as_array().unwrap();
    assert_eq!(
        entrants
            .iter()
            .map(|e| (e["name"].as_str().unwrap(), e["presentations"].as_u64().unwrap()))
            .collect::<Vec<_>>(),
        [("a", 400), ("b", 400)]
    );
    let page = std::fs::read_to_string(cmp.join("index.html")).unwrap();
    assert!(page.contains("Compared only on the 300 presentations every run holds"), "{page}");
    assert!(page.contains("Models compared") && page.contains("attack winner"), "{page}");
    for stem in ["models-det", "models-roc", "models-distribution", "det-overlay"] {
        assert!(cmp.join("charts").join(format!("{stem}.png")).is_file(), "{stem}");
    }
    // Each row equals `eval` of that model on the shared presentations alone.
    let shared = file(t, "shared.csv", 100..400, 0.0);
    let c = &doc["comparison"];
    for (i, model) in ["a", "b"].iter().enumerate() {
        let single = t.join(format!("single-{model}"));
        eval(&shared, Some(model), &single);
        let s = json(&single.join("metrics.json"));
        let row = &c["models"][i];
        assert_eq!(row["eer"], s["threshold_free"]["eer_pooled"]["value"], "{model}");
        assert_eq!(row["auc"], s["threshold_free"]["auc_pooled"]["value"], "{model}");
        assert_eq!(row["bpcer"], s["at_threshold"]["bona_fide"]["bpcer"], "{model}");
        assert_eq!(row["apcer_max"], s["at_threshold"]["attack"]["apcer_max"], "{model}");
        assert_eq!(row["bpcer_at_apcer"]["0.05"]["value"], s["threshold_free"]["bpcer_at_apcer"]["0.05"]["bpcer"]);
    }
    // The pair is tested over the 10 subjects, and the better model is a on AUC.
    let pair = &c["pairs"][0];
    assert_eq!(pair["presentations"], 300);
    assert!(c["method"].as_str().unwrap().contains("over subjects"), "{}", c["method"]);
    let auc = pair["verdicts"].as_array().unwrap().iter().find(|v| v["figure"] == "AUC").unwrap();
    assert_eq!(auc["better"], "a", "{auc}");
    // Segments: one row per subject, each with both models' BPCER.
    let subjects = c["segments"].as_array().unwrap().iter().filter(|s| s["column"] == "subject").count();
    assert_eq!(subjects, 10);
}

#[test]
fn a_comparison_of_models_of_one_run_equals_the_runs_own_comparison() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let run = t.join("run");
    eval(&file(t, "two.csv", 0..300, 0.0), None, &run);
    let cmp = t.join("cmp");
    let o = report(&[run.as_os_str(), "--models".as_ref(), "a,b".as_ref(), "--out".as_ref(), cmp.as_os_str()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(json(&cmp.join("comparison.json"))["comparison"], json(&run.join("metrics.json"))["comparison"]);
    let page = std::fs::read_to_string(cmp.join("index.html")).unwrap();
    assert!(page.contains("Compared on the same 300 presentations in every run"), "{page}");
    // One run and --models but no --out: said, not guessed.
    let no_out = report(&[run.as_os_str(), "--models".as_ref(), "a,b".as_ref()]);
    assert!(String::from_utf8_lossy(&no_out.stderr).contains("give --out DIR"));
    let unknown = report(&[run.as_os_str(), "--models".as_ref(), "a,zz".as_ref(), "--out".as_ref(), cmp.as_os_str()]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no run given holds scores of model \"zz\""));
}

#[test]
fn a_run_of_a_filtered_score_file_is_read_back_with_its_filter() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let two = file(t, "two.csv", 0..300, 0.0);
    liveness()
        .args(["eval", "--scores"])
        .arg(&two)
        .args(["--model", "a", "--where", "subject=0000..0004", "--out"])
        .arg(t.join("half"))
        .assert()
        .success();
    eval(&two, Some("b"), &t.join("all"));
    let cmp = t.join("cmp");
    let o = report(&[t.join("half").as_os_str(), t.join("all").as_os_str(), "--out".as_ref(), cmp.as_os_str()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = json(&cmp.join("comparison.json"));
    // Subjects 0000..0004 are half of the 10: 150 of 300 presentations.
    assert_eq!((doc["shared"].as_u64(), doc["entrants"][1]["presentations"].as_u64()), (Some(150), Some(300)));
    assert_eq!(
        doc["comparison"]["models"][0]["bpcer"],
        json(&t.join("half/metrics.json"))["at_threshold"]["bona_fide"]["bpcer"]
    );
}

#[test]
fn same_scores_twice_give_no_difference_and_bad_pairs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let scores = file(t, "a.csv", 0..200, 0.0);
    eval(&scores, Some("a"), &t.join("one"));
    eval(&scores, Some("a"), &t.join("two"));
    let cmp = t.join("cmp");
    let o = report(&[t.join("one").as_os_str(), t.join("two").as_os_str(), "--out".as_ref(), cmp.as_os_str()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let doc = json(&cmp.join("comparison.json"));
    let names: Vec<&str> = doc["entrants"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["one (a)", "two (a)"]);
    for v in doc["comparison"]["pairs"][0]["verdicts"].as_array().unwrap() {
        assert_eq!(v["significant"], false, "{v}");
        assert!(v["text"].as_str().unwrap().starts_with("no significant difference"), "{v}");
    }
    assert!(!std::fs::read_to_string(cmp.join("comparison.json")).unwrap().contains("NaN"));

    // No presentation in common.
    eval(&file(t, "far.csv", 1000..1200, 0.0), Some("b"), &t.join("far"));
    let e = report(&[t.join("one").as_os_str(), t.join("far").as_os_str(), "--out".as_ref(), cmp.as_os_str()]);
    let err = String::from_utf8_lossy(&e.stderr);
    assert!(!e.status.success() && err.contains("the runs share no presentation"), "{err}");
    assert!(err.contains("one (a) has 200") || err.contains("a has 200"), "{err}");
    // An id that is bona fide in one run and an attack in the other.
    let flipped = std::fs::read_to_string(&scores).unwrap().replacen("p0.jpg,live,", "p0.jpg,attack,print", 1);
    std::fs::write(t.join("flipped.csv"), flipped).unwrap();
    eval(&t.join("flipped.csv"), Some("b"), &t.join("flipped"));
    let e = report(&[t.join("one").as_os_str(), t.join("flipped").as_os_str(), "--out".as_ref(), cmp.as_os_str()]);
    let err = String::from_utf8_lossy(&e.stderr);
    assert!(err.contains("\"p0.jpg\" is bona fide in") && err.contains("not of the same data"), "{err}");
    // The comparison may not overwrite a run's own files.
    let e =
        report(&[t.join("one").as_os_str(), t.join("two").as_os_str(), "--out".as_ref(), t.join("one").as_os_str()]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("is one of the runs compared"));
    // A score file changed after its run is refused, not compared.
    std::fs::write(&scores, std::fs::read_to_string(t.join("flipped.csv")).unwrap()).unwrap();
    let e = report(&[t.join("one").as_os_str(), t.join("two").as_os_str(), "--out".as_ref(), cmp.as_os_str()]);
    assert!(String::from_utf8_lossy(&e.stderr).contains("the file changed after the run"));
}

#[test]
fn cross_with_a_calibration_run_applies_each_models_threshold_to_the_other_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // Lab: presentations 0..400; field: other presentations, every score 0.15 lower.
    let (lab, field) = (file(t, "lab.csv", 0..400, 0.0), file(t, "field.csv", 2000..2400, -0.15));
    for (name, f) in [("lab", &lab), ("field", &field)] {
        for m in ["a", "b"] {
            eval(f, Some(m), &t.join(format!("{name}-{m}")));
        }
    }
    let out = t.join("cross");
    let runs: Vec<PathBuf> = ["lab-a", "lab-b", "field-a", "field-b"].iter().map(|r| t.join(r)).collect();
    let mut cmd = liveness();
    cmd.args(["report", "--cross"]).args(&runs).arg("--out").arg(&out).arg("--calibrate-on").arg(t.join("lab-a"));
    cmd.args(["--calibrate-target", "bpcer20"]).assert().success();
    let doc = json(&out.join("cross.json"));
    let cal = &doc["calibration"];
    assert_eq!(cal["target"], "bpcer@apcer=0.05");
    for m in ["a", "b"] {
        // The threshold is `eval --calibrate-on` lab's, and the field cell is eval of field at it.
        let check = t.join(format!("check-{m}"));
        liveness()
            .args(["eval", "--scores"])
            .arg(&field)
            .args(["--model", m, "--calibrate-target", "bpcer20", "--calibrate-on"])
            .arg(&lab)
            .arg("--out")
            .arg(&check)
            .assert()
            .success();
        let s = json(&check.join("metrics.json"));
        assert_eq!(cal["thresholds"][m], s["run"]["threshold"], "{m}");
        let field_name = s["run"]["source"].as_str().unwrap().replace(&format!(" model {m}"), "");
        let cell = doc["cells"][m].as_object().unwrap().iter().find(|(d, _)| d.contains("field")).unwrap().1;
        assert!(field_name.contains("field"), "{field_name}");
        assert_eq!(cell["calibrated"]["bpcer"], s["at_threshold"]["bona_fide"]["bpcer"], "{m}");
        assert_eq!(cell["calibrated"]["apcer_max"], s["at_threshold"]["attack"]["apcer_max"], "{m}");
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("Calibrated on") && md.contains("model: BPCER"), "{md}");
}
