//! Quality strata: a numeric column (a quality measure such as `q_sharpness`, the face size `q_face_px`,
//! brightness, or any numeric metadata) cut into buckets that then segment every metric like any other
//! metadata column (`--segment-by q_brightness:quartiles`). This is how "low scores from poor lighting,
//! not attacks" becomes visible: BPCER per brightness bucket, with its interval.
//!
//! Conventions (pandas' `cut` on numpy's quantiles, which `scripts/oracle-strata.py` checks):
//! - `quartiles`, `deciles`, `quantiles=N`: edges are numpy's `quantile(values, linspace(0, 1, N + 1))`
//!   (the `linear` method) over every presentation with a numeric value, both classes, scored or not (a
//!   too-dark image that got no score still belongs in the darkest bucket); repeated edges (many equal
//!   values) are merged, as `qcut(duplicates="drop")`, so fewer buckets may result;
//! - `bins=E0,E1,...`: the given edges, strictly increasing, `inf`/`-inf` allowed;
//! - buckets are right-closed, `(E[j-1], E[j]]`, the first one also holding E0; a value outside every
//!   bucket is `outside`, an empty, non-numeric or NaN cell (or no such column on the row) is `missing`.

use std::fmt;

use anyhow::{Result, bail, ensure};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::schema::Presentation;

/// Bucket of a presentation without a numeric value.
pub const MISSING: &str = "missing";
/// Bucket of a value beyond the first or last edge of `bins=`.
pub const OUTSIDE: &str = "outside";

/// Most quantile buckets asked for: beyond this a bucket holds too few presentations to say anything.
const MAX_QUANTILES: usize = 100;

/// How a column is cut.
#[derive(Debug, Clone, PartialEq)]
pub enum Buckets {
    /// N equal-count buckets (4: quartiles, 10: deciles).
    Quantiles(usize),
    /// Fixed edges, strictly increasing.
    Bins(Vec<f64>),
}

/// One `--segment-by COLUMN:BUCKETS`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stratum {
    pub column: String,
    pub buckets: Buckets,
}

impl fmt::Display for Stratum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.buckets {
            Buckets::Quantiles(4) => write!(f, "{}:quartiles", self.column),
            Buckets::Quantiles(10) => write!(f, "{}:deciles", self.column),
            Buckets::Quantiles(n) => write!(f, "{}:quantiles={n}", self.column),
            Buckets::Bins(e) => {
                let edges: Vec<String> = e.iter().map(|x| Edge(*x).to_string()).collect();
                write!(f, "{}:bins={}", self.column, edges.join(","))
            }
        }
    }
}

/// An edge as written: a number, or `inf` / `-inf`.
fn parse_edge(s: &str) -> Option<f64> {
    match s.trim() {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        t => t.parse::<f64>().ok().filter(|x| x.is_finite()),
    }
}

impl Stratum {
    fn parse(column: &str, spec: &str) -> Result<Stratum> {
        let usage = "use COLUMN:quartiles, COLUMN:deciles, COLUMN:quantiles=N or COLUMN:bins=E0,E1,... (edges \
                     increasing, inf allowed)";
        ensure!(!column.is_empty(), "--segment-by :{spec}: no column before the colon; {usage}");
        let buckets = match spec {
            "quartiles" => Buckets::Quantiles(4),
            "deciles" => Buckets::Quantiles(10),
            _ => match spec.split_once('=') {
                Some(("quantiles", n)) => match n.parse::<usize>() {
                    Ok(n) if (2..=MAX_QUANTILES).contains(&n) => Buckets::Quantiles(n),
                    _ => bail!("--segment-by {column}:{spec}: N must be a whole number from 2 to {MAX_QUANTILES}"),
                },
                Some(("bins", edges)) => {
                    let parsed: Option<Vec<f64>> = edges.split(',').map(parse_edge).collect();
                    let Some(edges) = parsed else {
                        bail!("--segment-by {column}:{spec}: an edge is not a number (or inf); {usage}")
                    };
                    ensure!(
                        edges.len() >= 2 && edges.windows(2).all(|w| w[0] < w[1]),
                        "--segment-by {column}:{spec}: give at least two edges, strictly increasing"
                    );
                    Buckets::Bins(edges)
                }
                _ => bail!("--segment-by {column}:{spec}: unknown buckets; {usage}"),
            },
        };
        Ok(Stratum { column: column.to_owned(), buckets })
    }
}

