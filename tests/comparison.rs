//! The model comparison of a multi-model `eval` on real NUAA images with the real models: each model's
//! row equals a single-model evaluation of that model's column exactly, every verdict agrees with its
//! interval, and the report carries the section.

mod common;

use common::liveness;
use serde_json::Value;

fn json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn each_models_row_is_its_single_model_evaluation_and_verdicts_follow_their_intervals() {
    let Some((tmp, ds)) = common::nuaa_thinned(12) else { return };
    let run = tmp.path().join("run");
    let o = liveness()
        .arg("eval")
        .arg(&ds)
        .args(["--model", "silentface,minifas128", "--out"])
        .arg(&run)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&o.get_output().stdout).into_owned();
    assert!(stdout.contains("models compared (each at its own threshold):"), "{stdout}");
    let doc = json(&run.join("metrics.json"));
    // The two-model file read whole by `eval --scores` compares the same way.
    let whole = tmp.path().join("whole");
    liveness().args(["eval", "--scores"]).arg(run.join("scores.csv")).arg("--out").arg(&whole).assert().success();
    assert_eq!(json(&whole.join("metrics.json"))["comparison"], doc["comparison"]);
    let c = &doc["comparison"];
    for (i, model) in ["silentface", "minifas128"].iter().enumerate() {
        let single = tmp.path().join(format!("single-{model}"));
        liveness()
            .args(["eval", "--scores"])
            .arg(run.join("scores.csv"))
            .args(["--model", model, "--out"])
            .arg(&single)
            .assert()
            .success();
        let s = json(&single.join("metrics.json"));
        let row = &c["models"][i];
        assert_eq!(row["model"], *model);
        assert_eq!(row["eer"], s["threshold_free"]["eer_pooled"]["value"], "{model}");
        assert_eq!(row["auc"], s["threshold_free"]["auc_pooled"]["value"], "{model}");
        for rate in ["bpcer", "bpnrr"] {
            assert_eq!(row[rate]["k"], s["at_threshold"]["bona_fide"][rate]["k"], "{model} {rate}");
            assert_eq!(row[rate]["n"], s["at_threshold"]["bona_fide"][rate]["n"], "{model} {rate}");
        }
        assert_eq!(row["apcer_max"]["value"], s["at_threshold"]["attack"]["apcer_max"]["value"], "{model}");
        let op = &s["threshold_free"]["bpcer_at_apcer"]["0.05"];
        assert_eq!(row["bpcer_at_apcer"]["0.05"]["value"], op["bpcer"], "{model}");
        // `--model M` asks for one model: no comparison.
        assert!(s["comparison"].is_null(), "{model}");
    }
    let pair = &c["pairs"][0];
    assert_eq!((pair["a"].as_str(), pair["b"].as_str()), (Some("silentface"), Some("minifas128")));
    for v in pair["verdicts"].as_array().unwrap() {
        let figure = v["figure"].as_str().unwrap();
        let key = match figure {
            "AUC" => "auc",
            "EER" => "eer",
            "BPCER" => "bpcer",
            _ => "apcer_max",
        };
        let d = &pair["bootstrap"][key];
        if d.is_null() {
            continue;
        }
        let excludes = d["lower"].as_f64().unwrap() > 0.0 || d["upper"].as_f64().unwrap() < 0.0;
        assert_eq!(v["significant"].as_bool(), Some(excludes), "{v}");
        let text = v["text"].as_str().unwrap();
        assert_eq!(text.contains(" is better than "), excludes, "{text}");
        assert!(excludes || text.starts_with("no significant difference"), "{text}");
    }
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(md.contains("Models compared") && md.contains("| model | threshold | EER |"), "{md}");
}
