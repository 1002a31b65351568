//! `eval --api` through a fault-injecting front (tests/common/api.rs) in front of a real `liveness serve`
//! on 12 real NUAA images: 429 with `Retry-After`, 500s, hangs beyond the client timeout and cut JSON,
//! on a fixed schedule per image and attempt. The run finishes, api.json and api.md count the retries and
//! failures exactly, an exhausted request is a non-response `api_error:<status>`, the retry budget caps
//! the whole run, and after a kill -9 `--resume` sends no answered image again (the front counts).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::api::{Fault, Front, image_names};
use common::serve::Server;
use common::{liveness, nuaa_subset, shared};
use serde_json::Value;

/// The client's per-request timeout; a hang lasts longer.
const TIMEOUT_S: u64 = 6;

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// `scores.csv` rows by path (the first column; NUAA names hold no commas or quotes).
fn rows_by_path(dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join("scores.csv")).unwrap();
    text.lines().skip(1).map(|l| (l.split(',').next().unwrap().to_owned(), l.to_owned())).collect()
}

/// The `reason` column of each row, by path.
fn reasons(dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join("scores.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == "reason").unwrap();
    lines.map(|l| l.split(',').collect::<Vec<_>>()).map(|c| (c[0].to_owned(), c[at].to_owned())).collect()
}

/// `eval DATA --out OUT --api BASE --api-format serve` with `args`.
fn eval_api(data: &Path, out: &Path, base: &str, args: &[&str]) -> std::process::Output {
    liveness()
        .arg("eval")
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(["--model", "silentface", "--api", base, "--api-format", "serve"])
        .args(["--api-timeout", &TIMEOUT_S.to_string(), "--api-backoff", "0.05"])
        .args(args)
        .output()
        .unwrap()
}

struct Setup {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    data: std::path::PathBuf,
    /// The samples in run order (live/ then spoof/print/, by name).
    names: Vec<String>,
    server: Server,
}

fn setup() -> Option<Setup> {
    let (Some(models), Some(_)) = (shared("models"), shared("datasets/nuaa-train")) else { return None };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let data = dir.join("data");
    nuaa_subset(&data, 6);
    let mut names: Vec<String> = image_names(&data).into_values().collect();
    names.sort();
    assert_eq!(names.len(), 12);
    let server = Server::start(&[], &models);
    Some(Setup { _tmp: tmp, dir, data, names, server })
}

#[test]
fn faults_are_retried_counted_and_exhausted_requests_are_api_errors() {
    let Some(s) = setup() else { return };
    // The reference: the same API, no faults.
    let clean = s.dir.join("clean");
    let pass = Front::start(Some(&s.server.base), image_names(&s.data), Box::new(|_, _| Fault::Pass));
    let c = eval_api(&s.data, &clean, &pass.base, &["-j", "4"]);
    assert!(matches!(c.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&c.stderr));
    let clean_reasons = reasons(&clean);
    assert!(clean_reasons.values().all(String::is_empty), "the clean run has non-responses: {clean_reasons:?}");

    // Seven of the twelve images meet a fault; the first answers (positions 0, 2, 4, 6) are clean, so the
    // mapping is proven before an unreadable answer can come (a cut JSON at the last attempt is a row).
    let n = |i: usize| s.names[i].clone();
    let schedule: BTreeMap<String, (Fault, bool)> = [
        (n(1), (Fault::Status(429, Some(1)), false)),
        (n(3), (Fault::Status(500, None), false)),
        (n(5), (Fault::Hang(Duration::from_secs(TIMEOUT_S + 2)), false)),
        (n(7), (Fault::Malformed, false)),
        (n(8), (Fault::Status(500, None), true)),
        (n(9), (Fault::Status(429, Some(0)), true)),
        (n(11), (Fault::Malformed, true)),
    ]
    .into_iter()
    .collect();
    let rule = schedule.clone();
    let front = Front::start(
        Some(&s.server.base),
        image_names(&s.data),
        Box::new(move |name, attempt| match rule.get(name) {
            Some((fault, always)) if *always || attempt == 1 => fault.clone(),
            _ => Fault::Pass,
        }),
    );
    let out = s.dir.join("faults");
    let t = Instant::now();
    let f = eval_api(&s.data, &out, &front.base, &["-j", "4", "--api-retries", "2", "--api-retry-budget", "5"]);
    let stderr = String::from_utf8_lossy(&f.stderr);
    assert_eq!(f.status.code(), Some(3), "non-responses exit 3\n{stderr}");
    eprintln!("faulted run: {:.1} s", t.elapsed().as_secs_f64());

    // What the front received: 2 attempts of a recovered image, 1 + 2 retries of an exhausted one.
    let expected: BTreeMap<String, usize> = s
        .names
        .iter()
        .map(|name| (name.clone(), schedule.get(name).map_or(1, |(_, always)| if *always { 3 } else { 2 })))
        .collect();
    assert_eq!(front.received(), expected);
    let api = json(&out.join("api.json"));
    let counts = ["presentations", "attempts", "retried", "retries", "failed"].map(|k| api[k].as_u64().unwrap());
    assert_eq!(counts, [12, 22, 7, 10, 3], "{api:#}");
    assert_eq!(api["statuses"], serde_json::json!({"200": 10, "429": 1, "500": 1}), "{api:#}");
    assert_eq!(
        api["outcomes"],
        serde_json::json!({"ok": 9, "api_error:500": 1, "api_error:429": 1, "api_error:200:not_json": 1})
    );
    let md = std::fs::read_to_string(out.join("api.md")).unwrap();
    assert!(
        md.contains("12 presentations, 22 HTTP requests (10 retries over 7 presentations), 3 failed after retries."),
        "{md}"
    );
    assert!(md.contains("| api\\_error:500 | 1 | 8.33% |"), "{md}");
    assert!(stderr.contains("API: 12 presentations, 22 requests, 10 retries, 3 failed"), "{stderr}");

    // Exhausted requests are non-responses with their status; every other row is the clean run's, bit for
    // bit (the scores come from the real models behind the front).
    let got = reasons(&out);
    for (name, (fault, always)) in &schedule {
        let want = match (always, fault) {
            (false, _) => "",
            (true, Fault::Status(code, _)) => &format!("api_error:{code}"),
            (true, _) => "api_error:200:not_json",
        };
        assert_eq!(got[name], want, "{name}");
    }
    let (faulted, reference) = (rows_by_path(&out), rows_by_path(&clean));
    for name in s.names.iter().filter(|n| !schedule.get(*n).is_some_and(|(_, always)| *always)) {
        assert_eq!(faulted[name], reference[name], "{name}");
    }
    // The log tells each attempt: the hung one as a timeout, then the 200.
    let log = std::fs::read_to_string(out.join("responses.jsonl")).unwrap();
    let hung: Value =
        log.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|v| v["path"] == n(5)).unwrap();
    assert_eq!(hung["tries"][0]["error"], "api_error:timeout", "{hung}");
    assert_eq!((hung["tries"][1]["status"].as_u64(), hung["status"].as_u64()), (Some(200), Some(200)));
    assert!(hung["tries"][0]["ms"].as_f64().unwrap() >= TIMEOUT_S as f64 * 1000.0 - 50.0, "{hung}");
    // The 429 waited the Retry-After second before its retry.
    let limited: Value =
        log.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|v| v["path"] == n(1)).unwrap();
    assert!(limited["elapsed_ms"].as_f64().unwrap() >= 1000.0, "{limited}");
}

