//! `liveness serve`: the command line turned into [`ServeOptions`], then the server runs.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use super::{Context, model_info, workers};
use crate::cli::{ModelOptions, ServeArgs};
use crate::score::pipeline::EngineSpec;
use crate::serve::options::{CaptureOptions, FaceOptions, Limits, ServeOptions, SessionOptions};
use crate::session::challenge::Challenge;

pub fn run(ctx: &Context, args: &ServeArgs) -> Result<ExitCode> {
    let mut engine = None;
    let mut policies = Vec::new();
    for name in &args.policies {
        // Each policy resolves as `score --policy NAME` would, so both score alike.
        let (spec, settings) = ctx.scoring_setup(&model_options(args, name))?;
        if policies.iter().any(|s: &crate::score::pipeline::Settings| s.policy.name == settings.policy.name) {
            bail!("--policy {name}: a policy named {:?} is already served", settings.policy.name);
        }
        engine.get_or_insert(spec);
        policies.push(settings);
    }
    let Some(engine) = engine else { bail!("give at least one --policy") };
    let Some(primary) = engine.descriptors.first() else { bail!("give a --model") };
    let token = match &args.token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the token file {}", path.display()))?;
            let token = text.trim().to_string();
            if token.len() < 16 {
                bail!(
                    "the token in {} is {} characters; use at least 16 (e.g. `openssl rand -hex 32`)",
                    path.display(),
                    token.len()
                );
            }
            Some(token)
        }
        None => None,
    };
    let face = face_options(ctx, args, &engine)?;
    let opts = ServeOptions {
        addr: args.addr,
        model: model_info(primary),
        sessions: SessionOptions {
            policy: crate::session::policy::resolve(&args.session_policy, &ctx.config_dirs)?,
            ttl: Duration::from_secs(args.session_ttl),
            max_sessions: args.max_sessions,
            passive: if args.no_passive { None } else { Some(primary.clone()) },
        },
        engine,
        policies,
        workers: workers(args.workers),
        limits: Limits {
            max_body: args.max_body,
            max_in_flight: args.max_in_flight.max(1),
            max_connections: args.max_connections.max(1),
            request_timeout: Duration::from_secs(args.request_timeout.max(1)),
            header_timeout: Duration::from_secs(args.header_timeout.max(1)),
            shutdown_grace: Duration::from_secs(args.shutdown_grace),
        },
        token,
        insecure_bind_any: args.insecure_bind_any,
        allow_threshold_override: args.allow_threshold_override,
        audit_log: args.audit_log.clone(),
        face,
        capture: CaptureOptions {
            show_scores: args.show_scores,
            challenges: args.capture_challenges.as_deref().map(capture_challenges).transpose()?,
            collect: args.collect.clone(),
            page_token_ttl: Duration::from_secs(args.page_token_ttl.max(1)),
        },
    };
    crate::serve::run(opts)?;
    Ok(ExitCode::SUCCESS)
}

/// Face compare and search, when asked for: the PAD engine with the recognizer (as `liveness compare`
/// builds it, so both give the same distances), the match threshold and the gallery.
fn face_options(ctx: &Context, args: &ServeArgs, engine: &EngineSpec) -> Result<Option<FaceOptions>> {
    if !args.face_match && args.gallery_db.is_none() {
        return Ok(None);
    }
    let recognizer = super::compare::recognizer(ctx, &args.matching)?;
    let threshold = super::compare::match_threshold(&recognizer, &args.matching)?;
    let key = super::compare::gallery_key(&recognizer)?;
    let mut spec = engine.clone();
    spec.recognizer = Some(recognizer.clone());
    Ok(Some(FaceOptions {
        engine: spec,
        recognizer: serde_json::json!({
            "name": key.model,
            "origin": recognizer.origin,
            "sha256": key.model_sha256,
            "crop_rule": key.crop_rule,
            "dim": key.dim,
        }),
        threshold,
        gallery: args.gallery_db.clone().map(|dir| (dir, key)),
    }))
}

/// `--capture-challenges`: known names, 1 to 8 of them.
fn capture_challenges(names: &[String]) -> Result<Vec<Challenge>> {
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let Some(c) = Challenge::parse(n.trim()) else {
            bail!("--capture-challenges: unknown challenge {n:?}; known: {}", Challenge::names());
        };
        out.push(c);
    }
    if out.is_empty() || out.len() > 8 {
        bail!("--capture-challenges: give 1 to 8 challenges, got {}", out.len());
    }
    Ok(out)
}

/// The scoring options of one served policy.
fn model_options(args: &ServeArgs, policy: &str) -> ModelOptions {
    ModelOptions {
        model: args.model.clone(),
        policy: policy.to_string(),
        threshold: None,
        multi_face: None,
        max_pixels: args.max_pixels,
        workers: args.workers,
        backend: args.backend,
    }
}
