//! The capture page (`liveness serve`, `/`) in real headless Chromium with a fake camera playing y4m videos
//! built here from NUAA frames, against a real server with bearer-token auth on loopback. Everything is
//! read back from the page's DOM and compared with the server and the command line.
//!
//! - passive: a live sequence gets pass, a printed-photo sequence gets fail, keyboard only;
//! - active + collection: a session with challenges completes from the video; what the page shows equals
//!   `liveness session score` on the frames the page sent (collected by `--collect`), and the collected set
//!   round-trips through `liveness eval` and `session score --dataset` with the operator's labels; a
//!   replayed upload is refused and the page shows the kept result;
//! - active, blink only (the one prompt NUAA can answer): the live video passes, the photo fails;
//! - bad input: no token, an expired token, camera denied, no face in view, the connection lost
//!   mid-session (the session expires cleanly).
//!
//! `LIVENESS_SCREENSHOTS=DIR` keeps a PNG of each state there (docs/capture/ holds the reviewed ones).
//! Tests take a lock: one browser and one server at a time on a 2-core machine.

mod common;

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::browser::{Browser, Camera, Page, chromium, y4m_of_files};
use common::serve::{Server, blank_png, cli_json_lines};
use serde_json::{Value, json};

const API_TOKEN: &str = "capture-test-api-token-0123456789";
/// Subject 0007 live, blinking at picture 174 (tests/session.rs has the ground truth).
const LIVE: (&str, [u32; 10]) = ("ClientRaw/0007/0007_00_00_01_", [141, 145, 149, 152, 156, 160, 166, 174, 183, 188]);
/// A 1 s loop of the same sequence around the blink: any 9 frames the page captures (3 neutral, 6 for the
/// prompt) hold the closed eyes followed by open ones, wherever the capture starts in the loop.
const BLINK: (&str, [u32; 4]) = ("ClientRaw/0007/0007_00_00_01_", [149, 166, 174, 183]);
/// A printed photo of subject 0005.
const PHOTO: (&str, [u32; 4]) = ("ImposterRaw/0005/0005_00_03_02_", [153, 171, 248, 289]);
/// The fake camera's rate: each NUAA picture is one video frame, as the page captures every 250 ms.
const FPS: u32 = 4;
const WAIT: Duration = Duration::from_secs(60);

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

struct Rig {
    chromium: PathBuf,
    models: PathBuf,
    nuaa: PathBuf,
    tmp: tempfile::TempDir,
    server: Server,
}

/// Chromium (a missing one fails the test), the shared models and NUAA (absent: skipped, as every model
/// test), and a server with an API token.
fn rig(extra: &[&str]) -> Option<Rig> {
    let chromium = chromium()?;
    let (Some(models), Some(nuaa)) = (common::shared("models"), common::shared("datasets/nuaa-train")) else {
        return None;
    };
    let tmp = tempfile::tempdir().unwrap();
    let token = tmp.path().join("token");
    std::fs::write(&token, API_TOKEN).unwrap();
    let mut args = vec!["--token-file", token.to_str().unwrap(), "--policy", "default"];
    args.extend_from_slice(extra);
    let server = Server::start(&args, &models);
    Some(Rig { chromium, models, nuaa, tmp, server })
}

impl Rig {
    /// A y4m of the NUAA pictures `prefix{n}.jpg`.
    fn video(&self, name: &str, (prefix, numbers): (&str, &[u32])) -> PathBuf {
        let files: Vec<PathBuf> = numbers.iter().map(|n| self.nuaa.join(format!("{prefix}{n}.jpg"))).collect();
        let out = self.tmp.path().join(format!("{name}.y4m"));
        y4m_of_files(&out, &files, FPS, 1);
        out
    }

    /// A camera that sees no face: a plain grey wall.
    fn blank_video(&self) -> PathBuf {
        let out = self.tmp.path().join("blank.y4m");
        let grey = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
        common::browser::write_y4m(&out, &[grey], FPS);
        out
    }

