//! The response side: one final answer (or the failure that ended a request) into a score record, by the
//! response map of the preset and the user's options.
//!
//! - 2xx with a score at the score pointer: scored, on the live 0..1 scale by the score-file mapping
//!   (`--score-scale`, `--higher-is-attack`).
//! - An error code at the error-code pointer (any status), or a non-2xx status: a non-response whose
//!   reason comes from the `--api-reason` rules, then the preset's; an unmapped one is kept verbatim as
//!   `api_error:<status>` (`api_error:<status>:<code>` when the answer names a code).
//! - 2xx that is not JSON or holds neither a score nor an error code: a [`Problem`]. In the first answers
//!   of a run that means the mapping is wrong, and the run stops showing the answer and the fix.

use serde_json::Value;

use super::format::{ReasonRule, ResponseMap};
use crate::detect::Detection;
use crate::frame::FaceBox;
use crate::quality::Quality;
use crate::score::record::{ModelScore, ScoreRecord};

/// A 2xx answer the mapping cannot read.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    /// The body is not JSON; the start of it.
    NotJson { status: u16, start: String },
    /// No score at the pointer and no error code; the answer and the numbers it does hold.
    NoScore { status: u16, body: String, numbers: Vec<(String, String)> },
    /// A score the mapping refuses (outside 0..1 without `--score-scale`, not a number).
    BadScore { status: u16, message: String, body: String },
}

impl Problem {
    /// The reason recorded when the problem comes after the first answers read well.
    pub fn reason(&self) -> String {
        match self {
            Problem::NotJson { status, .. } => format!("api_error:{status}:not_json"),
            Problem::NoScore { status, .. } => format!("api_error:{status}:no_score"),
            Problem::BadScore { status, .. } => format!("api_error:{status}:bad_score"),
        }
    }

    /// What the user is told, with the fix.
    pub fn explain(&self, map: &ResponseMap, url: &str) -> String {
        let score = map.mapping.score.as_deref().unwrap_or("?");
        match self {
            Problem::NotJson { status, start } => format!(
                "{url} answered {status} with a body that is not JSON: {start:?}. Is --api the API's endpoint \
                 (the full URL, e.g. .../v1/liveness), and --api-format its preset?"
            ),
            Problem::NoScore { status, body, numbers } => {
                let found = if numbers.is_empty() {
                    "it holds no numbers".to_owned()
                } else {
                    let list: Vec<String> = numbers.iter().map(|(p, v)| format!("{p} = {v}")).collect();
                    format!("numbers in it: {}", list.join(", "))
                };
                format!(
                    "{url} answered {status} but the score pointer {score} matches nothing in {body}; {found}. \
                     Name the score with --score-column POINTER (e.g. --score-column {}), or choose the \
                     vendor's --api-format",
                    numbers.first().map_or("/score", |(p, _)| p.as_str())
                )
            }
            Problem::BadScore { status, message, body } => {
                format!("{url} answered {status}: the score at {score} cannot be read: {message} (answer: {body})")
            }
        }
    }
}

/// The first `limit` characters of `text`, marked when cut.
pub fn snippet(text: &str, limit: usize) -> String {
    let mut out: String = text.chars().take(limit).collect();
    if text.chars().count() > limit {
        out.push('…');
    }
    out
}

