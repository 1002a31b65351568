//! A real `liveness serve` on a free loopback port, and a real HTTP client (ureq) to talk to it.
#![allow(dead_code)] // each serve test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Server {
    child: Child,
    pub base: String,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

/// A port nobody listens on now (the OS picks it; the server binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Server {
    /// Starts `liveness serve --addr 127.0.0.1:PORT ARGS` on the shared models and waits until /readyz
    /// answers 200 (panics with the server's log after 60 s).
    pub fn start(args: &[&str], models: &Path) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let port = free_port();
        let child = Command::new(assert_cmd::cargo::cargo_bin("liveness"))
            .env("LIVENESS_MODELS", models)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .arg("serve")
            .args(["--addr", &format!("127.0.0.1:{port}"), "--workers", "2"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("liveness serve starts");
        let mut s = Server { child, base: format!("http://127.0.0.1:{port}"), log, _dir: dir };
        let t = Instant::now();
        loop {
            if let Ok((200, _)) = s.try_get("/readyz", None) {
                return s;
            }
            if t.elapsed() > Duration::from_secs(60) || s.child.try_wait().unwrap().is_some() {
                panic!("the server did not become ready; its log:\n{}", s.log_text());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit (after a signal), at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let t = Instant::now();
        while t.elapsed() < limit {
            if let Some(st) = self.child.try_wait().unwrap() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn try_get(&self, path: &str, token: Option<&str>) -> Result<(u16, String), ureq::Error> {
        let mut req = agent().get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut resp = req.call()?;
        Ok((resp.status().as_u16(), resp.body_mut().read_to_string()?))
    }

    /// GET: status and body text.
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        self.try_get(path, token).unwrap_or_else(|e| panic!("GET {path}: {e}\n{}", self.log_text()))
    }

    /// POST `body` with `content_type`: status and body as JSON.
    pub fn post(&self, path: &str, content_type: &str, body: &[u8], token: Option<&str>) -> (u16, Value) {
        let mut req = agent().post(format!("{}{path}", self.base)).header("Content-Type", content_type);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let mut resp = req.send(body).unwrap_or_else(|e| panic!("POST {path}: {e}\n{}", self.log_text()));
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} answered non-JSON {text:?}: {e}")))
    }

    pub fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post(path, "application/json", body.to_string().as_bytes(), None)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .new_agent()
}

/// A multipart/form-data body of `(name, file name, bytes)` parts (file name `None`: a text field).
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "liveness-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: image/jpeg\r\n\r\n")
                    .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `liveness ARGS` (stdout as JSON Lines) on the shared models.
pub fn cli_json_lines(models: &Path, args: &[&std::ffi::OsStr]) -> Vec<Value> {
    let out = Command::new(assert_cmd::cargo::cargo_bin("liveness"))
        .env("LIVENESS_MODELS", models)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c == 0 || c == 3), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}
