//! `liveness`: face presentation attack detection, scored and evaluated.
//!
//! The data flow, and the module that holds each step:
//!
//! ```text
//!  input / dataset ──► decode ──► detect ──► crop ──► model ──► score ─────► scores.csv (run/)
//!  (what to score:      (bytes →   (UltraFace  (Silent-   (ONNX     (records:    one row per
//!   files, folders,      pixels,    boxes,      Face        Runtime   score,       presentation,
//!   manifests, NUAA)     limits)    the face)   crops)      or        status,      columns from
//!                                                           OpenVINO) band,        schema::columns)
//!                                                                     quality)         │
//!                                                                                      ▼
//!  report / gate / diff / calibrate ◄── metrics ◄── scorefile / scoreset ◄─────── the hand-off
//!  (HTML, Markdown,      (ISO/IEC 30107-3 rates,     (reads any score file back         (a file, so
//!   JUnit, policies)      sweep, intervals)            into schema::Presentation)         scoring and
//!                                                                                         evaluation
//!  landmarks + session: face mesh per frame → challenges and session scores               run apart)
//!  recognition: face descriptors for face match
//!  serve: score and session behind HTTP (axum/tokio; engines on worker threads)
//!  api: a liveness REST API (serve, a vendor's) as the scorer of an eval run
//! ```
//!
//! Scoring and evaluation meet only through the score file: `eval DATASET` writes `scores.csv` and
//! then reads it back exactly as `eval --scores`, `gate` and `calibrate` do, so a run's figures never
//! depend on how its scores were produced.
//!
//! The threshold is decided in one place per run: the policy (`policy::resolve`, from
//! `configs/policies/*.toml` or a calibrated policy file), overridden by `--threshold` when scoring
//! (`commands::Context::scoring_setup`) or by `--calibrate-on` in `eval`; metrics.json records which
//! (`run.threshold_source`). Every comparison against it goes through `schema::is_bona_fide` (bona fide
//! iff score >= threshold) and every band through `schema::band`.
//!
//! `schema` holds the data contracts (presentations, columns, vocabulary, run folder, policy) and
//! imports only std and serde; `cli` defines the command line and `commands` turns it into domain
//! options once: no module below `commands` knows the CLI (tests/architecture.rs checks both).
//!
//! metrics.json is one type, `metrics::MetricsDocument`, written by `eval`/`gate` and read by every reader
//! (report, gate baseline, runs compared); no reader looks a figure up by a string path.
//!
//! Tests: a file's unit tests sit at its end in `#[cfg(test)] mod tests`; the metrics engine's property and
//! oracle suites (`metrics/properties.rs`, `bob_properties.rs`, `oracle_tests.rs`) are the only test-only
//! files; unit-test helpers live in `test_support`, integration-test helpers in `tests/common/`
//! (tests/architecture.rs checks the layout).

pub mod api;
pub mod calibrate;
pub mod cli;
pub mod commands;
pub mod crop;
pub mod dataset;
pub mod decode;
pub mod detect;
pub mod diff;
pub mod escape;
pub mod frame;
pub mod fusion;
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
        Command::Fuse(args) => commands::fuse::run(&ctx, args),
        Command::Session(cmd) => commands::session::run(&ctx, cmd),
        Command::Merge(args) => commands::merge::run(&ctx, args),
        Command::Serve(args) => commands::serve::run(&ctx, args),
        Command::Compare(args) => commands::compare::run(&ctx, args),
        Command::Persons(cmd) => commands::persons::run(&ctx, cmd),
        Command::Search(args) => commands::search::run(&ctx, args),
    }
}
