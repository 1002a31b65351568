//! `eval --scores vendor.csv --labels DATASET`: a vendor export of ids and 0-100 confidences only (built
//! at test time from the reference pipeline's NUAA scores), labelled by the real NUAA folder. The metrics
//! equal those of the same scores with their labels; missing and extra ids are counted and named.

mod common;

use std::path::Path;

use common::{liveness, shared};
use serde_json::Value;

fn metrics(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap()
}

#[test]
fn a_vendor_export_of_ids_and_scores_is_labelled_by_the_dataset() {
    let (Some(nuaa), Some(oracles)) = (shared("datasets/nuaa-train"), shared("oracles")) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut oracle = csv::Reader::from_path(oracles.join("nuaa-train-silentface.csv")).unwrap();
    let header = oracle.headers().unwrap().clone();
    let (path, score) =
        (header.iter().position(|h| h == "path").unwrap(), header.iter().position(|h| h == "score").unwrap());
    // The vendor file: every 350th image missing, half the ids as absolute paths, 3 unknown ids.
    let vendor = tmp.path().join("vendor.csv");
    let labelled = tmp.path().join("labelled.csv");
    let mut v = csv::Writer::from_path(&vendor).unwrap();
    let mut l = csv::Writer::from_path(&labelled).unwrap();
    v.write_record(["file", "confidence"]).unwrap();
    l.write_record(&header).unwrap();
    let mut left_out = Vec::new();
    for (i, r) in oracle.records().enumerate() {
        let r = r.unwrap();
        if i % 350 == 7 {
            left_out.push(r[path].to_string());
            continue;
        }
        let id = if i % 2 == 1 { format!("/data/nuaa/{}", &r[path]) } else { r[path].to_string() };
        // 100 * s is not exact in binary: the 0-100 file is compared to the oracle's own scalings below
        let s =
            if r[score].is_empty() { String::new() } else { format!("{}", 100.0 * r[score].parse::<f64>().unwrap()) };
        v.write_record([id, s]).unwrap();
        let mut row: Vec<String> = r.iter().map(String::from).collect();
        if !row[score].is_empty() {
            row[score] = format!("{}", (100.0 * r[score].parse::<f64>().unwrap()) / 100.0);
        }
        l.write_record(&row).unwrap();
    }
    for k in 0..3 {
        v.write_record([format!("unknown_{k}.jpg"), "50".into()]).unwrap();
    }
    v.flush().unwrap();
    l.flush().unwrap();

    let run = tmp.path().join("run");
    let out = liveness()
        .args([
            "eval",
            "--bootstrap",
            "0",
            "--id-column",
            "file",
            "--score-column",
            "confidence",
            "--score-scale",
            "100",
        ])
        .arg("--scores")
        .arg(&vendor)
        .arg("--labels")
        .arg(&nuaa)
        .arg("--out")
        .arg(&run)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{err}");
    assert!(
        err.contains("3481 of 3484 score rows joined to its 3491 samples (1746 by path, 1735 by a path ending"),
        "{err}"
    );
    assert!(err.contains("3 rows match no sample and are left out") && err.contains("unknown_0.jpg"), "{err}");
    assert!(err.contains(&format!("10 samples have no score row and are left out, e.g. {}", left_out[0])), "{err}");
    let joined = metrics(&run);
    assert_eq!(joined["labels"]["missing"], 10);
    assert_eq!(joined["labels"]["extra"], 3);
    assert_eq!(joined["run"]["presentations"], 3481);

    let reference = tmp.path().join("reference");
    let out = liveness()
        .args(["eval", "--bootstrap", "0", "--scores"])
        .arg(&labelled)
        .arg("--out")
        .arg(&reference)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&out.stderr));
    let reference = metrics(&reference);
    assert_eq!(joined["threshold_free"], reference["threshold_free"]);
    assert_eq!(joined["at_threshold"], reference["at_threshold"]);
    assert_eq!(
        joined["run"]["dataset_fingerprint"], reference["run"]["dataset_fingerprint"],
        "same ids, labels, order"
    );
    // subject comes from the dataset: the clustered bootstrap and segments work on an ids-only export
    for session in ["01", "02"] {
        let at = |doc: &Value| doc["segments"]["columns"]["session"][session]["at_threshold"].clone();
        assert_eq!(at(&joined), at(&reference), "session {session}");
    }
}

#[test]
fn ids_that_join_nothing_are_refused_and_labels_need_scores() {
    let Some(nuaa) = shared("datasets/nuaa-train") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let vendor = tmp.path().join("vendor.csv");
    std::fs::write(&vendor, "id,score\nselfie_1.jpg,0.9\nselfie_2.jpg,0.1\n").unwrap();
    let out = liveness()
        .args(["eval", "--scores"])
        .arg(&vendor)
        .arg("--labels")
        .arg(&nuaa)
        .arg("--out")
        .arg(tmp.path().join("r"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("none of its 2 ids is a sample of")
            && err.contains("e.g. id selfie_1.jpg against sample ClientRaw/"),
        "{err}"
    );
    let out = liveness().args(["eval", "--labels"]).arg(&nuaa).arg(&nuaa).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--labels and --where apply to a score file: give --scores FILE"), "{err}");
}
