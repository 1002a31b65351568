//! Presenting score records: an aligned table for people, JSON Lines and CSV for programs.

use std::io::Write;

use anyhow::Result;
use serde_json::json;

use super::record::ScoreRecord;
use crate::schema::columns;
use crate::schema::{Decision, Policy, Status};

/// Output format of `liveness score` and `liveness session score`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

impl Format {
    /// The format the `--json` / `--csv` flags ask for (clap makes them exclusive); a table without either.
    pub fn from_flags(json: bool, csv: bool) -> Format {
        if json {
            Format::Json
        } else if csv {
            Format::Csv
        } else {
            Format::Table
        }
    }
}

/// Writes records one at a time (streaming), so output starts before the last image is scored.
pub struct Printer<'a> {
    format: Format,
    policy: &'a Policy,
    models: Vec<String>,
    path_width: usize,
    csv: Option<csv::Writer<Box<dyn Write + 'a>>>,
    out: Box<dyn Write + 'a>,
}

impl<'a> Printer<'a> {
    pub fn new(
        format: Format,
        policy: &'a Policy,
        models: Vec<String>,
        names: &[String],
        out: Box<dyn Write + 'a>,
    ) -> Result<Self> {
        let path_width =
            names.iter().map(|n| crate::escape::terminal(n).chars().count()).max().unwrap_or(4).clamp(4, 60);
        let mut p = Printer { format, policy, models, path_width, csv: None, out };
        match format {
            Format::Table => p.table_header()?,
            Format::Csv => {
                let mut w = csv::Writer::from_writer(std::mem::replace(&mut p.out, Box::new(std::io::sink())));
                // The path first, so each row can be matched to its file (the rows follow the inputs'
                // order, but a folder expands to an order the caller does not know).
                w.write_record(std::iter::once("path".to_string()).chain(csv_header(&p.models, p.policy)))?;
                p.csv = Some(w);
            }
            Format::Json => {}
        }
        Ok(p)
    }

    pub fn print(&mut self, rec: &ScoreRecord) -> Result<()> {
        match self.format {
            Format::Table => self.table_row(rec)?,
            Format::Json => writeln!(self.out, "{}", json_record(rec, self.policy))?,
            Format::Csv => {
                if let Some(w) = self.csv.as_mut() {
                    let path = std::iter::once(crate::escape::csv(&rec.path).into_owned());
                    w.write_record(path.chain(csv_fields(rec, self.policy, &self.models)))?;
                    w.flush()?;
                }
            }
        }
        Ok(())
    }

    fn table_header(&mut self) -> Result<()> {
        let w = self.path_width;
        // The calibrated column only when the policy has a map, so a plain run prints as it always did.
        let calibrated = if self.policy.probability.is_some() { format!("  {:>6}", "P_LIVE") } else { String::new() };
        writeln!(
            self.out,
            "{:<w$}  {:>5}  {:>6}  {:>5}{calibrated}  {:<8}  {:<5}  NOTE",
            "PATH", "FACES", "LIVE", "SCORE", "DECISION", "BAND"
        )?;
        Ok(())
    }

    fn table_row(&mut self, rec: &ScoreRecord) -> Result<()> {
        let w = self.path_width;
        let path = shorten(&crate::escape::terminal(&rec.path), w);
        let faces = if rec.width == 0 { "-".to_string() } else { rec.faces.len().to_string() };
        match rec.live() {
            Some(p) => {
                let note = quality_note(rec);
                let calibrated = calibrated(p, self.policy).map_or(String::new(), |c| format!("  {c:>6.4}"));
                writeln!(
                    self.out,
                    "{path:<w$}  {faces:>5}  {p:>6.4}  {:>5.1}{calibrated}  {:<8}  {:<5}  {note}",
                    p * 100.0,
                    decision(p, self.policy),
                    self.policy.band(p).as_str()
                )?;
            }
            None => {
                let reason = rec.reason().unwrap_or("");
                let calibrated =
                    if self.policy.probability.is_some() { format!("  {:>6}", "-") } else { String::new() };
                writeln!(
                    self.out,
                    "{path:<w$}  {faces:>5}  {:>6}  {:>5}{calibrated}  {:<8}  {:<5}  not scored: {reason}",
                    "-", "-", "-", "-"
                )?;
            }
        }
        Ok(())
    }
}

/// The policy's calibrated P(bona fide) at live probability `p`, when it has a probability map.
fn calibrated(p: f64, policy: &Policy) -> Option<f64> {
    policy.probability.as_ref().map(|m| m.live_probability(p))
}

