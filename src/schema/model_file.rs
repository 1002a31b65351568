//! A model's ONNX file as a record names it: what a calibrated threshold or a probability map holds for.
//! Its own module because both the policy's `[calibration]` and its `[probability]` record it.

use serde::{Deserialize, Serialize};

/// An ONNX file by name and sha256 (a retrained model under the same name has another sha256).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub file: String,
    pub sha256: String,
}