/// `--segment-by` as given: plain metadata columns, and the strata among them (`COLUMN:BUCKETS`), in
/// order. The shell's `--segment-by a:bins=0,50,inf` reaches here split at the commas (the flag takes a
/// comma-separated list), so a token that is only an edge continues the `bins=` before it.
pub fn parse_segment_by(given: &[String]) -> Result<(Vec<String>, Vec<Stratum>)> {
    let mut specs: Vec<String> = Vec::new();
    for token in given {
        match specs.last_mut() {
            Some(last) if last.contains(":bins=") && parse_edge(token).is_some() => {
                last.push(',');
                last.push_str(token);
            }
            _ => specs.push(token.clone()),
        }
    }
    let mut columns = Vec::new();
    let mut strata = Vec::new();
    for s in &specs {
        match s.split_once(':') {
            Some((column, spec)) => {
                let stratum = Stratum::parse(column, spec)?;
                ensure!(!columns.contains(&stratum.column), "--segment-by names {} twice", stratum.column);
                columns.push(stratum.column.clone());
                strata.push(stratum);
            }
            None => {
                ensure!(!columns.contains(s), "--segment-by names {s} twice");
                columns.push(s.clone());
            }
        }
    }
    Ok((columns, strata))
}

/// An edge in metrics.json: a number, or `"+inf"` / `"-inf"` (JSON has no infinity).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge(pub f64);

impl Serialize for Edge {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            x if x == f64::INFINITY => s.serialize_str("+inf"),
            x if x == f64::NEG_INFINITY => s.serialize_str("-inf"),
            x => s.serialize_f64(x),
        }
    }
}

/// Reads what [`Edge`]'s `Serialize` writes (as a threshold is written: a number, or `"+inf"` / `"-inf"`).
impl<'de> Deserialize<'de> for Edge {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        super::Threshold::deserialize(deserializer).map(|t| Edge(t.0))
    }
}

impl fmt::Display for Edge {
    /// Four significant digits, trailing zeros dropped: labels stay short under a chart's bars.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_infinite() {
            return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
        }
        if x == 0.0 {
            return f.write_str("0");
        }
        let decimals = (3 - x.abs().log10().floor() as i32).clamp(0, 8) as usize;
        let text = format!("{x:.decimals$}");
        let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
        f.write_str(text)
    }
}

/// One bucket of a stratum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// The segment value (`Q1 12.3-45.6`), which sorts in bucket order.
    pub label: String,
    pub lower: Edge,
    pub upper: Edge,
    /// True for the first bucket, which also holds its lower edge.
    pub lower_closed: bool,
    pub presentations: usize,
}

/// What a stratum did, for metrics.json (`strata`) and the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StratumReport {
    pub column: String,
    /// The spec as given (`q_sharpness:quartiles`).
    pub spec: String,
    /// The edges used, after merging repeated quantiles.
    pub edges: Vec<Edge>,
    /// Quantile edges merged because values repeat (fewer buckets than asked).
    pub merged_edges: usize,
    pub buckets: Vec<Bucket>,
    /// Presentations without a numeric value (bucket `missing`).
    pub missing: usize,
    /// Values beyond the edges of `bins=` (bucket `outside`).
    pub outside: usize,
}

/// numpy's `quantile(sorted, q)` with the default `linear` method, operation for operation (virtual index
/// `(n - 1) * q`, then numpy's two-sided lerp), so edges equal numpy's to the last bit.
fn numpy_quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let virtual_index = (n - 1) as f64 * q;
    let below = virtual_index.floor();
    let gamma = virtual_index - below;
    let last = (n - 1) as f64;
    let (i, j) = (below.clamp(0.0, last) as usize, (below + 1.0).clamp(0.0, last) as usize);
    let (a, b) = (sorted[i], sorted[j]);
    let diff = b - a;
    if gamma >= 0.5 { b - diff * (1.0 - gamma) } else { a + diff * gamma }
}

