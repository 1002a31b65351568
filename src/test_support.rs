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