#[test]
fn the_retry_budget_caps_the_whole_run() {
    let Some(s) = setup() else { return };
    // Every attack image answers 500, always: 6 × 3 retries wanted, the budget (at least 10) allows 10.
    let front = Front::start(
        Some(&s.server.base),
        image_names(&s.data),
        Box::new(|name, _| if name.starts_with("spoof/") { Fault::Status(500, None) } else { Fault::Pass }),
    );
    let out = s.dir.join("budget");
    let r = eval_api(&s.data, &out, &front.base, &["-j", "3", "--api-retries", "3", "--api-retry-budget", "0"]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(3), "{stderr}");
    assert_eq!(front.total(), 12 + 10);
    assert!(front.received().iter().all(|(n, k)| if n.starts_with("live/") { *k == 1 } else { (1..=4).contains(k) }));
    let api = json(&out.join("api.json"));
    let counts = ["presentations", "attempts", "retries", "failed"].map(|k| api[k].as_u64().unwrap());
    assert_eq!(counts, [12, 22, 10, 6], "{api:#}");
    assert_eq!(api["outcomes"], serde_json::json!({"ok": 6, "api_error:500": 6}));
}

#[test]
fn a_killed_run_resumes_without_sending_any_answered_image_again() {
    let Some(s) = setup() else { return };
    let front = Front::start(
        Some(&s.server.base),
        image_names(&s.data),
        Box::new(|_, _| Fault::Slow(Duration::from_millis(300))),
    );
    let out = s.dir.join("killed");
    let log = out.join("responses.jsonl");
    let args: Vec<String> = ["eval", s.data.to_str().unwrap(), "--out", out.to_str().unwrap(), "--model", "silentface"]
        .into_iter()
        .chain(["--api", &front.base, "--api-format", "serve", "-j", "2"])
        .map(str::to_owned)
        .collect();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("liveness"))
        .env("LIVENESS_MODELS", shared("models").unwrap())
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines = |p: &Path| std::fs::read_to_string(p).map(|t| t.lines().count()).unwrap_or(0);
    let t = Instant::now();
    while lines(&log) < 4 && t.elapsed() < Duration::from_secs(120) && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let answered: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| v["path"].as_str().unwrap().to_owned())
        .collect();
    assert!((4..12).contains(&answered.len()), "killed mid-run: {} answers logged", answered.len());
    let before = front.total();

    front.set_rule(Box::new(|_, _| Fault::Pass));
    let r = liveness().args(&args).arg("--resume").output().unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(matches!(r.status.code(), Some(0 | 3)), "{stderr}");
    let got = front.received();
    for name in &answered {
        assert_eq!(got[name], 1, "{name} was answered before the kill and sent again");
    }
    // Only what was in flight at the kill (at most one per connection) is sent twice.
    assert!(front.total() - 12 <= 2 && before <= answered.len() + 2, "{got:?}");
    assert_eq!(got.len(), 12);
    // The resumed run is the uninterrupted one: every row, and one log line per image.
    let clean = s.dir.join("clean");
    let c = eval_api(&s.data, &clean, &s.server.base, &["-j", "2"]);
    assert!(matches!(c.status.code(), Some(0 | 3)));
    assert_eq!(std::fs::read(out.join("scores.csv")).unwrap(), std::fs::read(clean.join("scores.csv")).unwrap());
    let api = json(&out.join("api.json"));
    assert_eq!((api["presentations"].as_u64(), api["failed"].as_u64()), (Some(12), Some(0)), "{api:#}");
}
