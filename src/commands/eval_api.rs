//! `eval DATASET --api URL` and `eval --responses FILE`: the API options turned into the run's remote
//! scorer (`src/api`), once. `eval` then runs as for a local model.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail, ensure};

use super::Context;
use crate::api::client::ClientOptions;
use crate::api::format::{self, ReasonRule, ResponseMap};
use crate::api::request::{Body, Template, parse_extra, parse_header};
use crate::api::{ApiScorer, Replay, misconfigured};
use crate::cli::EvalArgs;
use crate::dataset::Dataset;
use crate::model::descriptor::Descriptor;
use crate::run::Remote;
use crate::schema::run_folder::ApiRun;

/// The connections of an API run without `-j`.
const DEFAULT_CONNECTIONS: usize = 4;

/// A run's remote scorer and what the run records about it.
pub struct Api {
    pub remote: Box<dyn Remote>,
    /// The named model's descriptor, when the catalog knows `--model` (recorded as a local run's).
    pub descriptors: Vec<Descriptor>,
    /// `--responses`: the stored answers' samples, and the file.
    pub replayed: Option<(Dataset, PathBuf)>,
    /// What the run block records of the API (it scored, no local model did).
    pub run: ApiRun,
}

/// The remote scorer the options ask for, if any.
pub fn setup(ctx: &Context, args: &EvalArgs) -> Result<Option<Api>> {
    let a = &args.api;
    if a.api.is_none() && a.responses.is_none() {
        return Ok(None);
    }
    let (named, descriptor) = super::eval::scores_model(ctx, &args.model.model)?;
    let (preset, response) = response_map(args).map_err(misconfigured)?;
    let model = named.unwrap_or_else(|| preset.name.to_owned());
    let descriptors: Vec<Descriptor> = descriptor.into_iter().collect();
    if let Some(file) = &a.responses {
        let (replay, samples) = Replay::open(file, response, model)?;
        let name =
            file.parent().and_then(|p| p.file_name()).map_or("responses".into(), |n| n.to_string_lossy().into_owned());
        let root = file.parent().map(PathBuf::from).unwrap_or_default();
        let ds = Dataset { name, root, samples, issues: Vec::new() };
        let run = replay.provenance(preset.name);
        return Ok(Some(Api { remote: Box::new(replay), descriptors, replayed: Some((ds, file.clone())), run }));
    }
    let Some(url) = &a.api else { bail!("give --api URL or --responses FILE") };
    let url = crate::api::with_default_path(url, preset.path);
    let (template, options) = request(a, &preset.body).map_err(misconfigured)?;
    let connections = args.model.workers.unwrap_or(DEFAULT_CONNECTIONS);
    let scorer = ApiScorer::new(&url, preset.name, template, response, model, options, connections)?;
    let run = scorer.provenance();
    Ok(Some(Api { remote: Box::new(scorer), descriptors, replayed: None, run }))
}

/// The preset and the response map with the options over it.
fn response_map(args: &EvalArgs) -> Result<(format::Preset, ResponseMap)> {
    let a = &args.api;
    ensure!(
        args.mapping.preset.is_none(),
        "--format names a score-file preset; with --api or --responses name the API's preset with --api-format"
    );
    ensure!(
        args.mapping.decision_column.is_none(),
        "--decision-column reads a score file's column (eval --scores); an API's own decision is --api-decision"
    );
    let preset = format::preset(&a.api_format)?;
    let mut response = preset.response.clone();
    response.mapping = super::mapping_over(response.mapping, &args.mapping)?;
    if a.api_decision.is_some() {
        response.decision.clone_from(&a.api_decision);
    }
    if a.api_error_code.is_some() {
        response.error_code.clone_from(&a.api_error_code);
    }
    let mut rules = a.api_reason.iter().map(|r| ReasonRule::parse(r)).collect::<Result<Vec<_>>>()?;
    rules.append(&mut response.reasons);
    response.reasons = rules;
    check_pointers(&response)?;
    Ok((preset, response))
}

/// The request template and the client's options.
fn request(a: &crate::cli::ApiArgs, preset: &Body) -> Result<(Template, ClientOptions)> {
    let template = Template {
        body: body(a, preset),
        extra: a.api_extra.iter().map(|e| parse_extra(e)).collect::<Result<_>>()?,
        headers: a.api_header.iter().map(|h| parse_header(h)).collect::<Result<_>>()?,
    };
    let secs = |s: f64, flag: &str| -> Result<Duration> {
        ensure!(s.is_finite() && s >= 0.0, "{flag} must be a number of seconds, got {s}");
        Ok(Duration::from_secs_f64(s))
    };
    ensure!(a.api_timeout > 0.0, "--api-timeout must be above 0 seconds");
    ensure!(a.rps.is_none_or(|r| r.is_finite() && r > 0.0), "--rps must be above 0");
    ensure!((0.0..=10.0).contains(&a.api_retry_budget), "--api-retry-budget is a share of the requests, 0..10");
    let options = ClientOptions {
        timeout: secs(a.api_timeout, "--api-timeout")?,
        retries: a.api_retries,
        budget_share: a.api_retry_budget,
        backoff: secs(a.api_backoff, "--api-backoff")?,
        max_wait: secs(a.api_max_wait, "--api-max-wait")?,
        rps: a.rps,
    };
    Ok((template, options))
}

/// The preset's body with the body options over it.
fn body(a: &crate::cli::ApiArgs, preset: &Body) -> Body {
    if let Some(field) = &a.api_multipart {
        return Body::Multipart { field: field.clone() };
    }
    if a.api_raw {
        return Body::Raw;
    }
    match (&a.api_field, preset) {
        (Some(field), _) => Body::Json { field: field.clone(), data_url: a.api_data_url },
        (None, Body::Json { field, .. }) => Body::Json { field: field.clone(), data_url: a.api_data_url },
        (None, _) if a.api_data_url => Body::Json { field: "image".into(), data_url: true },
        (None, other) => other.clone(),
    }
}

/// Answers are JSON: every mapped field must be a JSON pointer.
fn check_pointers(r: &ResponseMap) -> Result<()> {
    let m = &r.mapping;
    let named = [
        ("--score-column", &m.score),
        ("--reason-column", &m.reason),
        ("--api-decision", &r.decision),
        ("--api-error-code", &r.error_code),
    ];
    for (flag, p) in named {
        if let Some(p) = p.as_deref().filter(|p| !p.starts_with('/')) {
            bail!("{flag} {p:?}: an API answer is JSON, name the field with a JSON pointer such as /{p}");
        }
    }
    ensure!(m.score.is_some(), "name the score's JSON pointer with --score-column (e.g. /score)");
    Ok(())
}
