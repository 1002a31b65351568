//! The run's remote scorers: [`ApiScorer`] sends each image to the API over a bounded number of
//! connections; [`Replay`] reads the answers a run stored (`eval --responses`). Both turn an answer into a
//! record by the same [`Reader`], so a re-read under the same mapping gives the same rows.
//!
//! Early stops (the answered rows are kept, and `--resume` continues after the fix):
//! - 401 or 403 at any time: the credentials are wrong or expired;
//! - a `Retry-After` beyond `--api-max-wait`: a quota stop;
//! - before the first answer: no answer at all (DNS, refused, TLS, timeouts), or 404/405 (the URL);
//! - within the first [`FIRST_ANSWERS`] answers: one the mapping cannot read (not JSON, no score at the
//!   pointer), shown with the fix. Later, such an answer is a non-response (`api_error:200:no_score`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

use super::Misconfigured;
use super::client::{Attempt, Client, ClientOptions, Try};
use super::format::ResponseMap;
use super::log::{self, LogWriter, Logged, RESPONSES_JSONL};
use super::request::{Resolved, Template};
use super::response::{self, snippet};
use super::summary::summarize;
use crate::dataset::Sample;
use crate::run::{Remote, RemoteBatch, utc_now_iso};
use crate::schema::run_folder::{ApiRun, METRICS_JSON, ModelInfo};
use crate::score::parallel::deliver_in_order;
use crate::score::record::ScoreRecord;

/// Answers the mapping must read before an unreadable one stops being a sign of a wrong mapping.
pub const FIRST_ANSWERS: usize = 5;

/// Turns answers into records, and tells which answers stop the run.
pub struct Reader {
    pub map: ResponseMap,
    /// The model of the `<model>_score` column.
    pub model: String,
    /// The URL as recorded (without credentials), for messages and the log.
    pub url: String,
    readable: AtomicUsize,
    answered: AtomicUsize,
}

impl Reader {
    pub fn new(map: ResponseMap, model: String, url: String) -> Reader {
        Reader { map, model, url, readable: AtomicUsize::new(0), answered: AtomicUsize::new(0) }
    }

    /// The record of a final answer (`status` and `body`) or of a request that got none (`error`, the
    /// transport reason); `Err` when the run must stop.
    fn record(&self, name: &str, status: Option<u16>, body: Option<&str>, error: Option<&str>) -> Result<ScoreRecord> {
        let Some(status) = status else {
            let reason = error.unwrap_or("api_error:no_answer");
            return Ok(ScoreRecord::new(name.to_owned()).non_response(reason, format!("{name}: {reason}")));
        };
        self.answered.fetch_add(1, Ordering::Relaxed);
        match response::read(&self.map, name, &self.model, status, body.unwrap_or("")) {
            Ok(rec) => {
                if (200..300).contains(&status) {
                    self.readable.fetch_add(1, Ordering::Relaxed);
                }
                Ok(rec)
            }
            Err(problem) if self.readable.load(Ordering::Relaxed) < FIRST_ANSWERS => {
                Err(Misconfigured(format!("stopped: {}", problem.explain(&self.map, &self.url))).into())
            }
            Err(problem) => {
                let reason = problem.reason();
                Ok(ScoreRecord::new(name.to_owned()).non_response(&reason, problem.explain(&self.map, &self.url)))
            }
        }
    }

    /// A stored line's record (resume, replay).
    fn reread(&self, l: &Logged) -> Result<ScoreRecord> {
        self.record(&l.path, l.status, l.body.as_deref(), l.error.as_deref())
    }

    fn decides(&self) -> Value {
        json!({"url": self.url, "response": self.map, "model": self.model})
    }
}

