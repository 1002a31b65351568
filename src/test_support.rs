//! Helpers shared by the unit tests: where the reference data lives, and hashing.

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
