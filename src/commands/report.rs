//! `liveness report`: a run folder's report regenerated from its files, or several runs compared.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::ReportArgs;
use crate::report::{write_comparison, write_report};

pub fn run(args: &ReportArgs) -> Result<ExitCode> {
    let written = match (&args.runs[..], &args.out) {
        ([one], out) => write_report(one, out.as_deref().unwrap_or(one))?,
        (_, Some(out)) => {
            std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
            write_comparison(&args.runs, out)?
        }
        (_, None) => bail!("comparing {} runs: give --out DIR for the comparison report", args.runs.len()),
    };
    println!("{} ({} charts), {}", written.html.display(), written.charts, written.markdown.display());
    Ok(ExitCode::SUCCESS)
}
