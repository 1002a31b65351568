//! `liveness search`: 1:N over the gallery, with the probe's liveness.

use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::Context;
use super::compare::{FaceSetup, Liveness, chip_note, gallery_key, print_liveness, printable, yes_no};
use crate::cli::SearchArgs;
use crate::gallery::{Gallery, Hit};
use crate::recognition::ChipInfo;
use crate::recognition::matching::is_match;

#[derive(Serialize)]
struct Search {
    probe: String,
    chip: Option<ChipInfo>,
    liveness: Liveness,
    /// Nearest identities by mean distance, nearest first.
    candidates: Vec<Hit>,
    /// The nearest identity if its distance is under the threshold, else absent ("unknown").
    identity: Option<String>,
    match_threshold: f64,
    /// Identified AND live.
    passed: bool,
    gallery_persons: usize,
    gallery_descriptors: usize,
}

pub fn run(ctx: &Context, args: &SearchArgs) -> Result<ExitCode> {
    let setup = FaceSetup::new(ctx, &args.model, &args.matching)?;
    let gallery = Gallery::open(&args.db, &gallery_key(&setup.recognizer)?, false)?;
    let index = gallery.index()?;
    let probe = setup.analyze(std::slice::from_ref(&args.probe), 1)?.pop().expect("one probe");
    let liveness = Liveness::of(&probe, &setup.settings.policy);
    let candidates = probe.identity.as_ref().map(|d| index.search(&d.descriptor, args.top.max(1))).unwrap_or_default();
    let identity = candidates.first().filter(|h| is_match(h.distance, setup.threshold)).map(|h| h.name.clone());
    let result = Search {
        probe: probe.path.clone(),
        chip: probe.identity.as_ref().map(|d| d.chip.clone()),
        passed: identity.is_some() && liveness.passed,
        liveness,
        candidates,
        identity,
        match_threshold: setup.threshold,
        gallery_persons: index.identities(),
        gallery_descriptors: index.descriptors(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        print_text(&result);
    }
    Ok(if probe.identity.is_none() { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

fn print_text(s: &Search) {
    println!("probe     {}", printable(&s.probe));
    print_liveness(&s.liveness);
    for (rank, h) in s.candidates.iter().enumerate() {
        println!(
            "  #{}  {}  distance {:.4}  (mean over {})  match {}",
            rank + 1,
            printable(&h.name),
            h.distance,
            h.images,
            yes_no(is_match(h.distance, s.match_threshold))
        );
    }
    let chip = s.chip.as_ref().map(|c| format!(", {}", chip_note(c))).unwrap_or_default();
    match &s.identity {
        Some(name) => println!("identity  {}  (distance < {}{chip})", printable(name), s.match_threshold),
        None if s.chip.is_none() => println!("identity  unknown  (no usable face in the probe)"),
        None => println!("identity  unknown  (no one within distance {}{chip})", s.match_threshold),
    }
    println!(
        "decision  {}  (identified AND live; gallery of {} person(s), {} descriptor(s))",
        if s.passed { "ACCEPT" } else { "REJECT" },
        s.gallery_persons,
        s.gallery_descriptors
    );
}
