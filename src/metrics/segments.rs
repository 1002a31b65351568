//! Metrics per value of metadata columns (session, device, glasses, ...): where does the model fail?
//!
//! Each segment gets the same counts, at-threshold rates and pooled EER as the whole set (no
//! bootstrap: per-segment resampling would multiply the cost by the number of segments). A segment
//! with few presentations produces extreme rates by chance (1 error in 3 is 33%), so a segment with
//! fewer than `min_count` scored bona fide or scored attack presentations is reported but flagged
//! `too_small`, and `small_classes` says which class is short. The worst-segment choice skips a
//! segment only for the class it is short of: an attack-only segment (NUAA's `pos=01`, say) is still
//! a fair candidate for the worst APCER, just not for the worst BPCER.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde::{Deserialize, Deserializer, Serialize};

use super::counts::Counts;
use super::metric::Metric;
use super::operating::{Eer, eer_pooled};
use super::population::Population;
use super::rates::{Rate, RateSet};
use super::sweep::Sweep;
use super::tally::Tally;
use crate::schema::{Presentation, Presentations};

/// Which columns to segment on, and the size guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentOptions {
    /// Meta columns to segment on; `None` = the default rule of [`segment_columns`].
    pub columns: Option<Vec<String>>,
    /// Minimum scored presentations of a class for a segment to compete for "worst".
    pub min_count: u64,
}

impl Default for SegmentOptions {
    /// Every column, guard 30 (below 30, one error moves a rate by more than 3 points).
    fn default() -> Self {
        SegmentOptions { columns: None, min_count: 30 }
    }
}

/// One segment's metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub counts: Counts,
    /// True when `small_classes` is not empty.
    pub too_small: bool,
    /// "bona_fide" and/or "attack": classes with fewer than `min_count` scored presentations.
    #[serde(deserialize_with = "small_classes")]
    pub small_classes: Vec<&'static str>,
    pub at_threshold: RateSet,
    pub eer_pooled: Metric<Eer>,
}

/// The segment with the highest value of a rate, among those large enough for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorstSegment {
    pub column: String,
    pub segment: String,
    /// The rate there (its `value` is the worst value).
    #[serde(flatten)]
    pub rate: Rate,
}

/// Report section `segments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentsReport {
    pub min_count: u64,
    /// Column → value → segment.
    pub columns: BTreeMap<String, BTreeMap<String, Segment>>,
    pub worst_apcer_max: Metric<WorstSegment>,
    pub worst_bpcer: Metric<WorstSegment>,
}

const BONA_FIDE_CLASS: &str = "bona_fide";
const ATTACK_CLASS: &str = "attack";

/// `small_classes` read back: the two class names, as the engine's own strings.
pub(crate) fn small_classes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<&'static str>, D::Error> {
    let names = Vec::<String>::deserialize(deserializer)?;
    names
        .iter()
        .map(|name| {
            [BONA_FIDE_CLASS, ATTACK_CLASS].into_iter().find(|c| c == name).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "small class {name:?} is neither {BONA_FIDE_CLASS} nor {ATTACK_CLASS}"
                ))
            })
        })
        .collect()
}

/// Segments `presentations` (whose validated view is `population`) at `threshold`.
pub(crate) fn segments<P: Presentations + ?Sized>(
    presentations: &P,
    population: &Population,
    threshold: f64,
    options: &SegmentOptions,
) -> Result<SegmentsReport> {
    let mut columns = BTreeMap::new();
    for column in columns_of(presentations, options.columns.as_deref())? {
        let segments = presentations
            .groups(&column)
            .into_iter()
            .map(|(value, members)| {
                (value.to_owned(), segment(presentations, population, &members, threshold, options.min_count))
            })
            .collect();
        columns.insert(column, segments);
    }
    let worst_apcer_max = worst(&columns, ATTACK_CLASS, options.min_count, |s| &s.at_threshold.attack.apcer_max);
    let worst_bpcer = worst(&columns, BONA_FIDE_CLASS, options.min_count, |s| &s.at_threshold.bona_fide.bpcer);
    Ok(SegmentsReport { min_count: options.min_count, columns, worst_apcer_max, worst_bpcer })
}

