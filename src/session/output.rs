//! Presenting scored sessions: a table for people, JSON Lines, and CSV in the evaluation's score-file format
//! (`path,label,attack_type,<meta...>,score,status,reason,...`) so `liveness eval --scores FILE` computes
//! every metric at session level. `score` is the liveness score / 100; a session that could not be judged
//! has an empty score, status `non_response` and a reason.

use std::io::Write;

use anyhow::Result;
use serde_json::json;

use super::analyze::{Analysis, SessionEngine, analyze};
use super::input::SessionInput;
use super::policy::SessionPolicy;
use super::verdict::{SessionVerdict, judge};
use crate::decode::DecodeLimits;
use crate::schema::columns;
use crate::schema::{Decision, Status};
use crate::score::output::Format;

/// A session and everything known about it after scoring.
pub struct Scored {
    pub input: SessionInput,
    pub analysis: Analysis,
    pub verdict: Option<SessionVerdict>,
}

impl Scored {
    /// Analyses and judges one session under `policy` (the passive verdict at `passive_threshold`): what
    /// `liveness session score` and the server's session endpoint both run, so their results agree.
    pub fn score(
        engine: &mut SessionEngine,
        input: SessionInput,
        policy: &SessionPolicy,
        limits: &DecodeLimits,
        passive_threshold: f64,
        points: bool,
    ) -> Result<Scored> {
        let analysis = analyze(engine, &input, policy, limits, points)?;
        let verdict = judge(&input, &analysis, policy, passive_threshold);
        Ok(Scored { input, analysis, verdict })
    }

    /// The reason code and explanation of a non-response.
    pub fn failure(&self) -> Option<(&str, &str)> {
        match (&self.verdict, &self.analysis.problem) {
            (Some(_), _) => None,
            (None, Some(p)) => Some((p.reason, p.detail.as_str())),
            (None, None) => Some(("no_usable_frames", "no frame had a usable face")),
        }
    }
}

pub fn csv_header(meta: &[String]) -> Vec<String> {
    columns::session_header(meta).iter().map(|c| crate::escape::csv(c).into_owned()).collect()
}

pub fn csv_fields(s: &Scored, meta: &[String]) -> Vec<String> {
    let text = |s: &str| crate::escape::csv(s).into_owned();
    let label = s.input.label.map_or("", |l| l.as_str()).to_string();
    let mut f = vec![text(&s.input.id), label, text(&s.input.species)];
    f.extend(meta.iter().map(|k| s.input.meta.get(k).map_or_else(String::new, |v| text(v))));
    let asked: Vec<&str> = s.input.challenges.iter().map(|c| c.as_str()).collect();
    let used = s.analysis.usable().count();
    match &s.verdict {
        Some(v) => f.extend([
            (v.liveness_score / 100.0).to_string(),
            Status::Ok.as_str().into(),
            String::new(),
            decision(v.live).into(),
            v.band.into(),
            v.mode.as_str().into(),
            format!("{:.2}", v.liveness_score),
            (v.liveness_passed as u8).to_string(),
            format!("{:.2}", v.pose_variation_score),
            format!("{:.2}", v.expression_variation_score),
            v.passive_score.map_or(String::new(), |p| format!("{p:.6}")),
            asked.join(";"),
            v.completed().to_string(),
            v.named(true),
            v.named(false),
            s.analysis.frames_captured.to_string(),
            used.to_string(),
            format!("{:.2}", v.measures.yaw_range),
            format!("{:.2}", v.measures.pitch_range),
            format!("{:.4}", v.measures.ear_min_ratio),
            (v.measures.blink as u8).to_string(),
            format!("{:.4}", v.measures.smile_peak),
        ]),
        None => {
            // Filled by column name, so the row follows SESSION_RESULT whatever columns it gains.
            let reason = s.failure().map_or("", |(r, _)| r);
            let mut row = vec![String::new(); columns::SESSION_RESULT.len()];
            for (name, value) in [
                ("status", Status::NonResponse.as_str().to_owned()),
                ("reason", reason.to_owned()),
                ("challenges_asked", asked.join(";")),
                ("frames_captured", s.analysis.frames_captured.to_string()),
                ("frames_used", used.to_string()),
            ] {
                if let Some(i) = columns::SESSION_RESULT.iter().position(|c| c.name == name) {
                    row[i] = value;
                }
            }
            f.extend(row);
        }
    }
    f
}

fn decision(live: bool) -> &'static str {
    Decision::of(live).as_str()
}

