//! `calibrate`, `gate` and `diff` end to end: on the real NUAA split scored once with both models, and on
//! the oracle score files (no scoring) for exactness and bad input.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{liveness, shared};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = liveness().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Calibrate both models on subjects 0001-0004, gate subjects 0005-0009: silentface passes the release
/// gate, minifas128 (at its own calibrated policy) fails it; a baseline of other presentations is refused.
#[test]
fn nuaa_calibrate_on_dev_subjects_gate_the_others() {
    let Some(data) = shared("datasets/nuaa-train") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("run");
    let (code, out, err) =
        run(&["eval", "--model", "silentface,minifas128", "--bootstrap", "0", "--out", s(&runs), s(&data)]);
    assert!(matches!(code, 0 | 3), "{out}\n{err}");

    let policy = |model: &str| tmp.path().join(format!("{model}.toml"));
    for model in ["silentface", "minifas128"] {
        let (code, out, err) = run(&[
            "calibrate",
            s(&runs),
            "--model",
            model,
            "--where",
            "subject=0001..0004",
            "--target",
            "bpcer20",
            "--name",
            model,
            "--out",
            s(&policy(model)),
        ]);
        assert_eq!(code, 0, "{out}\n{err}");
        let text = std::fs::read_to_string(policy(model)).unwrap();
        assert!(
            text.contains(&format!("model = \"{model}\"")) && text.contains("filter = \"subject=0001..0004\""),
            "{text}"
        );
        assert!(text.contains("sha256 = ") && text.contains("dataset_fingerprint = "), "{text}");
    }

    let gate = |model: &str, extra: &[&str]| {
        let junit = tmp.path().join(format!("{model}.xml"));
        let policy = policy(model);
        let mut args = vec![
            "gate",
            s(&runs),
            "--model",
            model,
            "--where",
            "subject=0005..0009",
            "--policy",
            s(&policy),
            "--criteria",
            "configs/gates/release.toml",
            "--junit",
            s(&junit),
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args);
        (code, out, err, std::fs::read_to_string(&junit).unwrap_or_default())
    };
    let metrics = tmp.path().join("silentface-metrics.json");
    let summary = tmp.path().join("summary.md");
    let (code, out, err, junit) = gate("silentface", &["--metrics", s(&metrics), "--summary", s(&summary)]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("gate release: PASSED"), "{out}");
    assert!(junit.contains("tests=\"8\" failures=\"0\" skipped=\"1\""), "{junit}");
    assert_eq!(junit.matches("<testcase ").count(), 8);
    assert!(std::fs::read_to_string(&summary).unwrap().starts_with("### gate release: PASSED"));

    let (code, out, err, junit) = gate("minifas128", &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("gate release: FAILED"), "{out}");
    let failures: usize = junit.split("failures=\"").nth(1).and_then(|t| t.split('"').next()).unwrap().parse().unwrap();
    assert!(failures >= 1, "{junit}");
    assert!(junit.contains("name=\"apcer_max &lt;= 5.00%\">\n      <failure"), "{junit}");

    // A threshold calibrated for silentface applied to minifas128's scores: refused.
    let (code, _, err) = run(&[
        "gate",
        s(&runs),
        "--model",
        "minifas128",
        "--policy",
        s(&policy("silentface")),
        "--criteria",
        "configs/gates/release.toml",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("calibrated for model silentface"), "{err}");

    // Regression against the silentface baseline on the same presentations; then on other ones.
    let criteria = tmp.path().join("regression.toml");
    std::fs::write(
        &criteria,
        "name = \"no-regression\"\n[[criterion]]\nmetric = \"apcer_max\"\nmax_regression = 0.01\n",
    )
    .unwrap();
    let regress = |filter: &str| {
        run(&[
            "gate",
            s(&runs),
            "--model",
            "minifas128",
            "--where",
            filter,
            "--policy",
            s(&policy("minifas128")),
            "--criteria",
            s(&criteria),
            "--baseline",
            s(&metrics),
        ])
    };
    let (code, out, err) = regress("subject=0005..0009");
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("<= baseline + 1.00%") && out.contains("FAIL"), "{out}");
    let (code, _, err) = regress("subject=0001..0004");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("computed on other presentations"), "{err}");
}

/// Score file -> (path -> (bona fide, score)), the score removed where the face was not found.
fn oracle(file: &Path) -> HashMap<String, (bool, Option<f64>)> {
    let mut r = csv::Reader::from_path(file).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (path, label, score, face) = (col("path"), col("label"), col("score"), col("face_found"));
    r.records()
        .map(|row| {
            let row = row.unwrap();
            let sc = (&row[face] == "1").then(|| row[score].parse::<f64>().ok()).flatten();
            (row[path].to_owned(), (&row[label] == "live", sc))
        })
        .collect()
}