/// Most distinct values a metadata column may have to be segmented by default: beyond that (an image id,
/// a timestamp) segments are single presentations and say nothing.
pub const MAX_DEFAULT_SEGMENTS: usize = 50;

/// The columns to segment on, one rule for eval, gate and diff: the `wanted` ones (each must be among
/// the metadata columns), else every metadata column with 2 to [`MAX_DEFAULT_SEGMENTS`] distinct values
/// (a presentation without the column counts as the value "", as [`groups`] puts it in segment "").
pub fn segment_columns(presentations: &[Presentation], wanted: Option<&[String]>) -> Result<Vec<String>> {
    columns_of(presentations, wanted)
}

/// [`segment_columns`] of presentations however they are held.
fn columns_of<P: Presentations + ?Sized>(presentations: &P, wanted: Option<&[String]>) -> Result<Vec<String>> {
    let values: BTreeMap<&str, BTreeSet<&str>> =
        presentations.meta_columns().into_iter().map(|k| (k, presentations.meta_values(k))).collect();
    let Some(wanted) = wanted else {
        return Ok(values
            .into_iter()
            .filter(|(_, v)| (2..=MAX_DEFAULT_SEGMENTS).contains(&v.len()))
            .map(|(k, _)| k.to_owned())
            .collect());
    };
    if let Some(missing) = wanted.iter().find(|c| !values.contains_key(c.as_str())) {
        let found: Vec<&str> = values.into_keys().collect();
        bail!("segment column {missing:?} is not in the scores; metadata columns: {}", found.join(","));
    }
    Ok(wanted.to_vec())
}

fn segment<P: Presentations + ?Sized>(
    presentations: &P,
    population: &Population,
    members: &[usize],
    threshold: f64,
    min_count: u64,
) -> Segment {
    let sub = population.subset(members);
    let tally = Tally::count(&sub, threshold);
    let attack_scored: u64 = tally.present_species().map(|(_, c)| c.scored).sum();
    let small_classes: Vec<&'static str> = [(BONA_FIDE_CLASS, tally.bona_fide().scored), (ATTACK_CLASS, attack_scored)]
        .into_iter()
        .filter(|(_, scored)| *scored < min_count)
        .map(|(class, _)| class)
        .collect();
    Segment {
        counts: Counts::new(presentations, population, members.iter().copied(), &tally),
        too_small: !small_classes.is_empty(),
        small_classes,
        at_threshold: RateSet::build(&tally, &sub.species, threshold, None),
        eer_pooled: eer_pooled(&Sweep::from_population(&sub)),
    }
}

