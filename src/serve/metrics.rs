//! `/metrics` in the Prometheus text format (0.0.4): traffic, latency, and what was decided, by policy.
//!
//! The live-probability histogram per policy is the score-drift monitor: a shift of its mass after a
//! release or a camera change shows before the error rates do. Counters live behind one mutex: a scrape
//! or an update costs microseconds, against milliseconds of inference per request.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Request latency buckets, seconds.
const LATENCY_S: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Live-probability buckets: twentieths of 0..1.
const PROBABILITY: [f64; 20] =
    [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0];
/// Images per classifier run.
const BATCH: [f64; 8] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];

#[derive(Clone, Debug)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram { bounds, counts: vec![0; bounds.len()], sum: 0.0, count: 0 }
    }

    fn observe(&mut self, v: f64) {
        if let Some(i) = self.bounds.iter().position(|&b| v <= b) {
            self.counts[i] += 1;
        }
        self.sum += v;
        self.count += 1;
    }

    /// `name_bucket` (cumulative, with `+Inf`), `name_sum`, `name_count`; `labels` is `k="v",` or empty.
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            cumulative += c;
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{b}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {}", self.count);
        let trimmed = labels.trim_end_matches(',');
        let braced = if trimmed.is_empty() { String::new() } else { format!("{{{trimmed}}}") };
        let _ = writeln!(out, "{name}_sum{braced} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braced} {}", self.count);
    }
}

