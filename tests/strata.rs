//! `eval --segment-by q_brightness:quartiles,q_face_px:bins=...` on real NUAA frames (every 10th of the
//! train split, scored by the real silentface models): the edges, each row's bucket and every bucket's
//! BPCER and APCER equal a brute-force recomputation from scores.csv; bad specs are refused by name.

mod common;

use std::path::Path;

use common::{liveness, nuaa_thinned, shared};
use serde_json::Value;

/// Rows of scores.csv: (label live?, attack type, score if scored, the column's cell).
fn rows(file: &Path, column: &str) -> Vec<(bool, String, Option<f64>, String)> {
    let mut r = csv::Reader::from_path(file).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let at = |c: &str| header.iter().position(|h| h == c).unwrap_or_else(|| panic!("no {c} in {header:?}"));
    let (label, species, score, status, col) = (at("label"), at("attack_type"), at("score"), at("status"), at(column));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let s = (&rec[status] == "ok").then(|| rec[score].parse().unwrap());
            (&rec[label] == "live", rec[species].to_string(), s, rec[col].to_string())
        })
        .collect()
}

/// The textbook linear quantile: position (n - 1) q between the two order statistics around it.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - h.floor()) * (sorted[hi] - sorted[lo])
}

/// Checks one stratum: its edges against `edges`, every row's bucket by (lower, upper] (the first closed),
/// and per bucket the k/n of BPCER and each species' APCER at `t` against the run's segments.
fn check(doc: &Value, file: &Path, column: &str, edges: &[f64]) {
    let stratum = doc["strata"].as_array().unwrap().iter().find(|s| s["column"] == column).unwrap();
    let got: Vec<f64> =
        stratum["edges"].as_array().unwrap().iter().map(|e| e.as_f64().unwrap_or(f64::INFINITY)).collect();
    assert_eq!(got.len(), edges.len(), "{column}: {got:?} vs {edges:?}");
    for (g, e) in got.iter().zip(edges) {
        assert!((g - e).abs() <= 1e-12 * e.abs().max(1.0) || g == e, "{column}: {got:?} vs {edges:?}");
    }
    let buckets = stratum["buckets"].as_array().unwrap();
    let t = doc["run"]["threshold"].as_f64().unwrap();
    let rows = rows(file, column);
    let mut counts = vec![0u64; buckets.len()];
    let segments = &doc["segments"]["columns"][column];
    // (bucket, class) -> (errors, scored)
    let mut rates: std::collections::BTreeMap<(usize, String), (u64, u64)> = Default::default();
    for (live, species, score, cell) in &rows {
        let x: f64 = cell.parse().unwrap();
        let j = (0..edges.len() - 1)
            .find(|&j| (x > edges[j] || (j == 0 && x >= edges[0])) && x <= edges[j + 1])
            .unwrap_or_else(|| panic!("{column}: {x} outside {edges:?}"));
        counts[j] += 1;
        if let Some(s) = score {
            let class = if *live { "bona_fide".to_string() } else { species.clone() };
            let e = rates.entry((j, class)).or_default();
            e.1 += 1;
            e.0 += u64::from(*live != (*s >= t));
        }
    }
    let reported: Vec<u64> = buckets.iter().map(|b| b["presentations"].as_u64().unwrap()).collect();
    assert_eq!(reported, counts, "{column}");
    for ((j, class), (k, n)) in rates {
        let seg = &segments[buckets[j]["label"].as_str().unwrap()]["at_threshold"];
        let r = if class == "bona_fide" { &seg["bona_fide"]["bpcer"] } else { &seg["species"][&class]["apcer"] };
        assert_eq!((r["k"].as_u64(), r["n"].as_u64()), (Some(k), Some(n)), "{column} bucket {j} {class}");
    }
}

#[test]
fn nuaa_quality_buckets_equal_a_brute_force_recomputation() {
    let Some((tmp, ds)) = nuaa_thinned(10) else { return };
    let run = tmp.path().join("run");
    let out = liveness()
        .args(["eval", "--bootstrap", "0", "--segment-by", "session,q_brightness:quartiles,q_face_px:bins=0,150,inf"])
        .arg("--out")
        .arg(&run)
        .arg(&ds)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    let scores = run.join("scores.csv");
    let mut brightness: Vec<f64> = rows(&scores, "q_brightness").iter().map(|r| r.3.parse().unwrap()).collect();
    brightness.sort_by(f64::total_cmp);
    let quartiles: Vec<f64> = [0.0, 0.25, 0.5, 0.75, 1.0].iter().map(|&q| quantile(&brightness, q)).collect();
    check(&doc, &scores, "q_brightness", &quartiles);
    check(&doc, &scores, "q_face_px", &[0.0, 150.0, f64::INFINITY]);
    let columns: Vec<&String> = doc["segments"]["columns"].as_object().unwrap().keys().collect();
    assert_eq!(columns, ["q_brightness", "q_face_px", "session"], "buckets segment beside plain columns");
    assert_eq!(doc["strata"][1]["edges"][2], "+inf");
    let report = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(report.contains(r"Buckets of q\_brightness (q\_brightness:quartiles): the edges are numpy's"), "{report}");
    assert!(report.contains(r"(q\_face\_px:bins=0,150,inf): the edges are the given bins"), "{report}");
    assert!(run.join("charts/segments-q_brightness.png").exists());

    // The same buckets from the score file alone.
    let again = tmp.path().join("again");
    let out = liveness()
        .args(["eval", "--bootstrap", "0", "--segment-by", "session,q_brightness:quartiles,q_face_px:bins=0,150,inf"])
        .arg("--out")
        .arg(&again)
        .arg("--scores")
        .arg(&scores)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
    let doc2: Value = serde_json::from_str(&std::fs::read_to_string(again.join("metrics.json")).unwrap()).unwrap();
    assert_eq!((&doc2["strata"], &doc2["segments"]), (&doc["strata"], &doc["segments"]));
}

#[test]
fn bad_bucket_specs_are_refused_by_name() {
    let Some(oracles) = shared("oracles") else { return };
    let file = oracles.join("nuaa-train-silentface.csv");
    let tmp = tempfile::tempdir().unwrap();
    let refused = |spec: &str, expected: &str| {
        let out = liveness()
            .args(["eval", "--bootstrap", "0", "--segment-by", spec, "--out"])
            .arg(tmp.path().join("x"))
            .arg("--scores")
            .arg(&file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{spec}: {err}");
        assert!(err.contains(expected), "{spec}: {err}");
    };
    refused(
        "q_sharpness:quartiles",
        "no presentation has a `q_sharpness` column; columns found: glasses, pos, session, subject",
    );
    refused("subject:bins=5,1", "strictly increasing");
    refused("subject:terciles", "use COLUMN:quartiles, COLUMN:deciles, COLUMN:quantiles=N or COLUMN:bins=");
    refused("session:quantiles=1", "from 2 to 100");
}