/// Reads a final 2xx or error answer for the image `name`; the score is the model `model`'s (the run's
/// `<model>_score` column).
pub fn read(map: &ResponseMap, name: &str, model: &str, status: u16, body: &str) -> Result<ScoreRecord, Problem> {
    let rec = ScoreRecord::new(name.to_owned());
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let ok = (200..300).contains(&status);
    let Some(v) = parsed else {
        if ok {
            return Err(Problem::NotJson { status, start: snippet(body, 200) });
        }
        return Ok(non_response(rec, map, status, None, body));
    };
    let mut rec = if map.records { details(rec, &v) } else { rec };
    let code = map.error_code.as_deref().and_then(|p| v.pointer(p)).filter(|c| !c.is_null()).map(text_of);
    if !ok || code.is_some() {
        return Ok(non_response(rec, map, status, code.as_deref(), body));
    }
    let score = map.mapping.score.as_deref().and_then(|p| v.pointer(p)).filter(|s| !s.is_null());
    let Some(score) = score else {
        // A reason beside a missing score (the mapping's reason pointer) is a non-response, as in score files.
        if let Some(reason) = map.mapping.reason.as_deref().and_then(|p| v.pointer(p)).filter(|r| !r.is_null()) {
            let reason = text_of(reason);
            let detail = format!("{name}: the API gave no score, reason {reason}");
            return Ok(rec.non_response(&reason, detail));
        }
        return Err(Problem::NoScore { status, body: snippet(body, 300), numbers: numbers(&v) });
    };
    let bad = |message: String| Problem::BadScore { status, message, body: snippet(body, 300) };
    let raw = match score {
        Value::Number(n) => n.as_f64().ok_or_else(|| bad(format!("{n} is not a number")))?,
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| bad(format!("{s:?} is not a number")))?,
        other => return Err(bad(format!("{other} is not a number"))),
    };
    if !raw.is_finite() {
        return Err(bad(format!("{raw} is not a finite number")));
    }
    let live = map.mapping.live_score(raw).map_err(|e| bad(e.to_string()))?;
    if rec.models.is_empty() {
        rec.models.push(ModelScore { model: model.to_owned(), live, members: Vec::new() });
    } else {
        // A `score --json` record's first model is its primary score: the one the pointer read.
        rec.models[0].model = model.to_owned();
        rec.models[0].live = live;
    }
    Ok(rec)
}

/// The reason of an error answer, by the rules; unmapped: `api_error:<status>[:<code>]`.
pub fn reason_of(map: &ResponseMap, status: u16, code: Option<&str>) -> String {
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let coded = |r: &&ReasonRule| matches!((&r.code, code), (Some(c), Some(k)) if same(c, k));
    // The code under this status; the code under another status (a 200 or 400 carrying it); the status.
    let rule = (map.reasons.iter().find(|r| r.status == status && coded(r)))
        .or_else(|| map.reasons.iter().find(coded))
        .or_else(|| map.reasons.iter().find(|r| r.status == status && r.code.is_none()));
    match (rule, code) {
        (Some(r), _) => r.reason.clone(),
        (None, Some(c)) if map.codes_are_reasons && status == 422 => c.to_owned(),
        (None, Some(c)) => format!("api_error:{status}:{}", snippet(c, 64)),
        (None, None) => format!("api_error:{status}"),
    }
}

fn non_response(rec: ScoreRecord, map: &ResponseMap, status: u16, code: Option<&str>, body: &str) -> ScoreRecord {
    let reason = reason_of(map, status, code);
    let detail = format!("{}: the API answered {status}: {}", rec.path, snippet(body, 200));
    rec.non_response(&reason, detail)
}

