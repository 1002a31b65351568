//! The server's guards over real HTTP on loopback: bearer-token auth, the loopback-only rule, slow and idle
//! clients, the in-flight limit, the request timeout, a decompression bomb, graceful shutdown, and metrics
//! and audit lines that count what was sent. Each refusal is JSON with its code and the server keeps serving.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::serve::Server;
use serde_json::Value;

const FACE: &str = "ClientRaw/0001/0001_00_00_01_0.jpg";

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// Sends `head` (and `body`) on a fresh connection without finishing the request.
fn partial(server: &Server, head: &str, body: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr(server)).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    s.flush().unwrap();
    s
}

/// Everything the server sends until it closes the connection (or `limit` passes).
fn read_all(s: &mut TcpStream, limit: Duration) -> String {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn bearer_tokens_guard_v1_and_metrics_but_not_health() {
    let Some(models) = common::shared("models") else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = "3f1c2a9b7d6e5f4a3b2c1d0e9f8a7b6c";
    std::fs::write(dir.path().join("token"), format!("{token}\n")).unwrap();
    let token_file = dir.path().join("token");
    let server = Server::start(&["--token-file", token_file.to_str().unwrap()], &models);
    let jpeg = std::fs::read(common::shared("datasets/nuaa-train").unwrap().join(FACE)).unwrap();
    let (status, e) = server.post("/v1/liveness", "image/jpeg", &jpeg, None);
    assert_eq!((status, e["error"]["code"].as_str()), (401, Some("missing_token")), "{e}");
    let (status, e) = server.post("/v1/liveness", "image/jpeg", &jpeg, Some("3f1c2a9b7d6e5f4a3b2c1d0e9f8a7b6d"));
    assert_eq!((status, e["error"]["code"].as_str()), (401, Some("invalid_token")), "{e}");
    let (status, e) = server.post("/v1/liveness", "image/jpeg", &jpeg, Some("short"));
    assert_eq!((status, e["error"]["code"].as_str()), (401, Some("invalid_token")), "{e}");
    let (status, ok) = server.post("/v1/liveness", "image/jpeg", &jpeg, Some(token));
    assert_eq!((status, ok["decision"].as_str()), (200, Some("live")), "{ok}");
    assert_eq!(server.get("/metrics", None).0, 401);
    assert_eq!(server.get("/metrics", Some(token)).0, 200);
    assert_eq!(server.get("/healthz", None).0, 200);
    assert_eq!(server.get("/readyz", None).0, 200);
    // Without a token, a non-loopback address is refused before anything loads.
    let out = common::liveness().args(["serve", "--addr", "0.0.0.0:0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--insecure-bind-any"), "{out:?}");
}

#[test]
fn slow_and_idle_clients_do_not_stop_others_and_limits_answer_503_with_retry_after() {
    let (Some(models), Some(nuaa)) = (common::shared("models"), common::shared("datasets/nuaa-train")) else { return };
    let server = Server::start(&["--header-timeout", "1", "--request-timeout", "2", "--max-in-flight", "2"], &models);
    let jpeg = std::fs::read(nuaa.join(FACE)).unwrap();
    // Slowloris: headers never finished; the server closes the connection after --header-timeout.
    let t = Instant::now();
    let mut slow = partial(&server, "POST /v1/liveness HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n", b"");
    let answer = read_all(&mut slow, Duration::from_secs(10));
    let waited = t.elapsed();
    assert!(waited < Duration::from_secs(5), "slow headers held for {waited:?}: {answer:?}");
    // 500 idle connections (each sends nothing); another client is still served.
    let idle: Vec<TcpStream> = (0..500).map(|_| TcpStream::connect(addr(&server)).unwrap()).collect();
    let (status, ok) = server.post("/v1/liveness", "image/jpeg", &jpeg, None);
    assert_eq!((status, ok["decision"].as_str()), (200, Some("live")), "{ok}");
    drop(idle);
    // Two requests stuck sending their bodies take both in-flight slots: a third is refused at once.
    let head = format!(
        "POST /v1/liveness HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
        jpeg.len()
    );
    let mut stuck: Vec<TcpStream> = (0..2).map(|_| partial(&server, &head, &jpeg[..100])).collect();
    std::thread::sleep(Duration::from_millis(300));
    let (status, e) = server.post("/v1/liveness", "image/jpeg", &jpeg, None);
    assert_eq!((status, e["error"]["code"].as_str()), (503, Some("overloaded")), "{e}");
    // ... and the stuck ones are answered 503 `timeout` after --request-timeout.
    for s in &mut stuck {
        let answer = read_all(s, Duration::from_secs(10));
        assert!(answer.starts_with("HTTP/1.1 503") && answer.contains("\"timeout\""), "{answer}");
        assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
    }
    let (status, _) = server.post("/v1/liveness", "image/jpeg", &jpeg, None);
    assert_eq!(status, 200);
}

/// A PNG whose header claims `w` x `h` pixels, with almost no data.
fn bomb_png(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn a_decompression_bomb_is_refused_before_its_pixels_exist() {
    let Some(models) = common::shared("models") else { return };
    let server = Server::start(&[], &models);
    let bomb = bomb_png(60_000, 60_000);
    assert!(bomb.len() < 100);
    let before = rss_kb(server.pid());
    for _ in 0..5 {
        let (status, e) = server.post("/v1/liveness", "image/png", &bomb, None);
        assert_eq!((status, e["error"]["code"].as_str()), (422, Some("too_large")), "{e}");
    }
    let after = rss_kb(server.pid());
    // 3.6 gigapixels would be 10 GB of RGB; the server grew by less than 50 MB.
    assert!(after < before + 50_000, "RSS {before} kB -> {after} kB");
}

#[test]
fn sigterm_finishes_the_request_in_flight_and_metrics_and_audit_count_every_request() {
    let (Some(models), Some(nuaa)) = (common::shared("models"), common::shared("datasets/nuaa-train")) else { return };
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let mut server = Server::start(&["--policy", "onboarding", "--audit-log", audit.to_str().unwrap()], &models);
    let files = ["ClientRaw/0001/0001_00_00_01_0.jpg", "ImposterRaw/0001/0001_00_00_01_0.jpg"];
    let mut sent = 0;
    for _ in 0..3 {
        for f in files {
            let (status, _) = server.post("/v1/liveness", "image/jpeg", &std::fs::read(nuaa.join(f)).unwrap(), None);
            assert_eq!(status, 200);
            sent += 1;
        }
    }
    let (_, metrics) = server.get("/metrics", None);
    let value = |prefix: &str| -> u64 {
        metrics
            .lines()
            .filter(|l| l.starts_with(prefix))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(value("liveness_http_requests_total{endpoint=\"/v1/liveness\",status=\"200\"}"), sent, "{metrics}");
    assert_eq!(value("liveness_decisions_total{policy=\"onboarding\""), sent, "{metrics}");
    assert_eq!(value("liveness_decisions_total{policy=\"onboarding\",decision=\"attack\""), sent / 2, "{metrics}");
    assert_eq!(value("liveness_live_probability_count{policy=\"onboarding\"}"), sent, "{metrics}");

    // A request still sending its body when SIGTERM arrives is finished and answered.
    let jpeg = std::fs::read(nuaa.join(FACE)).unwrap();
    let head = format!(
        "POST /v1/liveness HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n",
        jpeg.len()
    );
    let mut inflight = partial(&server, &head, &jpeg[..1000]);
    std::thread::sleep(Duration::from_millis(200));
    let killed = std::process::Command::new("kill").args(["-TERM", &server.pid().to_string()]).status().unwrap();
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(300));
    // The listener is closed: new connections are refused.
    assert!(TcpStream::connect(addr(&server)).is_err(), "still accepting after SIGTERM");
    inflight.write_all(&jpeg[1000..]).unwrap();
    let answer = read_all(&mut inflight, Duration::from_secs(20));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["decision"], "live");
    let status = server.wait_exit(Duration::from_secs(20)).expect("the server exits after draining");
    assert!(status.success(), "{status:?}\n{}", server.log_text());
    // Every decision is in the audit log, with the model's sha256.
    let lines: Vec<Value> =
        std::fs::read_to_string(&audit).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), sent as usize + 1);
    assert!(lines.iter().all(|l| l["policy"] == "onboarding" && l["model"]["members"][0]["sha256"].as_str().is_some()));
    assert_eq!(lines.iter().filter(|l| l["decision"] == "attack").count(), sent as usize / 2);
    // The request log is JSON lines without image bytes.
    let log = server.log_text();
    let requests = log.lines().filter(|l| l.contains("\"event\":\"request\"")).count();
    assert!(requests as u64 > sent, "{log}");
    assert!(log.lines().all(|l| serde_json::from_str::<Value>(l).is_ok() && l.len() < 2000), "{log}");
}
