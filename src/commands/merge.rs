//! `liveness merge SHARD_RUN... --out RUN`: the shards of a sharded `eval` -> one run folder.

use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use super::Context;
use crate::cli::MergeArgs;
use crate::commands::eval::{Recipe, Source, finish};
use crate::model::descriptor::Descriptor;
use crate::run::coverage::Coverage;
use crate::run::lock;
use crate::run::merge::{check, merge};
use crate::schema::run_folder::{RUN_JSON, SCORES_CSV};
use crate::schema::{DETECTOR_FILE, Policy};
use crate::score::pipeline::{EngineSpec, Settings};
use crate::scorefile::{ReadOptions, read_scores};

pub fn run(ctx: &Context, args: &MergeArgs) -> Result<ExitCode> {
    let (shards, gaps) = check(&args.shards, args.partial)?;
    for gap in &gaps {
        crate::escape::tell!("warning: {gap}");
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let _lock = lock::lock(&args.out)?;
    if !args.force && (crate::scorefile::of_run(&args.out).exists() || args.out.join(RUN_JSON).exists()) {
        bail!("{} already holds a run: pass --force to replace it, or choose another --out", args.out.display());
    }
    let merged = merge(&shards, gaps, &args.out, &std::env::args().collect::<Vec<_>>())?;
    let m = &merged.manifest;
    crate::escape::tell!(
        "merged {} shards: {} of {} presentations into {}",
        shards.len(),
        merged.rows,
        m.presentations,
        args.out.join(SCORES_CSV).display()
    );
    // The engine and settings the shards recorded, so the figures are computed exactly as `eval` did.
    let mut descriptors = Vec::new();
    for (i, model) in m.decides["models"].as_array().into_iter().flatten().enumerate() {
        let mut d: Descriptor =
            serde_json::from_value(model["descriptor"].clone()).context("the shards' run.json: a model descriptor")?;
        d.origin = m.origins.get(i).cloned().unwrap_or_default();
        descriptors.push(d);
    }
    let policy: Policy = serde_json::from_value(m.decides["policy"].clone()).context("the shards' run.json: policy")?;
    let max_pixels = m.decides["max_pixels"].as_u64().context("the shards' run.json: max_pixels")?;
    let recipe: Recipe = serde_json::from_value(m.evaluation.clone()).context("the shards' run.json: evaluation")?;
    // A manifest written before the backend was recorded was scored on ORT, the only runtime then.
    let backend = match m.decides.get("backend") {
        Some(b) => serde_json::from_value(b.clone()).context("the shards' run.json: backend")?,
        None => crate::model::backend::Backend::Ort,
    };
    let spec = EngineSpec {
        models_dir: ctx.models_dir.clone(),
        detector_file: DETECTOR_FILE.into(),
        descriptors,
        backend,
        recognizer: None,
    };
    let settings = Settings { policy, limits: crate::decode::DecodeLimits { max_pixels }, given_box: None };
    let coverage = Coverage::of(&args.out)?;
    if let Some(note) = coverage.note() {
        crate::escape::tell!("coverage: {note}");
    }
    let read = ReadOptions::flip(recipe.flip).keeping(&recipe.strata_columns()?);
    let presentations = read_scores(&args.out.join(SCORES_CSV), read)?;
    let source = Source {
        labels: None,
        text: m.dataset.source.clone(),
        scored_with_models: true,
        shard: None,
        file: None,
        filter: None,
        column: None,
        mapping: Default::default(),
        api: None,
        // The merged run's figures are the primary model's; the comparison of a multi-model run is not
        // recomputed by a merge.
        others: Vec::new(),
    };
    finish(&args.out, &source, &presentations, &recipe, &spec, &settings, &coverage)
}