    /// A capture link as the deployer's back end makes it: a page token from POST /v1/page-tokens.
    fn link(&self, ttl_s: Option<u64>) -> String {
        let body = ttl_s.map_or(json!({}), |t| json!({"ttl_s": t}));
        let (status, v) =
            self.server.post("/v1/page-tokens", "application/json", body.to_string().as_bytes(), Some(API_TOKEN));
        assert_eq!(status, 201, "{v}");
        assert!(!v["url"].as_str().unwrap().contains(API_TOKEN));
        format!("{}{}", self.server.base, v["url"].as_str().unwrap())
    }
}

/// Where screenshots go: `$LIVENESS_SCREENSHOTS`, else a temporary folder (they are still taken).
fn shots(rig: &Rig) -> PathBuf {
    std::env::var_os("LIVENESS_SCREENSHOTS").map_or_else(|| rig.tmp.path().join("shots"), PathBuf::from)
}

fn outcome(p: &mut Page) -> (String, String, String) {
    p.wait_for("document.getElementById('result').dataset.outcome", WAIT);
    let v = p.eval(
        "(() => { const r = document.getElementById('result'); \
         return [r.dataset.outcome, r.dataset.code || '', document.getElementById('outcome').textContent]; })()",
    );
    let s = |i: usize| v[i].as_str().unwrap().to_string();
    (s(0), s(1), s(2))
}

/// The result's fields as the page shows them: `data-field` -> `data-value`.
fn shown(p: &mut Page) -> Value {
    p.eval("Object.fromEntries([...document.querySelectorAll('#details dd')].map(d => [d.dataset.field, d.dataset.value]))")
}

fn number(v: &Value, k: &str) -> f64 {
    v[k].as_str().unwrap_or_else(|| panic!("{k} is not shown: {v}")).parse().unwrap()
}

/// Opens `link`, waits for the page to be ready and starts the camera with the keyboard.
fn open_with_camera(p: &mut Page, link: &str) {
    p.goto(link);
    p.wait_for("!document.getElementById('camera').disabled", WAIT);
    assert_eq!(p.eval("location.hash"), "", "the token leaves the address bar");
    assert_eq!(p.eval("document.activeElement.id"), "camera", "the page starts with the focus on its first step");
    p.key("Enter");
    p.wait_for("!document.getElementById('passive').disabled", WAIT);
}

/// Collection mode, keyboard only: the operator opens `link`, labels the next capture (bona fide, or an
/// attack of `species`), fills the metadata `fields` and starts the camera.
fn labelled_capture(p: &mut Page, link: &str, species: Option<&str>, fields: &[(&str, &str)]) {
    p.goto(link);
    p.wait_for("!document.getElementById('collect').hidden && !document.getElementById('camera').disabled", WAIT);
    p.tab_to("label");
    p.key("ArrowDown");
    if let Some(s) = species {
        p.key("ArrowDown");
        p.tab_to("attack-type");
        p.type_text(s);
    }
    let want = if species.is_some() { "attack" } else { "live" };
    assert_eq!(p.eval("document.getElementById('label').value"), want);
    for (id, text) in fields {
        p.tab_to(id);
        p.type_text(text);
    }
    p.tab_to("camera");
    p.key("Enter");
    p.wait_for("!document.getElementById('active').disabled", WAIT);
}

#[test]
fn passive_checks_pass_a_live_face_and_fail_a_printed_photo_keyboard_only() {
    let _one = serial();
    let Some(rig) = rig(&[]) else { return };
    let dir = shots(&rig);
    for (name, frames, want) in [("live", (LIVE.0, &LIVE.1[..]), "pass"), ("photo", (PHOTO.0, &PHOTO.1[..]), "fail")] {
        let video = rig.video(name, frames);
        let mut browser = Browser::launch(&rig.chromium, &video, Camera::Allowed);
        let mut p = browser.page();
        open_with_camera(&mut p, &rig.link(None));
        // Quality feedback from the server's gates before anything is captured.
        p.wait_for("document.getElementById('quality').dataset.ready === 'true'", WAIT);
        if name == "live" {
            p.screenshot(&dir, "01-ready");
        }
        p.tab_to("passive");
        p.key("Enter");
        let (got, code, text) = outcome(&mut p);
        assert_eq!(got, want, "{name}: {code} {text}");
        let fields = shown(&mut p);
        assert_eq!(fields["band"], want, "{fields}");
        assert!(fields.get("score").is_none() && fields.get("live_probability").is_none(), "no raw score: {fields}");
        let visible = p.eval("document.body.innerText").as_str().unwrap().to_string();
        assert!(!visible.contains("0."), "no probability anywhere on the page: {visible}");
        p.screenshot(&dir, if name == "live" { "02-passive-pass" } else { "03-passive-fail" });
    }
}

