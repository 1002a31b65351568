//! `eval --api` asked wrongly, or pointed at something that is not the API: each stops at once with a
//! message naming the problem and the fix, exit 2 when the command must change (a pointer that matches
//! nothing, a `$VAR` not set, a page that is not JSON, a wrong path, a bad value) and exit 1 when the API
//! cannot be reached (DNS, TLS). Real `liveness serve` on loopback, real NUAA images; the
//! fault-injecting front (tests/common/api.rs) counts what was sent.

mod common;

use std::path::Path;

use common::api::{Fault, Front, image_names};
use common::serve::Server;
use common::{liveness, nuaa_subset, shared};

/// `eval DATA --api URL ARGS` (`--api-format serve` unless ARGS name one): exit code and stderr.
fn eval_api(data: &Path, out: &Path, url: &str, args: &[&str]) -> (Option<i32>, String) {
    let format = if args.contains(&"--api-format") { &[][..] } else { &["--api-format", "serve"][..] };
    let o = liveness()
        .env_remove("LIVENESS_MISSING_TOKEN")
        .arg("eval")
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(["--force", "--api", url, "--api-backoff", "0.05"])
        .args(format)
        .args(args)
        .output()
        .unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn each_wrong_request_stops_with_the_problem_and_the_fix() {
    let (Some(models), Some(_)) = (shared("models"), shared("datasets/nuaa-train")) else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 3);
    let out = tmp.path().join("out");
    let server = Server::start(&[], &models);
    let front = Front::start(Some(&server.base), image_names(&data), Box::new(|_, _| Fault::Pass));

    // A score pointer that matches nothing in the first answer: the answer is shown, with the pointer
    // that holds the score, and nothing more is sent.
    let (code, e) = eval_api(&data, &out, &front.base, &["-j", "1", "--score-column", "/liveness"]);
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("answered 200 but the score pointer /liveness matches nothing in {"), "{e}");
    assert!(e.contains("\"live_probability\":"), "the answer is shown: {e}");
    assert!(e.contains("--score-column /live_probability"), "the fix names the likeliest pointer: {e}");
    assert_eq!(front.total(), 1, "stopped at the first answer");

    // A header's $VAR not set: named with its option before anything is sent.
    let (code, e) =
        eval_api(&data, &out, &front.base, &["--api-header", "Authorization: Bearer ${LIVENESS_MISSING_TOKEN}"]);
    assert_eq!(code, Some(2), "{e}");
    assert!(
        e.contains("--api-header 'Authorization: Bearer ${LIVENESS_MISSING_TOKEN}': the environment variable LIVENESS_MISSING_TOKEN is not set"),
        "{e}"
    );
    assert!(e.contains("export LIVENESS_MISSING_TOKEN="), "{e}");

    // A URL whose path is not the endpoint.
    let (code, e) = eval_api(&data, &out, &format!("{}/v2/check", front.base), &["-j", "1"]);
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("/v2/check answered 404") && e.contains("is --api the endpoint's full URL"), "{e}");

    // A preset that does not exist.
    let (code, e) = eval_api(&data, &out, &front.base, &["--api-format", "aws"]);
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("unknown --api-format \"aws\"; presets: serve, spoofsense"), "{e}");
    assert_eq!(front.total(), 1 + 1, "only the 404's request was sent since");

    // A login page instead of JSON: retried as a proxy's page would be, then shown with the fix.
    front.set_rule(Box::new(|_, _| Fault::Html));
    let (code, e) = eval_api(&data, &out, &front.base, &["-j", "1", "--api-retries", "1"]);
    assert_eq!(code, Some(2), "{e}");
    assert!(e.contains("answered 200 with a body that is not JSON: \"<html><body>Please log in"), "{e}");
    assert!(e.contains("--api-format its preset"), "{e}");
    assert_eq!(front.total(), 2 + 2, "one request and its one retry");

    // A host that does not resolve: exit 1, the host named.
    let (code, e) = eval_api(&data, &out, "http://liveness-test.invalid/v1/liveness", &[]);
    assert_eq!(code, Some(1), "{e}");
    assert!(
        e.contains("stopped before any answer: http://liveness-test.invalid/v1/liveness: the host name \"liveness-test.invalid\" does not resolve (DNS): check the --api URL"),
        "{e}"
    );

    // HTTPS to a plain-HTTP port: a TLS failure, not retried, with the likely fix.
    let plain = server.base.trim_start_matches("http://");
    let (code, e) = eval_api(&data, &out, &format!("https://{plain}"), &[]);
    assert_eq!(code, Some(1), "{e}");
    assert!(e.contains(&format!("https://{plain}/v1/liveness: the TLS handshake failed")), "{e}");
    assert!(e.contains("is the server HTTPS (use http:// if not)"), "{e}");
}
