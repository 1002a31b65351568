//! Frame → video aggregation (bob's `finalize-scores`): video datasets (Replay-Attack, OULU-NPU, NUAA's
//! sequences) are often scored frame by frame, but a presentation to the PAD subsystem is the video. The
//! frames of one video (same values of the `--group-by` columns, same label and species) become one
//! presentation whose score is the mean, median, min, max or trimmed mean of its scored frames.
//!
//! Non-responses are explicit: frames without a score are left out of the statistic, and a video with no
//! scored frame is itself a non-response ([`NO_SCORED_FRAME`]), counted in BPNRR/APNRR like any other.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail, ensure};
use serde::{Deserialize, Serialize};

use crate::schema::Presentation;

/// Reason of a video none of whose frames was scored.
pub const NO_SCORED_FRAME: &str = "no_scored_frame";

/// Share cut from each end by `trimmed` when no proportion is given (scipy's `trim_mean(a, 0.1)`).
const DEFAULT_TRIM: f64 = 0.1;

/// How the scored frames of a video make its score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Aggregate {
    Mean,
    /// numpy's median: the mean of the two middle scores of an even count.
    Median,
    /// The least bona-fide-looking frame decides: a video passes only if every frame does.
    Min,
    Max,
    /// scipy's `trim_mean(a, p)`: sort, cut `floor(p * n)` scores from each end, average the rest.
    Trimmed(f64),
}

impl Aggregate {
    /// The statistic of `scores` (not empty).
    fn of(self, scores: &mut [f64]) -> f64 {
        scores.sort_by(f64::total_cmp);
        let n = scores.len();
        match self {
            Aggregate::Mean => mean(scores),
            Aggregate::Median if n % 2 == 1 => scores[n / 2],
            Aggregate::Median => (scores[n / 2 - 1] + scores[n / 2]) / 2.0,
            Aggregate::Min => scores[0],
            Aggregate::Max => scores[n - 1],
            Aggregate::Trimmed(p) => {
                // The product is exact for the proportions people write (0.1 * 20 = 2), floor as scipy.
                let cut = (p * n as f64).floor() as usize;
                mean(&scores[cut..n - cut])
            }
        }
    }
}

fn mean(scores: &[f64]) -> f64 {
    scores.iter().sum::<f64>() / scores.len() as f64
}

impl fmt::Display for Aggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Aggregate::Mean => f.write_str("mean"),
            Aggregate::Median => f.write_str("median"),
            Aggregate::Min => f.write_str("min"),
            Aggregate::Max => f.write_str("max"),
            Aggregate::Trimmed(p) => write!(f, "trimmed:{p}"),
        }
    }
}

impl FromStr for Aggregate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let trim = |p: f64| {
            if (0.0..0.5).contains(&p) {
                Ok(Aggregate::Trimmed(p))
            } else {
                Err(format!("trimmed:{p}: the share cut from each end must be at least 0 and below 0.5"))
            }
        };
        match s {
            "mean" => Ok(Aggregate::Mean),
            "median" => Ok(Aggregate::Median),
            "min" => Ok(Aggregate::Min),
            "max" => Ok(Aggregate::Max),
            "trimmed" => trim(DEFAULT_TRIM),
            _ => match s.strip_prefix("trimmed:").map(str::parse::<f64>) {
                Some(Ok(p)) => trim(p),
                _ => Err(format!(
                    "unknown aggregate `{s}`: use mean, median, min, max, trimmed (10% cut from each end) or trimmed:P"
                )),
            },
        }
    }
}

impl From<Aggregate> for String {
    fn from(a: Aggregate) -> String {
        a.to_string()
    }
}

impl TryFrom<String> for Aggregate {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// `--group-by` and `--aggregate`: recorded in a run's recipe, so a resumed or merged run aggregates the
/// same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupOptions {
    pub columns: Vec<String>,
    pub aggregate: Aggregate,
}

/// Frames per video: the spread a reader needs to judge whether videos are comparable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub min: usize,
    pub median: f64,
    pub max: usize,
}