#[test]
fn an_active_session_shows_what_session_score_says_and_collects_a_labelled_dataset() {
    let _one = serial();
    let collect = tempfile::tempdir().unwrap();
    let dir_arg = collect.path().to_str().unwrap().to_string();
    let extra = ["--collect", &dir_arg, "--capture-challenges", "blink,head_left", "--show-scores"];
    let Some(rig) = rig(&extra) else { return };
    let dir = shots(&rig);
    let video = rig.video("live", (LIVE.0, &LIVE.1[..]));
    let mut browser = Browser::launch(&rig.chromium, &video, Camera::Allowed);
    let mut p = browser.page();
    labelled_capture(&mut p, &rig.link(None), None, &[("device", "fake camera, 640x480"), ("lighting", "office")]);
    p.tab_to("active");
    p.key("Enter");
    p.wait_for("!document.getElementById('prompt').hidden", WAIT);
    p.wait_for("document.querySelector('#steps li.current')", WAIT);
    p.screenshot(&dir, "04-active-prompt");
    let (got, code, text) = outcome(&mut p);
    assert!(got == "pass" || got == "fail", "{got} {code} {text}");
    let steps = p.eval("[...document.querySelectorAll('#steps li')].map(l => l.dataset.challenge)");
    let fields = shown(&mut p);
    let path = p.wait_for("document.getElementById('collected').dataset.path", WAIT);
    p.screenshot(&dir, "05-active-result");

    // The frames the page sent, as collected: `liveness session score` on them.
    let folder = collect.path().join(path.as_str().unwrap());
    let session: Value = serde_json::from_slice(&std::fs::read(folder.join("session.json")).unwrap()).unwrap();
    assert_eq!(session["challenges"], steps, "the prompts were shown in the server's order");
    let mut sorted: Vec<&str> = steps.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    sorted.sort();
    assert_eq!(sorted, ["blink", "head_left"]);
    let frames = session["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 3 + 2 * 6, "3 neutral frames, then 6 per challenge");
    let t: Vec<f64> = frames.iter().map(|f| f["t"].as_f64().unwrap()).collect();
    let mut gaps: Vec<f64> = t.windows(2).map(|w| w[1] - w[0]).collect();
    // Every 250 ms; a stall of the machine stretches a gap but never bunches frames together.
    assert!(gaps.iter().all(|g| *g >= 0.12), "frames bunched together: {gaps:?}");
    gaps.sort_by(f64::total_cmp);
    assert!((0.24..0.3).contains(&gaps[gaps.len() / 2]), "not a steady 250 ms: {gaps:?}");
    let args = ["session", "score", "--json", "--policy", "default"].map(std::ffi::OsStr::new);
    let mut args = args.to_vec();
    args.push(folder.as_os_str());
    let want = cli_json_lines(&rig.models, &args).remove(0);
    assert_eq!(want["status"], "ok", "{want}");
    let v = &want["verdict"];
    let completed = v["challenges"].as_array().unwrap().iter().filter(|c| c["passed"] == true).count();
    assert_eq!(number(&fields, "challenges_completed"), completed as f64, "{fields}\n{want}");
    assert_eq!(number(&fields, "frames_captured"), want["frames_captured"].as_f64().unwrap());
    for k in ["pose_variation_score", "expression_variation_score", "liveness_score", "passive_score"] {
        assert_eq!(number(&fields, k), v[k].as_f64().unwrap(), "{k}: page {fields}\ncli {v}");
    }
    assert_eq!(got == "pass", want["decision"] == "live", "{got} vs {}", want["decision"]);
    // The server's own record of the session says the same.
    let id = fields["session"].as_str().unwrap();
    let (status, text) = rig.server.get(&format!("/v1/sessions/{id}"), Some(API_TOKEN));
    let kept: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((status, &kept["verdict"]), (200, v), "{kept}");

    // Frames posted after the result: the answer is lost on the way back (the upload did reach the server),
    // the user retries, the server refuses (409) and the page shows the result it kept.
    p.call("Fetch.enable", json!({"patterns": [{"urlPattern": "*/frames", "requestStage": "Response"}]}));
    p.tab_to("active");
    p.key("Enter");
    let paused = p.wait_event("Fetch.requestPaused", WAIT);
    let url = paused["params"]["request"]["url"].as_str().unwrap().to_string();
    p.call("Fetch.failRequest", json!({"requestId": paused["params"]["requestId"], "errorReason": "ConnectionClosed"}));
    p.wait_for("!document.getElementById('retry-upload').hidden", WAIT);
    assert_eq!(p.eval("document.activeElement.id"), "retry-upload");
    p.call("Fetch.disable", json!({}));
    p.key("Enter");
    p.wait_for("document.getElementById('result').dataset.code === 'session_finished'", WAIT);
    let said = p.eval("document.getElementById('message').textContent");
    assert!(said.as_str().unwrap().starts_with("This session already has its result"), "{said}");
    // The kept result is the server's, and the frames it judged are collected as well.
    let replayed = shown(&mut p);
    let (status, text) =
        rig.server.get(&format!("/v1/sessions/{}", replayed["session"].as_str().unwrap()), Some(API_TOKEN));
    let kept: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status, 200, "{kept}");
    for k in
        ["pose_variation_score", "expression_variation_score", "liveness_score", "passive_score", "frames_captured"]
    {
        assert_eq!(number(&replayed, k), kept[k].as_f64().unwrap(), "{k}: page {replayed}\nserver {kept}");
    }
    p.wait_for("document.getElementById('collected').dataset.path", WAIT);
    p.screenshot(&dir, "06-replay-refused");
    let frames_url = url.trim_start_matches(&rig.server.base).to_string();
    let (ct, body) = common::serve::multipart(&[("frame", Some("f.jpg"), b"x"), ("frame", Some("f.jpg"), b"y")]);
    let (status, refused) = rig.server.post(&frames_url, &ct, &body, Some(API_TOKEN));
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("session_finished")), "{refused}");
    drop(browser);

    // A printed photo, labelled as an attack, into the same collection.
    let photo = rig.video("photo", (PHOTO.0, &PHOTO.1[..]));
    let mut browser = Browser::launch(&rig.chromium, &photo, Camera::Allowed);
    let mut p = browser.page();
    labelled_capture(&mut p, &rig.link(None), Some("print"), &[("lighting", "office")]);
    p.tab_to("passive");
    p.key("Enter");
    let (got, _, text) = outcome(&mut p);
    assert_eq!(got, "fail", "{text}");
    assert!(shown(&mut p).get("score").is_some(), "--show-scores shows the score");
    let photo_path =
        p.wait_for("document.getElementById('collected').dataset.path", WAIT).as_str().unwrap().to_string();
    assert!(photo_path.starts_with("spoof/print/"), "{photo_path}");
    p.screenshot(&dir, "07-collect-attack");
    drop(browser);

    // The collected set, read directly: every frame with the operator's labels through `liveness eval`.
    let manifest = collect.path().join("manifest.csv");
    let run = rig.tmp.path().join("run");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("liveness"))
        .env("LIVENESS_MODELS", &rig.models)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["eval".as_ref(), manifest.as_os_str(), "--out".as_ref(), run.as_os_str()])
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c == 0 || c == 3), "{}", String::from_utf8_lossy(&out.stderr));
    let mut rows = csv::Reader::from_path(run.join("scores.csv")).unwrap();
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} in {header:?}"));
    let (pc, lc, sc, dc, gc) = (col("path"), col("label"), col("attack_type"), col("device"), col("lighting"));
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 15 + 15 + 1, "the two sessions' frames and the photo");
    for r in &rows {
        let attack = r[pc].starts_with("spoof/print/");
        assert_eq!(&r[lc], if attack { "attack" } else { "live" }, "{r:?}");
        assert_eq!(&r[sc], if attack { "print" } else { "" }, "{r:?}");
        assert_eq!(&r[dc], if attack { "" } else { "fake camera, 640x480" }, "{r:?}");
        assert_eq!(&r[gc], "office", "{r:?}");
    }
    // And as sessions: the collected session is the one the page showed.
    let args = ["session", "score", "--json", "--policy", "default", "--dataset"].map(std::ffi::OsStr::new);
    let mut args = args.to_vec();
    args.push(manifest.as_os_str());
    let sessions = cli_json_lines(&rig.models, &args);
    assert_eq!(sessions.len(), 3, "two sessions and the photo");
    let ours =
        sessions.iter().find(|s| s["path"] == path).unwrap_or_else(|| panic!("no session {path} in {sessions:?}"));
    assert_eq!(ours["verdict"], *v, "session score --dataset reads the collected session as the page sent it");
    assert_eq!(ours["meta"]["device"], "fake camera, 640x480");
}

