//! The classifier stage alone against the stored Silent-Face reference: the exact 80x80 crops in
//! `silent_face_reference_scores.json` must give the stored logits within 1e-4 through our tensor filling.

mod common;

use base64::Engine as _;
use liveness::frame::Frame;
use liveness::model::classifier::Classifier;
use liveness::model::descriptor::catalog;

#[test]
fn silent_face_logits_match_the_reference_crops() {
    let Some(models) = common::shared("models") else { return };
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(models.join("silent_face_reference_scores.json")).unwrap())
            .unwrap();
    let descriptor = catalog(&[]).unwrap()["silentface"].clone();
    let mut clf = Classifier::load(&descriptor, &models).unwrap();
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