/// What the aggregation did, for metrics.json and the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub group_by: Vec<String>,
    pub aggregate: Aggregate,
    pub frames: usize,
    pub frames_scored: usize,
    pub videos: usize,
    /// Videos none of whose frames was scored: non-responses ([`NO_SCORED_FRAME`]).
    pub videos_without_scored_frame: usize,
    pub frames_per_video: Spread,
    /// Group values shared by frames of different labels or species (NUAA's live and photo sequences
    /// reuse subject/session/position numbers): they are separate videos, their ids carry `@label`.
    pub split_keys: usize,
    pub split_key_examples: Vec<String>,
    /// Metadata columns that vary within a video: not carried to the video, so not segments.
    pub varying_columns: Vec<String>,
}

/// The `aggregation` block of a `--group-by` run's metrics.json: what the aggregation did, and the
/// frame-level evaluation at the same threshold beside the video-level one that fills the rest of the
/// document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregation {
    pub summary: Summary,
    /// The frame level's engine report.
    pub frame_level: super::MetricsReport,
}

/// How many examples a summary names.
const EXAMPLES: usize = 5;

/// The videos of `frames`, in order of their first frame, and what was done.
pub fn aggregate(frames: &[Presentation], options: &GroupOptions) -> Result<(Vec<Presentation>, Summary)> {
    ensure!(!options.columns.is_empty(), "--group-by needs at least one column");
    check_columns(frames, &options.columns)?;
    // Video key: group values, then label and species (a key never mixes bona fide and attack frames).
    let mut index: BTreeMap<(Vec<&str>, bool, &str), usize> = BTreeMap::new();
    let mut videos: Vec<Vec<&Presentation>> = Vec::new();
    for f in frames {
        let key = (values(f, &options.columns), f.bona_fide, f.species.as_str());
        let i = *index.entry(key).or_insert_with(|| {
            videos.push(Vec::new());
            videos.len() - 1
        });
        videos[i].push(f);
    }
    let mut labels_per_values: BTreeMap<Vec<&str>, usize> = BTreeMap::new();
    for (values, _, _) in index.keys() {
        *labels_per_values.entry(values.clone()).or_default() += 1;
    }
    let split: Vec<String> = labels_per_values.iter().filter(|(_, n)| **n > 1).map(|(v, _)| v.join("/")).collect();
    let mut varying = std::collections::BTreeSet::new();
    let presentations: Vec<Presentation> = videos
        .iter()
        .map(|members| {
            let first = members[0];
            let values = values(first, &options.columns);
            let mut id = values.join("/");
            if labels_per_values[&values] > 1 {
                id.push('@');
                id.push_str(if first.bona_fide { "bona_fide" } else { &first.species });
            }
            let mut scores: Vec<f64> = members.iter().filter_map(|m| m.score).collect();
            let score = (!scores.is_empty()).then(|| options.aggregate.of(&mut scores));
            let mut meta = first.meta.clone();
            meta.retain(|k, v| {
                let constant = members.iter().all(|m| m.meta.get(k) == Some(v));
                if !constant {
                    varying.insert(k.clone());
                }
                constant
            });
            Presentation {
                id,
                bona_fide: first.bona_fide,
                species: first.species.clone(),
                score,
                reason: score.is_none().then(|| NO_SCORED_FRAME.to_string()),
                meta,
                decision: None,
            }
        })
        .collect();
    let mut sizes: Vec<f64> = videos.iter().map(|v| v.len() as f64).collect();
    let frames_per_video = match sizes.is_empty() {
        true => Spread { min: 0, median: 0.0, max: 0 },
        false => Spread {
            min: videos.iter().map(Vec::len).min().unwrap_or(0),
            median: Aggregate::Median.of(&mut sizes),
            max: videos.iter().map(Vec::len).max().unwrap_or(0),
        },
    };
    let summary = Summary {
        group_by: options.columns.clone(),
        aggregate: options.aggregate,
        frames: frames.len(),
        frames_scored: frames.iter().filter(|f| f.score.is_some()).count(),
        videos: presentations.len(),
        videos_without_scored_frame: presentations.iter().filter(|p| p.score.is_none()).count(),
        frames_per_video,
        split_keys: split.len(),
        split_key_examples: split.into_iter().take(EXAMPLES).collect(),
        varying_columns: varying.into_iter().collect(),
    };
    Ok((presentations, summary))
}

