//! Real headless Chromium driven over the DevTools protocol (CDP), with a fake camera playing a y4m file
//! built at test time from real frames.
//!
//! The client is a plain WebSocket (tungstenite) carrying CDP's JSON: one connection to the browser, one
//! page attached in flattened mode (its commands carry a `sessionId`). Commands wait for their answer;
//! events that arrive meanwhile are kept for [`Page::wait_event`].
#![allow(dead_code)] // each browser test uses a different subset

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// The Chromium binary: `$CHROMIUM`, else `/usr/bin/chromium` (Debian's `chromium` package, which
/// `scripts/setup.sh` installs). A missing browser fails the test with the fix; it never skips silently.
/// `LIVENESS_NO_BROWSER=1` skips on purpose (printed), for a machine that cannot run one.
pub fn chromium() -> Option<PathBuf> {
    if std::env::var_os("LIVENESS_NO_BROWSER").is_some_and(|v| v == "1") {
        eprintln!("SKIPPED: LIVENESS_NO_BROWSER=1 (the capture page is not tested in a browser)");
        return None;
    }
    let p = std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        p.is_file(),
        "{} not found: the capture page is tested in real Chromium; run `bash scripts/setup.sh` (it installs \
         Debian's chromium), or set CHROMIUM=/path/to/chromium (LIVENESS_NO_BROWSER=1 skips these tests)",
        p.display()
    );
    Some(p)
}

/// How the fake camera answers `getUserMedia`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Camera {
    /// Permission granted without a prompt; frames from the y4m file.
    Allowed,
    /// The permission is refused (as a user pressing "Block").
    Denied,
}

pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    next_id: u64,
    /// Events received while waiting for a command's answer.
    events: VecDeque<Value>,
    _profile: tempfile::TempDir,
    log: mpsc::Receiver<String>,
}

impl Browser {
    /// Starts headless Chromium with a fake camera playing `video` (a y4m file).
    pub fn launch(binary: &Path, video: &Path, camera: Camera) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(binary);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--mute-audio",
            "--hide-scrollbars",
            "--window-size=720,1000",
            "--remote-debugging-port=0",
            "--use-fake-device-for-media-stream",
        ])
        .arg(format!("--use-file-for-fake-video-capture={}", video.display()))
        .arg(format!("--user-data-dir={}", profile.path().display()));
        if camera == Camera::Allowed {
            cmd.arg("--use-fake-ui-for-media-stream");
        }
        cmd.arg("about:blank");
        // Debian's /usr/bin/chromium is a shell script that starts the browser as its child: the browser and
        // its helpers get a process group of their own, which Drop ends as a whole.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        // Chromium prints its DevTools address on stderr; the rest of its log is kept for failure messages.
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let t = Instant::now();
        let mut seen = Vec::new();
        let url = loop {
            match rx.recv_timeout(Duration::from_secs(30).saturating_sub(t.elapsed())) {
                Ok(line) => match line.split_once("DevTools listening on ") {
                    Some((_, url)) => break url.trim().to_string(),
                    None => seen.push(line),
                },
                Err(_) => panic!("Chromium did not start its DevTools endpoint in 30 s; it said:\n{}", seen.join("\n")),
            }
        };
        let addr = url.trim_start_matches("ws://").split('/').next().unwrap().to_string();
        let stream = TcpStream::connect(&addr).unwrap();
        // The handshake blocks (a busy machine may take a while); reads poll afterwards, so events can be
        // waited for with a deadline.
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let (ws, _) = tungstenite::client::client(url.as_str(), stream).expect("CDP WebSocket handshake");
        ws.get_ref().set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        Browser { child, ws, next_id: 1, events: VecDeque::new(), _profile: profile, log: rx }
    }

    /// A new tab, attached.
    pub fn page(&mut self) -> Page<'_> {
        let target = self.send(None, "Target.createTarget", json!({"url": "about:blank"}))["targetId"].clone();
        let session =
            self.send(None, "Target.attachToTarget", json!({"targetId": target, "flatten": true}))["sessionId"].clone();
        let mut page = Page { browser: self, session: session.as_str().unwrap().to_string() };
        for domain in ["Page.enable", "Runtime.enable"] {
            page.call(domain, json!({}));
        }
        page
    }

    /// Sends a command and waits for its answer (60 s at most); a CDP error panics with its message.
    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap_or_else(|e| panic!("CDP {method}: {e}"));
        let t = Instant::now();
        loop {
            assert!(t.elapsed() < Duration::from_secs(60), "CDP {method}: no answer in 60 s");
            let Some(m) = self.read() else { continue };
            if m["id"] == id {
                if let Some(e) = m.get("error") {
                    panic!("CDP {method} failed: {e}");
                }
                return m["result"].clone();
            }
            if m.get("method").is_some() {
                self.events.push_back(m);
            }
        }
    }

    /// The next message, or `None` after the socket's read timeout.
    fn read(&mut self) -> Option<Value> {
        match self.ws.read() {
            Ok(Message::Text(t)) => Some(parse(t.as_str())),
            Ok(_) => None,
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
            {
                None
            }
            Err(e) => panic!("the CDP connection failed: {e}\nChromium's log:\n{}", self.log_text()),
        }
    }

    fn log_text(&self) -> String {
        self.log.try_iter().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group this struct started; no memory is involved.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CDP message. Chromium writes the bytes of a binary request body (`Fetch.requestPaused`'s `postData`)
/// as UTF-16 escapes, lone surrogates included, which serde_json refuses: those become U+FFFD.
fn parse(text: &str) -> Value {
    if let Ok(v) = serde_json::from_str(text) {
        return v;
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        out.push(c);
        if c != '\\' {
            continue;
        }
        let escape = text.get(i + 1..i + 6).unwrap_or("");
        let surrogate = escape.starts_with('u')
            && u16::from_str_radix(&escape[1..], 16).is_ok_and(|u| (0xD800..=0xDFFF).contains(&u));
        if surrogate {
            out.push_str("ufffd");
            chars.nth(4);
        } else if let Some((_, next)) = chars.next() {
            out.push(next);
        }
    }
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("CDP sent a message that is not JSON ({e})"))
}

/// One tab.
pub struct Page<'b> {
    browser: &'b mut Browser,
    session: String,
}