#[derive(Default)]
struct State {
    /// (endpoint, status) -> requests.
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    /// (policy, decision, band) -> scored images.
    decisions: BTreeMap<(String, &'static str, &'static str), u64>,
    /// (policy, reason) -> non-responses.
    non_responses: BTreeMap<(String, String), u64>,
    live: BTreeMap<String, Histogram>,
    batches: Option<Histogram>,
    /// (mode, decision) -> judged sessions; (reason) -> sessions not judged.
    sessions: BTreeMap<(&'static str, &'static str), u64>,
    session_failures: BTreeMap<String, u64>,
    /// (endpoint, matched, live) -> face compares and searches answered.
    faces: BTreeMap<(&'static str, bool, bool), u64>,
}

#[derive(Default)]
pub struct Metrics {
    state: Mutex<State>,
}

/// A label value with `\`, `"` and newlines escaped, as the text format requires.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut State)) {
        if let Ok(mut s) = self.state.lock() {
            f(&mut s);
        }
    }

    /// One answered request on `endpoint` (the route template, e.g. `/v1/sessions/{id}`).
    pub fn request(&self, endpoint: &str, status: u16, seconds: f64) {
        self.with(|s| {
            *s.requests.entry((endpoint.to_string(), status)).or_default() += 1;
            s.latency.entry(endpoint.to_string()).or_insert_with(|| Histogram::new(&LATENCY_S)).observe(seconds);
        });
    }

    /// One scored image: its decision, band and live probability under `policy`.
    pub fn scored(&self, policy: &str, decision: &'static str, band: &'static str, live: f64) {
        self.with(|s| {
            *s.decisions.entry((policy.to_string(), decision, band)).or_default() += 1;
            s.live.entry(policy.to_string()).or_insert_with(|| Histogram::new(&PROBABILITY)).observe(live);
        });
    }

    /// One image not scored under `policy`, with its reason code.
    pub fn non_response(&self, policy: &str, reason: &str) {
        self.with(|s| *s.non_responses.entry((policy.to_string(), reason.to_string())).or_default() += 1);
    }

    /// One session judged (`Some((mode, decision))`) or not (`Err(reason)`).
    pub fn session(&self, outcome: Result<(&'static str, &'static str), &str>) {
        self.with(|s| match outcome {
            Ok(k) => *s.sessions.entry(k).or_default() += 1,
            Err(reason) => *s.session_failures.entry(reason.to_string()).or_default() += 1,
        });
    }

    /// One face compare or search answered: whether the probe matched (or was identified) and was live.
    pub fn face(&self, endpoint: &'static str, matched: bool, live: bool) {
        self.with(|s| *s.faces.entry((endpoint, matched, live)).or_default() += 1);
    }

    /// Images in one classifier run of a worker (0: a batch of sessions only, not counted).
    pub fn batch(&self, images: usize) {
        if images > 0 {
            self.with(|s| s.batches.get_or_insert_with(|| Histogram::new(&BATCH)).observe(images as f64));
        }
    }

    /// The text exposition; `gauges` are (name, help, value) read at scrape time.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let Ok(s) = self.state.lock() else { return out };
        let head = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        head(&mut out, "liveness_http_requests_total", "counter", "HTTP requests answered, by endpoint and status.");
        for ((e, st), n) in &s.requests {
            let _ = writeln!(out, "liveness_http_requests_total{{endpoint=\"{}\",status=\"{st}\"}} {n}", label(e));
        }
        head(&mut out, "liveness_http_request_duration_seconds", "histogram", "Time from request headers to response.");
        for (e, h) in &s.latency {
            h.render(&mut out, "liveness_http_request_duration_seconds", &format!("endpoint=\"{}\",", label(e)));
        }
        head(&mut out, "liveness_decisions_total", "counter", "Scored images by policy, decision and band.");
        for ((p, d, b), n) in &s.decisions {
            let _ =
                writeln!(out, "liveness_decisions_total{{policy=\"{}\",decision=\"{d}\",band=\"{b}\"}} {n}", label(p));
        }
        head(&mut out, "liveness_non_responses_total", "counter", "Images not scored, by policy and reason.");
        for ((p, r), n) in &s.non_responses {
            let _ =
                writeln!(out, "liveness_non_responses_total{{policy=\"{}\",reason=\"{}\"}} {n}", label(p), label(r));
        }
        head(&mut out, "liveness_live_probability", "histogram", "Live probability of scored images, by policy.");
        for (p, h) in &s.live {
            h.render(&mut out, "liveness_live_probability", &format!("policy=\"{}\",", label(p)));
        }
        head(&mut out, "liveness_sessions_total", "counter", "Sessions judged, by mode and decision.");
        for ((m, d), n) in &s.sessions {
            let _ = writeln!(out, "liveness_sessions_total{{mode=\"{m}\",decision=\"{d}\"}} {n}");
        }
        head(&mut out, "liveness_session_non_responses_total", "counter", "Sessions not judged, by reason.");
        for (r, n) in &s.session_failures {
            let _ = writeln!(out, "liveness_session_non_responses_total{{reason=\"{}\"}} {n}", label(r));
        }
        head(
            &mut out,
            "liveness_face_decisions_total",
            "counter",
            "Face compares and searches, by match and liveness.",
        );
        for ((e, m, l), n) in &s.faces {
            let _ = writeln!(out, "liveness_face_decisions_total{{endpoint=\"{e}\",matched=\"{m}\",live=\"{l}\"}} {n}");
        }
        head(&mut out, "liveness_batch_images", "histogram", "Images per classifier run (micro-batching).");
        if let Some(h) = &s.batches {
            h.render(&mut out, "liveness_batch_images", "");
        }
        for (name, help, v) in gauges {
            head(&mut out, name, "gauge", help);
            let _ = writeln!(out, "{name} {v}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_counters_labelled() {
        let m = Metrics::default();
        m.scored("onboarding", "live", "pass", 0.97);
        m.scored("onboarding", "attack", "fail", 0.02);
        m.scored("onboarding", "attack", "fail", 0.05);
        m.non_response("onboarding", "no_face");
        m.request("/v1/liveness", 200, 0.03);
        m.request("/v1/liveness", 422, 0.2);
        m.batch(3);
        m.face("/v1/compare", true, false);
        let text = m.render(&[("liveness_ready", "Models loaded.", 1.0)]);
        for line in [
            "liveness_live_probability_bucket{policy=\"onboarding\",le=\"0.05\"} 2",
            "liveness_live_probability_bucket{policy=\"onboarding\",le=\"0.95\"} 2",
            "liveness_live_probability_bucket{policy=\"onboarding\",le=\"1\"} 3",
            "liveness_live_probability_bucket{policy=\"onboarding\",le=\"+Inf\"} 3",
            "liveness_live_probability_count{policy=\"onboarding\"} 3",
            "liveness_decisions_total{policy=\"onboarding\",decision=\"attack\",band=\"fail\"} 2",
            "liveness_non_responses_total{policy=\"onboarding\",reason=\"no_face\"} 1",
            "liveness_http_requests_total{endpoint=\"/v1/liveness\",status=\"422\"} 1",
            "liveness_http_request_duration_seconds_bucket{endpoint=\"/v1/liveness\",le=\"0.05\"} 1",
            "liveness_http_request_duration_seconds_bucket{endpoint=\"/v1/liveness\",le=\"0.25\"} 2",
            "liveness_batch_images_bucket{le=\"2\"} 0",
            "liveness_batch_images_bucket{le=\"3\"} 1",
            "liveness_batch_images_count 1",
            "liveness_ready 1",
            "liveness_face_decisions_total{endpoint=\"/v1/compare\",matched=\"true\",live=\"false\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
