//! A fault-injecting HTTP/1.1 front on loopback, in front of a real `liveness serve` (the scores come from
//! the real models): it tells the images apart by their bytes (the serve preset sends the image as the
//! body), counts what it received of each, and answers each request as the test's rule says for that
//! image and attempt: passed on, a status (429 with `Retry-After`, 500), a hang beyond the client's
//! timeout, or a 200 whose JSON is cut.
#![allow(dead_code)] // each API test file uses a different subset

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// What the front does with one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Passed on to the real server.
    Pass,
    /// Passed on after this long (a slow API, to kill the client mid-run).
    Slow(Duration),
    /// This status with a JSON error body, and `Retry-After: s` when given.
    Status(u16, Option<u32>),
    /// No answer for this long, then the connection is closed.
    Hang(Duration),
    /// A 200 whose JSON body is cut short.
    Malformed,
    /// A 200 with an HTML page (a captive portal, a login page).
    Html,
}

/// The rule: image name (`?` for bytes the test did not list) and attempt (1-based) to a fault.
pub type Rule = Box<dyn Fn(&str, usize) -> Fault + Send + Sync>;

struct State {
    upstream: Option<String>,
    names: HashMap<Vec<u8>, String>,
    rule: RwLock<Rule>,
    received: Mutex<BTreeMap<String, usize>>,
    stop: AtomicBool,
}

pub struct Front {
    pub base: String,
    state: Arc<State>,
}

impl Front {
    /// Listens on a free loopback port; `upstream` is the real server's base URL (`None`: every request
    /// the rule passes on answers 502). `names` maps image bytes to the names the rule and counts use.
    pub fn start(upstream: Option<&str>, names: HashMap<Vec<u8>, String>, rule: Rule) -> Front {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            upstream: upstream.map(str::to_owned),
            names,
            rule: RwLock::new(rule),
            received: Mutex::new(BTreeMap::new()),
            stop: AtomicBool::new(false),
        });
        let s = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || connection(conn, &s));
            }
        });
        Front { base, state }
    }

    /// Replaces the rule (requests already in flight keep the old one).
    pub fn set_rule(&self, rule: Rule) {
        *self.state.rule.write().unwrap() = rule;
    }

    /// POSTs received per image name (GETs are not counted).
    pub fn received(&self) -> BTreeMap<String, usize> {
        self.state.received.lock().unwrap().clone()
    }

    pub fn total(&self) -> usize {
        self.received().values().sum()
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.base.trim_start_matches("http://")); // wakes the accept loop
    }
}

/// Every image file under `root` (symlinks followed): its bytes -> its path under `root`, `/`-separated.
pub fn image_names(root: &Path) -> HashMap<Vec<u8>, String> {
    fn walk(dir: &Path, root: &Path, out: &mut HashMap<Vec<u8>, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(std::fs::read(&p).unwrap(), rel);
            }
        }
    }
    let mut out = HashMap::new();
    walk(root, root, &mut out);
    out
}

/// One request as read off the connection.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(r: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len = headers.iter().find(|(k, _)| k == "content-length").map_or(0, |(_, v)| v.parse().unwrap_or(0));
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request { method, path, headers, body })
}

/// Keep-alive: requests are answered one after another until the client closes (or a hang ends it).
fn connection(conn: TcpStream, s: &State) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    while let Some(req) = read_request(&mut reader) {
        let fault = if req.method == "POST" {
            let name = s.names.get(&req.body).cloned().unwrap_or_else(|| "?".to_owned());
            let attempt = {
                let mut got = s.received.lock().unwrap();
                let n = got.entry(name.clone()).or_insert(0);
                *n += 1;
                *n
            };
            (s.rule.read().unwrap())(&name, attempt)
        } else {
            Fault::Pass
        };
        let (status, content_type, body, retry_after) = match fault {
            Fault::Pass => forward(s, &req),
            Fault::Slow(d) => {
                std::thread::sleep(d);
                forward(s, &req)
            }
            Fault::Status(status, retry_after) => {
                let body = format!(r#"{{"message":"injected {status}"}}"#);
                (status, "application/json".to_owned(), body.into_bytes(), retry_after)
            }
            Fault::Hang(d) => {
                std::thread::sleep(d);
                return;
            }
            Fault::Malformed => (200, "application/json".to_owned(), br#"{"live_probability": 0.9"#.to_vec(), None),
            Fault::Html => (200, "text/html".to_owned(), b"<html><body>Please log in</body></html>".to_vec(), None),
        };
        let mut head =
            format!("HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n", body.len());
        if let Some(s) = retry_after {
            head += &format!("Retry-After: {s}\r\n");
        }
        head += "\r\n";
        if out.write_all(head.as_bytes()).and_then(|()| out.write_all(&body)).and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

/// The real server's answer to the same request.
fn forward(s: &State, req: &Request) -> (u16, String, Vec<u8>, Option<u32>) {
    let Some(up) = &s.upstream else {
        return (502, "application/json".to_owned(), br#"{"error":"no upstream"}"#.to_vec(), None);
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let url = format!("{up}{}", req.path);
    let header = |k: &str| req.headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
    let answer = if req.method == "POST" {
        let mut r = agent.post(&url);
        for k in ["content-type", "authorization"] {
            if let Some(v) = header(k) {
                r = r.header(k, v);
            }
        }
        r.send(&req.body[..])
    } else {
        agent.get(&url).call()
    };
    match answer {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            (status, ct, resp.body_mut().read_to_vec().unwrap_or_default(), None)
        }
        Err(e) => (502, "text/plain".to_owned(), format!("upstream: {e}").into_bytes(), None),
    }
}
