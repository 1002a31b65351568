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
    // `report` of the two single-model runs compares them exactly as the multi-model run did.
    let cmp = tmp.path().join("cmp");
    liveness()
        .arg("report")
        .args(["silentface", "minifas128"].map(|m| tmp.path().join(format!("single-{m}"))))
        .arg("--out")
        .arg(&cmp)
        .assert()
        .success();
    assert_eq!(json(&cmp.join("comparison.json"))["comparison"], doc["comparison"]);
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
    assert!(md.contains("Models compared") && md.contains("| model | threshold | EER \\[95%\\] |"), "{md}");
}

/// A generated two-model score file (no models or images needed): `n` bona fide and `n` attacks of two
/// species, model `a` separating them well and model `b` (named with markup) less so.
fn two_model_file(dir: &std::path::Path, b: &str, n: usize) -> std::path::PathBuf {
    let mut csv = format!("path,label,attack_type,score,status,reason,a_score,{b}_score\n");
    for i in 0..2 * n {
        let u = ((i * 7919) % 101) as f64 / 101.0;
        let (label, species, a, b) = match i < n {
            true => ("live", "", 0.55 + 0.45 * u, 0.35 + 0.6 * u),
            false => ("attack", if i % 2 == 0 { "print" } else { "replay" }, 0.5 * u, 0.05 + 0.6 * u),
        };
        csv.push_str(&format!("p{i}.jpg,{label},{species},{a:.4},ok,,{a:.4},{b:.4}\n"));
    }
    let path = dir.join("two.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

#[test]
fn the_section_draws_overlaid_det_and_roc_and_the_distributions_one_series_per_model() {
    let tmp = tempfile::tempdir().unwrap();
    let hostile = "b<i>&amp\"";
    let scores = two_model_file(tmp.path(), hostile, 60);
    let run = tmp.path().join("run");
    liveness().args(["eval", "--scores"]).arg(&scores).arg("--out").arg(&run).assert().success();
    let doc = json(&run.join("metrics.json"));
    let rows = doc["comparison"]["models"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["model"], hostile);
    // Each model's sweep is in the folder, named by position, as its row records it.
    for (i, file) in ["sweep.csv", "sweep-model-1.csv"].iter().enumerate() {
        assert_eq!(rows[i]["sweep_csv"]["file"], *file);
        let bytes = std::fs::read(run.join(file)).unwrap();
        let lines = bytes.iter().filter(|b| **b == b'\n').count() as u64 - 1;
        assert_eq!(rows[i]["sweep_csv"]["rows"], lines, "{file}");
    }
    assert_ne!(std::fs::read(run.join("sweep.csv")).unwrap(), std::fs::read(run.join("sweep-model-1.csv")).unwrap());
    let svg = |stem: &str| {
        let png = std::fs::read(run.join("charts").join(format!("{stem}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG", "{stem}");
        std::fs::read_to_string(run.join("charts").join(format!("{stem}.svg"))).unwrap()
    };
    let (det, roc, dist) = (svg("models-det"), svg("models-roc"), svg("models-distribution"));
    // One series per model, named with its own figure, its operating point in the legend.
    assert_eq!(det.matches(": EER ").count(), 2, "{det}");
    assert_eq!(det.matches(" at threshold ").count(), 2, "{det}");
    assert_eq!(roc.matches(": AUC ").count(), 2, "{roc}");
    let eer = |i: usize| format!("{:.2}%", 100.0 * rows[i]["eer"].as_f64().unwrap());
    assert!(det.contains(&format!("a: EER {}", eer(0))), "{det}");
    assert!(roc.contains(&format!("a: AUC {:.4}", rows[0]["auc"].as_f64().unwrap())), "{roc}");
    assert_eq!(dist.matches("all attacks (n=60)").count(), 2, "{dist}");
    assert_eq!(dist.matches("bona fide (n=60)").count(), 2, "{dist}");
    // The hostile name is escaped in every chart and page, never markup.
    for text in [&det, &roc, &dist] {
        assert!(text.contains("b&lt;i&gt;&amp;amp") && !text.contains("<i>"), "{text}");
    }
    let html = std::fs::read_to_string(run.join("index.html")).unwrap();
    assert!(!html.contains("b<i>"), "hostile name unescaped in index.html");
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    let section = &md[md.find("## Models compared").expect("section")..];
    for stem in ["models-det", "models-roc", "models-distribution"] {
        assert!(html.contains(&format!("charts/{stem}.png")), "{stem}");
        assert!(section.contains(&format!("charts/{stem}.png")), "{stem}");
    }
    // `liveness report` on the folder draws the same section again.
    let again = tmp.path().join("again");
    liveness().arg("report").arg(&run).arg("--out").arg(&again).assert().success();
    assert!(again.join("charts/models-distribution.png").is_file());
}
