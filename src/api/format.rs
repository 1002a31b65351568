//! The presets of `--api-format`: where a vendor's endpoint lives, how it takes the image and where its
//! answer holds the score, the decision and the error code.
//!
//! The score side is the score-file [`Mapping`] of issue 11 (a JSON pointer, `--score-scale`,
//! `--higher-is-attack`), taken from the score-file preset of the same vendor where one exists, so a
//! vendor's answers read live and the same answers exported to a file read alike.

use anyhow::{Result, bail};
use serde::Serialize;

use super::request::Body;
use crate::scorefile::Mapping;
use crate::scorefile::mapping::preset as file_preset;

pub const PRESETS: [&str; 5] = ["serve", "spoofsense", "spoofsense-antispoofing", "verifik", "generic"];

/// One error answer turned into a non-response reason: `status` (and `code`, when given) to `reason`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReasonRule {
    pub status: u16,
    /// The error code at the answer's error-code pointer, compared without case; `None`: any code.
    pub code: Option<String>,
    pub reason: String,
}

impl ReasonRule {
    /// `STATUS[:CODE]=REASON`, as `--api-reason` takes it.
    pub fn parse(text: &str) -> Result<ReasonRule> {
        let usage = || format!("--api-reason {text:?}: write STATUS[:CODE]=REASON, e.g. 422:FACE_NOT_DETECTED=no_face");
        let Some((left, reason)) = text.split_once('=') else { bail!("{}", usage()) };
        let (status, code) = match left.split_once(':') {
            Some((s, c)) => (s, Some(c.trim().to_owned())),
            None => (left, None),
        };
        let Ok(status) = status.trim().parse::<u16>() else { bail!("{}", usage()) };
        let reason = reason.trim();
        if reason.is_empty() || !(100..600).contains(&status) {
            bail!("{}", usage());
        }
        Ok(ReasonRule { status, code, reason: reason.to_owned() })
    }
}

/// How an answer is read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResponseMap {
    /// The score's JSON pointer, scale and direction (and a reason pointer, for answers that carry one
    /// beside a missing score): the score-file mapping.
    pub mapping: Mapping,
    /// The vendor's own decision (kept in `responses.jsonl`; the metrics use the score and the policy).
    pub decision: Option<String>,
    /// Where an error answer holds its code (`/error/code`).
    pub error_code: Option<String>,
    /// The user's `--api-reason` rules first, then the preset's.
    pub reasons: Vec<ReasonRule>,
    /// The error codes of this API are this tool's own reasons (`liveness serve`: 422 `no_face`).
    pub codes_are_reasons: bool,
    /// Answers are `liveness score --json` records: faces, box, quality and each model's score fill
    /// their `scores.csv` columns as a local run would.
    pub records: bool,
}

/// A preset: endpoint path, request body and response map.
#[derive(Clone, Debug)]
pub struct Preset {
    pub name: &'static str,
    /// Appended to an `--api` URL given without a path.
    pub path: Option<&'static str>,
    pub body: Body,
    pub response: ResponseMap,
}

/// Error codes vendors use for images without a usable face, and this tool's reason for each.
const VENDOR_CODES: [(&str, &str); 4] = [
    ("FACE_NOT_DETECTED", "no_face"),
    ("NO_FACE_DETECTED", "no_face"),
    ("MULTIPLE_FACES_DETECTED", "multiple_faces"),
    ("FACE_TOO_SMALL", "face_too_small"),
];

fn vendor_rules(statuses: &[u16]) -> Vec<ReasonRule> {
    statuses
        .iter()
        .flat_map(|&status| {
            VENDOR_CODES.iter().map(move |(code, reason)| ReasonRule {
                status,
                code: Some((*code).to_owned()),
                reason: (*reason).to_owned(),
            })
        })
        .collect()
}

fn pointer(p: &str) -> Option<String> {
    Some(p.to_owned())
}

pub fn preset(name: &str) -> Result<Preset> {
    let json = |field: &str| Body::Json { field: field.to_owned(), data_url: false };
    let vendor = |mapping: Mapping, decision: Option<String>| ResponseMap {
        mapping,
        decision,
        error_code: pointer("/error_code"),
        reasons: vendor_rules(&[400, 422]),
        codes_are_reasons: false,
        records: false,
    };
    Ok(match name {
        // This tool's `liveness serve`: the raw image (no base64 to encode or decode), the answer of
        // `score --json` (the score-file preset of that record), 422 with the reason as `error.code`.
        "serve" => Preset {
            name: "serve",
            path: Some("/v1/liveness"),
            body: Body::Raw,
            response: ResponseMap {
                mapping: Mapping { score: file_preset("liveness-json")?.score, ..Mapping::default() },
                decision: pointer("/decision"),
                error_code: pointer("/error/code"),
                reasons: Vec::new(),
                codes_are_reasons: true,
                records: true,
            },
        },
        // SpoofSense v1: `POST /v1/liveness_detection` with the base64 image in `data`.
        "spoofsense" => Preset {
            name: "spoofsense",
            path: Some("/v1/liveness_detection"),
            body: json("data"),
            response: vendor(Mapping { score: pointer("/genuine_score"), ..Mapping::default() }, None),
        },
        // SpoofSense's older `/antispoofing` form: `model_output.prob_real`, as its score-file preset.
        "spoofsense-antispoofing" => Preset {
            name: "spoofsense-antispoofing",
            path: Some("/antispoofing"),
            body: json("data"),
            response: vendor(file_preset("spoofsense")?, pointer("/pred_idx")),
        },
        // Verifik: `liveness_score` and `passed`, as its score-file preset.
        "verifik" => Preset {
            name: "verifik",
            path: None,
            body: json("image"),
            response: vendor(file_preset("verifik")?, pointer("/passed")),
        },
        // Anything else: a JSON body with the image in `image`, the score at `/score`; every part can be
        // changed with the --api-* and --score-* options.
        "generic" => Preset {
            name: "generic",
            path: None,
            body: json("image"),
            response: vendor(Mapping { score: pointer("/score"), ..Mapping::default() }, pointer("/decision")),
        },
        other => bail!("unknown --api-format {other:?}; presets: {}", PRESETS.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_share_the_score_file_mapping_where_both_exist() {
        assert_eq!(preset("spoofsense-antispoofing").unwrap().response.mapping, file_preset("spoofsense").unwrap());
        assert_eq!(preset("verifik").unwrap().response.mapping, file_preset("verifik").unwrap());
        let serve = preset("serve").unwrap();
        assert_eq!(serve.response.mapping.score.as_deref(), Some("/live_probability"));
        assert_eq!((serve.path, serve.body), (Some("/v1/liveness"), Body::Raw));
        for name in PRESETS {
            assert_eq!(preset(name).unwrap().name, name);
        }
        assert!(preset("aws").unwrap_err().to_string().contains("presets: serve, spoofsense"));
    }

    #[test]
    fn reason_rules_parse_with_and_without_a_code() {
        let r = ReasonRule::parse("422:FACE_NOT_DETECTED=no_face").unwrap();
        assert_eq!((r.status, r.code.as_deref(), r.reason.as_str()), (422, Some("FACE_NOT_DETECTED"), "no_face"));
        let any = ReasonRule::parse("451=blocked").unwrap();
        assert_eq!((any.status, any.code), (451, None));
        for bad in ["422", "x=y", "422:A=", "99=x"] {
            assert!(ReasonRule::parse(bad).unwrap_err().to_string().contains("STATUS[:CODE]=REASON"), "{bad}");
        }
    }
}
