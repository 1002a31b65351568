//! The contract test: every number of `shared/oracles/*.expected.json` (numpy brute force) must come
//! out of the serialized report, counts exactly and rates to 1e-12. Each expected leaf is mapped to
//! its place in our schema; an unmapped leaf fails the test, so nothing is skipped silently.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{EvalOptions, evaluate};
use crate::scorefile::{ReadOptions, read_scores};

fn oracle_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/oracles")
}

/// Where an expected leaf (path below the oracle's root) lives in our report.
fn our_pointer(path: &[&str]) -> Option<String> {
    let p = match path {
        ["counts", "live"] => "/counts/bona_fide/total".to_owned(),
        ["counts", "live_no_response"] => "/counts/bona_fide/non_responses".to_owned(),
        ["counts", "attack", s] => format!("/counts/species/{s}/total"),
        ["counts", "attack_no_response", s] => format!("/counts/species/{s}/non_responses"),
        ["apnrr", s] => format!("/at_threshold/species/{s}/apnrr/value"),
        ["bpnrr"] => "/at_threshold/bona_fide/bpnrr/value".to_owned(),
        ["at_threshold", "threshold"] => "/at_threshold/threshold".to_owned(),
        ["at_threshold", "apcer_errors", s] => format!("/at_threshold/species/{s}/apcer/k"),
        ["at_threshold", "apcer_per_species", s] => format!("/at_threshold/species/{s}/apcer/value"),
        ["at_threshold", "apcer_max"] => "/at_threshold/attack/apcer_max/value".to_owned(),
        ["at_threshold", "apcer_pooled"] => "/at_threshold/attack/apcer_pooled/value".to_owned(),
        ["at_threshold", "bpcer"] => "/at_threshold/bona_fide/bpcer/value".to_owned(),
        ["at_threshold", "bpcer_errors"] => "/at_threshold/bona_fide/bpcer/k".to_owned(),
        ["eer_pooled", "eer"] => "/threshold_free/eer_pooled/value".to_owned(),
        ["eer_pooled", "threshold"] => "/threshold_free/eer_pooled/threshold".to_owned(),
        ["auc_pooled"] => "/threshold_free/auc_pooled/value".to_owned(),
        [op @ ("bpcer_at_apcer" | "apcer_at_bpcer"), x, field @ ("apcer_max" | "bpcer" | "threshold")] => {
            format!("/threshold_free/{op}/{x}/{field}")
        }
        _ => return None,
    };
    Some(p)
}

/// Every (path, leaf) of a JSON tree.
fn leaves<'v>(value: &'v Value, path: &mut Vec<&'v str>, out: &mut Vec<(Vec<&'v str>, &'v Value)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(key);
                leaves(child, path, out);
                path.pop();
            }
        }
        leaf => out.push((path.clone(), leaf)),
    }
}

/// Compares one oracle file; returns the number of leaves checked.
fn check(name: &str) -> usize {
    let dir = oracle_dir();
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{name}.expected.json"))).unwrap()).unwrap();
    let presentations = read_scores(&dir.join(format!("{name}.csv")), ReadOptions::default()).unwrap();
    let mut options = EvalOptions::new(expected["at_threshold"]["threshold"].as_f64().unwrap());
    options.operating_rates =
        expected["bpcer_at_apcer"].as_object().unwrap().keys().map(|k| k.parse().unwrap()).collect();
    let report = serde_json::to_value(evaluate(&presentations, &options).unwrap().report).unwrap();
    let mut all = Vec::new();
    leaves(&expected, &mut Vec::new(), &mut all);
    for (path, want) in &all {
        let pointer = our_pointer(path).unwrap_or_else(|| panic!("{name}: unmapped oracle field {path:?}"));
        let got = report.pointer(&pointer).unwrap_or_else(|| panic!("{name}: report has no {pointer}"));
        if want.is_u64() {
            assert_eq!(got.as_u64(), want.as_u64(), "{name}: {pointer}");
        } else {
            let (g, w) = (got.as_f64().unwrap(), want.as_f64().unwrap());
            assert!((g - w).abs() <= 1e-12, "{name}: {pointer} = {g}, oracle {w}");
        }
    }
    all.len()
}

#[test]
fn oracles_match_exactly() {
    if !oracle_dir().is_dir() {
        eprintln!("SKIPPED oracles_match_exactly: no oracle folder at {}", oracle_dir().display());
        return;
    }
    for name in ["nuaa-train-silentface", "nuaa-train-minifas128"] {
        let checked = check(name);
        assert!(checked >= 40, "{name}: only {checked} oracle values");
        eprintln!("{name}: {checked} oracle values match");
    }
}