/// The log line of `sample`'s answer.
fn logged(n: usize, sample: &Sample, url: &str, rec: &ScoreRecord, answer: Answer) -> Logged {
    Logged {
        n,
        path: sample.rel_path.clone(),
        label: sample.label.as_str().to_owned(),
        attack_type: sample.species.clone(),
        meta: sample.meta.clone(),
        url: url.to_owned(),
        status: answer.status,
        error: answer.error,
        latency_ms: answer.tries.last().map(|t| t.ms),
        elapsed_ms: answer.elapsed_ms,
        tries: answer.tries,
        reason: rec.reason().map(str::to_owned),
        body: answer.body,
        utc: utc_now_iso(),
    }
}

/// What a request ended with, as the log keeps it.
struct Answer {
    status: Option<u16>,
    error: Option<String>,
    body: Option<String>,
    tries: Vec<Try>,
    elapsed_ms: f64,
}

impl Answer {
    fn of(l: &Logged) -> Answer {
        Answer {
            status: l.status,
            error: l.error.clone(),
            body: l.body.clone(),
            tries: l.tries.clone(),
            elapsed_ms: l.elapsed_ms,
        }
    }
}

/// A liveness API as a run's scorer.
pub struct ApiScorer {
    reader: Reader,
    template: Template,
    resolved: Resolved,
    preset: String,
    options: ClientOptions,
    /// The URL requests go to (as given: it may hold credentials the record leaves out).
    target: String,
    pub connections: usize,
}

impl ApiScorer {
    /// Reads the template's `$VAR`s now, so a missing token stops the run before anything is sent.
    pub fn new(
        url: &str,
        preset: &str,
        template: Template,
        map: ResponseMap,
        model: String,
        options: ClientOptions,
        connections: usize,
    ) -> Result<ApiScorer> {
        let resolved = template.resolve(|k| std::env::var(k).ok()).map_err(super::misconfigured)?;
        // Checked here too (the client is made per batch): a bad URL or missing roots fail at once.
        drop(Client::new(url, Vec::new(), options.clone(), 1)?);
        Ok(ApiScorer {
            reader: Reader::new(map, model, super::redact(url)),
            template,
            resolved,
            preset: preset.to_owned(),
            options,
            target: url.to_owned(),
            connections: connections.max(1),
        })
    }

    /// What the run block records: the URL and preset, and for `liveness serve` the backend and model
    /// its `/readyz` reports (an API that does not say is recorded without them).
    pub fn provenance(&self) -> ApiRun {
        let ready = (self.preset == "serve")
            .then(|| Client::new(&self.target, self.resolved.headers.clone(), self.options.clone(), 1).ok())
            .flatten()
            .and_then(|c| c.get_json("/readyz"));
        let ready = ready.as_ref();
        ApiRun {
            url: self.reader.url.clone(),
            format: self.preset.clone(),
            backend: ready.and_then(|r| r["backend"].as_str()).map(str::to_owned),
            model: ready.and_then(|r| serde_json::from_value::<ModelInfo>(r["model"].clone()).ok()),
            responses: None,
        }
    }