#[test]
fn diff_of_the_oracle_score_files_lists_exactly_the_flipped_decisions() {
    let Some(oracles) = shared("oracles") else { return };
    let (sf, mf) = (oracles.join("nuaa-train-silentface.csv"), oracles.join("nuaa-train-minifas128.csv"));
    let json = tempfile::NamedTempFile::new().unwrap();
    let (code, out, err) = run(&["diff", s(&sf), s(&mf), "--json", s(json.path())]);
    assert_eq!(code, 0, "{out}\n{err}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json.path()).unwrap()).unwrap();

    let (base, current) = (oracle(&sf), oracle(&mf));
    let mut expected: Vec<(String, bool)> = base
        .iter()
        .filter_map(|(path, &(live, b))| {
            let (b, c) = (b?, current[path].1?);
            // Bona fide iff score >= 0.5 (the default policy's threshold).
            ((b >= 0.5) != (c >= 0.5)).then(|| (path.clone(), (c >= 0.5) == live))
        })
        .collect();
    expected.sort();
    let mut listed: Vec<(String, bool)> = report["flips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_owned(), f["now_correct"].as_bool().unwrap()))
        .collect();
    listed.sort();
    assert!(expected.len() > 100, "{}", expected.len());
    assert_eq!(listed, expected);
    let better = expected.iter().filter(|e| e.1).count() as u64;
    assert_eq!(report["mcnemar"]["better"], better);
    assert_eq!(report["mcnemar"]["worse"], expected.len() as u64 - better);
    assert!(out.contains(&format!("decisions: {} flipped", expected.len())), "{out}");
}

#[test]
fn calibrated_thresholds_are_the_oracle_operating_points() {
    let Some(oracles) = shared("oracles") else { return };
    let scores = oracles.join("nuaa-train-silentface.csv");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(oracles.join("nuaa-train-silentface.expected.json")).unwrap())
            .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for (target, oracle) in [
        ("bpcer20", &expected["bpcer_at_apcer"]["0.05"]),
        ("bpcer100", &expected["bpcer_at_apcer"]["0.01"]),
        ("eer", &expected["eer_pooled"]),
    ] {
        let file = tmp.path().join(format!("{target}.toml"));
        let (code, out, err) = run(&[
            "calibrate",
            s(&scores),
            "--model",
            "silentface",
            "--target",
            target,
            "--name",
            target,
            "--out",
            s(&file),
        ]);
        assert_eq!(code, 0, "{out}\n{err}");
        let policy: toml::Value = toml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let got = policy["threshold"].as_float().unwrap();
        assert!((got - oracle["threshold"].as_f64().unwrap()).abs() < 1e-10, "{target}: {got} vs {oracle}");
    }
}

#[test]
fn bad_policy_gate_and_criteria_files_are_precise_usage_errors() {
    let Some(oracles) = shared("oracles") else { return };
    let scores = oracles.join("nuaa-train-silentface.csv");
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let default = std::fs::read_to_string("configs/policies/default.toml").unwrap();
    let good_gate = write("good.toml", "name = \"g\"\n[[criterion]]\nmetric = \"bpcer\"\nmax = 0.5\n");
    let good_policy = write("good-policy.toml", &default);
    let cases = [
        (
            write("p1.toml", &default.replace("min_face_px", "min_face_pixels")),
            good_gate.clone(),
            "unknown field `min_face_pixels`",
        ),
        (write("p2.toml", &default.replace("threshold = 0.5\n", "")), good_gate.clone(), "missing field `threshold`"),
        (
            good_policy.clone(),
            write("g1.toml", "name = \"g\"\n[[criterion]]\nmetric = \"apcer_worst\"\nmax = 0.1\n"),
            "unknown metric `apcer_worst`",
        ),
        (
            good_policy.clone(),
            write("g2.toml", "name = \"g\"\nsegment = [\"x\"]\n[[criterion]]\nmetric = \"bpcer\"\nmax = 0.1\n"),
            "unknown field `segment`",
        ),
        (
            good_policy.clone(),
            write("g3.toml", "name = \"g\"\n[[criterion]]\nmetric = \"bpcer\"\n"),
            "exactly one of max, min, max_regression",
        ),
    ];
    for (policy, criteria, message) in cases {
        let (code, out, err) = run(&["gate", s(&scores), "--policy", s(&policy), "--criteria", s(&criteria)]);
        assert_eq!(code, 2, "{message}: {out}\n{err}");
        assert!(err.contains(message), "expected {message:?} in: {err}");
    }
    let (code, out, err) = run(&["gate", s(&scores), "--policy", s(&good_policy), "--criteria", s(&good_gate)]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, _, err) = run(&["calibrate", s(&scores), "--target", "bpcer-20"]);
    assert_eq!(code, 2, "clap rejects the target: {err}");
    assert!(err.contains("unknown target `bpcer-20`"), "{err}");
}
