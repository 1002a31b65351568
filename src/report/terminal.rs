//! The one-screen summary `liveness eval` prints.

use std::fmt::Write;

use crate::metrics::aggregate::Aggregation;
use crate::metrics::format::{metric_rate, percent, typed_rate, typed_threshold};
use crate::metrics::{BandsReport, Counts, Metric, MetricsDocument, OperatingPoint, Rate, SegmentsReport, Threshold};

/// Renders the headline metrics of a metrics document in about 25 lines.
pub fn summary(doc: &MetricsDocument) -> String {
    let Some(scored) = doc.scored() else {
        return super::decisions::terminal(doc);
    };
    let mut s = String::new();
    let run = &doc.run;
    let (at, counts) = (scored.at_threshold, scored.counts);
    let species: Vec<&String> = at.species.keys().collect();
    let _ = writeln!(
        s,
        "{} presentations: {} bona fide, {} attacks in {} species | threshold {} ({})",
        run.presentations,
        counts.bona_fide.total,
        species.iter().map(|sp| counts.species.get(sp.as_str()).map_or(0, |c| c.total)).sum::<u64>(),
        species.len(),
        typed_threshold(at.threshold),
        run.threshold_source
    );
    videos(&mut s, doc.aggregation.as_ref());
    let _ = writeln!(s, "  {:<28} {}", "BPCER", metric_rate(&at.bona_fide.bpcer));
    for (sp, rates) in &at.species {
        let _ = writeln!(s, "  {:<28} {}", format!("APCER {sp}"), metric_rate(&rates.apcer));
    }
    let worst = &at.attack.apcer_max;
    let label = worst
        .value()
        .and_then(|r| r.species.as_deref())
        .map_or("APCER worst species".to_string(), |w| format!("APCER worst ({w})"));
    let _ = writeln!(s, "  {label:<28} {}", metric_rate(worst));
    let _ = writeln!(s, "  {:<28} {}", "APCER pooled", metric_rate(&at.attack.apcer_pooled));
    let _ = writeln!(s, "  {:<28} {}", "BPNRR (no response)", metric_rate(&at.bona_fide.bpnrr));
    let _ = writeln!(s, "  {:<28} {}", "APNRR worst species", metric_rate(&at.attack.apnrr_max));
    let _ = writeln!(s, "  {:<28} {}", "BPCER system (NR = reject)", metric_rate(&at.bona_fide.bpcer_sys));
    let reasons = non_response_reasons(counts);
    if !reasons.is_empty() {
        let _ = writeln!(s, "  non-responses by reason: {reasons}");
    }
    let tf = scored.threshold_free;
    let eer = tf.eer_pooled.value();
    let _ = writeln!(
        s,
        "  EER (pooled) {} at {} | AUC {}",
        percent(eer.map(|e| e.value)),
        eer.map_or("n/a".into(), |e| typed_threshold(e.threshold)),
        super::document::auc_text(tf)
    );
    let other_apcer_max: fn(&OperatingPoint) -> f64 = |p| p.apcer_max;
    let other_bpcer: fn(&OperatingPoint) -> f64 = |p| p.bpcer;
    for (points, name, other, figure) in [
        (&tf.bpcer_at_apcer, "BPCER @ APCER_max <=", "apcer_max", other_apcer_max),
        (&tf.apcer_at_bpcer, "APCER_max @ BPCER <=", "bpcer", other_bpcer),
    ] {
        let points: Vec<String> = points
            .iter()
            .map(|(x, p)| {
                let x = x.parse::<f64>().map_or(x.clone(), |v| format!("{}%", 100.0 * v));
                match p.value() {
                    None => format!("{x}: n/a"),
                    Some(p) => format!(
                        "{x}: {} (t {}, {} {})",
                        percent(Some(p.value)),
                        typed_threshold(p.threshold),
                        other,
                        percent(Some(figure(p)))
                    ),
                }
            })
            .collect();
        let _ = writeln!(s, "  {name} {}", points.join(" | "));
    }
    segments(&mut s, scored.segments);
    bands(&mut s, scored.decision_bands);
    s += &super::decisions::terminal(doc);
    s
}

/// A `--group-by` run: how many frames made the videos, and the frame-level headline figures beside.
fn videos(s: &mut String, aggregation: Option<&Aggregation>) {
    let Some(a) = aggregation else { return };
    let summary = &a.summary;
    let _ = writeln!(
        s,
        "  videos: {} from {} frames ({} scored) by the {} over {}; {} videos without a scored frame",
        summary.videos,
        summary.frames,
        summary.frames_scored,
        summary.aggregate,
        summary.group_by.join(","),
        summary.videos_without_scored_frame,
    );
    let f = &a.frame_level;
    let _ = writeln!(
        s,
        "  frame level: BPCER {} | APCER worst {} | EER {}",
        metric_rate(&f.at_threshold.bona_fide.bpcer),
        metric_rate(&f.at_threshold.attack.apcer_max),
        percent(f.threshold_free.eer_pooled.value().map(|e| e.value)),
    );
}

fn non_response_reasons(counts: &Counts) -> String {
    let mut all = std::collections::BTreeMap::<&str, u64>::new();
    for g in std::iter::once(&counts.bona_fide).chain(counts.species.values()) {
        for (reason, n) in &g.non_response_reasons {
            *all.entry(reason).or_default() += n;
        }
    }
    all.iter().map(|(r, n)| format!("{r} {n}")).collect::<Vec<_>>().join(", ")
}

fn segments(s: &mut String, seg: &Metric<SegmentsReport>) {
    let Some(seg) = seg.value() else { return };
    for (worst, name) in [(&seg.worst_apcer_max, "APCER_max"), (&seg.worst_bpcer, "BPCER")] {
        if let Some(w) = worst.value() {
            let _ = writeln!(s, "  worst segment by {name}: {}={} {}", w.column, w.segment, typed_rate(&w.rate));
        }
    }
}

fn bands(s: &mut String, b: &Metric<BandsReport>) {
    let Some(b) = b.value() else { return };
    let share = |m: &Metric<Rate>| m.value().map_or("n/a".into(), |r| format!("{:.1}%", 100.0 * r.value));
    let bf = &b.bona_fide;
    let _ = writeln!(
        s,
        "  bands (pass >= {}, retry >= {}): bona fide pass {} retry {} fail {}",
        as_written(b.pass),
        as_written(b.retry),
        share(&bf.pass),
        share(&bf.retry),
        share(&bf.fail)
    );
}

/// A band limit as metrics.json spells it (`0.75`, `1.0`, `"+inf"`), as this line has always shown it.
fn as_written(t: Threshold) -> String {
    serde_json::Number::from_f64(t.0).map_or_else(|| format!("{:?}", t.to_string()), |n| n.to_string())
}
