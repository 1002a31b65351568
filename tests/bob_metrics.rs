//! Issue 20, parts 5 and 6: the `bob`, `resolution` and `legacy` blocks through `liveness eval`, on the real
//! NUAA train silentface scores of `../shared/oracles` and on a small hand-made file: the figures, epc.csv,
//! the report's sections and the terminal lines, and the unresolved operating points flagged everywhere.

mod common;

use std::path::Path;

use common::{liveness, shared};
use serde_json::Value;

fn eval(out: &Path, args: &[&str]) -> (Value, String) {
    let mut all = vec!["eval", "--bootstrap", "0", "--out", out.to_str().unwrap(), "--scores"];
    all.extend(args);
    let o = liveness().args(&all).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}\n{text}", all.join(" "));
    (serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap(), text)
}

#[test]
fn hand_made_file_gives_the_hand_computed_figures_and_flags() {
    // live 0.9 0.6 0.4 | print 0.7 0.3: the hand case of src/metrics/rocch.rs and bob.rs.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("s.csv");
    std::fs::write(
        &file,
        "path,label,attack_type,score,status,reason\na,live,,0.9,ok,\nb,live,,0.6,ok,\nc,live,,0.4,ok,\n\
         d,attack,print,0.7,ok,\ne,attack,print,0.3,ok,\n",
    )
    .unwrap();
    let out = tmp.path().join("run");
    let (doc, text) = eval(&out, &[file.to_str().unwrap(), "--legacy-metrics", "--threshold", "0.5"]);
    let b = &doc["bob"];
    assert!((b["eer_rocch"]["value"].as_f64().unwrap() - 2.0 / 7.0).abs() < 1e-12);
    assert_eq!((b["eer_interval"]["low"].as_f64(), b["eer_interval"]["high"].as_f64()), (Some(1.0 / 3.0), Some(0.5)));
    assert_eq!(b["min-hter"]["value"], 0.25);
    assert_eq!(b["min-hter"]["threshold"], 0.4);
    assert_eq!(b["bpcer_at_zero_apcer"]["threshold"], 0.9);
    assert_eq!(b["epc"]["points"].as_array().unwrap().len(), 101);
    assert!(b["epc"]["dev"].as_str().unwrap().contains("evaluation set itself"));
    // At 0.5: BPCER 1/3 (0.4), APCER 1/2 (0.7): ACER = HTER = 5/12 (one species).
    assert!((doc["legacy"]["acer"]["value"].as_f64().unwrap() - 5.0 / 12.0).abs() < 1e-15);
    assert!(doc["legacy"]["note"].as_str().unwrap().contains("not ISO/IEC 30107-3"));
    // 2 attacks and 3 bona fide resolve nothing: every operating point is flagged.
    let r = &doc["resolution"];
    assert_eq!(r["bpcer_at_apcer"]["0.1"]["resolved"], false);
    assert_eq!(r["bpcer_at_apcer"]["0.1"]["needed"], 30);
    assert_eq!(r["species"]["print"]["resolvable_rate"], 0.5);
    assert!(text.contains("unresolved: BPCER @ APCER_max <= 10% needs 30"), "{text}");
    assert!(text.contains("legacy (NOT ISO/IEC 30107-3): ACER 41.67%"), "{text}");
    let csv = std::fs::read_to_string(out.join("epc.csv")).unwrap();
    assert_eq!(csv.lines().count(), 102);
    assert!(out.join("charts/epc.png").exists());
    for page in ["index.html", "report.md"] {
        let page = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(page.contains("bob and pyeer measures") && page.contains("What the data can resolve"));
        assert!(page.contains("NOT RESOLVED: needs 30 per class"));
        assert!(page.contains("Legacy averages (not ISO/IEC 30107-3 metrics)"));
    }
    // Without the flag there is no legacy block, and the report has no legacy section.
    let (doc, _) = eval(&tmp.path().join("plain"), &[file.to_str().unwrap()]);
    assert!(doc.get("legacy").is_none());
    let page = std::fs::read_to_string(tmp.path().join("plain/index.html")).unwrap();
    assert!(!page.contains("Legacy averages"));
}

#[test]
fn nuaa_silentface_figures() {
    let Some(oracles) = shared("oracles") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let file = oracles.join("nuaa-train-silentface.csv");
    let (doc, _) = eval(tmp.path(), &[file.to_str().unwrap()]);
    let b = &doc["bob"];
    let eer = doc["threshold_free"]["eer_pooled"]["value"].as_f64().unwrap();
    let rocch = b["eer_rocch"]["value"].as_f64().unwrap();
    // Measured 2026-12-03 and checked by scripts/oracle-bob.py (bob's ROCCH by PAV) to 1e-9.
    assert!((rocch - 0.0064034151547492).abs() < 1e-12, "{rocch}");
    assert!(rocch <= eer);
    assert!((b["d_prime"]["value"].as_f64().unwrap() - 4.159437753553533).abs() < 1e-9);
    // Hundreds of attacks per species: every default operating point is resolved.
    for key in ["bpcer_at_apcer", "apcer_at_bpcer"] {
        for (x, t) in doc["resolution"][key].as_object().unwrap() {
            assert_eq!(t["resolved"], true, "{key}[{x}]");
        }
    }
}

#[test]
fn folds_over_nuaa_subjects_and_a_missing_column_is_refused() {
    let Some(oracles) = shared("oracles") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let file = oracles.join("nuaa-train-silentface.csv");
    let (doc, text) = eval(tmp.path(), &[file.to_str().unwrap(), "--folds", "subject:3"]);
    let folds = doc["folds"]["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 3);
    let total: u64 = folds.iter().map(|f| f["presentations"].as_u64().unwrap()).sum();
    assert_eq!(total, doc["run"]["presentations"].as_u64().unwrap());
    assert_eq!(doc["folds"]["summary"]["bpcer"]["folds"], 3);
    assert!(text.contains("folds subject:3 (eer on the other folds"), "{text}");
    let page = std::fs::read_to_string(tmp.path().join("index.html")).unwrap();
    assert!(page.contains("Folds (subject:3)"));
    let o = liveness()
        .args(["eval", "--bootstrap", "0", "--folds", "column:nope", "--out"])
        .arg(tmp.path().join("bad"))
        .arg("--scores")
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("has no nope value") && err.contains("subject"), "{err}");
}