/// NUAA holds no head turn, but 0007's sequence holds a blink: with `blink` as the only prompt the live
/// video completes its session and passes, and the printed photo (no blink) fails; the page shows what the
/// server decided for the session it ran.
#[test]
fn a_blink_session_passes_the_live_video_and_fails_the_printed_photo() {
    let _one = serial();
    let Some(rig) = rig(&["--capture-challenges", "blink", "--show-scores"]) else { return };
    let dir = shots(&rig);
    for (name, frames, want, completed) in
        [("live", (BLINK.0, &BLINK.1[..]), "pass", 1.0), ("photo", (PHOTO.0, &PHOTO.1[..]), "fail", 0.0)]
    {
        let video = rig.video(name, frames);
        let mut browser = Browser::launch(&rig.chromium, &video, Camera::Allowed);
        let mut p = browser.page();
        open_with_camera(&mut p, &rig.link(None));
        p.tab_to("active");
        p.key("Enter");
        let (got, code, text) = outcome(&mut p);
        assert_eq!(got, want, "{name}: {code} {text}");
        let fields = shown(&mut p);
        assert_eq!(number(&fields, "challenges_completed"), completed, "{name}: {fields}");
        p.screenshot(&dir, &format!("13-blink-{name}"));
        let id = fields["session"].as_str().unwrap();
        let (status, text) = rig.server.get(&format!("/v1/sessions/{id}"), Some(API_TOKEN));
        let kept: Value = serde_json::from_str(&text).unwrap();
        assert_eq!((status, kept["liveness_passed"].as_bool()), (200, Some(want == "pass")), "{kept}");
        for k in ["liveness_score", "pose_variation_score", "expression_variation_score", "passive_score"] {
            assert_eq!(number(&fields, k), kept[k].as_f64().unwrap(), "{name} {k}: page {fields}\nserver {kept}");
        }
    }
}

