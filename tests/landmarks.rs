//! The face-mesh stage against values recorded from ONNX Runtime 1.31.1 in Python (onnxruntime, numpy): the
//! raw network on a fixed tensor, and the full contract (crop, two passes) on a real NUAA frame.

mod common;

use liveness::decode::{DecodeLimits, decode_file};
use liveness::frame::FaceBox;
use liveness::landmarks::FaceMesh;
use liveness::landmarks::mesh::MODEL_FILE;

/// The recorded tensor: value at (row v, column u, channel c) = ((7u + 13v + 29c) mod 256) / 255.
fn pattern() -> Vec<f32> {
    let mut t = Vec::with_capacity(192 * 192 * 3);
    for v in 0..192 {
        for u in 0..192 {
            for c in 0..3 {
                t.push(((u * 7 + v * 13 + c * 29) % 256) as f32 / 255.0);
            }
        }
    }
    t
}

#[test]
fn raw_outputs_on_a_fixed_tensor_match_python() {
    let Some(models) = common::shared("models") else { return };
    let mut mesh = FaceMesh::load(&models.join(MODEL_FILE)).unwrap();
    let raw = mesh.infer(&pattern()).unwrap();
    assert_eq!(raw.points.len(), 468);
    // (index, x, y, z) in model-input units, from onnxruntime 1.31.1 on the same tensor.
    let want: [(usize, [f64; 3]); 5] = [
        (1, [102.86095, 100.84774, -21.62157]),
        (33, [61.37551, 72.49152, 0.75365]),
        (152, [99.45732, 155.28937, 3.78255]),
        (263, [132.08670, 66.74639, 11.58985]),
        (454, [145.25412, 74.00735, 48.05180]),
    ];
    for (i, w) in want {
        for (k, want) in w.into_iter().enumerate() {
            let got = f64::from(raw.points[i][k]);
            assert!((got - want).abs() < 2e-3, "point {i}[{k}]: {got} vs {want}");
        }
    }
    // Presence logit -9.387426: a pattern is no face.
    let want_presence = 1.0 / (1.0 + 9.387426f32.exp());
    assert!((raw.presence - want_presence).abs() < 1e-6, "{}", raw.presence);
    assert!(mesh.infer(&[0.0; 10]).is_err(), "a wrong-sized input is refused, not a crash");
}

#[test]
fn two_pass_landmarks_on_a_nuaa_frame_follow_the_contract() {
    let (Some(models), Some(nuaa)) = (common::shared("models"), common::shared("datasets/nuaa-train")) else { return };
    let frame = decode_file(&nuaa.join("ClientRaw/0001/0001_00_00_01_0.jpg"), &DecodeLimits::default()).unwrap();
    let mut mesh = FaceMesh::load(&models.join(MODEL_FILE)).unwrap();
    let m = mesh.landmarks(&frame, &FaceBox { x1: 264, y1: 125, x2: 413, y2: 322 }, 0.5).unwrap();
    // Image pixels from a Python implementation of the contract (PIL decode; decoders differ by a few
    // levels, hence the contract's 0.5 px tolerance rather than exact values).
    let want = [
        (33, 289.448, 211.117),
        (263, 391.207, 207.725),
        (61, 312.473, 286.657),
        (291, 372.611, 284.797),
        (152, 344.180, 333.483),
    ];
    for (i, x, y) in want {
        let p = m.points[i];
        assert!(
            (p[0] - x).abs() < 0.5 && (p[1] - y).abs() < 0.5,
            "point {i}: ({:.3}, {:.3}) vs ({x}, {y})",
            p[0],
            p[1]
        );
    }
    assert!(m.presence > 0.99);
}
