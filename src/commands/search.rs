//! `liveness search`: 1:N over the gallery, with the probe's liveness.

use std::process::ExitCode;

use anyhow::Result;

use super::Context;
use super::compare::{FaceSetup, chip_note, gallery_key, print_liveness, printable, yes_no};
use crate::cli::SearchArgs;
use crate::gallery::Gallery;
use crate::recognition::matching::is_match;
use crate::recognition::verify::Search;

pub fn run(ctx: &Context, args: &SearchArgs) -> Result<ExitCode> {
    let setup = FaceSetup::new(ctx, &args.model, &args.matching)?;
    let gallery = Gallery::open(&args.db, &gallery_key(&setup.recognizer)?, false)?;
    let index = gallery.index()?;
    let probe = setup.analyze(std::slice::from_ref(&args.probe), 1)?.pop().expect("one probe");
    let result = setup.matcher().search(&probe, &index, args.top);
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
