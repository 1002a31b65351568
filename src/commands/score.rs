//! `liveness score`: images in, live probabilities out.

use std::process::ExitCode;

use anyhow::Result;

use super::{Context, workers};
use crate::cli::ScoreArgs;
use crate::input;
use crate::score::output::{Format, Printer};
use crate::score::parallel::score_all;
use crate::score::pipeline::Job;

pub fn run(ctx: &Context, args: &ScoreArgs) -> Result<ExitCode> {
    let (spec, mut settings) = ctx.scoring_setup(&args.model)?;
    settings.given_box = args.face_box;
    let (files, problems) = input::expand(&args.inputs, &mut std::io::stdin().lock());
    for p in &problems {
        crate::escape::tell!("liveness: {}: {}", p.reason, crate::escape::terminal(&p.detail));
    }
    let mut jobs: Vec<Job> =
        files.iter().map(|f| Job { file: f.clone(), name: f.display().to_string(), given_box: None }).collect();
    if let Some(shard) = args.shard.as_ref().map(crate::run::shard::ShardArg::resolve).transpose()? {
        // The path as given and printed is the id, so the shards of one input list never overlap.
        jobs.retain(|j| shard.holds(&j.name));
    }
    let format = Format::from_flags(args.json, args.csv);
    let names: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
    let model_names = crate::model::descriptor::score_models(&spec.descriptors);
    let mut printer = Printer::new(format, &settings.policy, model_names, &names, Box::new(std::io::stdout().lock()))?;
    let mut not_scored = problems.len();
    score_all(&jobs, &spec, &settings, workers(args.model.workers), |rec| {
        if let Some(reason) = rec.reason() {
            not_scored += 1;
            let detail = match &rec.outcome {
                crate::score::record::Outcome::NonResponse { detail, .. } => detail.as_str(),
                crate::score::record::Outcome::Scored => "",
            };
            crate::escape::tell!("liveness: {reason}: {}", crate::escape::terminal(detail));
        }
        printer.print(&rec)
    })?;
    Ok(if not_scored > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}
