//! The classifier stage alone against the stored Silent-Face reference: the exact 80x80 crops in
//! `silent_face_reference_scores.json` must give the stored logits within 1e-4 through our tensor filling,
//! on ONNX Runtime and on OpenVINO alike; and on a small NUAA subset both backends must take the same
//! decisions with scores within float rounding (the README's exactness contract for `--backend openvino`).

mod common;

use base64::Engine as _;
use liveness::frame::Frame;
use liveness::model::backend::Backend;
use liveness::model::classifier::Classifier;
use liveness::model::descriptor::catalog;

#[test]
fn silent_face_logits_match_the_reference_crops_on_onnx_runtime() {
    reference_crops(Backend::Ort);
}

#[test]
fn silent_face_logits_match_the_reference_crops_on_openvino() {
    reference_crops(Backend::Openvino);
}

fn reference_crops(backend: Backend) {
    let Some(models) = common::shared("models") else { return };
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(models.join("silent_face_reference_scores.json")).unwrap())
            .unwrap();
    let descriptor = catalog(&[]).unwrap()["silentface"].clone();
    let mut clf = Classifier::load(&descriptor, &models, backend).unwrap();
    let member_key = ["MiniFASNetV2", "MiniFASNetV1SE"];
    let mut checked = 0;
    for (image, entry) in json["images"].as_object().unwrap() {
        let mut live = Vec::new();
        for (net, key) in clf.members.iter_mut().zip(member_key) {
            let m = &entry["models"][key];
            let bgr = base64::engine::general_purpose::STANDARD
                .decode(m["crop_bgr_hwc_uint8_base64"].as_str().unwrap())
                .unwrap();
            let patch = Frame::new(80, 80, bgr).swap_rb(); // the tool's frames are RGB
            let logits = net.raw_output(&[&patch]).unwrap().remove(0);
            for (got, want) in logits.iter().zip(m["logits"].as_array().unwrap()) {
                let want = want.as_f64().unwrap();
                assert!((f64::from(*got) - want).abs() < 1e-4, "{image} {key}: logit {got} vs reference {want}");
            }
            live.push(net.infer(&[&patch]).unwrap()[0][1]);
            checked += 1;
        }
        let combined = (live[0] + live[1]) / 2.0;
        let want = entry["live_probability"].as_f64().unwrap();
        assert!((combined - want).abs() < 1e-5, "{image}: live probability {combined} vs {want}");
    }
    assert_eq!(checked, 6);
}

/// 48 NUAA images (every 73rd of the train lists), scored on both backends in one process each: the same
/// boxes, the same decisions, and live probabilities within 1e-5 mean and 1e-4 worst.
#[test]
fn openvino_scores_agree_with_onnx_runtime_on_nuaa() {
    let Some(root) = common::shared("datasets/nuaa-train") else { return };
    let mut files = Vec::new();
    for (list, dir) in [("client_train_raw.txt", "ClientRaw"), ("imposter_train_raw.txt", "ImposterRaw")] {
        let text = std::fs::read_to_string(root.join(list)).unwrap();
        files.extend(text.lines().step_by(73).map(|l| root.join(dir).join(l.trim()).display().to_string()));
    }
    let run = |backend: &str| {
        let out = common::liveness()
            .args(["score", "-", "--json", "--backend", backend, "-j", "2"])
            .write_stdin(files.join("\n"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let (ort, ov) = (run("ort"), run("openvino"));
    assert_eq!(ort.len(), files.len());
    let mut diffs = Vec::new();
    for (a, b) in ort.iter().zip(&ov) {
        assert_eq!(a["box"], b["box"], "{}", a["path"]);
        assert_eq!(a["decision"], b["decision"], "{}", a["path"]);
        if let (Some(x), Some(y)) = (a["live_probability"].as_f64(), b["live_probability"].as_f64()) {
            diffs.push((x - y).abs());
        }
    }
    assert!(diffs.len() >= 40, "only {} of {} images scored", diffs.len(), files.len());
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    let worst = diffs.iter().copied().fold(0.0, f64::max);
    assert!(mean < 1e-5 && worst < 1e-4, "mean |dp| {mean:e}, worst {worst:e}");
}