fn decision(p: f64, policy: &Policy) -> &'static str {
    Decision::of(policy.is_live(p)).as_str()
}

fn status(live: Option<f64>) -> Status {
    if live.is_some() { Status::Ok } else { Status::NonResponse }
}

/// Flags for measures close to their gates, so a person sees why a score may be low.
fn quality_note(rec: &ScoreRecord) -> String {
    let mut notes = Vec::new();
    if rec.faces.len() > 1 {
        notes.push(format!("{} faces", rec.faces.len()));
    }
    if rec.quality.is_some_and(|q| q.at_border) {
        notes.push("face at border".to_string());
    }
    notes.join(", ")
}

fn shorten(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width { s.to_string() } else { format!("…{}", s.chars().skip(n - width + 1).collect::<String>()) }
}

/// One JSON object per image; the stable fields a program can rely on.
pub fn json_record(rec: &ScoreRecord, policy: &Policy) -> serde_json::Value {
    let live = rec.live();
    let models: serde_json::Map<String, serde_json::Value> = rec
        .models
        .iter()
        .map(|m| {
            let members: serde_json::Map<_, _> = m.members.iter().map(|(n, p)| (n.clone(), json!(p))).collect();
            (m.model.clone(), json!({ "live_probability": m.live, "members": members }))
        })
        .collect();
    let (reason, detail) = match &rec.outcome {
        super::record::Outcome::Scored => (None, None),
        super::record::Outcome::NonResponse { reason, detail } => (Some(reason), Some(detail)),
    };
    let mut record = json!({
        "path": rec.path,
        "status": status(live).as_str(),
        "reason": reason,
        "detail": detail,
        "width": rec.width,
        "height": rec.height,
        "face_count": rec.faces.len(),
        "faces": rec.faces,
        "box": rec.face.map(|f| [f.x1, f.y1, f.x2, f.y2]),
        "live_probability": live,
        "score": live.map(|p| p * 100.0),
        "decision": live.map(|p| decision(p, policy)),
        "band": live.map(|p| policy.band(p).as_str()),
        "threshold": policy.threshold,
        "models": models,
        "quality": rec.quality,
    });
    // Beside the raw score, only when the policy has a map (so every other record stays as it was).
    if let Some(map) = &policy.probability {
        record["calibrated"] = json!({
            "live_probability": live.map(|p| map.live_probability(p)),
            "method": map.method.as_str(),
            "prior_attack": map.prior_attack,
            "fitted_on": map.scores,
        });
    }
    record
}

/// Columns shared by `score --csv` and the evaluation's `scores.csv`, after any label/metadata columns.
pub fn csv_header(models: &[String], policy: &Policy) -> Vec<String> {
    columns::image_result_header(models, policy.probability.is_some())
}

pub fn csv_fields(rec: &ScoreRecord, policy: &Policy, models: &[String]) -> Vec<String> {
    let live = rec.live();
    let opt = |v: Option<String>| v.unwrap_or_default();
    let mut f = vec![
        opt(live.map(|p| p.to_string())),
        status(live).as_str().into(),
        crate::escape::csv(rec.reason().unwrap_or("")).into_owned(),
        opt(live.map(|p| decision(p, policy).to_string())),
        opt(live.map(|p| policy.band(p).as_str().to_string())),
        if rec.width == 0 { String::new() } else { rec.faces.len().to_string() },
    ];
    match rec.face {
        Some(b) => f.extend([b.x1, b.y1, b.x2, b.y2].map(|v| v.to_string())),
        None => f.extend(std::iter::repeat_n(String::new(), columns::BOX.len())),
    }
    for m in models {
        f.push(opt(rec.models.iter().find(|s| &s.model == m).filter(|_| live.is_some()).map(|s| s.live.to_string())));
    }
    match rec.quality {
        Some(q) => f.extend([
            q.face_px.to_string(),
            format!("{:.6}", q.face_share),
            format!("{:.3}", q.sharpness),
            format!("{:.3}", q.brightness),
            format!("{:.6}", q.clipped_share),
            (q.at_border as u8).to_string(),
        ]),
        None => f.extend(std::iter::repeat_n(String::new(), columns::QUALITY.len())),
    }
    if policy.probability.is_some() {
        f.push(opt(live.and_then(|p| calibrated(p, policy)).map(|c| c.to_string())));
    }
    f
}
