//! Per-frame face geometry for active liveness: the 468 landmarks of MediaPipe Face Mesh
//! (`face_landmarks_468.onnx`), and the head angles, eye and mouth measures derived from them.

pub mod crop;
pub mod geometry;
pub mod mesh;

pub use geometry::Geometry;
pub use mesh::{FaceMesh, Mesh};

/// Frames whose face-presence probability is below this are dropped: the contract says their landmarks
/// are garbage (seen on some photo attacks).
pub const MIN_PRESENCE: f32 = 0.5;
