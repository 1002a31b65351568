//! `liveness report`: a run folder's report regenerated from its files, or several runs compared.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::ReportArgs;
use crate::metrics::BootstrapOptions;
use crate::report::run_folder::read_metrics;
use crate::report::{write_comparison, write_report};
use crate::run::coverage::{Coverage, Incomplete};

pub fn run(args: &ReportArgs) -> Result<ExitCode> {
    for run in &args.runs {
        if let Some(note) = Coverage::of(run)?.check(args.allow_incomplete)? {
            crate::escape::tell!("warning: {}: {note}", run.display());
        }
        let incomplete =
            read_metrics(run).is_ok_and(|doc| doc.run.coverage.as_ref().and_then(|c| c.complete) == Some(false));
        if incomplete && !args.allow_incomplete {
            return Err(Incomplete(format!(
                "{}: its metrics were computed on an incomplete run (metrics.json run.coverage); pass --allow-incomplete to report them",
                run.display()
            ))
            .into());
        }
    }
    let bootstrap = BootstrapOptions { resamples: args.bootstrap as usize, seed: args.seed };
    let models = args.models.as_deref();
    let written = match (&args.runs[..], &args.out) {
        (_, Some(out)) if args.cross => {
            let calibrate = args.calibrate_on.as_deref().map(|on| (on, args.calibrate_target));
            crate::report::cross::write(&args.runs, calibrate, out)?
        }
        ([one], out) if models.is_none() => write_report(one, out.as_deref().unwrap_or(one))?,
        (_, Some(out)) => {
            std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
            write_comparison(&args.runs, models, bootstrap, out)?
        }
        (runs, None) => bail!(
            "comparing {}: give --out DIR for the comparison report",
            match models {
                Some(m) => format!("models {}", m.join(", ")),
                None => format!("{} runs", runs.len()),
            }
        ),
    };
    crate::escape::say!("{} ({} charts), {}", written.html.display(), written.charts, written.markdown.display());
    Ok(ExitCode::SUCCESS)
}
