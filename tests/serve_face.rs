//! `POST /v1/compare` and `POST /v1/search` over real HTTP on loopback, with the real models and NUAA
//! images: distances, liveness and the combined decision equal `liveness compare --json` and `liveness
//! search --json` on the same files bit for bit, a printed photo that matches its subject is refused, and
//! bad requests get JSON errors with stable codes.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::serve::{Server, assert_matches_openapi, blank_png, cli_json_lines, multipart, openapi};
use serde_json::{Value, json};

fn nuaa(rel: &str) -> PathBuf {
    common::shared("datasets/nuaa-train").unwrap().join(rel)
}

/// Subject 0001, session 1 (enrolled as alice) and subject 0002 (bob), live frames.
fn alice() -> Vec<PathBuf> {
    ["0", "101", "105"].iter().map(|p| nuaa(&format!("ClientRaw/0001/0001_00_00_01_{p}.jpg"))).collect()
}
fn bob() -> Vec<PathBuf> {
    ["109", "116", "120"].iter().map(|p| nuaa(&format!("ClientRaw/0002/0002_01_00_01_{p}.jpg"))).collect()
}
const BOB_PROBE: &str = "ClientRaw/0002/0002_01_00_01_100.jpg";
/// A printed photo of 0001: recognition matches it to alice, PAD refuses it.
const ALICE_PHOTO: &str = "ImposterRaw/0001/0001_00_00_01_102.jpg";

fn b64(p: &Path) -> String {
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(p).unwrap())
}

/// `liveness ARGS` as one JSON object.
fn cli(models: &Path, args: &[&OsStr]) -> Value {
    let mut out = cli_json_lines(models, args);
    assert_eq!(out.len(), 1, "{out:?}");
    out.pop().unwrap()
}

fn os<'a>(strs: &[&'a str]) -> Vec<&'a OsStr> {
    strs.iter().map(|s| OsStr::new(*s)).collect()
}