impl Page<'_> {
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let s = self.session.clone();
        self.browser.send(Some(&s), method, params)
    }

    /// A command to the browser itself (not this tab): `Browser.setPermission`, ...
    pub fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.browser.send(None, method, params)
    }

    /// Loads `url` afresh and waits for its load event (through `about:blank`, so that a link differing
    /// from the current page only in its fragment is a new load, not a same-document navigation).
    pub fn goto(&mut self, url: &str) {
        for u in ["about:blank", url] {
            self.call("Page.navigate", json!({"url": u}));
            self.wait_event("Page.loadEventFired", Duration::from_secs(30));
        }
    }

    /// The value of a JavaScript expression (promises awaited); an exception panics with its text.
    pub fn eval(&mut self, expr: &str) -> Value {
        let r = self.call("Runtime.evaluate", json!({"expression": expr, "returnByValue": true, "awaitPromise": true}));
        if let Some(e) = r.get("exceptionDetails") {
            panic!("{expr}: {e}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `expr` is truthy (polling every 100 ms) and returns its value; panics after `limit`
    /// with `describe` evaluated (what the page shows).
    pub fn wait_for(&mut self, expr: &str, limit: Duration) -> Value {
        let t = Instant::now();
        loop {
            let v = self.eval(expr);
            if !(v.is_null() || v == false || v == "" || v == 0) {
                return v;
            }
            if t.elapsed() > limit {
                let shown = self.eval(DESCRIBE);
                panic!("waited {limit:?} for `{expr}`; the page shows: {shown}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The next event named `method` (kept or newly read), within `limit`.
    pub fn wait_event(&mut self, method: &str, limit: Duration) -> Value {
        let t = Instant::now();
        loop {
            if let Some(i) = self.browser.events.iter().position(|e| e["method"] == method) {
                return self.browser.events.remove(i).unwrap();
            }
            assert!(t.elapsed() < limit, "no {method} event in {limit:?}");
            if let Some(m) = self.browser.read()
                && m.get("method").is_some()
            {
                self.browser.events.push_back(m);
            }
        }
    }

    /// A key press as the keyboard sends it (keyDown with its text, keyUp): `Tab`, `Enter`, `Space`, or a
    /// character.
    pub fn key(&mut self, key: &str) {
        let (code, text, vk) = match key {
            "Tab" => ("Tab", "", 9),
            "Enter" => ("Enter", "\r", 13),
            "Space" => ("Space", " ", 32),
            "ArrowDown" => ("ArrowDown", "", 40),
            c => ("", c, 0),
        };
        let name = if key == "Space" { " " } else { key };
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyDown", "key": name, "code": code, "text": text, "windowsVirtualKeyCode": vk}),
        );
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": name, "code": code, "windowsVirtualKeyCode": vk}),
        );
    }

    /// Tab until the element `#id` has the focus (at most 20 presses), the way a keyboard user gets there.
    pub fn tab_to(&mut self, id: &str) {
        for _ in 0..20 {
            if self.eval("document.activeElement && document.activeElement.id") == id {
                return;
            }
            self.key("Tab");
        }
        panic!("#{id} never took the focus by Tab; the page shows: {}", self.eval(DESCRIBE));
    }

    /// Types `text` into the focused field, one key at a time.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.call("Input.dispatchKeyEvent", json!({"type": "char", "text": c.to_string()}));
        }
    }

    /// A PNG of the page as shown (its content's height, at 0.8 scale to keep the file small), into
    /// `dir/name.png`.
    pub fn screenshot(&mut self, dir: &Path, name: &str) {
        let size = self.eval("[document.documentElement.clientWidth, document.documentElement.scrollHeight]");
        let clip = json!({"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 0.8});
        let r =
            self.call("Page.captureScreenshot", json!({"format": "png", "clip": clip, "captureBeyondViewport": true}));
        let png =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, r["data"].as_str().unwrap()).unwrap();
        std::fs::create_dir_all(dir).unwrap();
        std::fs::File::create(dir.join(format!("{name}.png"))).unwrap().write_all(&png).unwrap();
    }
}

/// What the page shows, for failure messages.
const DESCRIBE: &str = "JSON.stringify({message: document.getElementById('message').textContent, \
    outcome: document.getElementById('result').dataset.outcome, code: document.getElementById('result').dataset.code, \
    result: document.getElementById('outcome').textContent, quality: document.getElementById('quality').textContent})";

/// Writes `frames` (all the same size, even sides) as a y4m video at `fps` frames per second: the text
/// header, then per frame `FRAME` and the I420 planes (BT.601 studio range, as a camera delivers them;
/// chroma averaged over each 2x2 block).
pub fn write_y4m(path: &Path, frames: &[image::RgbImage], fps: u32) {
    let (w, h) = frames[0].dimensions();
    assert!(w % 2 == 0 && h % 2 == 0, "I420 needs even sides");
    let mut out = Vec::with_capacity(frames.len() * (w * h * 3 / 2 + 6) as usize + 64);
    out.extend_from_slice(format!("YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n").as_bytes());
    for f in frames {
        assert_eq!(f.dimensions(), (w, h), "every frame of a y4m has the same size");
        out.extend_from_slice(b"FRAME\n");
        let px = |x: u32, y: u32| f.get_pixel(x, y).0.map(f64::from);
        for y in 0..h {
            for x in 0..w {
                let [r, g, b] = px(x, y);
                out.push((16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0).round().clamp(0.0, 255.0) as u8);
            }
        }
        let mut cb = Vec::with_capacity((w * h / 4) as usize);
        let mut cr = Vec::with_capacity((w * h / 4) as usize);
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                let mut sum = [0.0; 3];
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let p = px(x + dx, y + dy);
                    (0..3).for_each(|i| sum[i] += p[i] / 4.0);
                }
                let [r, g, b] = sum;
                cb.push((128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0).round().clamp(0.0, 255.0) as u8);
                cr.push((128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0).round().clamp(0.0, 255.0) as u8);
            }
        }
        out.extend_from_slice(&cb);
        out.extend_from_slice(&cr);
    }
    std::fs::write(path, out).unwrap();
}

/// A y4m of real image files, each shown for `hold` frames at `fps`.
pub fn y4m_of_files(path: &Path, files: &[PathBuf], fps: u32, hold: usize) {
    let mut frames = Vec::new();
    for f in files {
        let img = image::open(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())).to_rgb8();
        frames.extend(std::iter::repeat_n(img, hold));
    }
    write_y4m(path, &frames, fps);
}
