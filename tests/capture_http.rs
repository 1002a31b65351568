//! What the capture page relies on, over real HTTP without a browser: its files and security headers, page
//! tokens (scoped, short-lived, never the API token), the pre-capture quality check on real NUAA frames
//! made too dark, too far and doubled, and collection mode's endpoint; answers checked against openapi.json.

mod common;

use std::path::Path;
use std::time::Duration;

use common::serve::{Server, assert_matches_openapi, blank_png, multipart, openapi};
use image::RgbImage;
use serde_json::{Value, json};

const API_TOKEN: &str = "capture-http-api-token-0123456789";
const LIVE: &str = "ClientRaw/0007/0007_00_00_01_141.jpg";

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// GET with headers: status, the named header, body.
fn get(server: &Server, path: &str, header: &str) -> (u16, String, String) {
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let mut resp = agent.get(format!("{}{path}", server.base)).call().unwrap();
    let h = resp.headers().get(header).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (resp.status().as_u16(), h, resp.body_mut().read_to_string().unwrap())
}

#[test]
fn page_tokens_headers_quality_and_collection() {
    let (Some(models), Some(nuaa)) = (common::shared("models"), common::shared("datasets/nuaa-train")) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let token = tmp.path().join("token");
    std::fs::write(&token, API_TOKEN).unwrap();
    let collect = tmp.path().join("collected");
    let args =
        ["--token-file", token.to_str().unwrap(), "--collect", collect.to_str().unwrap(), "--page-token-ttl", "60"];
    let server = Server::start(&args, &models);
    let doc = openapi(&server);

    // The page and its files: one origin, no inline script, nothing cached.
    let (status, csp, html) = get(&server, "/", "content-security-policy");
    assert_eq!(status, 200);
    assert!(csp.starts_with("default-src 'self'; script-src 'self';") && !csp.contains("unsafe"), "{csp}");
    assert!(html.contains("<script src=\"/capture.js\" defer></script>"));
    for path in ["/", "/capture.js", "/capture.css", "/healthz"] {
        assert_eq!(get(&server, path, "cache-control").1, "no-store", "{path}");
    }
    assert_eq!(get(&server, "/capture.js", "content-type").1, "text/javascript; charset=utf-8");
    assert_eq!(get(&server, "/", "x-content-type-options").1, "nosniff");

    // Page tokens: issued to the API token only, valid on the capture endpoints only, short-lived.
    let (status, body) = server.post("/v1/page-tokens", "application/json", b"{}", None);
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("missing_token")), "{body}");
    let (status, issued) = server.post("/v1/page-tokens", "application/json", b"{\"ttl_s\": 600}", Some(API_TOKEN));
    assert_eq!(status, 201, "{issued}");
    assert_matches_openapi(&doc, "/v1/page-tokens", "post", status, &issued);
    assert_eq!(issued["expires_in_s"], 60.0, "capped at --page-token-ttl");
    let page = issued["token"].as_str().unwrap().to_string();
    assert_eq!(issued["url"], format!("/#token={page}"));
    let (status, text) = server.get("/v1/capture/config", Some(&page));
    let config: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status, 200, "{config}");
    assert_matches_openapi(&doc, "/v1/capture/config", "get", status, &config);
    assert_eq!((config["show_scores"].as_bool(), config["collect"]["enabled"].as_bool()), (Some(false), Some(true)));
    assert!(!text.contains(API_TOKEN));
    for (path, body) in [("/v1/page-tokens", &b"{}"[..]), ("/v1/compare", &b"{}"[..])] {
        let (status, refused) = server.post(path, "application/json", body, Some(&page));
        assert_eq!((status, refused["error"]["code"].as_str()), (403, Some("api_token_required")), "{path}: {refused}");
    }
    assert_eq!(server.get("/metrics", Some(&page)).0, 403);
    let (status, text) = server.get("/v1/capture/config", Some("0123456789abcdef0123456789abcdef"));
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("invalid_token"));
    let (_, short) = server.post("/v1/page-tokens", "application/json", b"{\"ttl_s\": 1}", Some(API_TOKEN));
    std::thread::sleep(Duration::from_millis(1100));
    let (status, text) = server.get("/v1/capture/config", short["token"].as_str());
    assert_eq!(status, 401);
    assert!(text.contains("token_expired"), "{text}");

    // The pre-capture check: the CLI's gates on real frames, and the session rule for a second person.
    let live = image::open(nuaa.join(LIVE)).unwrap().to_rgb8();
    let dark =
        RgbImage::from_fn(640, 480, |x, y| image::Rgb(live.get_pixel(x, y).0.map(|c| (u16::from(c) * 9 / 20) as u8)));
    let small = image::imageops::resize(&live, 120, 90, image::imageops::FilterType::Triangle);
    let mut far = RgbImage::from_pixel(640, 480, image::Rgb([90, 90, 90]));
    image::imageops::overlay(&mut far, &small, 260, 195);
    let half = image::imageops::resize(&live, 320, 240, image::imageops::FilterType::Triangle);
    let mut two = RgbImage::from_pixel(640, 480, image::Rgb([90, 90, 90]));
    image::imageops::overlay(&mut two, &half, 0, 120);
    image::imageops::overlay(&mut two, &half, 320, 120);
    let cases: [(&str, Vec<u8>, Option<&str>); 5] = [
        ("live", std::fs::read(nuaa.join(LIVE)).unwrap(), None),
        ("dark", jpeg(&dark), Some("too_dark")),
        ("far", jpeg(&far), Some("face_too_small")),
        ("two people", jpeg(&two), Some("multiple_faces")),
        ("blank", blank_png(), Some("no_face")),
    ];
    for (what, bytes, reason) in cases {
        let (status, got) = server.post("/v1/quality", "image/jpeg", &bytes, Some(&page));
        assert_eq!(status, 200, "{what}: {got}");
        assert_matches_openapi(&doc, "/v1/quality", "post", status, &got);
        assert_eq!((got["ready"].as_bool(), got["reason"].as_str()), (Some(reason.is_none()), reason), "{what}: {got}");
    }
    let (status, got) = server.post("/v1/quality", "image/jpeg", b"not a jpeg", Some(&page));
    assert_eq!((status, got["error"]["code"].as_str()), (422, Some("not_an_image")), "{got}");
    assert_matches_openapi(&doc, "/v1/quality", "post", status, &got);

    // Collection: labels checked, the capture stored where `liveness eval` reads it.
    let frame = std::fs::read(nuaa.join(LIVE)).unwrap();
    let post = |parts: &[(&str, Option<&str>, &[u8])]| {
        let (ct, body) = multipart(parts);
        server.post("/v1/collect", &ct, &body, Some(&page))
    };
    let (status, got) = post(&[("label", None, b"maybe"), ("frame", Some("f.jpg"), &frame)]);
    assert_eq!((status, got["error"]["code"].as_str()), (400, Some("missing_label")), "{got}");
    assert_matches_openapi(&doc, "/v1/collect", "post", status, &got);
    let (status, got) =
        post(&[("label", None, b"attack"), ("attack_type", None, b"../x"), ("frame", Some("f.jpg"), &frame)]);
    assert_eq!((status, got["error"]["code"].as_str()), (400, Some("bad_attack_type")), "{got}");
    let (status, got) = post(&[("label", None, b"live"), ("mode", None, b"passive")]);
    assert_eq!((status, got["error"]["code"].as_str()), (400, Some("frame_count")), "{got}");
    let (status, got) = post(&[
        ("label", None, b"attack"),
        ("attack_type", None, b"replay"),
        ("device", None, b"tablet"),
        ("frame", Some("f.jpg"), &frame),
        ("t", None, b"0"),
    ]);
    assert_eq!(status, 201, "{got}");
    assert_matches_openapi(&doc, "/v1/collect", "post", status, &got);
    let stored = Path::new(got["path"].as_str().unwrap());
    assert!(stored.starts_with("spoof/replay"), "{got}");
    assert_eq!(std::fs::read(collect.join(stored).join("frame_01.jpg")).unwrap(), frame);
    let manifest = std::fs::read_to_string(collect.join("manifest.csv")).unwrap();
    assert!(manifest.lines().nth(1).unwrap().contains(",attack,replay,"), "{manifest}");
    let (status, body) = server.post_json("/v1/collect", &json!({}));
    assert_eq!(status, 401, "{body}");
}