#[test]
fn bad_input_gets_a_clear_message_on_the_page_and_a_json_error_from_the_server() {
    let _one = serial();
    let Some(rig) = rig(&["--session-ttl", "6"]) else { return };
    let dir = shots(&rig);
    let blank = rig.blank_video();
    let mut browser = Browser::launch(&rig.chromium, &blank, Camera::Allowed);
    let mut p = browser.page();

    // A page without the session token: refused, and the server says why.
    p.goto(&format!("{}/", rig.server.base));
    let (got, code, text) = outcome(&mut p);
    assert_eq!((got.as_str(), code.as_str()), ("error", "missing_token"), "{text}");
    assert!(text.contains("needs a capture link"), "{text}");
    assert_eq!(p.eval("document.getElementById('camera').disabled"), true);
    p.screenshot(&dir, "08-no-token");
    let (status, body) = rig.server.get("/v1/capture/config", None);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("missing_token")), "{body}");

    // Collection is off on this server.
    let (ct, body) = common::serve::multipart(&[("label", None, b"live")]);
    let (status, off) = rig.server.post("/v1/collect", &ct, &body, Some(API_TOKEN));
    assert_eq!((status, off["error"]["code"].as_str()), (404, Some("collect_disabled")), "{off}");

    // An expired link.
    let link = rig.link(Some(1));
    std::thread::sleep(Duration::from_millis(1200));
    p.goto(&link);
    let (got, code, text) = outcome(&mut p);
    assert_eq!((got.as_str(), code.as_str()), ("error", "token_expired"), "{text}");
    assert!(text.contains("expired"), "{text}");

    // No face in view: the quality check says so before capture, the capture asks to retry with the reason.
    open_with_camera(&mut p, &rig.link(None));
    p.wait_for("document.getElementById('quality').dataset.reason === 'no_face'", WAIT);
    p.key("Enter");
    let (got, code, text) = outcome(&mut p);
    assert_eq!((got.as_str(), code.as_str()), ("retry", "no_face"), "{text}");
    assert!(text.contains("No face found"), "{text}");
    p.screenshot(&dir, "09-no-face");
    let (status, body) = rig.server.post("/v1/liveness", "image/png", &blank_png(), Some(API_TOKEN));
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("no_face")), "{body}");

    // The connection lost mid-session: the frames never arrive, the session expires on the server, and a
    // late retry hears so.
    p.call("Fetch.enable", json!({"patterns": [{"urlPattern": "*/frames", "requestStage": "Request"}]}));
    p.tab_to("active");
    p.key("Enter");
    let paused = p.wait_event("Fetch.requestPaused", WAIT);
    let created = Instant::now();
    let url = paused["params"]["request"]["url"].as_str().unwrap().to_string();
    p.call(
        "Fetch.failRequest",
        json!({"requestId": paused["params"]["requestId"], "errorReason": "InternetDisconnected"}),
    );
    let (got, code, text) = outcome(&mut p);
    assert_eq!((got.as_str(), code.as_str()), ("error", "connection_lost"), "{text}");
    assert!(text.contains("expires on the server in"), "the session had not expired yet: {text}");
    p.screenshot(&dir, "10-connection-lost");
    p.call("Fetch.disable", json!({}));
    let status_path = url.trim_start_matches(&rig.server.base).trim_end_matches("/frames").to_string();
    let expired = loop {
        let (status, text) = rig.server.get(&status_path, Some(API_TOKEN));
        if status == 410 {
            break serde_json::from_str::<Value>(&text).unwrap();
        }
        assert_eq!(status, 200, "{text}");
        assert!(created.elapsed() < Duration::from_secs(20), "the session never expired: {text}");
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(expired["error"]["code"], "session_expired", "{expired}");
    assert_eq!(p.eval("document.activeElement.id"), "retry-upload");
    p.key("Enter");
    p.wait_for("document.getElementById('result').dataset.code === 'session_expired'", WAIT);
    let (_, _, text) = outcome(&mut p);
    assert!(text.contains("expired before its frames arrived"), "{text}");
    p.screenshot(&dir, "11-session-expired");
    drop(browser);

    // Camera denied: the user refused the permission.
    let mut browser = Browser::launch(&rig.chromium, &blank, Camera::Denied);
    let mut p = browser.page();
    let origin = rig.server.base.clone();
    p.call_browser(
        "Browser.setPermission",
        json!({"permission": {"name": "camera"}, "setting": "denied", "origin": origin}),
    );
    p.goto(&rig.link(None));
    p.wait_for("!document.getElementById('camera').disabled", WAIT);
    p.key("Enter");
    let (got, code, text) = outcome(&mut p);
    assert_eq!((got.as_str(), code.as_str()), ("error", "camera_denied"), "{text}");
    assert!(text.contains("Allow the camera"), "{text}");
    assert_eq!(p.eval("document.getElementById('passive').disabled"), true);
    p.screenshot(&dir, "12-camera-denied");
}
