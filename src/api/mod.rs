//! `liveness eval DATASET --api URL`: a liveness REST API (this tool's `liveness serve`, a vendor's) as one
//! more scorer of a run (issue 13).
//!
//! The API takes the local engine's place and nothing else changes: the run (`src/run`) writes
//! `scores.csv` in sample order under its manifest, refuses to resume under other settings (here the URL
//! without credentials, the preset, the request template and the response mapping), and the metrics,
//! report, gate, calibrate and diff read the run as any other.
//!
//! - [`request`]: the image into the body a vendor expects; headers with `$VAR` from the environment.
//! - [`client`]: one request with retries, backoff, `Retry-After`, a retry budget, `--rps`; rustls HTTPS.
//! - [`response`]: an answer into a score or a non-response reason; unreadable answers as [`response::Problem`].
//! - [`format`]: the `--api-format` presets, sharing the score-file mapping of issue 11.
//! - [`log`]: `responses.jsonl`, every answer as it arrives: resume without re-sending, offline re-read.
//! - [`scorer`]: the run's [`crate::run::Remote`]: bounded connections, in-order delivery, early stops.
//! - [`summary`]: latency percentiles and the error-rate table (`api.json`, `api.md`).

pub mod client;
pub mod format;
pub mod log;
pub mod request;
pub mod response;
pub mod scorer;
pub mod summary;

pub use scorer::{ApiScorer, Replay};

/// An API run refused for how it was asked, with the option to change: a value that does not parse, a
/// `$VAR` not set, a URL that answers 404 or not JSON, a score pointer that matches nothing. A usage
/// error (exit 2), never mistaken for the API or the network failing (exit 1).
#[derive(Debug)]
pub struct Misconfigured(pub String);

impl std::fmt::Display for Misconfigured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Misconfigured {}

/// `e` as a [`Misconfigured`] (its whole chain as the message).
pub fn misconfigured(e: anyhow::Error) -> anyhow::Error {
    Misconfigured(format!("{e:#}")).into()
}

/// The URL with any password or user and the values of query parameters that look like secrets
/// (`key`, `token`, `secret`, `signature`, `password`, `auth`) replaced: what the run records.
pub fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(cut);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let query = query.map(|q| {
        q.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if is_secret(k) => format!("{k}=REDACTED"),
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    let scheme = if scheme.is_empty() { String::new() } else { format!("{scheme}://") };
    format!("{scheme}{host}{path}{}", query.map(|q| format!("?{q}")).unwrap_or_default())
}

fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["key", "token", "secret", "sig", "password", "auth"].iter().any(|s| n.contains(s))
}

/// `url`, with `path` appended when it has none (`http://host:8080` + the preset's `/v1/liveness`).
pub fn with_default_path(url: &str, path: Option<&str>) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let has_path = rest.find('/').is_some_and(|i| rest[i..].trim_end_matches('/') != "" || rest[i..].contains('?'));
    match path {
        Some(p) if !has_path => format!("{}{p}", url.trim_end_matches('/')),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_the_record() {
        assert_eq!(
            redact("https://me:pw@api.example.com/v1/check?api_key=abc&mode=fast&Signature=x"),
            "https://api.example.com/v1/check?api_key=REDACTED&mode=fast&Signature=REDACTED"
        );
        assert_eq!(redact("http://127.0.0.1:8080/v1/liveness"), "http://127.0.0.1:8080/v1/liveness");
    }

    #[test]
    fn a_url_without_a_path_takes_the_presets() {
        assert_eq!(with_default_path("http://h:1", Some("/v1/liveness")), "http://h:1/v1/liveness");
        assert_eq!(with_default_path("http://h:1/", Some("/v1/liveness")), "http://h:1/v1/liveness");
        assert_eq!(with_default_path("http://h:1/x", Some("/v1/liveness")), "http://h:1/x");
        assert_eq!(with_default_path("http://h:1", None), "http://h:1");
    }
}
