//! `liveness eval` on the real NUAA train split with two models in one pass, checked against the reference
//! Python pipeline's scores (the oracle CSVs were produced by it, with the same detector and models).

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{liveness, shared};

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(String::from).collect()).collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// Scores of the reference pipeline by path (rows whose score the oracle removed on purpose are skipped).
fn reference(file: &Path) -> HashMap<String, f64> {
    let (h, rows) = read_csv(file);
    let (p, s) = (column(&h, "path"), column(&h, "score"));
    rows.iter().filter(|r| !r[s].is_empty()).map(|r| (r[p].clone(), r[s].parse().unwrap())).collect()
}

#[test]
fn nuaa_train_agrees_with_the_reference_pipeline_and_reports_segments() {
    let (Some(data), Some(oracles)) = (shared("datasets/nuaa-train"), shared("oracles")) else { return };
    let out = tempfile::tempdir().unwrap();
    let run = liveness()
        .args([
            "eval",
            "--model",
            "silentface,minifas128",
            "--segment-by",
            "session,pos",
            "--bootstrap",
            "200",
            "--out",
        ])
        .arg(out.path())
        .arg(&data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(matches!(run.status.code(), Some(0 | 3)), "{}\n{}", stdout, String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("APCER print-still") && stdout.contains("EER"), "{stdout}");

    let (h, rows) = read_csv(&out.path().join("scores.csv"));
    assert_eq!(rows.len(), 3491);
    let path = column(&h, "path");
    for (model, oracle) in [("silentface", "nuaa-train-silentface.csv"), ("minifas128", "nuaa-train-minifas128.csv")] {
        let ours = column(&h, &format!("{model}_score"));
        let reference = reference(&oracles.join(oracle));
        let pairs: Vec<(f64, f64)> = rows
            .iter()
            .filter(|r| !r[ours].is_empty())
            .filter_map(|r| reference.get(&r[path]).map(|&s| (r[ours].parse().unwrap(), s)))
            .collect();
        assert!(pairs.len() > 3400, "{model}: only {} images scored by both", pairs.len());
        let mean_abs = pairs.iter().map(|(a, b)| (a - b).abs()).sum::<f64>() / pairs.len() as f64;
        let same = pairs.iter().filter(|(a, b)| (*a >= 0.5) == (*b >= 0.5)).count() as f64 / pairs.len() as f64;
        eprintln!("{model}: {} images, mean |diff| {mean_abs:.6}, same decision at 0.5 {:.4}", pairs.len(), same);
        assert!(mean_abs <= 0.01, "{model}: mean |live-probability difference| {mean_abs}");
        assert!(same >= 0.99, "{model}: same decision for {same}");
    }

    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("metrics.json")).unwrap()).unwrap();
    assert_eq!(doc["schema_version"], "1");
    let species = doc["at_threshold"]["species"].as_object().unwrap();
    assert_eq!(species.keys().collect::<Vec<_>>(), ["print-rotate", "print-still", "print-warp"]);
    let values = |col: &str| doc["segments"]["columns"][col].as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    assert_eq!(values("session").unwrap(), ["01", "02"]);
    assert_eq!(values("pos").unwrap(), ["00", "01", "02", "03", "04"]);
    assert!(doc["at_threshold"]["bona_fide"]["bpcer"]["ci95"]["upper"].as_f64().is_some());
    assert_eq!(doc["bootstrap"]["resamples"], 200, "subject column -> clustered bootstrap");
    assert!(out.path().join("sweep.csv").is_file());
}
