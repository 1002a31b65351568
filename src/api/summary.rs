//! What an API run cost and how the API behaved, from its `responses.jsonl`: latency percentiles of the
//! answered requests, attempts, retries, and the share of each outcome (the error-rate table), written
//! beside the PAD metrics as `api.json` and `api.md`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use super::log::Logged;
use crate::escape;

pub const API_JSON: &str = "api.json";
pub const API_MD: &str = "api.md";

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub answered: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub presentations: usize,
    /// HTTP requests sent, retries included.
    pub attempts: usize,
    /// Presentations that needed more than one attempt.
    pub retried: usize,
    pub retries: usize,
    /// Presentations whose last attempt still failed (`api_error:*`).
    pub failed: usize,
    /// Round trip of the last attempt of each answered presentation (no answer: not counted).
    pub latency: Option<Latency>,
    /// Outcome (`ok`, or the non-response reason) -> presentations.
    pub outcomes: BTreeMap<String, usize>,
    /// Last HTTP status (`none`: no answer) -> presentations.
    pub statuses: BTreeMap<String, usize>,
}

/// The nearest-rank percentile `p` (0..100) of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn summarize(lines: &[Logged]) -> Summary {
    let mut ms: Vec<f64> = lines.iter().filter(|l| l.status.is_some()).filter_map(|l| l.latency_ms).collect();
    ms.sort_by(f64::total_cmp);
    let latency = (!ms.is_empty()).then(|| Latency {
        answered: ms.len(),
        p50_ms: percentile(&ms, 50.0),
        p95_ms: percentile(&ms, 95.0),
        p99_ms: percentile(&ms, 99.0),
        max_ms: ms[ms.len() - 1],
        mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
    });
    let mut outcomes = BTreeMap::new();
    let mut statuses = BTreeMap::new();
    for l in lines {
        *outcomes.entry(l.reason.clone().unwrap_or_else(|| "ok".to_owned())).or_insert(0) += 1;
        *statuses.entry(l.status.map_or_else(|| "none".to_owned(), |s| s.to_string())).or_insert(0) += 1;
    }
    Summary {
        presentations: lines.len(),
        attempts: lines.iter().map(|l| l.tries.len()).sum(),
        retried: lines.iter().filter(|l| l.tries.len() > 1).count(),
        retries: lines.iter().map(|l| l.tries.len().saturating_sub(1)).sum(),
        failed: lines.iter().filter(|l| l.reason.as_deref().is_some_and(|r| r.starts_with("api_error"))).count(),
        latency,
        outcomes,
        statuses,
    }
}

impl Summary {
    /// The Markdown table (names escaped: reasons may hold a vendor's codes).
    pub fn markdown(&self) -> String {
        let share = |n: usize| 100.0 * n as f64 / self.presentations.max(1) as f64;
        let mut s = String::from("## API\n\n");
        s += &format!(
            "{} presentations, {} HTTP requests ({} retries over {} presentations), {} failed after retries.\n\n",
            self.presentations, self.attempts, self.retries, self.retried, self.failed
        );
        if let Some(l) = &self.latency {
            s += "| latency (last attempt) | p50 | p95 | p99 | max | mean |\n| --- | --- | --- | --- | --- | --- |\n";
            s += &format!(
                "| {} answered | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |\n\n",
                l.answered, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms, l.mean_ms
            );
        }
        s += "| outcome | presentations | share |\n| --- | --- | --- |\n";
        for (k, n) in &self.outcomes {
            s += &format!("| {} | {n} | {:.2}% |\n", escape::markdown(k), share(*n));
        }
        s += "\n| HTTP status | presentations |\n| --- | --- |\n";
        for (k, n) in &self.statuses {
            s += &format!("| {k} | {n} |\n");
        }
        s
    }

    /// The terminal lines.
    pub fn terminal(&self) -> String {
        let mut s = format!(
            "API: {} presentations, {} requests, {} retries, {} failed",
            self.presentations, self.attempts, self.retries, self.failed
        );
        if let Some(l) = &self.latency {
            s += &format!("; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms", l.p50_ms, l.p95_ms, l.p99_ms);
        }
        let outcomes: Vec<String> = self.outcomes.iter().map(|(k, n)| format!("{} {n}", escape::terminal(k))).collect();
        s + &format!("\nAPI outcomes: {}", outcomes.join(", "))
    }

    /// Writes `api.json` and `api.md` in `out`.
    pub fn write(&self, out: &Path) -> Result<()> {
        let json = out.join(API_JSON);
        std::fs::write(&json, serde_json::to_string_pretty(self)? + "\n")
            .with_context(|| format!("cannot write {}", json.display()))?;
        let md = out.join(API_MD);
        std::fs::write(&md, self.markdown()).with_context(|| format!("cannot write {}", md.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::client::Try;

    fn line(ms: f64, status: Option<u16>, tries: usize, reason: Option<&str>) -> Logged {
        let t = Try { status, error: None, ms };
        Logged {
            n: 0,
            path: "p".into(),
            label: "live".into(),
            attack_type: String::new(),
            meta: BTreeMap::new(),
            url: "u".into(),
            status,
            error: None,
            latency_ms: Some(ms),
            elapsed_ms: ms,
            tries: vec![t; tries],
            reason: reason.map(str::to_owned),
            body: None,
            utc: String::new(),
        }
    }

    #[test]
    fn percentiles_are_nearest_rank_and_counts_add_up() {
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), 2.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 95.0), 4.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        let mut lines: Vec<Logged> = (1..=100).map(|i| line(f64::from(i), Some(200), 1, None)).collect();
        lines.push(line(5.0, Some(422), 1, Some("no_face")));
        lines.push(line(9.0, None, 3, Some("api_error:timeout")));
        lines.push(line(2.0, Some(500), 3, Some("api_error:500")));
        let s = summarize(&lines);
        let l = s.latency.clone().unwrap();
        // 102 answered (the timeout has no status); with 2 and 5 ms added, 1..100 ms sit at ranks v+2 from 6
        // on: p50 is rank 51 = 49 ms, p95 rank 97 = 95 ms, p99 rank 101 = 99 ms.
        assert_eq!((l.answered, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms), (102, 49.0, 95.0, 99.0, 100.0));
        assert_eq!((s.presentations, s.attempts, s.retried, s.retries, s.failed), (103, 107, 2, 4, 2));
        assert_eq!(s.outcomes["ok"], 100);
        assert_eq!((s.statuses["none"], s.statuses["200"]), (1, 100));
        assert!(s.markdown().contains("| api\\_error:timeout | 1 | 0.97% |"), "{}", s.markdown());
    }
}
