//! The face detector's file name: the scoring engine, sessions and `models` all load the same file.

/// The face detector's ONNX file; its sha256 and URL are in `configs/detectors/ultraface.toml`
/// (`crate::detect::descriptor`, whose test keeps the two names equal).
pub const DETECTOR_FILE: &str = "ultraface_rfb_320.onnx";
