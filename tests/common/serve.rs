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

/// A PNG of one grey level: a valid image without a face.
pub fn blank_png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(96, 96, image::Rgb([128, 128, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
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

/// The served OpenAPI document.
pub fn openapi(server: &Server) -> Value {
    let (status, text) = server.get("/openapi.json", None);
    assert_eq!(status, 200);
    serde_json::from_str(&text).unwrap()
}

/// Checks `value` against the JSON schema of the response `status` of `method path` in the OpenAPI
/// document: the subset of JSON Schema the document uses ($ref, type, const, enum, required, properties,
/// additionalProperties, items, minItems/maxItems, minimum/maximum, oneOf). Panics naming every mismatch.
pub fn assert_matches_openapi(doc: &Value, path: &str, method: &str, status: u16, value: &Value) {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "no {method} {path} in the OpenAPI document");
    let response = &op["responses"][status.to_string()];
    assert!(response.is_object(), "{method} {path} answered {status}, which the document does not list");
    let schema = &response["content"]["application/json"]["schema"];
    let mut problems = Vec::new();
    check(doc, schema, value, "$", &mut problems);
    assert!(
        problems.is_empty(),
        "{method} {path} {status} does not match the document:\n{}\n{value}",
        problems.join("\n")
    );
}

fn check(doc: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let target = r.trim_start_matches("#/").split('/').fold(doc, |d, k| &d[k]);
        assert!(!target.is_null(), "dangling $ref {r}");
        return check(doc, target, v, at, out);
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let fits = options
            .iter()
            .filter(|s| {
                let mut p = Vec::new();
                check(doc, s, v, at, &mut p);
                p.is_empty()
            })
            .count();
        if fits != 1 {
            out.push(format!("{at}: matches {fits} of the oneOf alternatives"));
        }
        return;
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        out.push(format!("{at}: {v} is not {c}"));
    }
    if let Some(e) = schema["enum"].as_array()
        && !e.contains(v)
    {
        out.push(format!("{at}: {v} is not one of {e:?}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let is = |t: &str| match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_u64() || v.is_i64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    };
    if !types.is_empty() && !types.iter().any(|t| is(t)) {
        out.push(format!("{at}: {v} is not of type {types:?}"));
        return;
    }
    if let Some(n) = v.as_f64()
        && (schema["minimum"].as_f64().is_some_and(|m| n < m) || schema["maximum"].as_f64().is_some_and(|m| n > m))
    {
        out.push(format!("{at}: {n} is out of range"));
    }
    if let Some(obj) = v.as_object() {
        for k in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !obj.contains_key(k) {
                out.push(format!("{at}: required field {k} is missing"));
            }
        }
        let props = schema["properties"].as_object();
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(doc, s, val, &format!("{at}.{k}"), out),
                None => match &schema["additionalProperties"] {
                    Value::Bool(false) => out.push(format!("{at}: field {k} is not in the document")),
                    s if s.is_object() => check(doc, s, val, &format!("{at}.{k}"), out),
                    _ => {}
                },
            }
        }
    }
    if let Some(items) = v.as_array() {
        let n = items.len() as u64;
        if schema["minItems"].as_u64().is_some_and(|m| n < m) || schema["maxItems"].as_u64().is_some_and(|m| n > m) {
            out.push(format!("{at}: {n} items"));
        }
        if schema["items"].is_object() {
            for (i, item) in items.iter().enumerate() {
                check(doc, &schema["items"], item, &format!("{at}[{i}]"), out);
            }
        }
    }
}