    /// One sample: read the file, send it, log the answer, make the record.
    fn request(&self, client: &Client, n: usize, sample: &Sample, out: &LogWriter) -> Result<ScoreRecord> {
        let name = &sample.rel_path;
        let bytes = match std::fs::read(&sample.path) {
            Ok(b) if !b.is_empty() => b,
            result => {
                let reason = match &result {
                    Ok(_) => "empty_file",
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => "missing_file",
                    Err(_) => "unreadable",
                };
                let detail =
                    format!("{}: {}", sample.path.display(), result.err().map_or("empty".into(), |e| e.to_string()));
                let rec = ScoreRecord::new(name.clone()).non_response(reason, detail);
                let answer =
                    Answer { status: None, error: Some(reason.into()), body: None, tries: vec![], elapsed_ms: 0.0 };
                out.write(&logged(n, sample, &self.reader.url, &rec, answer))?;
                return Ok(rec);
            }
        };
        let file_name = name.rsplit('/').next().unwrap_or(name);
        let (content_type, body) = self.resolved.body(&bytes, file_name);
        let ex = client.send(&content_type, &body);
        let url = &self.reader.url;
        if let Some(s) = ex.quota_stop {
            return Err(anyhow!(
                "stopped: {url} asks to wait {s} s before the next request (Retry-After, beyond --api-max-wait \
                 {} s): a quota or rate limit. The answers so far are kept; resume later with --resume",
                self.options.max_wait.as_secs_f64()
            ));
        }
        let answer = match ex.last {
            Attempt::Answer { status, body, .. } => {
                let text = String::from_utf8_lossy(&body).into_owned();
                if status == 401 || status == 403 {
                    return Err(anyhow!(
                        "stopped: {url} refused the credentials ({status}: {}). Check the --api-header values \
                         and the environment variables they name; the answers so far are kept (--resume)",
                        snippet(&text, 200)
                    ));
                }
                if (status == 404 || status == 405) && self.reader.answered.load(Ordering::Relaxed) == 0 {
                    return Err(Misconfigured(format!(
                        "stopped: {url} answered {status} ({}): is --api the endpoint's full URL (the {} preset's \
                         path is used only when the URL has none)?",
                        snippet(&text, 200),
                        self.preset
                    ))
                    .into());
                }
                Answer {
                    status: Some(status),
                    error: None,
                    body: Some(text),
                    tries: ex.tries,
                    elapsed_ms: ex.elapsed_ms,
                }
            }
            Attempt::Failed(t) => {
                if self.reader.answered.load(Ordering::Relaxed) == 0 {
                    return Err(anyhow!("stopped before any answer: {}", t.explain(url, client.timeout())));
                }
                let error = Some(t.reason().to_owned());
                Answer { status: None, error, body: None, tries: ex.tries, elapsed_ms: ex.elapsed_ms }
            }
        };
        let rec = self.reader.record(name, answer.status, answer.body.as_deref(), answer.error.as_deref())?;
        out.write(&logged(n, sample, url, &rec, answer))?;
        Ok(rec)
    }
}

impl Remote for ApiScorer {
    fn models(&self) -> Vec<String> {
        vec![self.reader.model.clone()]
    }

    fn decides(&self) -> Value {
        let mut d = self.reader.decides();
        d["format"] = json!(self.preset);
        d["request"] = serde_json::to_value(&self.template).unwrap_or(Value::Null);
        d
    }