/// A JSON value as a reason or code: strings as they are, anything else as JSON text.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The numbers in `v` with their JSON pointers, likeliest score first, ten at most: what the user can
/// point `--score-column` at. Likeliest: a name that says score, probability, live, real or spoof (then
/// confidence, often a face detector's), then a fraction in 0..1 (a box coordinate or a count rarely is),
/// then the shallowest, then document order.
fn numbers(v: &Value) -> Vec<(String, String)> {
    const SCORE_WORDS: [&str; 6] = ["score", "prob", "live", "real", "genuine", "spoof"];
    fn walk(v: &Value, at: String, out: &mut Vec<(String, String)>) {
        if out.len() >= 1000 {
            return;
        }
        match v {
            Value::Number(n) => out.push((at, n.to_string())),
            Value::Object(o) => {
                for (k, x) in o {
                    walk(x, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    let rank = |(pointer, value): &(String, String)| {
        let name = pointer.rsplit('/').next().unwrap_or("").to_ascii_lowercase();
        let named = if SCORE_WORDS.iter().any(|w| name.contains(w)) { 0 } else { 1 + u8::from(!name.contains("conf")) };
        let unit = value.parse::<f64>().is_ok_and(|x| (0.0..=1.0).contains(&x) && x.fract() != 0.0);
        (named, !unit, pointer.matches('/').count())
    };
    out.sort_by_key(rank); // stable: document order within a rank
    out.truncate(10);
    out
}

/// The fields of a `score --json` record (what `liveness serve` answers): size, faces, box, quality and
/// each model's score, so that `scores.csv` holds what a local run writes.
fn details(mut rec: ScoreRecord, v: &Value) -> ScoreRecord {
    let f = |k: &str| v.get(k).and_then(Value::as_f64);
    rec.width = f("width").unwrap_or(0.0) as usize;
    rec.height = f("height").unwrap_or(0.0) as usize;
    let face_box = |b: &Value| serde_json::from_value::<FaceBox>(b.clone()).ok();
    rec.faces = v
        .get("faces")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            Some(Detection { face: face_box(d.get("face")?)?, confidence: d.get("confidence")?.as_f64()? as f32 })
        })
        .collect();
    rec.face = v.get("box").and_then(Value::as_array).and_then(|b| {
        let c: Vec<i32> = b.iter().filter_map(|x| x.as_i64().and_then(|x| i32::try_from(x).ok())).collect();
        match c[..] {
            [x1, y1, x2, y2] => Some(FaceBox { x1, y1, x2, y2 }),
            _ => None,
        }
    });
    rec.quality = v.get("quality").and_then(|q| {
        let g = |k: &str| q.get(k).and_then(Value::as_f64);
        Some(Quality {
            face_px: g("face_px")?,
            face_share: g("face_share")?,
            sharpness: g("sharpness")?,
            brightness: g("brightness")?,
            clipped_share: g("clipped_share")?,
            at_border: q.get("at_border")?.as_bool()?,
        })
    });
    rec.models = v
        .get("models")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(name, m)| {
            let members = m.get("members").and_then(Value::as_object);
            Some(ModelScore {
                model: name.clone(),
                live: m.get("live_probability")?.as_f64()?,
                members: members.into_iter().flatten().filter_map(|(n, p)| Some((n.clone(), p.as_f64()?))).collect(),
            })
        })
        .collect();
    rec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::format::preset;

    fn map(name: &str) -> ResponseMap {
        preset(name).unwrap().response
    }

    #[test]
    fn scores_are_read_at_the_pointer_on_the_mapping_scale() {
        let rec = read(
            &map("spoofsense-antispoofing"),
            "a.jpg",
            "v",
            200,
            r#"{"model_output":{"prob_real":0.8125},"pred_idx":1}"#,
        )
        .unwrap();
        assert_eq!((rec.live(), rec.models[0].model.as_str()), (Some(0.8125), "v"));
        let mut m = map("generic");
        m.mapping.score = Some("/Confidence".into());
        m.mapping.scale = Some(100.0);
        assert_eq!(read(&m, "a", "v", 200, r#"{"Confidence": "37.5"}"#).unwrap().live(), Some(0.375));
        m.mapping.higher_is_attack = true;
        assert_eq!(read(&m, "a", "v", 200, r#"{"Confidence": 25}"#).unwrap().live(), Some(0.75));
    }

    #[test]
    fn error_answers_become_reasons_mapped_or_verbatim() {
        let mut m = map("spoofsense");
        let face = read(&m, "a", "v", 422, r#"{"error_code":"FACE_NOT_DETECTED","message":"no face"}"#).unwrap();
        assert_eq!(face.reason(), Some("no_face"));
        let other = read(&m, "a", "v", 422, r#"{"error_code":"EYES_CLOSED"}"#).unwrap();
        assert_eq!(other.reason(), Some("api_error:422:EYES_CLOSED"));
        assert_eq!(read(&m, "a", "v", 502, "<html>bad gateway</html>").unwrap().reason(), Some("api_error:502"));
        // A 200 carrying an error code is a non-response too.
        assert_eq!(read(&m, "a", "v", 200, r#"{"error_code":"NO_FACE_DETECTED"}"#).unwrap().reason(), Some("no_face"));
        m.reasons.insert(0, ReasonRule::parse("422:EYES_CLOSED=eyes_closed").unwrap());
        m.reasons.insert(1, ReasonRule::parse("451=blocked").unwrap());
        assert_eq!(read(&m, "a", "v", 422, r#"{"error_code":"eyes_closed"}"#).unwrap().reason(), Some("eyes_closed"));
        assert_eq!(read(&m, "a", "v", 451, "{}").unwrap().reason(), Some("blocked"));
        // serve's 422 codes are this tool's reasons.
        let serve = read(
            &map("serve"),
            "a",
            "v",
            422,
            r#"{"error":{"code":"too_blurry","message":"m"},"width":640,"height":480}"#,
        )
        .unwrap();
        assert_eq!((serve.reason(), serve.width), (Some("too_blurry"), 640));
    }

    #[test]
    fn unreadable_answers_are_problems_that_show_the_fix() {
        let m = map("generic");
        let p = read(&m, "a", "v", 200, r#"{"result":{"liveness":0.91,"n":[1]},"ok":true}"#).unwrap_err();
        let text = p.explain(&m, "http://h/v1");
        assert!(text.contains("/score matches nothing") && text.contains("/result/liveness = 0.91"), "{text}");
        assert!(text.contains("--score-column /result/liveness"), "{text}");
        // A box and a count come after the likely score, however many there are and wherever it stands.
        let boxes: Vec<String> = (0..12).map(|i| format!("\"b{i}\":{i}")).collect();
        let body = format!(r#"{{"a":{{{}}},"count":3,"real_prob":0.25,"z":0.5}}"#, boxes.join(","));
        let ranked = numbers(&serde_json::from_str(&body).unwrap());
        assert_eq!(ranked.len(), 10);
        assert_eq!(
            ranked[..3],
            [("/real_prob".into(), "0.25".into()), ("/z".into(), "0.5".into()), ("/count".into(), "3".into())]
        );
        let html = read(&m, "a", "v", 200, "<html>login</html>").unwrap_err();
        assert_eq!(html.reason(), "api_error:200:not_json");
        assert!(html.explain(&m, "u").contains("not JSON: \"<html>login</html>\""));
        let pct = read(&m, "a", "v", 200, r#"{"score": 87}"#).unwrap_err();
        assert!(pct.explain(&m, "u").contains("--score-scale 100"), "{}", pct.explain(&m, "u"));
    }

    #[test]
    fn a_serve_record_fills_the_local_columns() {
        let body = r#"{"width":640,"height":480,"faces":[{"face":{"x1":1,"y1":2,"x2":30,"y2":40},"confidence":0.99}],
            "box":[1,2,30,40],"quality":{"face_px":29.0,"face_share":0.01,"sharpness":50.5,"brightness":120.0,
            "clipped_share":0.0,"at_border":false},"models":{"silentface":{"live_probability":0.7,"members":{"a":0.6,"b":0.8}}},
            "live_probability":0.7,"decision":"live"}"#;
        let rec = read(&map("serve"), "x.jpg", "silentface", 200, body).unwrap();
        assert_eq!((rec.width, rec.faces.len(), rec.face.map(|f| f.x2)), (640, 1, Some(30)));
        assert_eq!(rec.quality.map(|q| q.sharpness), Some(50.5));
        assert_eq!(rec.models[0].model, "silentface");
        assert_eq!(rec.models[0].members, [("a".to_owned(), 0.6), ("b".to_owned(), 0.8)]);
        assert_eq!(rec.live(), Some(0.7));
    }
}