/// A gallery of alice and bob made by `liveness persons add`.
fn enrol(models: &Path, db: &Path) {
    for (name, images) in [("alice", alice()), ("bob", bob())] {
        let mut args = os(&["persons", "add", "--policy", "onboarding", "--db"]);
        args.push(db.as_os_str());
        args.push(OsStr::new(name));
        args.extend(images.iter().map(|p| p.as_os_str()));
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("liveness"))
            .env("LIVENESS_MODELS", models)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// The server's answer carries the command line's fields unchanged (file names aside).
fn assert_same(server: &Value, cli: &Value, fields: &[&str], what: &str) {
    for k in fields {
        assert_eq!(server[k], cli[k], "{what}: field {k} differs\nserver {server}\ncli {cli}");
    }
}

#[test]
fn compare_and_search_over_http_equal_the_command_line_and_refuse_a_matching_photo() {
    let (Some(models), Some(_)) = (common::shared("models"), common::shared("datasets/nuaa-train")) else { return };
    let db = tempfile::tempdir().unwrap();
    enrol(&models, db.path());
    let dbs = db.path().to_str().unwrap();
    let server = Server::start(&["--policy", "onboarding", "--gallery-db", dbs], &models);
    let doc = openapi(&server);
    let (status, ready) = server.get("/readyz", None);
    let ready: Value = serde_json::from_str(&ready).unwrap();
    assert_matches_openapi(&doc, "/readyz", "get", status, &ready);
    assert_eq!(ready["face_match"]["gallery"], json!({"persons": 2, "descriptors": 6}), "{ready}");
    assert_eq!(ready["backend"], "openvino", "the default backend");

    // 1:1 against uploaded images (multipart): a live genuine probe passes.
    let probe = nuaa(BOB_PROBE);
    let mut args = os(&["compare", "--json", "--policy", "onboarding"]);
    args.push(probe.as_os_str());
    let refs = bob();
    args.extend(refs.iter().map(|p| p.as_os_str()));
    let want = cli(&models, &args);
    let bytes: Vec<Vec<u8>> = refs.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let probe_bytes = std::fs::read(&probe).unwrap();
    let mut parts: Vec<(&str, Option<&str>, &[u8])> = vec![("probe", Some("probe.jpg"), &probe_bytes)];
    parts.extend(bytes.iter().map(|b| ("gallery", Some("ref.jpg"), b.as_slice())));
    let (ct, body) = multipart(&parts);
    let (status, got) = server.post("/v1/compare", &ct, &body, None);
    assert_eq!(status, 200, "{got}");
    assert_matches_openapi(&doc, "/v1/compare", "post", status, &got);
    let fields = ["distance", "chip", "liveness", "match_threshold", "matched", "passed", "recognizer", "pad_model"];
    assert_same(&got, &want, &fields, "compare over multipart");
    let dists = |v: &Value| v["gallery"].as_array().unwrap().iter().map(|g| g["distance"].clone()).collect::<Vec<_>>();
    assert_eq!(dists(&got), dists(&want));
    assert_eq!((got["matched"].as_bool(), got["passed"].as_bool()), (Some(true), Some(true)), "{got}");
    assert_eq!(got["recognizer_model"]["sha256"].as_str().map(str::len), Some(64));

    // The same probe as JSON against the same images: the same answer.
    let gallery: Vec<String> = refs.iter().map(|p| b64(p)).collect();
    let (status, json_got) =
        server.post_json("/v1/compare", &json!({"probe": b64(&probe), "gallery": gallery, "policy": "onboarding"}));
    assert_eq!(status, 200, "{json_got}");
    assert_same(&json_got, &want, &fields, "compare over JSON");

    // A printed photo of alice against alice as enrolled: matched, not live, refused. The distance equals
    // `liveness compare` against the images she was enrolled from.
    let photo = nuaa(ALICE_PHOTO);
    let mut args = os(&["compare", "--json", "--policy", "onboarding"]);
    args.push(photo.as_os_str());
    let enrolled = alice();
    args.extend(enrolled.iter().map(|p| p.as_os_str()));
    let want = cli(&models, &args);
    let (status, got) = server.post_json("/v1/compare", &json!({"probe": b64(&photo), "person": "alice"}));
    assert_eq!(status, 200, "{got}");
    assert_matches_openapi(&doc, "/v1/compare", "post", status, &got);
    assert_same(&got, &want, &["distance", "liveness", "matched", "passed", "match_threshold"], "compare by person");
    assert_eq!(dists(&got), dists(&want));
    assert_eq!(got["person"], "alice");
    assert_eq!(
        (got["matched"].as_bool(), got["liveness"]["passed"].as_bool(), got["passed"].as_bool()),
        (Some(true), Some(false), Some(false)),
        "{got}"
    );

    // 1:N with a raw body: the photo is identified as alice and still refused; equal to `liveness search`.
    let mut args = os(&["search", "--json", "--policy", "onboarding", "--top", "2", "--db", dbs]);
    args.push(photo.as_os_str());
    let want = cli(&models, &args);
    let (status, got) = server.post("/v1/search?top=2", "image/jpeg", &std::fs::read(&photo).unwrap(), None);
    assert_eq!(status, 200, "{got}");
    assert_matches_openapi(&doc, "/v1/search", "post", status, &got);
    let fields = [
        "candidates",
        "identity",
        "chip",
        "liveness",
        "match_threshold",
        "passed",
        "gallery_persons",
        "gallery_descriptors",
    ];
    assert_same(&got, &want, &fields, "search");
    assert_eq!((got["identity"].as_str(), got["passed"].as_bool()), (Some("alice"), Some(false)), "{got}");

    let (_, metrics) = server.get("/metrics", None);
    for line in [
        "liveness_face_decisions_total{endpoint=\"/v1/compare\",matched=\"true\",live=\"true\"} 2",
        "liveness_face_decisions_total{endpoint=\"/v1/compare\",matched=\"true\",live=\"false\"} 1",
        "liveness_face_decisions_total{endpoint=\"/v1/search\",matched=\"true\",live=\"false\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "missing {line:?} in\n{metrics}");
    }
}

#[test]
fn bad_face_requests_get_json_errors_with_stable_codes() {
    let (Some(models), Some(_)) = (common::shared("models"), common::shared("datasets/nuaa-train")) else { return };
    // Face match without a gallery: compare works on uploaded images, search has nothing to search.
    let server = Server::start(&["--policy", "onboarding", "--face-match"], &models);
    let doc = openapi(&server);
    let face = b64(&nuaa(BOB_PROBE));
    let blank = base64::engine::general_purpose::STANDARD.encode(blank_png());
    let post = |path: &str, body: Value| server.post_json(path, &body);
    let cases: Vec<(&str, &str, (u16, Value), u16, &str)> = vec![
        (
            "no face in the probe",
            "/v1/compare",
            post("/v1/compare", json!({"probe": blank, "gallery": [face]})),
            422,
            "no_face",
        ),
        (
            "no face in the gallery",
            "/v1/compare",
            post("/v1/compare", json!({"probe": face, "gallery": [blank, blank]})),
            422,
            "no_gallery_face",
        ),
        (
            "not an image",
            "/v1/compare",
            post("/v1/compare", json!({"probe": "bm8gaW1hZ2UgaGVyZQ==", "gallery": [face]})),
            422,
            "not_an_image",
        ),
        (
            "a raw probe without an identity",
            "/v1/compare",
            server.post("/v1/compare", "image/jpeg", b"\xff\xd8 a probe", None),
            400,
            "bad_gallery",
        ),
        (
            "multipart without a probe",
            "/v1/compare",
            {
                let (ct, body) = multipart(&[("person", None, b"alice")]);
                server.post("/v1/compare", &ct, &body, None)
            },
            400,
            "missing_probe",
        ),
        ("no identity", "/v1/compare", post("/v1/compare", json!({"probe": face})), 400, "bad_gallery"),
        (
            "images and a person",
            "/v1/compare",
            post("/v1/compare", json!({"probe": face, "gallery": [face], "person": "alice"})),
            400,
            "bad_gallery",
        ),
        (
            "a person without a gallery",
            "/v1/compare",
            post("/v1/compare", json!({"probe": face, "person": "alice"})),
            404,
            "no_gallery",
        ),
        ("search without a gallery", "/v1/search", post("/v1/search", json!({"probe": face})), 404, "no_gallery"),
        (
            "search's field on compare",
            "/v1/compare",
            post("/v1/compare", json!({"probe": face, "top": 3})),
            400,
            "unknown_field",
        ),
        (
            "bad base64",
            "/v1/compare",
            post("/v1/compare", json!({"probe": "@@", "gallery": [face]})),
            400,
            "bad_base64",
        ),
        ("no probe", "/v1/compare", post("/v1/compare", json!({"gallery": [face]})), 400, "bad_json"),
        (
            "threshold override",
            "/v1/compare",
            post("/v1/compare", json!({"probe": face, "gallery": [face], "threshold": 0.5})),
            403,
            "threshold_override_forbidden",
        ),
        (
            "unknown policy",
            "/v1/compare",
            post("/v1/compare", json!({"probe": face, "gallery": [face], "policy": "attendance"})),
            400,
            "unknown_policy",
        ),
        (
            "text body",
            "/v1/compare",
            server.post("/v1/compare", "text/plain", b"hello", None),
            415,
            "unsupported_media_type",
        ),
    ];
    for (what, path, (status, body), want_status, want_code) in cases {
        assert_matches_openapi(&doc, path, "post", status, &body);
        assert_eq!((status, body["error"]["code"].as_str().unwrap_or("")), (want_status, want_code), "{what}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| m.len() > 10), "{what}: {body}");
    }
    // A probe fault reports what was measured; a gallery fault names each image's reason.
    let (_, no_face) = post("/v1/compare", json!({"probe": blank, "gallery": [face]}));
    assert_eq!((no_face["face_count"].as_u64(), no_face["width"].as_u64()), (Some(0), Some(96)), "{no_face}");
    let (_, no_ref) = post("/v1/compare", json!({"probe": face, "gallery": [blank]}));
    assert_eq!(no_ref["gallery"], json!([{"image": "gallery[0]", "reason": "no_face"}]), "{no_ref}");
    // Still serving: the probe against itself is distance 0 and live.
    let (status, same) = post("/v1/compare", json!({"probe": face, "gallery": [face]}));
    assert_eq!((status, same["distance"].as_f64(), same["passed"].as_bool()), (200, Some(0.0), Some(true)), "{same}");
}
