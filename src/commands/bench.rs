//! `liveness bench`: throughput and where the time goes.
use std::process::ExitCode;
use anyhow::Result;
use super::Context;
use crate::cli::BenchArgs;
pub fn run(_ctx: &Context, _args: &BenchArgs) -> Result<ExitCode> {
    anyhow::bail!("bench: not yet")
}
