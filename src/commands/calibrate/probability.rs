//! `calibrate --probability`: fit a map from raw score to calibrated P(bona fide) on the calibration
//! split, print how well calibrated the dev scores are before and after, optionally draw the reliability
//! diagram, and return the policy's `[probability]` section.

use anyhow::{Context as _, Result, ensure};

use super::{model_files, model_of};
use crate::cli::CalibrateArgs;
use crate::commands::Context;
use crate::metrics::calibration::map::{mapped_quality, raw_quality};
use crate::metrics::calibration::{FitQuality, fit};
use crate::report::charts::reliability::{Point, ReliabilityChart, Series};
use crate::report::charts::render;
use crate::run::utc_now_iso;
use crate::schema::{FitFigures, Probability, ProbabilityMethod};
use crate::scoreset::ScoreSet;

pub fn fit_on(ctx: &Context, args: &CalibrateArgs, set: &ScoreSet, method: ProbabilityMethod) -> Result<Probability> {
    // `--flip` reads 1 - score: a map fitted on that would be applied by score and serve to the model's own
    // live probabilities, the other way round.
    ensure!(
        !args.select.flip,
        "--probability maps a model's live probabilities, which score and serve report unflipped: drop --flip"
    );
    if let Some(a) = args.prior_attack {
        ensure!(a > 0.0 && a < 1.0, "--prior-attack is a share of attacks, strictly between 0 and 1: got {a}");
    }
    let pairs: Vec<(f64, bool)> = set.presentations.iter().filter_map(|p| Some((p.score?, p.bona_fide))).collect();
    if let Some(p) = set.presentations.iter().find(|p| p.score.is_some_and(|s| !(0.0..=1.0).contains(&s))) {
        anyhow::bail!(
            "{}: score {} of {} is outside 0..1: a probability map takes live probabilities (a 0-100 score file \
             cannot be mapped; read the live probability column)",
            set.describe(),
            p.score.unwrap_or_default(),
            crate::escape::terminal(&p.id)
        );
    }
    let fitted = fit(&pairs, method).with_context(|| format!("fitting {} on {}", method.as_str(), set.describe()))?;
    for w in &fitted.warnings {
        crate::escape::tell!("warning: {w}");
    }
    let descriptor = model_of(ctx, set)?;
    let raw = raw_quality(&pairs);
    let calibrated = mapped_quality(&pairs, |s| fitted.predict(s), fitted.bona_fide_share);
    let params = match (&fitted.platt, &fitted.isotonic) {
        (Some(p), _) => format!("a = {:.6}, b = {:.6}", p.a, p.b),
        (_, Some(i)) => format!("{} breakpoints", i.x.len()),
        _ => String::new(),
    };
    crate::escape::say!(
        "probability map: {} ({params}) on {} bona fide and {} attack scores (dev share of bona fide {:.4})",
        method.as_str(),
        fitted.bona_fide,
        fitted.attacks,
        fitted.bona_fide_share
    );
    match args.prior_attack {
        Some(a) => crate::escape::say!("  reported at a deployment share of attacks of {a} (--prior-attack)"),
        None => crate::escape::say!("  reported at the dev split's prior (give --prior-attack for the deployment's)"),
    }
    crate::escape::say!("{}", quality_table(&raw, &calibrated));
    crate::escape::say!("  (on the dev split itself: judge the map on a held-out split with `liveness eval --policy`)");
    if let Some(dir) = &args.reliability {
        let series = vec![
            Series { label: "raw scores".into(), ece: raw.ece, points: Point::of_bins(&raw.bins) },
            Series {
                label: format!("calibrated ({})", method.as_str()),
                ece: calibrated.ece,
                points: Point::of_bins(&calibrated.bins),
            },
        ];
        let title = format!("Reliability on the dev split ({} scored presentations)", pairs.len());
        let chart = ReliabilityChart { title, series };
        let caption = format!("Reliability on the dev split {}", set.describe());
        let r = render(&chart, crate::report::probability::CHART_STEM, &caption, dir)?;
        crate::escape::say!("reliability diagram: {}", dir.join(format!("{}.png", r.stem)).display());
    }
    Ok(Probability {
        method,
        platt: fitted.platt,
        isotonic: fitted.isotonic.clone(),
        dev_bona_fide_share: fitted.bona_fide_share,
        prior_attack: args.prior_attack,
        model: descriptor.name.clone(),
        model_files: model_files(&descriptor),
        scores: set.file.display().to_string(),
        score_column: Some(set.column.column.clone()),
        filter: set.filter.as_ref().map(ToString::to_string),
        dataset_fingerprint: set.fingerprint(),
        bona_fide: fitted.bona_fide,
        attacks: fitted.attacks,
        date: utc_now_iso(),
        tool: crate::commands::tool_name(),
        dev_raw: FitFigures::from(&raw),
        dev_calibrated: FitFigures::from(&calibrated),
    })
}

fn quality_table(raw: &FitQuality, calibrated: &FitQuality) -> String {
    let f = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), |x| format!("{x:.4}"));
    let mut t = format!("  {:<16} {:>10} {:>12}\n", "", "raw", "calibrated");
    for (name, r, c) in [
        ("Cllr (bits)", raw.cllr, calibrated.cllr),
        ("min-Cllr (bits)", raw.min_cllr, calibrated.min_cllr),
        ("Brier", raw.brier, calibrated.brier),
        ("ECE (10 bins)", raw.ece, calibrated.ece),
    ] {
        t += &format!("  {name:<16} {:>10} {:>12}\n", f(r), f(c));
    }
    t.trim_end().to_owned()
}