    fn score(&self, batch: RemoteBatch, sink: &mut dyn FnMut(ScoreRecord) -> Result<()>) -> Result<()> {
        // Answers a stopped run received but had not written to scores.csv yet: never sent again.
        let stored =
            if batch.resume { log::latest(log::read(&batch.out.join(RESPONSES_JSONL))?) } else { BTreeMap::new() };
        let writer = LogWriter::open(batch.out, batch.resume)?;
        let client = Client::new(&self.target, self.resolved.headers.clone(), self.options.clone(), batch.todo.len())?;
        let reused = batch.todo.iter().filter(|s| stored.contains_key(&s.rel_path)).count();
        if reused > 0 {
            batch.bar.suspend(|| eprintln!("resume: {reused} answers already in {RESPONSES_JSONL} are not sent again"));
        }
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<(usize, Result<ScoreRecord>)>();
        let progress = Progress::default();
        let todo = batch.todo;
        std::thread::scope(|s| {
            for _ in 0..self.connections.min(todo.len().max(1)) {
                let tx = tx.clone();
                let (client, writer, stored, next, stop) = (&client, &writer, &stored, &next, &stop);
                s.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(sample) = todo.get(i) else { break };
                        let result = match stored.get(&sample.rel_path) {
                            Some(l) => self.reader.reread(l),
                            None => self.request(client, batch.first + i, sample, writer),
                        };
                        let failed = result.is_err();
                        if failed {
                            stop.store(true, Ordering::Relaxed);
                        }
                        if tx.send((i, result)).is_err() || failed {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            let delivered = deliver_in_order(rx, &mut |rec: ScoreRecord| {
                progress.show(batch.bar, &rec, &client);
                sink(rec)
            });
            stop.store(true, Ordering::Relaxed);
            delivered.map(|_| ())
        })?;
        finish(batch.out)
    }
}

/// Live counts on the progress bar.
#[derive(Default)]
struct Progress {
    counts: Mutex<(u64, u64, u64)>,
}

impl Progress {
    fn show(&self, bar: &indicatif::ProgressBar, rec: &ScoreRecord, client: &Client) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        match rec.reason() {
            None => c.0 += 1,
            Some(r) if r.starts_with("api_error") => c.2 += 1,
            Some(_) => c.1 += 1,
        }
        let retried = client.counters.retried.load(Ordering::Relaxed);
        bar.set_message(format!("ok {} · non-responses {} · api errors {} · retries {retried}", c.0, c.1, c.2));
    }
}

/// Writes the summary of the folder's whole log (`api.json`, `api.md`) and prints it.
fn finish(out: &Path) -> Result<()> {
    let lines = log::read(&out.join(RESPONSES_JSONL))?;
    let latest: Vec<Logged> = log::latest(lines).into_values().collect();
    let summary = summarize(&latest);
    summary.write(out)?;
    eprintln!("{}", summary.terminal());
    Ok(())
}

/// An API run's stored answers, read again under a (possibly corrected) mapping: `eval --responses`.
pub struct Replay {
    reader: Reader,
    pub source: PathBuf,
    lines: BTreeMap<String, Logged>,
}

impl Replay {
    /// Reads `path`; the samples are the logged ones, in their run order.
    pub fn open(path: &Path, map: ResponseMap, model: String) -> Result<(Replay, Vec<Sample>)> {
        let lines = log::latest(log::read(path)?);
        if lines.is_empty() {
            return Err(anyhow!("{} holds no responses (is it an API run's {RESPONSES_JSONL}?)", path.display()));
        }
        let url = lines.values().next().map(|l| l.url.clone()).unwrap_or_default();
        let root = path.parent().unwrap_or(Path::new("."));
        let mut ordered: Vec<&Logged> = lines.values().collect();
        ordered.sort_by_key(|l| l.n);
        let samples = ordered.iter().map(|l| l.sample(root)).collect::<Result<Vec<_>>>()?;
        Ok((Replay { reader: Reader::new(map, model, url), source: path.to_path_buf(), lines }, samples))
    }

    /// The stored answers' API as the run block records it: backend and model from the API run's own
    /// metrics.json beside the file, when it is there.
    pub fn provenance(&self, format: &str) -> ApiRun {
        let original = self.source.parent().map(|d| d.join(METRICS_JSON)).and_then(|p| std::fs::read(p).ok());
        /// The part of the API run's metrics.json read here: its run block.
        #[derive(serde::Deserialize)]
        struct Recorded {
            run: crate::schema::RunInfo,
        }
        let recorded: Option<ApiRun> =
            original.and_then(|b| serde_json::from_slice::<Recorded>(&b).ok()).and_then(|d| d.run.api);
        ApiRun {
            url: self.reader.url.clone(),
            format: format.to_owned(),
            backend: recorded.as_ref().and_then(|r| r.backend.clone()),
            model: recorded.and_then(|r| r.model),
            responses: Some(self.source.display().to_string()),
        }
    }
}

impl Remote for Replay {
    fn models(&self) -> Vec<String> {
        vec![self.reader.model.clone()]
    }

    fn decides(&self) -> Value {
        let mut d = self.reader.decides();
        d["responses"] = json!(self.source.display().to_string());
        d
    }

    fn score(&self, batch: RemoteBatch, sink: &mut dyn FnMut(ScoreRecord) -> Result<()>) -> Result<()> {
        let writer = LogWriter::open(batch.out, batch.resume)?;
        for (i, sample) in batch.todo.iter().enumerate() {
            let l = self.lines.get(&sample.rel_path).ok_or_else(|| anyhow!("{} has no answer", sample.rel_path))?;
            let rec = self.reader.reread(l)?;
            writer.write(&logged(batch.first + i, sample, &l.url, &rec, Answer::of(l)))?;
            sink(rec)?;
        }
        finish(batch.out)
    }
}
