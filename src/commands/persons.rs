//! `liveness persons`: enrol identities into the gallery after a liveness check (as Verifik's
//! "Create Persons | Live"), and list them.

use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Context;
use super::compare::{FaceSetup, file_sha256, gallery_key, printable, recognizer};
use crate::cli::{PersonsAddArgs, PersonsCommand};
use crate::gallery::{DB_FILE, Enrolment, Gallery};
use crate::recognition::verify::Liveness;

pub fn run(ctx: &Context, cmd: &PersonsCommand) -> Result<ExitCode> {
    match cmd {
        PersonsCommand::Add(args) => add(ctx, args),
        PersonsCommand::List { db, matching } => {
            let key = gallery_key(&recognizer(ctx, matching)?)?;
            let g = Gallery::open(db, &key, false)?;
            let persons = g.persons()?;
            for p in &persons {
                println!("{}  {} image(s)  enrolled {}", printable(&p.name), p.images, p.enrolled_utc);
            }
            println!("{} person(s) in {} ({} {})", persons.len(), g.path().display(), key.model, key.crop_rule);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Checks the gallery and the name first (cheap), then every image; writes only when all are live faces.
fn add(ctx: &Context, args: &PersonsAddArgs) -> Result<ExitCode> {
    let name = args.name.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        bail!("the person's name must be non-empty printable text, got {:?}", args.name);
    }
    let setup = FaceSetup::new(ctx, &args.model, &args.matching)?;
    let key = gallery_key(&setup.recognizer)?;
    // An existing gallery is checked (model, crop rule, name) before any image is looked at; a new one is
    // only created once every image has passed, so a refused first enrolment leaves no file behind.
    if args.db.join(DB_FILE).exists() {
        let gallery = Gallery::open(&args.db, &key, false)?;
        if gallery.contains(name)? {
            bail!(
                "`{}` is already enrolled in {}: nothing was written. Fix: choose another name",
                printable(name),
                gallery.path().display()
            );
        }
    }
    let analyzed = setup.analyze(&args.images, super::workers(args.model.workers))?;
    let policy = &setup.settings.policy;
    let mut refused = Vec::new();
    let mut enrolments = Vec::new();
    for (a, file) in analyzed.iter().zip(&args.images) {
        let live = Liveness::of(a, policy);
        match (&a.identity, live.score) {
            (Some(d), Some(score)) if live.passed => enrolments.push(Enrolment {
                image: a.path.clone(),
                image_sha256: file_sha256(file)?,
                chip_rule: d.chip.rule.as_str().to_string(),
                mesh_presence: d.chip.presence,
                live: score,
                pad_model: setup.pad_model().to_string(),
                pad_threshold: policy.threshold,
                descriptor: d.descriptor.clone(),
            }),
            (_, Some(score)) => refused.push(format!(
                "{}: not live (score {score:.4} < threshold {})",
                printable(&a.path),
                policy.threshold
            )),
            (_, None) => refused.push(format!(
                "{}: {}",
                printable(&a.path),
                printable(live.detail.as_deref().or(live.reason.as_deref()).unwrap_or("not scored"))
            )),
        }
    }
    if !refused.is_empty() {
        bail!(
            "enrolment of `{}` refused, nothing was written: {} of {} image(s) did not pass the liveness check:\n  {}\n\
             Fix: enrol from live captures of the person (each image is checked with {} at threshold {})",
            printable(name),
            refused.len(),
            args.images.len(),
            refused.join("\n  "),
            setup.pad_model(),
            policy.threshold
        );
    }
    let mut gallery = Gallery::open(&args.db, &key, true)?;
    gallery.add(name, &enrolments, &crate::run::utc_now_iso(), &super::tool_name())?;
    println!(
        "enrolled {} from {} live image(s) in {} ({}, chip {})",
        printable(name),
        enrolments.len(),
        gallery.path().display(),
        key.model,
        enrolments.iter().map(|e| e.chip_rule.as_str()).collect::<Vec<_>>().join("/")
    );
    Ok(ExitCode::SUCCESS)
}