/// numpy's `linspace(0, 1, n + 1)`: `i * (1 / n)`, the last exactly 1.
fn linspace(n: usize) -> Vec<f64> {
    let step = 1.0 / n as f64;
    (0..=n).map(|i| if i == n { 1.0 } else { i as f64 * step }).collect()
}

/// A numeric cell, or `None` (empty, text, NaN).
fn value_of(p: &Presentation, column: &str) -> Option<f64> {
    p.meta.get(column).and_then(|v| v.trim().parse::<f64>().ok()).filter(|x| !x.is_nan())
}

/// Replaces each stratum column's value in every presentation's metadata by its bucket label.
pub fn stratify(presentations: &mut [Presentation], strata: &[Stratum]) -> Result<Vec<StratumReport>> {
    strata.iter().map(|s| stratify_one(presentations, s)).collect()
}

fn stratify_one(presentations: &mut [Presentation], stratum: &Stratum) -> Result<StratumReport> {
    let column = stratum.column.as_str();
    if !presentations.iter().any(|p| p.meta.contains_key(column)) {
        let mut found: Vec<&str> = presentations.iter().flat_map(|p| p.meta.keys()).map(String::as_str).collect();
        found.sort_unstable();
        found.dedup();
        bail!(
            "--segment-by {stratum}: no presentation has a `{column}` column; columns found: {}",
            if found.is_empty() { "none".to_owned() } else { found.join(", ") }
        );
    }
    let mut values: Vec<f64> = presentations.iter().filter_map(|p| value_of(p, column)).collect();
    if values.is_empty() {
        let example = presentations.iter().find_map(|p| p.meta.get(column)).cloned().unwrap_or_default();
        bail!(
            "--segment-by {stratum}: `{column}` holds no number in any of {} presentations (e.g. {:?}): bucket \
             a numeric column, or segment by it as it is (--segment-by {column})",
            presentations.len(),
            crate::escape::terminal(&example)
        );
    }
    values.sort_by(f64::total_cmp);
    let (prefix, asked): (&str, Vec<f64>) = match &stratum.buckets {
        Buckets::Quantiles(n) => {
            let prefix = if *n == 10 { "D" } else { "Q" };
            (prefix, linspace(*n).into_iter().map(|q| numpy_quantile(&values, q)).collect())
        }
        Buckets::Bins(edges) => ("B", edges.clone()),
    };
    let mut edges = asked.clone();
    edges.dedup();
    let merged_edges = asked.len() - edges.len();
    let width = (edges.len() - 1).to_string().len();
    let mut buckets: Vec<Bucket> = edges
        .windows(2)
        .enumerate()
        .map(|(j, w)| Bucket {
            label: format!("{prefix}{:0width$} {}-{}", j + 1, Edge(w[0]), Edge(w[1])),
            lower: Edge(w[0]),
            upper: Edge(w[1]),
            lower_closed: j == 0,
            presentations: 0,
        })
        .collect();
    // A single distinct value: one bucket holding it.
    if buckets.is_empty() {
        buckets.push(Bucket {
            label: format!("{prefix}1 {}", Edge(edges[0])),
            lower: Edge(edges[0]),
            upper: Edge(edges[0]),
            lower_closed: true,
            presentations: 0,
        });
    }
    let (mut missing, mut outside) = (0, 0);
    for p in presentations.iter_mut() {
        let label = match value_of(p, column) {
            None => {
                missing += 1;
                MISSING.to_owned()
            }
            Some(x) => match bucket_of(&edges, x) {
                Some(j) => {
                    buckets[j].presentations += 1;
                    buckets[j].label.clone()
                }
                None => {
                    outside += 1;
                    OUTSIDE.to_owned()
                }
            },
        };
        p.meta.insert(column.to_owned(), label);
    }
    Ok(StratumReport {
        column: column.to_owned(),
        spec: stratum.to_string(),
        edges: edges.into_iter().map(Edge).collect(),
        merged_edges,
        buckets,
        missing,
        outside,
    })
}

