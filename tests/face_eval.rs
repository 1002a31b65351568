//! `liveness eval --match` on the whole NUAA train split: the verification EER and IAPMR reproduce
//! FACE_RECOGNITION.md's figures for the same protocol, and every per-species full-system rate equals a
//! brute-force recount from the per-presentation rows.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use common::{liveness, shared};

/// FACE_RECOGNITION.md, dlib5 chip, K = 3: EER 1.1%, IAPMR at 0.6 99.2%.
const DOC_EER: f64 = 0.011;
const DOC_IAPMR_06: f64 = 0.992;

fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records().map(|x| h.iter().cloned().zip(x.unwrap().iter().map(String::from)).collect()).collect()
}

#[test]
fn nuaa_full_system_matches_the_model_contract_and_recounts_from_rows() {
    let (Some(data), Some(_)) = (shared("datasets/nuaa-train"), shared("models")) else { return };
    let out = tempfile::tempdir().unwrap();
    let run = liveness()
        .arg("eval")
        .arg(&data)
        .args(["--split", "train", "--match", "--enrol", "first-session:3", "--bootstrap", "0", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(matches!(run.status.code(), Some(0 | 3)), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("| attacks of species | PAD alone: APCER | matcher alone: IAPMR |"), "{stdout}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("metrics.json")).unwrap()).unwrap();
    let fs = &doc["full_system"];
    let v = &fs["verification"];
    assert_eq!((v["genuine_comparisons"].as_u64(), v["impostor_comparisons"].as_u64()), (Some(1716), Some(13728)));
    let eer = v["eer"]["value"].as_f64().unwrap();
    assert!((eer - DOC_EER).abs() <= 0.005, "verification EER {eer} vs FACE_RECOGNITION.md {DOC_EER}");
    let iapmr = fs["iapmr"]["pooled"]["value"].as_f64().unwrap();
    assert!((iapmr - DOC_IAPMR_06).abs() <= 0.01, "IAPMR@0.6 {iapmr} vs {DOC_IAPMR_06}");
    assert_eq!(fs["iapmr"]["pooled"]["n"].as_u64(), Some(1748));

    // Brute force from the rows: scores.csv (PAD) and full_system.csv (distance to the claimed subject).
    let pad: HashMap<String, Option<f64>> = rows(&out.path().join("scores.csv"))
        .into_iter()
        .map(|r| (r["path"].clone(), r["score"].parse().ok()))
        .collect();
    let mut by_species: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new(); // accepted, matched, n
    let (mut bf_rejected, mut bf) = (0u64, 0u64);
    for r in rows(&out.path().join("full_system.csv")) {
        let live = pad[&r["path"]].is_some_and(|s| s >= 0.5);
        let matched = r["distance"].parse::<f64>().is_ok_and(|d| d < 0.6);
        match r["role"].as_str() {
            "attack" => {
                let e = by_species.entry(r["attack_type"].clone()).or_default();
                e.0 += u64::from(live && matched);
                e.1 += u64::from(matched);
                e.2 += 1;
            }
            "genuine" => {
                bf += 1;
                bf_rejected += u64::from(!(live && matched));
            }
            _ => {}
        }
    }
    assert_eq!(by_species.len(), 3, "{by_species:?}");
    let rate = |x: &serde_json::Value| (x["errors"].as_u64().unwrap(), x["n"].as_u64().unwrap());
    for (species, &(accepted, matched, n)) in &by_species {
        assert_eq!(rate(&fs["attack_acceptance"]["per_species"][species]), (accepted, n), "{species}");
        assert_eq!(rate(&fs["iapmr"]["per_species"][species]), (matched, n), "{species}");
    }
    let worst = by_species.values().map(|&(a, _, n)| a as f64 / n as f64).fold(0.0, f64::max);
    assert_eq!(fs["attack_acceptance"]["worst"]["rate"]["value"].as_f64(), Some(worst));
    assert_eq!(rate(&fs["bona_fide_rejection"]), (bf_rejected, bf));
    // One descriptor row per presentation, written in the same pass.
    assert_eq!(rows(&out.path().join("descriptors.csv")).len(), 3491);

    // The report carries the full-system section and its chart, in both formats.
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    for page in [&html, &md] {
        assert!(page.contains("Full system: PAD and face match") && page.contains("combined: PAD accept AND match"));
        // print-still's IAPMR with its interval (Markdown escapes the brackets).
        assert!(page.contains("IAPMR 99.65% ") && page.contains("98.98, 99.93") && page.contains("(852/855)"));
    }
    assert!(md.contains("![Full system over (PAD threshold, match threshold)"), "chart linked from report.md");
    assert!(out.path().join("charts/full_system_sweep.png").is_file());

    calibrates_both_thresholds_on_the_run(out.path(), &pad);
}

/// `calibrate RUN --target full-system:bpcer@apcer=0.01 --match-target fnmr@fmr=0.01` on the NUAA run: the
/// written pair meets both limits when recounted from the run's rows, and compare uses its match threshold.
fn calibrates_both_thresholds_on_the_run(run: &Path, pad: &HashMap<String, Option<f64>>) {
    let policy = run.join("joint.toml");
    let out = liveness()
        .arg("calibrate")
        .arg(run)
        .args(["--target", "full-system:bpcer@apcer=0.01", "--match-target", "fnmr@fmr=0.01", "--name", "joint"])
        .arg("--out")
        .arg(&policy)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let p: toml::Value = toml::from_str(&std::fs::read_to_string(&policy).unwrap()).unwrap();
    let (pad_t, match_t) = (p["threshold"].as_float().unwrap(), p["match_threshold"].as_float().unwrap());
    let fm = &p["calibration"]["face_match"];
    assert_eq!(p["calibration"]["target"].as_str(), Some("full-system:bpcer@apcer=0.01"));
    assert_eq!(fm["match_threshold"].as_float(), Some(match_t));
    // Recount at the pair: every species' attacks accepted AND matched within 1%, FMR within 1%.
    let mut species: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let (mut rejected, mut genuine) = (0u64, 0u64);
    for r in rows(&run.join("full_system.csv")) {
        let accepted =
            pad[&r["path"]].is_some_and(|s| s >= pad_t) && r["distance"].parse::<f64>().is_ok_and(|d| d < match_t);
        match r["role"].as_str() {
            "attack" => {
                let e = species.entry(r["attack_type"].clone()).or_default();
                e.0 += u64::from(accepted);
                e.1 += 1;
            }
            "genuine" => {
                genuine += 1;
                rejected += u64::from(!accepted);
            }
            _ => {}
        }
    }
    assert!(species.values().all(|&(k, n)| k as f64 / n as f64 <= 0.01), "{species:?} at ({pad_t}, {match_t})");
    let recorded = &fm["bona_fide_rejection"];
    assert_eq!((recorded["k"].as_integer(), recorded["n"].as_integer()), (Some(rejected as i64), Some(genuine as i64)));
    assert!(fm["fmr"]["value"].as_float().unwrap() <= 0.01, "{fm}");
    assert!(stdout.contains("full system at (PAD"), "{stdout}");

    // compare takes the policy's thresholds: 0002 against 0001 (mean distance 0.526) matches at the
    // default 0.6 but not at the calibrated one; --match-threshold still overrides it.
    let data = shared("datasets/nuaa-train").unwrap();
    let compare = |extra: &[&str]| {
        let out = liveness()
            .args(["compare", "--json", "--policy"])
            .arg(&policy)
            .arg(data.join("ClientRaw/0002/0002_01_00_01_100.jpg"))
            .args(["0", "101", "105"].map(|p| data.join(format!("ClientRaw/0001/0001_00_00_01_{p}.jpg"))))
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let j = compare(&[]);
    assert_eq!((j["match_threshold"].as_f64(), j["matched"].as_bool()), (Some(match_t), Some(false)), "{j}");
    assert_eq!(j["liveness"]["threshold"].as_f64(), Some(pad_t), "{j}");
    let j = compare(&["--match-threshold", "0.6"]);
    assert_eq!((j["match_threshold"].as_f64(), j["matched"].as_bool()), (Some(0.6), Some(true)), "{j}");
    // A match threshold calibrated for another recognizer file is refused, naming both.
    let text = std::fs::read_to_string(&policy).unwrap();
    let sha = fm["recognizer_sha256"].as_str().unwrap();
    let other = run.join("other.toml");
    std::fs::write(&other, text.replace(sha, &"0".repeat(64))).unwrap();
    let out = liveness()
        .args(["search", "--db"])
        .arg(run)
        .arg("--policy")
        .arg(&other)
        .arg(data.join("ClientRaw/0002/0002_01_00_01_100.jpg"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("was calibrated for recognizer face_recognition_128 (sha256 0000") && stderr.contains(sha),
        "{stderr}"
    );
}