/// One JSON object per session, with every frame's fate.
pub fn json_record(s: &Scored) -> serde_json::Value {
    let (reason, detail) = s.failure().map_or((None, None), |(r, d)| (Some(r), Some(d)));
    json!({
        "path": s.input.id,
        "label": s.input.label.map(|l| l.as_str()),
        "attack_type": s.input.species,
        "meta": s.input.meta,
        "status": if s.verdict.is_some() { Status::Ok } else { Status::NonResponse }.as_str(),
        "reason": reason,
        "detail": detail,
        "challenges_asked": s.input.challenges,
        "ordered": s.input.ordered,
        "frames_captured": s.analysis.frames_captured,
        "frames_used": s.analysis.usable().count(),
        "verdict": s.verdict,
        "decision": s.verdict.as_ref().map(|v| decision(v.live)),
        "frames": s.analysis.frames,
    })
}

/// Writes sessions one at a time as they are scored.
pub struct Printer<'a> {
    format: Format,
    meta: Vec<String>,
    width: usize,
    out: Box<dyn Write + 'a>,
}

impl<'a> Printer<'a> {
    pub fn new(format: Format, meta: Vec<String>, ids: &[String], out: Box<dyn Write + 'a>) -> Result<Printer<'a>> {
        let width = ids.iter().map(|n| n.chars().count()).max().unwrap_or(7).clamp(7, 60);
        let mut p = Printer { format, meta, width, out };
        match format {
            Format::Csv => p.csv_row(&csv_header(&p.meta))?,
            Format::Table => {
                let w = p.width;
                writeln!(
                    p.out,
                    "{:<w$}  {:>6}  {:<7}  {:>5}  {:>5}  {:>8}  {:<12}  {:>7}  {:<8}  NOTE",
                    "SESSION", "FRAMES", "MODE", "POSE", "EXPR", "LIVENESS", "BAND", "PASSIVE", "DECISION"
                )?;
            }
            Format::Json => {}
        }
        Ok(p)
    }

    pub fn print(&mut self, s: &Scored) -> Result<()> {
        match self.format {
            Format::Csv => self.csv_row(&csv_fields(s, &self.meta))?,
            Format::Json => writeln!(self.out, "{}", json_record(s))?,
            Format::Table => self.table_row(s)?,
        }
        self.out.flush()?;
        Ok(())
    }

    fn csv_row(&mut self, fields: &[String]) -> Result<()> {
        let mut w = csv::Writer::from_writer(&mut self.out);
        w.write_record(fields)?;
        w.flush()?;
        Ok(())
    }

    fn table_row(&mut self, s: &Scored) -> Result<()> {
        let w = self.width;
        let id = crate::escape::terminal(&s.input.id);
        let id = if id.chars().count() > w {
            format!("…{}", id.chars().skip(id.chars().count() - w + 1).collect::<String>())
        } else {
            id
        };
        let frames = format!("{}/{}", s.analysis.usable().count(), s.analysis.frames_captured);
        match &s.verdict {
            Some(v) => {
                let passive = v.passive_score.map_or("-".to_string(), |p| format!("{p:.4}"));
                let failed = v.named(false);
                let note =
                    if failed.is_empty() { String::new() } else { format!("failed: {}", failed.replace(';', ", ")) };
                writeln!(
                    self.out,
                    "{id:<w$}  {frames:>6}  {:<7}  {:>5.1}  {:>5.1}  {:>8.1}  {:<12}  {passive:>7}  {:<8}  {note}",
                    v.mode.as_str(),
                    v.pose_variation_score,
                    v.expression_variation_score,
                    v.liveness_score,
                    v.band,
                    decision(v.live)
                )?;
            }
            None => {
                let reason = s.failure().map_or("", |(r, _)| r);
                writeln!(
                    self.out,
                    "{id:<w$}  {frames:>6}  {:<7}  {:>5}  {:>5}  {:>8}  {:<12}  {:>7}  {:<8}  not scored: {reason}",
                    "-", "-", "-", "-", "-", "-", "-"
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::analyze::Stages;
    use crate::session::input::Problem;

    #[test]
    fn non_response_rows_have_every_column_and_no_score() {
        let mut input = SessionInput::of_frames(
            "s1".into(),
            crate::dataset::Label::Attack,
            "print".into(),
            Default::default(),
            Vec::new(),
        );
        input.meta.insert("subject".into(), "7".into());
        let problem = Some(Problem { reason: "no_frames", detail: "empty".into() });
        let s = Scored {
            input,
            analysis: Analysis { frames_captured: 0, frames: Vec::new(), problem, stages: Stages::default() },
            verdict: None,
        };
        let meta = vec!["device".to_string(), "subject".to_string()];
        let (h, f) = (csv_header(&meta), csv_fields(&s, &meta));
        assert_eq!(h.len(), f.len());
        let cell = |name: &str| f[h.iter().position(|c| c == name).unwrap()].as_str();
        assert_eq!(
            (cell("path"), cell("label"), cell("attack_type"), cell("subject"), cell("device")),
            ("s1", "attack", "print", "7", "")
        );
        assert_eq!(
            (cell("score"), cell("status"), cell("reason"), cell("frames_captured")),
            ("", "non_response", "no_frames", "0")
        );
    }
}
