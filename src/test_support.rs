//! The one home of the unit tests' helpers: where the reference data lives, hashing, and the small
//! presentations and dataset trees the tests build.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::frame::Frame;

/// `shared/models` next to the crate (in the project: /work/shared/models), or `None` with a skip message
/// when it is absent, so the tests still pass on a checkout without the reference data.
pub fn shared_models(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/models");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP {test}: reference data folder {} not found", dir.display());
        None
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// sha256 of the frame's pixels in BGR order, the order the Python reference hashes.
pub fn bgr_sha256(frame: &Frame) -> String {
    sha256_hex(&frame.swap_rb().pixels)
}

/// The parsed `silent_face_reference_scores.json`.
pub fn reference_json(models: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(models.join("silent_face_reference_scores.json")).expect("read reference JSON");
    serde_json::from_str(&text).expect("parse reference JSON")
}

/// A presentation for the metrics tests: `species` "" = bona fide; no score = a `no_face` non-response.
pub fn pres(species: &str, score: Option<f64>) -> crate::schema::Presentation {
    crate::schema::Presentation {
        id: String::new(),
        bona_fide: species.is_empty(),
        species: species.to_owned(),
        score,
        reason: score.is_none().then(|| "no_face".to_owned()),
        meta: std::collections::BTreeMap::new(),
        decision: None,
    }
}

/// [`pres`] with a `subject` column, for the subject-clustered figures.
pub fn of_subject(species: &str, score: Option<f64>, subject: &str) -> crate::schema::Presentation {
    let mut p = pres(species, score);
    p.meta.insert(crate::metrics::SUBJECT_COLUMN.to_owned(), subject.to_owned());
    p
}

/// Creates an empty file at `rel` under `root`, with its folders (the dataset loaders' test trees).
pub fn touch(root: &std::path::Path, rel: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"").unwrap();
}

/// A dataset spec for `root` with every option left to detection.
pub fn spec(root: &std::path::Path) -> crate::dataset::DatasetSpec {
    crate::dataset::DatasetSpec { root: root.to_path_buf(), ..crate::dataset::DatasetSpec::default() }
}

/// A run block as `eval` writes it, under the built-in default policy.
pub fn sample_run() -> crate::schema::RunInfo {
    let policy = crate::policy::resolve("default", &[]).expect("the built-in policy");
    crate::schema::RunInfo {
        tool: "liveness test".into(),
        command: vec!["liveness".into(), "eval".into()],
        created_utc: "2026-01-01T00:00:00Z".into(),
        source: "data".into(),
        models: None,
        scored_with_models: None,
        backend: None,
        model: None,
        score_column: Some("score".into()),
        score_file: None,
        filter: None,
        mapping: None,
        threshold: policy.threshold,
        threshold_source: format!("policy {}", policy.name),
        policy,
        gate: None,
        flip: None,
        presentations: 4,
        dataset_fingerprint: "f".repeat(16),
        shard: None,
        coverage: None,
        sweep_csv: None,
        api: None,
    }
}

/// A real `evaluate` document (bona fide and `print` attacks, segments, a policy, no subjects) as JSON,
/// with `patch` laid over it: objects are merged key by key, while a figure (an object with a `value`)
/// and anything else replaces what was there. So a test states only the figures it reads and still
/// gets a whole document.
pub fn completed(patch: serde_json::Value) -> serde_json::Value {
    let ps = vec![pres("", Some(0.9)), pres("", Some(0.3)), pres("print", Some(0.6)), pres("print", Some(0.1))];
    let options = crate::metrics::EvalOptions {
        segments: Some(crate::metrics::SegmentOptions { columns: None, min_count: 1 }),
        policy: Some(crate::metrics::BandOptions { pass: 0.75, retry: 0.5, attempts: vec![1] }),
        ..crate::metrics::EvalOptions::new(0.5)
    };
    let report = crate::metrics::evaluate(&ps, &options).expect("a valid evaluation").report;
    let mut doc = crate::metrics::MetricsDocument::new(report, sample_run()).to_json().expect("a document as JSON");
    lay_over(&mut doc, patch);
    doc
}

/// `patch` laid over `base`, as [`completed`] does.
pub fn lay_over(base: &mut serde_json::Value, patch: serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(base), serde_json::Value::Object(patch)) if !patch.contains_key("value") => {
            for (key, value) in patch {
                lay_over(base.entry(key).or_insert(serde_json::Value::Null), value);
            }
        }
        (base, patch) => *base = patch,
    }
}

/// A minimal run folder: two species, four bona fide, a threshold of 0.5 and bands 0.75 / 0.5 (the
/// figures not stated here are a whole document's, see `completed`).
pub fn sample_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ci = |k: u64, n: u64| serde_json::to_value(crate::metrics::clopper_pearson(k, n)).unwrap();
    let doc = completed(serde_json::json!({
        "schema_version": "1",
        "counts": {"bona_fide": {"scored": 4, "total": 4, "non_responses": 0, "non_response_reasons": {}},
                   "species": {"print": {"scored": 2, "total": 3, "non_responses": 1, "non_response_reasons": {"no_face": 1}},
                               "replay": {"scored": 2, "total": 2, "non_responses": 0, "non_response_reasons": {}}}},
        "at_threshold": {"threshold": 0.5,
            "bona_fide": {"bpcer": {"value": 0.25, "k": 1, "n": 4, "ci95": ci(1, 4)}},
            "species": {"print": {"apcer": {"value": 0.5, "k": 1, "n": 2, "ci95": ci(1, 2)}},
                        "replay": {"apcer": {"value": 0.0, "k": 0, "n": 2, "ci95": ci(0, 2)},
                                   "apnrr": {"value": 0.0, "k": 0, "n": 2, "ci95": ci(0, 2)},
                                   "apcer_sys": {"value": 0.0, "k": 0, "n": 2, "ci95": ci(0, 2)}}},
            "attack": {"apcer_max": {"value": 0.5, "k": 1, "n": 2, "ci95": ci(1, 2), "species": "print"}, "apcer_pooled": {"value": 0.25, "k": 1, "n": 4, "ci95": ci(1, 4)}}},
        "threshold_free": {"eer_pooled": {"value": 0.25, "threshold": 0.6, "apcer_pooled": 0.25, "bpcer": 0.25}, "auc_pooled": {"value": 0.8}},
        "segments": {"value": null, "reason": "not requested"},
        "decision_bands": {"pass": 0.75, "retry": 0.5},
        "run": {"models": [{"name": "silentface", "origin": "builtin:silentface", "members": []}], "scored_with_models": true, "source": "data"}
    }));
    std::fs::write(dir.path().join(crate::schema::run_folder::METRICS_JSON), doc.to_string()).unwrap();
    std::fs::write(
        dir.path().join(crate::schema::run_folder::SWEEP_CSV),
        "threshold,apcer[print],apcer[replay],apcer_max,apcer_pooled,bpcer\n+inf,0,0,0,0,1\n0.9,0.5,0,0.5,0.25,0.75\n0.6,0.5,0,0.5,0.25,0.25\n0.4,0.5,0.5,0.5,0.5,0\n0.1,1,1,1,1,0\n",
    )
    .unwrap();
    dir
}
