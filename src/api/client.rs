//! Sending one request with retries: a blocking HTTP client (ureq; HTTPS by rustls with the system's root
//! certificates), shared by the run's connection threads.
//!
//! - Retried: 429, 5xx, timeouts, dropped connections and 2xx bodies that are not JSON (a proxy's page),
//!   after an exponential backoff with jitter, or after `Retry-After` when the answer gives one. At most
//!   `retries` times per request, and at most `budget` times in the whole run, so a failing API cannot
//!   multiply the bill; then the last answer stands (a non-response `api_error:<status>`).
//! - A `Retry-After` longer than `max_wait` is a quota stop, told to the caller.
//! - `--rps`: requests start at most that often, whatever the number of connections.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

/// How requests are sent.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub timeout: Duration,
    /// Retries of one request.
    pub retries: u32,
    /// Retries of the whole run, as a share of its requests (at least 10).
    pub budget_share: f64,
    /// First backoff; doubled each retry, times a jitter in 0.5..1.5.
    pub backoff: Duration,
    /// The longest `Retry-After` waited for; longer is a quota stop.
    pub max_wait: Duration,
    pub rps: Option<f64>,
}

/// What one attempt ended with.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    Answer { status: u16, body: Vec<u8>, retry_after: Option<f64> },
    Failed(Transport),
}

/// A request that got no HTTP answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Transport {
    Timeout,
    /// The host name does not resolve.
    Dns,
    Refused(String),
    Tls(String),
    Other(String),
}

impl Transport {
    /// The non-response reason: `api_error:timeout`, `api_error:dns`, ...
    pub fn reason(&self) -> &'static str {
        match self {
            Transport::Timeout => "api_error:timeout",
            Transport::Dns => "api_error:dns",
            Transport::Refused(_) => "api_error:connection_refused",
            Transport::Tls(_) => "api_error:tls",
            Transport::Other(_) => "api_error:connection",
        }
    }

    /// What the user is told.
    pub fn explain(&self, url: &str, timeout: Duration) -> String {
        let host = host_of(url);
        match self {
            Transport::Timeout => format!("{url}: no answer within --api-timeout {}s", timeout.as_secs_f64()),
            Transport::Dns => format!("{url}: the host name {host:?} does not resolve (DNS): check the --api URL"),
            Transport::Refused(e) => {
                format!(
                    "{url}: connection refused ({e}): nothing listens at {host}; is the API running, and the port right?"
                )
            }
            Transport::Tls(e) => format!(
                "{url}: the TLS handshake failed ({e}): is the server HTTPS (use http:// if not), and its \
                 certificate valid for {host:?} and signed by a root in the system's store (SSL_CERT_FILE)?"
            ),
            Transport::Other(e) => format!("{url}: the request failed: {e}"),
        }
    }
}

/// `host[:port]` of a URL.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit_once('@').map_or(authority, |(_, h)| h)
}

/// One attempt as `responses.jsonl` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Try {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub ms: f64,
}

/// A request's attempts: the last decides the row.
pub struct Exchange {
    pub last: Attempt,
    pub tries: Vec<Try>,
    /// From the first attempt's start to the last answer, waits included.
    pub elapsed_ms: f64,
    /// A `Retry-After` of this many seconds, beyond `max_wait`: the API asks to stop.
    pub quota_stop: Option<f64>,
}

/// Counters shown on the progress bar and in the summary.
#[derive(Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub retried: AtomicU64,
}

pub struct Client {
    agent: ureq::Agent,
    url: String,
    headers: Vec<(String, String)>,
    options: ClientOptions,
    next_start: Mutex<Instant>,
    budget: AtomicI64,
    pub counters: Counters,
}