/// Index of the right-closed bucket holding `x` (the first also holds its lower edge): pandas' `cut`
/// with `include_lowest=True`.
fn bucket_of(edges: &[f64], x: f64) -> Option<usize> {
    let (first, last) = (edges[0], edges[edges.len() - 1]);
    if x < first || x > last {
        return None;
    }
    if edges.len() == 1 || x == first {
        return Some(0);
    }
    // Edges strictly below x: the bucket is the one whose upper edge is the first >= x.
    Some(edges.partition_point(|e| *e < x) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(column: &str, values: &[&str]) -> Vec<Presentation> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Presentation {
                id: format!("p{i}"),
                bona_fide: i % 2 == 0,
                species: if i % 2 == 0 { String::new() } else { "print".into() },
                score: Some(0.5),
                reason: None,
                meta: [(column.to_owned(), (*v).to_owned())].into_iter().collect(),
                decision: None,
            })
            .collect()
    }

    fn labels(ps: &[Presentation], column: &str) -> Vec<String> {
        ps.iter().map(|p| p.meta[column].clone()).collect()
    }

    #[test]
    fn specs_parse_and_bins_survive_the_comma_split() {
        let given: Vec<String> =
            ["session", "q_sharpness:quartiles", "q_face_px:bins=0", "50", "100", "inf", "q_b:deciles"]
                .map(String::from)
                .to_vec();
        let (columns, strata) = parse_segment_by(&given).unwrap();
        assert_eq!(columns, ["session", "q_sharpness", "q_face_px", "q_b"]);
        assert_eq!(strata[1].buckets, Buckets::Bins(vec![0.0, 50.0, 100.0, f64::INFINITY]));
        assert_eq!(strata[1].to_string(), "q_face_px:bins=0,50,100,inf");
        assert_eq!(strata[2].to_string(), "q_b:deciles");
        let err = |s: &[&str]| {
            parse_segment_by(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>()).unwrap_err().to_string()
        };
        assert!(err(&["q:bins=5,1"]).contains("strictly increasing"));
        assert!(err(&["q:bins=1"]).contains("at least two edges"));
        assert!(err(&["q:quantiles=1"]).contains("from 2 to 100"));
        assert!(err(&["q:terciles"]).contains("COLUMN:quartiles"));
        assert!(err(&["q", "q:quartiles"]).contains("twice"));
    }

    #[test]
    fn quartiles_by_hand_match_numpy_and_pandas_cut() {
        // numpy.quantile([1..8], [0, .25, .5, .75, 1]) = 1, 2.75, 4.5, 6.25, 8
        let mut ps = with("q", &["1", "2", "3", "4", "5", "6", "7", "8", "", "x"]);
        let r = stratify(&mut ps, &[Stratum { column: "q".into(), buckets: Buckets::Quantiles(4) }]).unwrap();
        assert_eq!(r[0].edges, [1.0, 2.75, 4.5, 6.25, 8.0].map(Edge));
        assert_eq!(
            labels(&ps, "q"),
            [
                "Q1 1-2.75",
                "Q1 1-2.75",
                "Q2 2.75-4.5",
                "Q2 2.75-4.5",
                "Q3 4.5-6.25",
                "Q3 4.5-6.25",
                "Q4 6.25-8",
                "Q4 6.25-8",
                "missing",
                "missing"
            ]
        );
        assert_eq!((r[0].missing, r[0].outside, r[0].merged_edges), (2, 0, 0));
        assert_eq!(r[0].buckets.iter().map(|b| b.presentations).collect::<Vec<_>>(), [2, 2, 2, 2]);
    }

    #[test]
    fn a_stratum_reads_back_as_written_infinite_edges_too() {
        let mut ps = with("q", &["1", "2", "3", "4"]);
        let mut r = stratify(&mut ps, &[Stratum { column: "q".into(), buckets: Buckets::Quantiles(2) }]).unwrap();
        r[0].edges = vec![Edge(f64::NEG_INFINITY), Edge(2.5), Edge(f64::INFINITY)];
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json[0]["edges"], serde_json::json!(["-inf", 2.5, "+inf"]));
        assert_eq!(serde_json::from_value::<Vec<StratumReport>>(json).unwrap(), r);
    }

    #[test]
    fn bins_are_right_closed_first_holds_its_lower_edge_and_outside_is_counted() {
        let mut ps = with("q", &["0", "50", "50.5", "100", "-1", "1e9"]);
        let bins = Buckets::Bins(vec![0.0, 50.0, 100.0]);
        let r = stratify(&mut ps, &[Stratum { column: "q".into(), buckets: bins }]).unwrap();
        assert_eq!(labels(&ps, "q"), ["B1 0-50", "B1 0-50", "B2 50-100", "B2 50-100", "outside", "outside"]);
        assert_eq!(r[0].outside, 2);
        let json = serde_json::to_value(&r[0].edges).unwrap();
        assert_eq!(json, serde_json::json!([0.0, 50.0, 100.0]));
        assert_eq!(serde_json::to_value(Edge(f64::INFINITY)).unwrap(), "+inf");
    }

    #[test]
    fn repeated_quantiles_merge_and_a_constant_column_is_one_bucket() {
        let mut ps = with("q", &["0", "0", "0", "0", "0", "0", "1", "2"]);
        let r = stratify(&mut ps, &[Stratum { column: "q".into(), buckets: Buckets::Quantiles(4) }]).unwrap();
        // numpy: 0, 0, 0, 0.25, 2 -> edges 0, 0.25, 2
        assert_eq!((r[0].edges.clone(), r[0].merged_edges), (vec![Edge(0.0), Edge(0.25), Edge(2.0)], 2));
        assert_eq!(
            labels(&ps, "q")[..7].to_vec(),
            ["Q1 0-0.25"; 6].into_iter().chain(["Q2 0.25-2"]).collect::<Vec<_>>()
        );
        let mut ps = with("q", &["3", "3"]);
        stratify(&mut ps, &[Stratum { column: "q".into(), buckets: Buckets::Quantiles(4) }]).unwrap();
        assert_eq!(labels(&ps, "q"), ["Q1 3", "Q1 3"]);
    }

    #[test]
    fn a_missing_or_non_numeric_column_is_refused_with_what_there_is() {
        let mut ps = with("session", &["a", "b"]);
        let q = |c: &str| Stratum { column: c.into(), buckets: Buckets::Quantiles(4) };
        let e = stratify(&mut ps, &[q("q_sharpness")]).unwrap_err().to_string();
        assert!(e.contains("no presentation has a `q_sharpness` column; columns found: session"), "{e}");
        let e = stratify(&mut ps, &[q("session")]).unwrap_err().to_string();
        assert!(e.contains("holds no number in any of 2 presentations"), "{e}");
    }

    #[test]
    fn edges_print_short() {
        let shown: Vec<String> =
            [140.705, 0.011597, 78.224, 1234.6, 5.0, -2.5, 1e-5].map(|x| Edge(x).to_string()).to_vec();
        assert_eq!(shown, ["140.7", "0.0116", "78.22", "1235", "5", "-2.5", "0.00001"]);
    }

    /// Brute force: each value's bucket is the one whose interval contains it by the written convention,
    /// and quantile buckets of distinct values hold counts within one of each other.
    #[test]
    fn property_buckets_follow_the_convention() {
        let mut rng = crate::metrics::bootstrap::SplitMix64(11);
        let mut next = move |m: u64| rng.next_u64() % m;
        for _ in 0..300 {
            let n = 1 + next(60) as usize;
            let raw: Vec<String> = (0..n).map(|_| (next(40) as f64 / 4.0).to_string()).collect();
            let mut ps = with("q", &raw.iter().map(String::as_str).collect::<Vec<_>>());
            let k = 2 + next(9) as usize;
            let r = stratify(&mut ps, &[Stratum { column: "q".into(), buckets: Buckets::Quantiles(k) }]).unwrap();
            let r = &r[0];
            for (p, v) in ps.iter().zip(&raw) {
                let x: f64 = v.parse().unwrap();
                let holding: Vec<&Bucket> = r
                    .buckets
                    .iter()
                    .filter(|b| (x > b.lower.0 || (b.lower_closed && x >= b.lower.0)) && x <= b.upper.0)
                    .collect();
                assert_eq!(holding.len(), 1, "{x} in {:?}", r.buckets);
                assert_eq!(p.meta["q"], holding[0].label);
            }
            assert_eq!(r.buckets.iter().map(|b| b.presentations).sum::<usize>(), n);
            assert_eq!(
                r.edges.first().unwrap().0,
                raw.iter().map(|v| v.parse::<f64>().unwrap()).fold(f64::INFINITY, f64::min)
            );
        }
    }
}