/// The group values of a frame (present: [`check_columns`] ran).
fn values<'a>(frame: &'a Presentation, columns: &[String]) -> Vec<&'a str> {
    columns.iter().map(|c| frame.meta.get(c).map_or("", String::as_str)).collect()
}

/// Every frame has a non-empty value in every group column; otherwise which column, how many frames
/// lack it, an example, and the columns there are.
fn check_columns(frames: &[Presentation], columns: &[String]) -> Result<()> {
    for c in columns {
        let lacking: Vec<&Presentation> =
            frames.iter().filter(|f| f.meta.get(c).is_none_or(|v| v.is_empty())).collect();
        if let Some(example) = lacking.first() {
            let found: Vec<&str> = example.meta.keys().map(String::as_str).collect();
            bail!(
                "--group-by {c}: {} of {} frames have no `{c}` value (for example {}); columns found: {}. \
                 Group by columns every frame has, or add `{c}` to the manifest",
                lacking.len(),
                frames.len(),
                crate::escape::terminal(&example.id),
                if found.is_empty() { "none".to_string() } else { found.join(", ") }
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(id: &str, video: &str, bona_fide: bool, score: Option<f64>) -> Presentation {
        Presentation {
            id: id.into(),
            bona_fide,
            species: if bona_fide { String::new() } else { "print".into() },
            score,
            reason: score.is_none().then(|| "no_face".into()),
            meta: [("video".to_string(), video.to_string()), ("frame".to_string(), id.to_string())]
                .into_iter()
                .collect(),
            decision: None,
        }
    }

    fn by_video(a: Aggregate) -> GroupOptions {
        GroupOptions { columns: vec!["video".into()], aggregate: a }
    }

    #[test]
    fn statistics_match_numpy_and_scipy_by_hand() {
        let s = [0.9, 0.1, 0.4, 0.3, 0.8, 0.2, 0.7, 0.6, 0.5, 1.0];
        let of = |a: Aggregate| a.of(&mut s.to_vec());
        assert!((of(Aggregate::Mean) - 0.55).abs() < 1e-15);
        assert!((of(Aggregate::Median) - 0.55).abs() < 1e-15);
        assert_eq!(of(Aggregate::Min), 0.1);
        assert_eq!(of(Aggregate::Max), 1.0);
        // scipy.stats.trim_mean(s, 0.1): cut 1 from each end -> mean(0.2..0.9) = 0.55
        assert!((of(Aggregate::Trimmed(0.1)) - 0.55).abs() < 1e-15);
        // trim_mean([1, 2, 3, 100], 0.25) = 2.5; 0.2 * 4 = 0.8 cuts nothing -> 26.5
        assert_eq!(Aggregate::Trimmed(0.25).of(&mut [1.0, 2.0, 3.0, 100.0]), 2.5);
        assert_eq!(Aggregate::Trimmed(0.2).of(&mut [1.0, 2.0, 3.0, 100.0]), 26.5);
        assert_eq!(Aggregate::Median.of(&mut [3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn names_round_trip_and_bad_ones_say_what_is_allowed() {
        for s in ["mean", "median", "min", "max", "trimmed:0.2", "trimmed:0"] {
            assert_eq!(s.parse::<Aggregate>().unwrap().to_string(), s);
        }
        assert_eq!("trimmed".parse::<Aggregate>().unwrap(), Aggregate::Trimmed(0.1));
        assert!("trimmed:0.5".parse::<Aggregate>().unwrap_err().contains("below 0.5"));
        assert!("avg".parse::<Aggregate>().unwrap_err().contains("mean, median, min, max"));
        let json = serde_json::to_string(&by_video(Aggregate::Trimmed(0.2))).unwrap();
        assert_eq!(json, r#"{"columns":["video"],"aggregate":"trimmed:0.2"}"#);
        assert_eq!(serde_json::from_str::<GroupOptions>(&json).unwrap(), by_video(Aggregate::Trimmed(0.2)));
    }

    #[test]
    fn videos_with_non_responding_frames_and_shared_keys() {
        let frames = vec![
            frame("a1", "1", true, Some(0.9)),
            frame("a2", "1", true, None),
            frame("a3", "1", true, Some(0.7)),
            frame("b1", "2", true, None),
            frame("b2", "2", true, None),
            // video "1" again, but an attack: a different presentation
            frame("c1", "1", false, Some(0.2)),
        ];
        let (videos, summary) = aggregate(&frames, &by_video(Aggregate::Mean)).unwrap();
        let ids: Vec<&str> = videos.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["1@bona_fide", "2", "1@print"]);
        assert!((videos[0].score.unwrap() - 0.8).abs() < 1e-15);
        assert_eq!((videos[1].score, videos[1].reason.as_deref()), (None, Some(NO_SCORED_FRAME)));
        assert_eq!(videos[2].score, Some(0.2));
        assert!(!videos[2].bona_fide);
        // `frame` varies within a video: not carried; `video` is.
        assert_eq!(videos[0].meta.keys().collect::<Vec<_>>(), ["video"]);
        assert_eq!(
            (summary.frames, summary.frames_scored, summary.videos, summary.videos_without_scored_frame),
            (6, 3, 3, 1)
        );
        assert_eq!(summary.frames_per_video, Spread { min: 1, median: 2.0, max: 3 });
        assert_eq!((summary.split_keys, summary.split_key_examples.clone()), (1, vec!["1".to_string()]));
        assert_eq!(summary.varying_columns, ["frame"]);
    }

    #[test]
    fn a_missing_group_column_is_refused_with_counts() {
        let mut frames = vec![frame("a1", "1", true, Some(0.9)), frame("a2", "1", true, Some(0.8))];
        frames[1].meta.remove("video");
        let options = GroupOptions { columns: vec!["video".into()], aggregate: Aggregate::Mean };
        let err = aggregate(&frames, &options).unwrap_err().to_string();
        assert!(err.contains("1 of 2 frames have no `video` value (for example a2); columns found: frame"), "{err}");
    }

    /// Brute force: for every video, the frames whose group value, label and species are its own, scored.
    #[test]
    fn property_each_video_is_the_statistic_of_exactly_its_scored_frames() {
        let mut rng = crate::metrics::bootstrap::SplitMix64(7);
        let mut next = move |m: u64| rng.next_u64() % m;
        for _ in 0..200 {
            let n = 1 + next(40) as usize;
            let frames: Vec<Presentation> = (0..n)
                .map(|i| {
                    let score = (next(5) > 0).then(|| next(1000) as f64 / 1000.0);
                    frame(&format!("f{i}"), &next(6).to_string(), next(2) == 0, score)
                })
                .collect();
            for a in [Aggregate::Mean, Aggregate::Median, Aggregate::Min, Aggregate::Max, Aggregate::Trimmed(0.2)] {
                let (videos, summary) = aggregate(&frames, &by_video(a)).unwrap();
                let mut covered = 0;
                for v in &videos {
                    let members: Vec<&Presentation> = frames
                        .iter()
                        .filter(|f| {
                            f.meta["video"] == v.meta["video"] && f.bona_fide == v.bona_fide && f.species == v.species
                        })
                        .collect();
                    covered += members.len();
                    let mut scores: Vec<f64> = members.iter().filter_map(|f| f.score).collect();
                    scores.sort_by(f64::total_cmp);
                    let k = scores.len();
                    let expected = (k > 0).then(|| match a {
                        Aggregate::Mean => scores.iter().sum::<f64>() / k as f64,
                        Aggregate::Median => (scores[(k - 1) / 2] + scores[k / 2]) / 2.0,
                        Aggregate::Min => scores[0],
                        Aggregate::Max => scores[k - 1],
                        Aggregate::Trimmed(p) => {
                            let cut = (p * k as f64) as usize;
                            let kept = &scores[cut..k - cut];
                            kept.iter().sum::<f64>() / kept.len() as f64
                        }
                    });
                    match (v.score, expected) {
                        (Some(got), Some(want)) => assert!((got - want).abs() < 1e-12, "{a}: {got} vs {want}"),
                        (None, None) => assert_eq!(v.reason.as_deref(), Some(NO_SCORED_FRAME)),
                        other => panic!("{a}: {other:?}"),
                    }
                }
                assert_eq!(covered, n);
                assert_eq!(summary.frames, n);
            }
        }
    }
}
