//! `liveness`: face presentation attack detection, scored and evaluated.
//!
//! The data flows through the modules in this order:
//! `input`/`dataset` (what to score) -> `decode` -> `detect` -> `crop` -> `model` -> `score` (records)
//! -> `metrics` -> report / gate. Active liveness adds `landmarks` (face geometry per frame) and `session`
//! (challenges and session scores over frame sequences). `commands` wires them to the command line defined in `cli`.

pub mod calibrate;
pub mod cli;
pub mod commands;
pub mod crop;
pub mod dataset;
pub mod decode;
pub mod detect;
pub mod diff;
pub mod frame;
pub mod gallery;
pub mod gate;
pub mod input;
pub mod landmarks;
pub mod metrics;
pub mod model;
pub mod policy;
pub mod quality;
pub mod recognition;
pub mod report;
pub mod run;
pub mod runtime;
pub mod schema;
pub mod score;
pub mod scorefile;
pub mod scoreset;
pub mod serve;
pub mod session;
pub mod stats;

#[cfg(test)]
mod test_support;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use cli::{Cli, Command};

/// Parses the command line and runs the command; `main` only prints the error.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    let ctx = commands::Context::new(&cli.global);
    match &cli.command {
        Command::Score(args) => commands::score::run(&ctx, args),
        Command::Eval(args) => commands::eval::run(&ctx, args),
        Command::Models(cmd) => commands::models::run(&ctx, cmd),
        Command::Bench(args) => commands::bench::run(&ctx, args),
        Command::Report(args) => commands::report::run(args),
        Command::Calibrate(args) => commands::calibrate::run(&ctx, args),
        Command::Gate(args) => commands::gate::run(&ctx, args),
        Command::Diff(args) => commands::diff::run(&ctx, args),
        Command::Session(cmd) => commands::session::run(&ctx, cmd),
        Command::Merge(args) => commands::merge::run(&ctx, args),
        Command::Serve(args) => commands::serve::run(&ctx, args),
        Command::Compare(args) => commands::compare::run(&ctx, args),
        Command::Persons(cmd) => commands::persons::run(&ctx, cmd),
        Command::Search(args) => commands::search::run(&ctx, args),
    }
}
