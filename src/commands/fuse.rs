//! `liveness fuse`: the member models' columns of a dev split -> a fused descriptor (`src/fusion`), and
//! with `--compare-on` the fusion against each member on a held-out split.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use serde::Serialize;

use super::Context;
use crate::cli::FuseArgs;
use crate::fusion::compare::{Comparison, compare};
use crate::fusion::{Paired, check_networks, fit_rule, fused_descriptor, markdown};
use crate::metrics::BootstrapOptions;
use crate::model::descriptor::{self, Descriptor};
use crate::model::fusion::{Fusion, FusionDev};
use crate::run::manifest::{Found, Manifest};
use crate::run::utc_now_iso;
use crate::scoreset::{Filter, ScoreSet, Selector};

pub fn run(ctx: &Context, args: &FuseArgs) -> Result<ExitCode> {
    if args.models.len() < 2 {
        bail!("--models needs at least 2 models to fuse, got {}", args.models.len());
    }
    let catalog = ctx.catalog()?;
    let members = args.models.iter().map(|m| descriptor::resolve(m, &catalog)).collect::<Result<Vec<_>>>()?;
    let names: Vec<String> = members.iter().map(|d| d.name.clone()).collect();
    check_dev_networks(&args.dev, &members)?;
    let dev = paired(args, &names, args.filter.as_ref())?;
    let (live, attacks) = dev.counts();
    let rule =
        fit_rule(&dev, args.method).with_context(|| format!("fitting {} on {}", args.method.as_str(), where_(args)))?;
    let provenance = FusionDev {
        scores: args.dev.display().to_string(),
        filter: args.filter.as_ref().map(ToString::to_string),
        fingerprint: crate::scorefile::fingerprint(&dev.presentations),
        scored: dev.presentations.len() as u64,
        bona_fide: live as u64,
        attacks: attacks as u64,
        non_responses: dev.non_responses as u64,
        log_loss: f64::NAN,
        date: utc_now_iso(),
        tool: super::tool_name(),
    };
    let fused = fused_descriptor(&args.name, &members, args.method, &rule, &dev, provenance)?;
    let Some(fusion) = &fused.fusion else { unreachable!("fused_descriptor writes a [fusion] table") };
    crate::escape::say!(
        "dev split: {} ({} scored presentations: {live} bona fide, {attacks} attacks; {} non-responses of every member)",
        where_(args),
        dev.presentations.len(),
        dev.non_responses
    );
    match (&rule.bias, &rule.weights) {
        (Some(b), Some(w)) => {
            let terms: Vec<String> = names.iter().zip(w).map(|(n, w)| format!("{w:.6} * logit({n})")).collect();
            crate::escape::say!(
                "fusion: P(live) = sigmoid({b:.6} + {}) ({} Newton steps)",
                terms.join(" + "),
                rule.iterations
            );
        }
        _ => crate::escape::say!("fusion: {} of {}", args.method.as_str(), names.join(", ")),
    }
    crate::escape::say!("dev log-loss {:.6} nats per presentation", fusion.dev.log_loss);
    let descriptor = write(args, &fused)?;
    let comparison = match &args.compare_on {
        Some(on) => {
            let eval = paired(args, &names, Some(on))?;
            let options = BootstrapOptions { resamples: args.resamples, seed: args.seed };
            let c = compare(&dev, &eval, fusion, &names, args.target, options)
                .with_context(|| format!("comparing on {}", args.dev.display()))?;
            crate::escape::say!("{}", comparison_text(&c, &args.name, on));
            Some((c, on.to_string()))
        }
        None => None,
    };
    let comparison = comparison.as_ref().map(|(c, on)| (c, on.as_str()));
    let descriptor = descriptor.display().to_string();
    if let Some(path) = &args.report {
        save(path, &markdown::render(&args.name, &descriptor, fusion, comparison))?;
    }
    if let Some(path) = &args.json {
        let doc = Summary {
            name: &args.name,
            descriptor: &descriptor,
            fusion,
            compared_on: comparison.map(|c| c.1),
            comparison: comparison.map(|c| c.0),
        };
        save(path, &(serde_json::to_string_pretty(&doc)? + "\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--json`: the fusion as its descriptor holds it, and the comparison.
#[derive(Serialize)]
struct Summary<'a> {
    name: &'a str,
    descriptor: &'a str,
    fusion: &'a Fusion,
    /// The `--compare-on` filter and the comparison on it.
    compared_on: Option<&'a str>,
    comparison: Option<&'a Comparison>,
}

fn save(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    crate::escape::say!("wrote {}", path.display());
    Ok(())
}

/// The networks the dev run folder scored with against the members' descriptors (`check_networks`).
fn check_dev_networks(dev: &Path, members: &[Descriptor]) -> Result<()> {
    let dir = if dev.is_dir() { dev } else { dev.parent().unwrap_or(Path::new(".")) };
    let checked = match Manifest::find(dir) {
        Found::Manifest(m) => check_networks(&m.decides["models"], members, &dir.display().to_string())?,
        Found::Damaged(why) => bail!("{why}: the networks the dev run scored with cannot be checked"),
        Found::Missing => 0,
    };
    if checked == 0 {
        crate::escape::say!(
            "note: {} records no model files (no run.json of a scoring run beside it): the members' networks \
             cannot be checked against their descriptors",
            dev.display()
        );
    }
    Ok(())
}

fn where_(args: &FuseArgs) -> String {
    match &args.filter {
        Some(f) => format!("{} where {f}", args.dev.display()),
        None => args.dev.display().to_string(),
    }
}

/// Every member's column of DEV under `filter`, lined up.
fn paired(args: &FuseArgs, names: &[String], filter: Option<&Filter>) -> Result<Paired> {
    let sets = names
        .iter()
        .map(|m| {
            let set = ScoreSet::load(Selector {
                path: &args.dev,
                model: Some(m),
                filter,
                flip: false,
                mapping: None,
                keep: &[],
                labels: None,
            })?;
            if let Some(note) = set.coverage.check(false)? {
                crate::escape::say!("coverage: {note}");
            }
            Ok(set)
        })
        .collect::<Result<Vec<_>>>()?;
    Paired::of(&sets)
}

/// Writes the descriptor after reading it back through the ordinary parser (a descriptor this command
/// writes must load). Returns where it wrote.
fn write(args: &FuseArgs, fused: &Descriptor) -> Result<PathBuf> {
    let path =
        args.out.clone().unwrap_or_else(|| ["configs", "models", &format!("{}.toml", args.name)].iter().collect());
    if path.exists() && !args.force {
        bail!("{} exists; pass --force to overwrite it", path.display());
    }
    let text = format!(
        "# Written by `liveness fuse`: a fusion of {} (use it as --model {}).\n{}",
        fused.fusion.iter().flat_map(|f| f.models.iter().map(|m| m.name.as_str())).collect::<Vec<_>>().join(", "),
        path.display(),
        toml::to_string(fused).context("serializing the fused descriptor")?
    );
    Descriptor::parse(&text, &path.display().to_string())?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    save(&path, &text)?;
    Ok(path)
}

fn comparison_text(c: &Comparison, name: &str, on: &Filter) -> String {
    let pct = |v: f64| format!("{:.2}%", 100.0 * v);
    let mut t = format!(
        "\ncomparison on {on} ({} presentations scored by every member; thresholds at {} on the dev split, {name} {:.6}):",
        c.presentations, c.target, c.fused_threshold
    );
    for m in &c.members {
        t += &format!("\n  {name} vs {} (threshold {:.6})", m.member, m.member_threshold);
        for d in &m.decisions {
            t += &format!(
                "\n    McNemar {:<9} n={:<5} errors {name} {} vs {} {}: worse {} better {}, p = {}; change {} [{}, {}]",
                d.class,
                d.n,
                d.a_errors,
                m.member,
                d.b_errors,
                d.worse,
                d.better,
                crate::metrics::format::p_value(d.p_value),
                pct(d.change),
                pct(d.change_ci95.0),
                pct(d.change_ci95.1)
            );
        }
        match &m.bootstrap {
            Some(b) => {
                for (metric, d) in [("AUC", &b.auc), ("EER", &b.eer), ("BPCER", &b.bpcer), ("APCER", &b.apcer_max)] {
                    match d {
                        Some(d) => {
                            t += &format!(
                                "\n    {metric:<5} {name} {:.4} vs {:.4}: difference {:+.4}, bootstrap median {:+.4} [{:+.4}, {:+.4}] ({} resamples of {} {}s)",
                                d.a, d.b, d.difference, d.median, d.lower, d.upper, d.resamples, b.subjects, b.unit
                            )
                        }
                        None => t += &format!("\n    {metric:<5} not defined on this split"),
                    }
                }
            }
            None => t += "\n    (no presentations: no bootstrap)",
        }
    }
    t
}
