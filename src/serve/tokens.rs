//! Page tokens: short-lived bearer tokens for the capture page, so the API token never reaches a browser.
//!
//! A client holding the API token (the deployer's back end) asks `POST /v1/page-tokens` for one and sends
//! the user to `/#token=...` (a URL fragment: never sent to the server, never in a proxy's log). The page
//! presents it as `Authorization: Bearer` on the capture endpoints only (`/v1/liveness`, `/v1/quality`,
//! `/v1/sessions*`, `/v1/collect`, `/v1/capture/config`); face match, `/metrics` and minting more page
//! tokens need the API token. Only each token's SHA-256 digest is held, with its expiry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use sha2::{Digest, Sha256};

use super::errors::ApiError;
use super::state::{hex, random_bytes};

/// Page tokens held at once (expired ones are dropped first); more are refused with 503.
const MAX_TOKENS: usize = 10_000;

pub struct PageTokens {
    /// SHA-256 of the token -> when it stops being valid.
    held: Mutex<HashMap<Vec<u8>, Instant>>,
    /// The longest (and default) lifetime.
    pub ttl: Duration,
}

/// What a presented page token turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    Valid,
    Expired,
    Unknown,
}

impl PageTokens {
    pub fn new(ttl: Duration) -> PageTokens {
        PageTokens { held: Mutex::new(HashMap::new()), ttl }
    }

    /// A new token valid for `ttl` (at most the server's `--page-token-ttl`).
    pub fn issue(&self, ttl: Option<Duration>) -> Result<(String, Duration), ApiError> {
        let ttl = ttl.map_or(self.ttl, |t| t.min(self.ttl));
        let token = hex(&random_bytes::<16>().map_err(|e| ApiError::internal(format!("no random source: {e}")))?);
        let mut held = self.held.lock().map_err(|_| ApiError::internal("the page token table is poisoned"))?;
        let now = Instant::now();
        // Expired tokens are kept one more lifetime so a late page hears "expired" rather than "invalid".
        held.retain(|_, until| now < *until + self.ttl);
        if held.len() >= MAX_TOKENS {
            return Err(ApiError::unavailable(
                "too_many_page_tokens",
                format!("{MAX_TOKENS} page tokens are held; retry when some expire"),
                ttl.as_secs().max(1),
            ));
        }
        held.insert(digest(&token), now + ttl);
        Ok((token, ttl))
    }

    pub fn check(&self, token: &str) -> Check {
        let Ok(held) = self.held.lock() else { return Check::Unknown };
        match held.get(&digest(token)) {
            Some(until) if Instant::now() < *until => Check::Valid,
            Some(_) => Check::Expired,
            None => Check::Unknown,
        }
    }
}

/// Tokens are looked up by digest: the table never holds a usable token.
fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

/// The 401 of an expired page token: the page asks for a new link.
pub fn expired() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "token_expired",
        "this capture link has expired; ask for a new one (POST /v1/page-tokens)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_valid_until_they_expire_and_unknown_ones_are_refused() {
        let t = PageTokens::new(Duration::from_secs(60));
        let (token, ttl) = t.issue(Some(Duration::from_secs(3600))).unwrap();
        assert_eq!(ttl, Duration::from_secs(60), "capped at the server's ttl");
        assert_eq!(token.len(), 32);
        assert_eq!(t.check(&token), Check::Valid);
        assert_eq!(t.check("0123456789abcdef0123456789abcdef"), Check::Unknown);
        let (short, _) = t.issue(Some(Duration::from_millis(1))).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(t.check(&short), Check::Expired);
        assert_ne!(t.issue(None).unwrap().0, token);
    }
}
