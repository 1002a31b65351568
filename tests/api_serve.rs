//! `eval DATASET --api` against a real `liveness serve` on loopback (token auth, real models, real NUAA
//! images): the same scores.csv and metrics, bit for bit, as a local `eval` with the same model and
//! policy; the token is written nowhere; the stored answers read again offline give the same run.

mod common;

use std::path::Path;

use common::serve::Server;
use common::{liveness, nuaa_subset, shared};
use serde_json::Value;

const TOKEN: &str = "api-eval-test-token-7f3a9c21e4b8";

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn metrics_without_run(dir: &Path) -> Value {
    let mut doc = json(&dir.join("metrics.json"));
    doc.as_object_mut().unwrap().remove("run");
    doc
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() { out.extend(files(&p)) } else { out.push(p) }
    }
    out
}

#[test]
fn eval_over_the_api_equals_local_eval_bit_for_bit_and_keeps_no_token() {
    let (Some(models), Some(_)) = (shared("models"), shared("datasets/nuaa-train")) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 6);
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let server = Server::start(&["--token-file", token_file.to_str().unwrap()], &models);
    let (local, api, reread) = (tmp.path().join("local"), tmp.path().join("api"), tmp.path().join("reread"));

    let l =
        liveness().arg("eval").arg(&data).arg("--out").arg(&local).args(["--model", "silentface"]).output().unwrap();
    assert!(matches!(l.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&l.stderr));
    let a = liveness()
        .env("LIVENESS_TEST_TOKEN", TOKEN)
        .arg("eval")
        .arg(&data)
        .arg("--out")
        .arg(&api)
        .args(["--model", "silentface", "--api", &server.base, "--api-format", "serve", "-j", "4"])
        .args(["--api-header", "Authorization: Bearer $LIVENESS_TEST_TOKEN"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&a.stderr);
    assert_eq!(a.status.code(), l.status.code(), "{stderr}\n{}", server.log_text());
    assert!(stderr.contains("API: 12 presentations, 12 requests, 0 retries, 0 failed"), "{stderr}");

    let scores = std::fs::read(api.join("scores.csv")).unwrap();
    assert_eq!(scores, std::fs::read(local.join("scores.csv")).unwrap(), "scores.csv differs from the local run's");
    assert_eq!(metrics_without_run(&api), metrics_without_run(&local));
    assert_eq!(common::rows(&api.join("scores.csv")), 12);

    // The run records the URL and preset, header names only; the token is in no file of the folder.
    let decides = &json(&api.join("run.json"))["decides"]["api"];
    assert_eq!(decides["url"], format!("{}/v1/liveness", server.base));
    assert_eq!(
        (decides["format"].as_str(), &decides["request"]["headers"]),
        (Some("serve"), &serde_json::json!(["Authorization"]))
    );
    // The run block says the API scored, with the backend and model its /readyz reports; no local model.
    let run = &json(&api.join("metrics.json"))["run"];
    let (_, ready) = server.get("/readyz", None);
    let ready: Value = serde_json::from_str(&ready).unwrap();
    assert_eq!(run["scored_with_models"], false);
    assert!(run["models"].is_null() && run["backend"].is_null(), "{run:#}");
    assert_eq!(run["api"]["url"], format!("{}/v1/liveness", server.base));
    assert_eq!((&run["api"]["format"], &run["api"]["backend"]), (&Value::from("serve"), &ready["backend"]));
    assert_eq!(run["api"]["model"], ready["model"]);
    assert_eq!(run["api"]["model"]["members"][0]["sha256"].as_str().map(str::len), Some(64));
    let md = std::fs::read_to_string(api.join("report.md")).unwrap();
    assert!(md.contains(&format!("scored by API | {}/v1/liveness (serve preset)", server.base)), "{md}");
    for f in files(&api) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(!bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "{} holds the token", f.display());
    }
    let summary = json(&api.join("api.json"));
    assert_eq!((summary["presentations"].as_u64(), summary["attempts"].as_u64()), (Some(12), Some(12)));
    assert_eq!(summary["statuses"]["200"].as_u64(), Some(12));
    assert!(summary["latency"]["p99_ms"].as_f64().unwrap() >= summary["latency"]["p50_ms"].as_f64().unwrap());
    let log = std::fs::read_to_string(api.join("responses.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 12);

    // Offline: the stored answers give the same rows, sending nothing (the server is gone).
    drop(server);
    let r = liveness()
        .arg("eval")
        .args(["--responses".as_ref(), api.join("responses.jsonl").as_os_str()])
        .args(["--api-format", "serve", "--model", "silentface", "--out"])
        .arg(&reread)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), l.status.code(), "{}", String::from_utf8_lossy(&r.stderr));
    // The re-read lists the rows in the run's order (by position), so the files are the same.
    assert_eq!(std::fs::read(reread.join("scores.csv")).unwrap(), scores);
    assert_eq!(metrics_without_run(&reread), metrics_without_run(&local));
    let again = &json(&reread.join("metrics.json"))["run"]["api"];
    assert_eq!(again["responses"], api.join("responses.jsonl").display().to_string());
    assert_eq!((&again["backend"], &again["model"]), (&run["api"]["backend"], &run["api"]["model"]));
}

#[test]
fn a_wrong_token_stops_the_run_at_the_first_answer() {
    let (Some(models), Some(_)) = (shared("models"), shared("datasets/nuaa-train")) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 2);
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, TOKEN).unwrap();
    let server = Server::start(&["--token-file", token_file.to_str().unwrap()], &models);
    let out = tmp.path().join("out");
    let run = |env: Option<&str>| {
        let mut cmd = liveness();
        cmd.env_remove("LIVENESS_TEST_TOKEN");
        if let Some(v) = env {
            cmd.env("LIVENESS_TEST_TOKEN", v);
        }
        cmd.arg("eval").arg(&data).arg("--out").arg(&out).arg("--force");
        cmd.args([
            "--api",
            &server.base,
            "--api-format",
            "serve",
            "--api-header",
            "Authorization: Bearer $LIVENESS_TEST_TOKEN",
        ]);
        cmd.output().unwrap()
    };
    let wrong = run(Some("not-the-token-at-all-0000"));
    let e = String::from_utf8_lossy(&wrong.stderr);
    assert_eq!(wrong.status.code(), Some(1), "{e}");
    assert!(e.contains("refused the credentials (401") && e.contains("--api-header"), "{e}");
    let missing = run(None);
    let e = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "a usage error: {e}");
    assert!(e.contains("the environment variable LIVENESS_TEST_TOKEN is not set"), "{e}");
}
