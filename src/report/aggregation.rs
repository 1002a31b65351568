//! The "Frames and videos" section of a `--group-by` run: how frames became videos, and the frame-level
//! figures beside the video-level ones at the same threshold. Rendered from the `aggregation` block of
//! `metrics.json` (its summary read through its type, [`Aggregation`]); the rest of the report is the video
//! level.

use super::document::Block;
use crate::metrics::aggregate::{Aggregation, Summary};
use crate::metrics::format::{json_number, metric_rate, percent};
use crate::metrics::{Counts, Metric, MetricsReport, Rate, RateSet, Scored, ThresholdFree};

/// One column of the table: the figures of one level (frames or videos).
struct Level<'a> {
    counts: &'a Counts,
    at: &'a RateSet,
    tf: &'a ThresholdFree,
}

/// A rate with its Clopper-Pearson interval and, when computed, its subject-clustered bootstrap interval.
fn rate_with_bootstrap(r: &Metric<Rate>) -> String {
    match r.value().and_then(|r| r.bootstrap95.as_ref()).and_then(Metric::value) {
        Some(b) => format!("{} subjects [{:.2}-{:.2}%]", metric_rate(r), 100.0 * b.lower, 100.0 * b.upper),
        None => metric_rate(r),
    }
}

/// Bona fide plus attack presentations.
fn total(counts: &Counts) -> u64 {
    counts.bona_fide.total + counts.species.values().map(|c| c.total).sum::<u64>()
}

/// A row of the table: its name and how a level gives its cell.
type Figure = (&'static str, fn(&Level) -> String);

/// The rows of the side-by-side table, one level per column.
fn rows(levels: &[Level]) -> Vec<Vec<String>> {
    let figures: [Figure; 8] = [
        ("presentations", |l| total(l.counts).to_string()),
        ("BPCER", |l| rate_with_bootstrap(&l.at.bona_fide.bpcer)),
        ("APCER worst species", |l| rate_with_bootstrap(&l.at.attack.apcer_max)),
        ("APCER pooled", |l| rate_with_bootstrap(&l.at.attack.apcer_pooled)),
        ("BPNRR (no response)", |l| metric_rate(&l.at.bona_fide.bpnrr)),
        ("APNRR worst species", |l| metric_rate(&l.at.attack.apnrr_max)),
        ("EER (pooled)", |l| percent(l.tf.eer_pooled.value().map(|e| e.value))),
        ("AUC", |l| l.tf.auc_pooled.value().map_or("n/a".into(), |a| format!("{:.5}", a.value))),
    ];
    figures.iter().map(|(name, f)| std::iter::once((*name).to_owned()).chain(levels.iter().map(f)).collect()).collect()
}

/// The section's blocks (empty for a run without `--group-by`); `videos` is the video level's figures.
pub fn blocks(a: Option<&Aggregation>, videos: &Scored) -> Vec<Block> {
    let Some(a) = a else { return Vec::new() };
    let header = ["measure", "frames", "videos"].map(str::to_owned).to_vec();
    let frames: &MetricsReport = &a.frame_level;
    let levels = [
        Level { counts: &frames.counts, at: &frames.at_threshold, tf: &frames.threshold_free },
        Level { counts: videos.counts, at: videos.at_threshold, tf: videos.threshold_free },
    ];
    vec![
        Block::Heading("Frames and videos".into()),
        Block::Text(summary(&a.summary)),
        Block::Table { header, rows: rows(&levels) },
    ]
}

/// How frames became videos, in words.
fn summary(s: &Summary) -> String {
    let spread = &s.frames_per_video;
    let mut text = format!(
        "Presentations are videos: frames with the same {} (and the same label and species) make one video, \
         scored by the {} of its scored frames. {} frames ({} scored) gave {} videos of {} to {} frames (median \
         {}); {} videos had no scored frame and are non-responses (no_scored_frame). The rest of this report is \
         the video level; the frame level is beside it here, at the same threshold.",
        s.group_by.join(" + "),
        s.aggregate,
        s.frames,
        s.frames_scored,
        s.videos,
        spread.min,
        spread.max,
        json_number(spread.median),
        s.videos_without_scored_frame,
    );
    if s.split_keys > 0 {
        text += &format!(
            " {} group values hold frames of more than one label or species (e.g. {}): each label is its own \
             video, its id ends in @bona_fide or @species.",
            s.split_keys,
            s.split_key_examples.join(", ")
        );
    }
    if !s.varying_columns.is_empty() {
        text += &format!(" Columns that vary within a video are not carried to it: {}.", s.varying_columns.join(", "));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricsDocument;
    use crate::test_support::completed;
    use serde_json::json;

    #[test]
    fn a_grouped_run_shows_both_levels_and_a_plain_run_nothing() {
        let bpcer = |k: u64, n: u64| {
            json!({"value": k as f64 / n as f64, "k": k, "n": n, "ci95": {"lower": 0.0, "upper": 0.5},
                   "bootstrap95": {"lower": 0.01, "upper": 0.2, "resamples": 1000}})
        };
        let level = |total: u64, k: u64, n: u64| {
            completed(json!({"counts": {"bona_fide": {"total": total - 1}, "species": {"print": {"total": 1}}},
                   "at_threshold": {"bona_fide": {"bpcer": bpcer(k, n), "bpnrr": {"value": null, "reason": "undefined"}}},
                   "threshold_free": {"eer_pooled": {"value": 0.125, "threshold": 0.5, "apcer_pooled": 0.0, "bpcer": 0.0},
                                      "auc_pooled": {"value": 0.99}}}))
        };
        let mut doc = level(4, 1, 2);
        doc["aggregation"] = json!({
            "summary": {"group_by": ["subject", "session"], "aggregate": "median", "frames": 40, "frames_scored": 38,
                        "videos": 4, "videos_without_scored_frame": 0,
                        "frames_per_video": {"min": 9, "median": 10.0, "max": 11},
                        "split_keys": 1, "split_key_examples": ["0001/00"], "varying_columns": ["frame"]},
            "frame_level": level(40, 5, 20),
        });
        let doc: MetricsDocument = serde_json::from_value(doc).unwrap();
        let videos = doc.scored().unwrap();
        assert!(blocks(None, &videos).is_empty());
        let b = blocks(doc.aggregation.as_ref(), &videos);
        let Block::Text(text) = &b[1] else { panic!("{b:?}") };
        assert!(text.contains("subject + session") && text.contains("median of its scored frames"), "{text}");
        assert!(text.contains("40 frames (38 scored) gave 4 videos of 9 to 11 frames (median 10.0)"), "{text}");
        assert!(text.contains("(e.g. 0001/00)") && text.contains("not carried to it: frame."), "{text}");
        let Block::Table { rows, .. } = &b[2] else { panic!("{b:?}") };
        assert_eq!(rows[0], ["presentations", "40", "4"]);
        assert_eq!(rows[1][1], "25.00% (5/20) [0.00-50.00%] subjects [1.00-20.00%]");
        assert_eq!(rows[1][2], "50.00% (1/2) [0.00-50.00%] subjects [1.00-20.00%]");
        assert_eq!(rows[6], ["EER (pooled)", "12.50%", "12.50%"]);
        assert_eq!(rows[4][1], "n/a (undefined)");
    }
}