/// The first segment with the highest `rate`, among those not short of `class`.
fn worst(
    columns: &BTreeMap<String, BTreeMap<String, Segment>>,
    class: &str,
    min_count: u64,
    rate: impl Fn(&Segment) -> &Metric<Rate>,
) -> Metric<WorstSegment> {
    let mut best: Option<(&str, &str, &Rate)> = None;
    for (column, segments) in columns {
        for (value, segment) in segments.iter().filter(|(_, s)| !s.small_classes.contains(&class)) {
            if let Some(r) = rate(segment).value().filter(|r| best.is_none_or(|b| r.value > b.2.value)) {
                best = Some((column, value, r));
            }
        }
    }
    match best {
        Some((column, segment, rate)) => {
            Metric::Value(WorstSegment { column: column.to_owned(), segment: segment.to_owned(), rate: rate.clone() })
        }
        None => Metric::na(format!("no segment has {min_count} or more scored {class} presentations")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pres;

    fn with(mut p: Presentation, meta: &[(&str, &str)]) -> Presentation {
        p.meta = meta.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        p
    }

    /// t = 0.5, min_count 2.
    /// device=phone:  live 0.9 0.2 (BPCER 1/2) | print 0.6 (APCER 1/1)        → attack too small
    /// device=tablet: live 0.8 0.7 (BPCER 0/2) | print 0.1 0.7 (APCER 1/2), replay 0.2 0.3 (0/2)
    /// device=kiosk:  print 0.9 0.9 (APCER 2/2) only                          → bona fide too small
    /// light=dark:    everything above; light=bright: nothing (column absent there reads "")
    fn sample() -> Vec<Presentation> {
        let dev = |p, d| with(p, &[("device", d), ("light", "dark")]);
        vec![
            dev(pres("", Some(0.9)), "phone"),
            dev(pres("", Some(0.2)), "phone"),
            dev(pres("print", Some(0.6)), "phone"),
            dev(pres("", Some(0.8)), "tablet"),
            dev(pres("", Some(0.7)), "tablet"),
            dev(pres("print", Some(0.1)), "tablet"),
            dev(pres("print", Some(0.7)), "tablet"),
            dev(pres("replay", Some(0.2)), "tablet"),
            dev(pres("replay", Some(0.3)), "tablet"),
            dev(pres("print", Some(0.9)), "kiosk"),
            dev(pres("print", Some(0.9)), "kiosk"),
            with(pres("", None), &[("device", "tablet")]),
        ]
    }

    fn report(columns: Option<Vec<String>>) -> Result<SegmentsReport> {
        let ps = sample();
        let pop = Population::new(&ps).unwrap();
        segments(&ps, &pop, 0.5, &SegmentOptions { columns, min_count: 2 })
    }

    /// The default rule: 2 to 50 distinct values; an id-like column and a constant one are left out,
    /// but asking for them by name is honoured; an absent column is refused, naming the present ones.
    #[test]
    fn default_segment_columns_have_two_to_fifty_values() {
        let ps: Vec<Presentation> = (0..60)
            .map(|i| {
                let (id, site) = (i.to_string(), (i % 3).to_string());
                with(pres("", Some(0.9)), &[("id", id.as_str()), ("site", site.as_str()), ("camera", "c1")])
            })
            .collect();
        assert_eq!(segment_columns(&ps, None).unwrap(), ["site"]);
        assert_eq!(segment_columns(&ps, Some(&["id".into()])).unwrap(), ["id"]);
        let e = segment_columns(&ps, Some(&["light".into()])).unwrap_err().to_string();
        assert!(e.contains("\"light\" is not in the scores; metadata columns: camera,id,site"), "{e}");
    }

    #[test]
    fn per_segment_rates_flags_and_worst() {
        let r = report(None).unwrap();
        assert_eq!(r.columns.keys().collect::<Vec<_>>(), ["device", "light"]);
        let device = &r.columns["device"];
        assert_eq!(device["phone"].small_classes, [ATTACK_CLASS]);
        assert_eq!(device["kiosk"].small_classes, [BONA_FIDE_CLASS]);
        assert!(device["kiosk"].too_small && !device["tablet"].too_small);
        assert_eq!(device["kiosk"].eer_pooled.reason(), Some("no scored bona fide presentations"));
        assert!(device["tablet"].eer_pooled.value().is_some());
        // Empty species: phone has no replay at all, so no replay entry.
        assert_eq!(device["phone"].at_threshold.species.keys().collect::<Vec<_>>(), ["print"]);
        assert_eq!(device["tablet"].counts.bona_fide.non_responses, 1);
        assert_eq!(r.columns["light"][""].counts.bona_fide.total, 1);
        // Worst APCER_max: kiosk 2/2 (phone's 1/1 is too small in attacks). Worst BPCER: phone 1/2.
        let w = r.worst_apcer_max.value().unwrap();
        assert_eq!((w.column.as_str(), w.segment.as_str(), w.rate.k, w.rate.n), ("device", "kiosk", 2, 2));
        let w = r.worst_bpcer.value().unwrap();
        assert_eq!((w.column.as_str(), w.segment.as_str(), w.rate.value), ("device", "phone", 0.5));
    }

    #[test]
    fn worst_is_na_when_every_segment_is_too_small() {
        let ps = sample();
        let pop = Population::new(&ps).unwrap();
        let r =
            segments(&ps, &pop, 0.5, &SegmentOptions { columns: Some(vec!["device".into()]), min_count: 100 }).unwrap();
        assert_eq!(r.worst_bpcer.reason(), Some("no segment has 100 or more scored bona_fide presentations"));
        assert!(r.worst_apcer_max.reason().is_some());
        assert!(r.columns["device"].values().all(|s| s.too_small));
    }

    #[test]
    fn chosen_columns_must_exist() {
        let e = report(Some(vec!["site".into()])).unwrap_err().to_string();
        assert!(e.contains("\"site\"") && e.contains("device,light"), "{e}");
        assert_eq!(report(Some(vec!["light".into()])).unwrap().columns.len(), 1);
    }
}
