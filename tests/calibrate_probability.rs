//! `calibrate --probability`: a map to calibrated P(bona fide) fitted on NUAA subjects 0001-0004, written
//! into a policy, applied by `score` to real images with the real model, and judged by `eval` on the
//! held-out subjects 0005-0009, every figure recomputed here from the policy's parameters and the rows.

mod common;

use std::path::{Path, PathBuf};

use common::{liveness, shared};
use serde_json::Value;

const ORACLE: &str = "oracles/nuaa-train-silentface.csv";

fn policy(path: &Path) -> toml::Value {
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Platt's map, written out from its definition (P = 1 / (1 + exp(a·logit(s) + b)), s clamped).
fn platt(a: f64, b: f64, s: f64) -> f64 {
    let s = s.clamp(1e-12, 1.0 - 1e-12);
    sigmoid(-(a * logit(s) + b))
}

/// (score, bona fide, subject) of the oracle's scored rows.
fn oracle_rows(file: &Path) -> Vec<(f64, bool, String)> {
    let mut r = csv::Reader::from_path(file).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (score, label, subject) = (col("score"), col("label"), col("subject"));
    r.records()
        .map(Result::unwrap)
        .filter(|rec| !rec[score].is_empty())
        .map(|rec| (rec[score].parse().unwrap(), &rec[label] == "live", rec[subject].to_owned()))
        .collect()
}

fn fit_platt(dir: &Path, extra: &[&str]) -> (PathBuf, String) {
    let file = shared(ORACLE).unwrap();
    let out = dir.join("platt.toml");
    let mut cmd = liveness();
    cmd.arg("calibrate").arg(&file).args(["--model", "silentface", "--where", "subject=0001..0004"]);
    cmd.args(["--probability", "platt", "--name", "nuaa-platt"]).arg("--out").arg(&out).args(extra);
    let o = cmd.assert().success().get_output().clone();
    (out, String::from_utf8(o.stdout).unwrap())
}

#[test]
fn a_platt_map_is_fitted_written_applied_by_score_and_judged_on_held_out_subjects() {
    let Some(file) = shared(ORACLE) else { return };
    let dir = tempfile::tempdir().unwrap();
    let charts = dir.path().join("charts");
    let (path, stdout) = fit_platt(dir.path(), &["--prior-attack", "0.05", "--reliability", charts.to_str().unwrap()]);
    assert!(stdout.contains("probability map: platt"), "{stdout}");
    assert!(charts.join("reliability.png").is_file() && charts.join("reliability.svg").is_file());
    let p = policy(&path);
    let map = &p["probability"];
    assert_eq!(map["method"].as_str(), Some("platt"));
    assert_eq!(map["model"].as_str(), Some("silentface"));
    assert_eq!(map["filter"].as_str(), Some("subject=0001..0004"));
    assert_eq!(map["prior_attack"].as_float(), Some(0.05));
    let (a, b) = (map["platt"]["a"].as_float().unwrap(), map["platt"]["b"].as_float().unwrap());
    let share = map["dev_bona_fide_share"].as_float().unwrap();
    // The dev counts are the oracle's scored rows of subjects 0001-0004.
    let rows = oracle_rows(&file);
    let dev: Vec<_> = rows.iter().filter(|r| r.2.as_str() <= "0004").collect();
    let dev_bf = dev.iter().filter(|r| r.1).count();
    assert_eq!(map["bona_fide"].as_integer(), Some(dev_bf as i64));
    assert_eq!(map["attacks"].as_integer(), Some((dev.len() - dev_bf) as i64));
    assert!((share - dev_bf as f64 / dev.len() as f64).abs() < 1e-15);
    // The fit is a maximum of the likelihood against Platt's targets: the gradient vanishes there.
    let (hi, lo) = ((dev_bf as f64 + 1.0) / (dev_bf as f64 + 2.0), 1.0 / ((dev.len() - dev_bf) as f64 + 2.0));
    let (mut ga, mut gb) = (0.0, 0.0);
    for r in &dev {
        let f = logit(r.0.clamp(1e-12, 1.0 - 1e-12));
        let residual = platt(a, b, r.0) - if r.1 { hi } else { lo };
        ga -= residual * f;
        gb -= residual;
    }
    assert!(ga.abs() < 1e-6 && gb.abs() < 1e-6, "gradient ({ga}, {gb}) at a = {a}, b = {b}");
    let raw_ece = map["dev_raw"]["ece"].as_float().unwrap();
    let cal_ece = map["dev_calibrated"]["ece"].as_float().unwrap();
    assert!(cal_ece < raw_ece, "calibrated ECE {cal_ece} against raw {raw_ece}");

    // `score` with the real model reports the map beside the raw score, re-stated at the prior.
    let Some(samples) = shared("models/samples") else { return };
    let o = liveness().arg("score").arg(&samples).arg("--json").arg("--policy").arg(&path).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    for line in String::from_utf8(o.stdout).unwrap().lines() {
        let rec: Value = serde_json::from_str(line).unwrap();
        let raw = rec["live_probability"].as_f64().unwrap();
        let at_dev = platt(a, b, raw);
        // The prior: keep the likelihood ratio, change the prior odds (dev share -> 95% bona fide).
        let expected = sigmoid(logit(at_dev) - logit(share) + logit(0.95));
        let got = rec["calibrated"]["live_probability"].as_f64().unwrap();
        assert!((got - expected).abs() < 1e-12, "{}: {got} against {expected}", rec["path"]);
        assert_eq!(rec["calibrated"]["method"], "platt");
        // Decisions stay on the raw score.
        assert_eq!(rec["decision"], if raw >= 0.5 { "live" } else { "attack" });
    }

    // `eval` on the held-out subjects judges the map where it was not fitted.
    let run = dir.path().join("held-out");
    let o = liveness()
        .args(["eval", "--scores"])
        .arg(&file)
        .args(["--model", "silentface", "--where", "subject=0005..0009", "--bootstrap", "0", "--policy"])
        .arg(&path)
        .arg("--out")
        .arg(&run)
        .output()
        .unwrap();
    // 3 when the held-out rows include the oracle's removed scores (non-responses).
    assert!(matches!(o.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&o.stderr));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    let block = &doc["probability"];
    let held: Vec<_> = rows.iter().filter(|r| r.2.as_str() >= "0005").collect();
    let held_bf = held.iter().filter(|r| r.1).count();
    assert_eq!(block["bona_fide"].as_u64(), Some(held_bf as u64));
    assert_eq!(block["attacks"].as_u64(), Some((held.len() - held_bf) as u64));
    // Brier of both, brute force over the rows.
    let brier = |f: &dyn Fn(f64) -> f64| {
        held.iter().map(|r| (f(r.0) - if r.1 { 1.0 } else { 0.0 }).powi(2)).sum::<f64>() / held.len() as f64
    };
    let close = |got: &Value, want: f64| (got.as_f64().unwrap() - want).abs() < 1e-12;
    assert!(close(&block["raw"]["brier"], brier(&|s| s)), "{}", block["raw"]);
    assert!(close(&block["calibrated"]["brier"], brier(&|s| platt(a, b, s))), "{}", block["calibrated"]);
    // ECE over 10 equal-width bins, brute force.
    let ece = |f: &dyn Fn(f64) -> f64| {
        let mut bins = [(0.0, 0.0, 0.0); 10];
        for r in &held {
            let p = f(r.0);
            let i = ((p * 10.0).floor() as usize).min(9);
            bins[i].0 += 1.0;
            bins[i].1 += if r.1 { 1.0 } else { 0.0 };
            bins[i].2 += p;
        }
        bins.iter().filter(|b| b.0 > 0.0).map(|b| b.0 / held.len() as f64 * (b.1 / b.0 - b.2 / b.0).abs()).sum::<f64>()
    };
    assert!(close(&block["raw"]["ece"], ece(&|s| s)));
    assert!(close(&block["calibrated"]["ece"], ece(&|s| platt(a, b, s))));
    assert!(block["calibrated"]["ece"].as_f64() < block["raw"]["ece"].as_f64(), "{block}");
    // The report shows the section and draws the diagram.
    let html = std::fs::read_to_string(run.join("index.html")).unwrap();
    assert!(html.contains("Calibration of the live probability") && html.contains("calibrated (platt)"));
    assert!(run.join("charts/reliability.png").is_file());
}

#[test]
fn serve_reports_the_calibrated_probability_as_score_does_and_as_its_openapi_says() {
    let (Some(models), Some(image)) = (shared("models"), shared("models/samples/image_F1.jpg")) else { return };
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = fit_platt(dir.path(), &["--prior-attack", "0.01"]);
    let server = common::serve::Server::start(&["--policy", path.to_str().unwrap()], &models);
    let (status, got) = server.post("/v1/liveness", "image/jpeg", &std::fs::read(&image).unwrap(), None);
    assert_eq!(status, 200, "{got}");
    common::serve::assert_matches_openapi(&common::serve::openapi(&server), "/v1/liveness", "post", status, &got);
    let args: Vec<&std::ffi::OsStr> = ["score", "--json", "--policy", path.to_str().unwrap(), image.to_str().unwrap()]
        .map(std::ffi::OsStr::new)
        .into();
    let cli = common::serve::cli_json_lines(&models, &args);
    assert_eq!(got["policy"], "nuaa-platt");
    assert_eq!(
        got["calibrated"], cli[0]["calibrated"],
        "server {} against cli {}",
        got["calibrated"], cli[0]["calibrated"]
    );
    assert_eq!(got["calibrated"]["prior_attack"], 0.01);
    assert_eq!(got["live_probability"], cli[0]["live_probability"]);
}

#[test]
fn bad_fits_and_bad_maps_are_refused_with_the_reason() {
    let Some(file) = shared(ORACLE) else { return };
    let dir = tempfile::tempdir().unwrap();
    let fail = |args: &[&str]| {
        let o = liveness().args(args).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let f = file.to_str().unwrap();
    // Hand-made score files: 12 live and `attacks` attacks.
    let small = |attacks: usize| {
        let path = dir.path().join(format!("small{attacks}.csv"));
        let mut text = String::from("path,label,attack_type,score\n");
        for i in 0..12 {
            text += &format!("l{i}.jpg,live,,0.{}\n", 5 + i % 5);
        }
        for i in 0..attacks {
            text += &format!("a{i}.jpg,attack,print,0.0{i}\n");
        }
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    // One class only.
    let (code, err) = fail(&["calibrate", &small(0), "--model", "silentface", "--probability", "isotonic"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("12 bona fide and 0 attacks"), "{err}");
    // Fewer than 10 of a class.
    let (code, err) = fail(&["calibrate", &small(3), "--model", "silentface", "--probability", "platt"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("at least 10") && err.contains("12 bona fide and 3 attacks"), "{err}");
    // A deployment prior outside (0, 1).
    let (code, err) = fail(&["calibrate", f, "--model", "silentface", "--probability", "platt", "--prior-attack", "1"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--prior-attack"), "{err}");
    // A flipped score set: the map would be applied to unflipped live probabilities.
    let (code, err) = fail(&["calibrate", f, "--model", "silentface", "--probability", "platt", "--flip"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("drop --flip"), "{err}");
    // Neither a threshold target nor a map: a usage error.
    let (code, err) = fail(&["calibrate", f, "--model", "silentface"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--target"), "{err}");

    // A written map is checked when the policy loads, and applies to its own model only.
    let (path, _) = fit_platt(dir.path(), &[]);
    let text = std::fs::read_to_string(&path).unwrap();
    let bent = dir.path().join("bent.toml");
    std::fs::write(&bent, text.replace("[probability.platt]", "[probability.isotonic]")).unwrap();
    let Some(samples) = shared("models/samples/image_T1.jpg") else { return };
    let score = |policy: &Path, model: &str| {
        let o =
            liveness().arg("score").arg(&samples).args(["--model", model, "--policy"]).arg(policy).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (code, err) = score(&bent, "silentface");
    assert_eq!(code, Some(1));
    assert!(err.contains("bent.toml"), "{err}");
    let (code, err) = score(&path, "minifas128");
    assert_eq!(code, Some(1));
    assert!(err.contains("fitted on silentface's scores") && err.contains("minifas128"), "{err}");
}