impl Client {
    /// A client for `url` sending `headers`; `requests` sizes the run's retry budget.
    pub fn new(url: &str, headers: Vec<(String, String)>, options: ClientOptions, requests: usize) -> Result<Client> {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(options.timeout))
            .user_agent(format!("liveness/{} (eval --api)", env!("CARGO_PKG_VERSION")))
            .max_idle_connections_per_host(64);
        if url.starts_with("https://") {
            let roots = system_roots()?;
            config = config.tls_config(
                ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::new_with_certs(&roots)).build(),
            );
        } else if !url.starts_with("http://") {
            return Err(super::Misconfigured(format!("--api {url:?}: give an http:// or https:// URL")).into());
        }
        let budget = ((requests as f64 * options.budget_share).ceil() as i64).max(10);
        Ok(Client {
            agent: config.build().new_agent(),
            url: url.to_owned(),
            headers,
            options,
            next_start: Mutex::new(Instant::now()),
            budget: AtomicI64::new(budget),
            counters: Counters::default(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn timeout(&self) -> Duration {
        self.options.timeout
    }

    /// Retries left in the run's budget.
    pub fn budget_left(&self) -> i64 {
        self.budget.load(Ordering::Relaxed).max(0)
    }

    /// Sends the body, retrying as the module says.
    pub fn send(&self, content_type: &str, body: &[u8]) -> Exchange {
        let start = Instant::now();
        let mut tries = Vec::new();
        let mut wait = self.options.backoff;
        loop {
            self.pace();
            let t = Instant::now();
            let attempt = self.attempt(content_type, body);
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            tries.push(match &attempt {
                Attempt::Answer { status, .. } => Try { status: Some(*status), error: None, ms },
                Attempt::Failed(e) => Try { status: None, error: Some(e.reason().to_owned()), ms },
            });
            let (retryable, retry_after) = match &attempt {
                Attempt::Answer { status, body, retry_after } => (retryable(*status, body), *retry_after),
                Attempt::Failed(Transport::Dns | Transport::Tls(_)) => (false, None),
                Attempt::Failed(_) => (true, None),
            };
            let done = |last, quota_stop| Exchange {
                last,
                tries: tries.clone(),
                elapsed_ms: start.elapsed().as_secs_f64() * 1000.0,
                quota_stop,
            };
            if let Some(s) = retry_after.filter(|s| *s > self.options.max_wait.as_secs_f64()) {
                return done(attempt, Some(s));
            }
            if !retryable || tries.len() > self.options.retries as usize || !self.take_retry() {
                return done(attempt, None);
            }
            self.counters.retried.fetch_add(1, Ordering::Relaxed);
            let pause = match retry_after {
                Some(s) => Duration::from_secs_f64(s),
                None => wait.mul_f64(jitter()),
            };
            std::thread::sleep(pause);
            wait = (wait * 2).min(Duration::from_secs(30));
        }
    }

    /// GET `path` on the API's host (`liveness serve`'s `/readyz`), once: its JSON answer, if any.
    pub fn get_json(&self, path: &str) -> Option<serde_json::Value> {
        let rest = self.url.split_once("://").map_or(self.url.as_str(), |(_, r)| r);
        let origin = &self.url[..self.url.len() - rest.len() + rest.find('/').unwrap_or(rest.len())];
        let mut req = self.agent.get(format!("{origin}{path}"));
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let mut resp = req.call().ok().filter(|r| r.status().is_success())?;
        serde_json::from_slice(&resp.body_mut().read_to_vec().ok()?).ok()
    }

    fn take_retry(&self) -> bool {
        self.budget.fetch_sub(1, Ordering::Relaxed) > 0
    }

    /// Waits for this request's slot under `--rps`.
    fn pace(&self) {
        let Some(rps) = self.options.rps else { return };
        let slot = {
            let mut next = self.next_start.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + Duration::from_secs_f64(1.0 / rps);
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }

    fn attempt(&self, content_type: &str, body: &[u8]) -> Attempt {
        self.counters.sent.fetch_add(1, Ordering::Relaxed);
        let mut req = self.agent.post(&self.url).header("Content-Type", content_type);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        let read = req.send(body).and_then(|mut resp| {
            let status = resp.status().as_u16();
            let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(retry_after);
            let body = resp.body_mut().with_config().limit(64 << 20).read_to_vec()?;
            Ok(Attempt::Answer { status, body, retry_after })
        });
        read.unwrap_or_else(|e| Attempt::Failed(transport(e, self.url.starts_with("https://"))))
    }
}

/// 429, 5xx, and 2xx bodies that are not JSON.
fn retryable(status: u16, body: &[u8]) -> bool {
    status == 429
        || status >= 500
        || ((200..300).contains(&status) && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err())
}

/// `Retry-After` in seconds (the HTTP-date form is left to the backoff).
fn retry_after(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0)
}

/// Why a request got no answer (`https`: the URL is HTTPS).
fn transport(e: ureq::Error, https: bool) -> Transport {
    match e {
        ureq::Error::Timeout(_) => Transport::Timeout,
        ureq::Error::HostNotFound => Transport::Dns,
        // std's resolver error (getaddrinfo), which ureq passes on as I/O.
        ureq::Error::Io(io) if io.to_string().contains("failed to lookup address") => Transport::Dns,
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => Transport::Refused(io.to_string()),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Transport::Timeout,
        // rustls's errors reach ureq as I/O errors of kind InvalidData (a plain-HTTP server's answer to the
        // ClientHello: "received corrupt message of type InvalidContentType"); HTTP parse errors are
        // Protocol errors, so over HTTPS this is the TLS layer.
        ureq::Error::Io(io) if https && io.kind() == std::io::ErrorKind::InvalidData => Transport::Tls(io.to_string()),
        ureq::Error::Tls(t) => Transport::Tls(t.to_owned()),
        ureq::Error::Rustls(t) => Transport::Tls(t.to_string()),
        ureq::Error::Pem(t) => Transport::Tls(t.to_string()),
        ureq::Error::TlsRequired => Transport::Tls("the server requires TLS".to_owned()),
        ureq::Error::Protocol(p) if p.to_string().to_ascii_lowercase().contains("tls") => Transport::Tls(p.to_string()),
        other => Transport::Other(other.to_string()),
    }
}

/// A random factor in 0.5..1.5 (std's randomly keyed hasher: jitter needs no cryptographic source).
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    0.5 + (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The system's root certificates: `SSL_CERT_FILE`, else the distribution's bundle.
fn system_roots() -> Result<Vec<ureq::tls::Certificate<'static>>> {
    const BUNDLES: [&str; 4] = [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
        "/etc/ssl/ca-bundle.pem",
    ];
    let given = std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    let path = match given {
        Some(p) => p,
        None => match BUNDLES.iter().map(std::path::Path::new).find(|p| p.exists()) {
            Some(p) => p.to_path_buf(),
            None => bail!(
                "no system root certificates for HTTPS (looked in {}); install ca-certificates or set SSL_CERT_FILE",
                BUNDLES.join(", ")
            ),
        },
    };
    let pem = std::fs::read(&path).with_context(|| format!("cannot read the root certificates {}", path.display()))?;
    let roots: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if roots.is_empty() {
        bail!("{} holds no PEM certificates (SSL_CERT_FILE?)", path.display());
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_retried() {
        assert!(retryable(429, b"") && retryable(503, b"{}") && retryable(200, b"{\"a\": "));
        assert!(!retryable(200, b"{\"score\": 1}") && !retryable(422, b"x") && !retryable(401, b""));
        assert_eq!(retry_after(" 2 "), Some(2.0));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        for _ in 0..100 {
            assert!((0.5..1.5).contains(&jitter()));
        }
    }

    #[test]
    fn hosts_and_roots() {
        assert_eq!(host_of("https://user:pw@api.example.com:8443/v1?x=1"), "api.example.com:8443");
        assert_eq!(host_of("http://127.0.0.1:9/"), "127.0.0.1:9");
        if std::path::Path::new("/etc/ssl/certs/ca-certificates.crt").exists() {
            assert!(system_roots().unwrap().len() > 10);
        }
    }
}
