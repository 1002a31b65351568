//! Exact 1:N search: every enrolled descriptor in one contiguous row-major `f32` block, scanned in full.
//!
//! Why brute force: at 128 dimensions a scan of the whole gallery is a few multiply-adds per byte read,
//! which the compiler vectorises; it answers 100k descriptors in milliseconds (`liveness bench-search`,
//! docs/face-match.md), and it is exact, so search and compare always agree. An approximate index (HNSW,
//! IVF-PQ) pays off only from about a million descriptors, where a scan passes ~100 ms.

use std::cmp::Ordering;

use serde::Serialize;

/// One identity's result: the mean Euclidean distance from the probe to its enrolled descriptors.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hit {
    pub name: String,
    pub distance: f64,
    /// How many enrolled descriptors the mean is over.
    pub images: usize,
}

/// The enrolled descriptors, ready to scan.
#[derive(Debug, Default)]
pub struct Index {
    dim: usize,
    /// `rows.len() == owner.len() * dim`; row `r` belongs to identity `owner[r]`.
    rows: Vec<f32>,
    owner: Vec<u32>,
    names: Vec<String>,
    counts: Vec<usize>,
}

impl Index {
    pub fn new(dim: usize) -> Index {
        Index { dim, ..Index::default() }
    }

    /// Adds one identity with its descriptors (each `dim` long).
    pub fn push(&mut self, name: &str, descriptors: &[Vec<f32>]) {
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.counts.push(descriptors.len());
        for d in descriptors {
            assert_eq!(d.len(), self.dim, "descriptor length");
            self.rows.extend_from_slice(d);
            self.owner.push(id);
        }
    }

    pub fn identities(&self) -> usize {
        self.names.len()
    }

    pub fn descriptors(&self) -> usize {
        self.owner.len()
    }

    /// The descriptors enrolled for `name`, in enrolment order (`None`: no such identity).
    pub fn person(&self, name: &str) -> Option<Vec<&[f32]>> {
        let id = self.names.iter().position(|n| n == name)? as u32;
        Some(self.rows.chunks_exact(self.dim).zip(&self.owner).filter(|&(_, &o)| o == id).map(|(r, _)| r).collect())
    }

    /// The `top` identities nearest to `probe` by mean distance, nearest first (ties by name).
    pub fn search(&self, probe: &[f32], top: usize) -> Vec<Hit> {
        assert_eq!(probe.len(), self.dim, "probe length");
        let mut sums = vec![0.0f64; self.names.len()];
        for (row, &who) in self.rows.chunks_exact(self.dim).zip(&self.owner) {
            sums[who as usize] += f64::from(squared(row, probe)).sqrt();
        }
        let mut hits: Vec<Hit> = sums
            .iter()
            .enumerate()
            .filter(|&(i, _)| self.counts[i] > 0)
            .map(|(i, &s)| Hit {
                name: self.names[i].clone(),
                distance: s / self.counts[i] as f64,
                images: self.counts[i],
            })
            .collect();
        hits.sort_by(|a, b| a.distance.partial_cmp(&b.distance).unwrap_or(Ordering::Equal).then(a.name.cmp(&b.name)));
        hits.truncate(top);
        hits
    }
}

/// Squared Euclidean distance in eight independent `f32` lanes (so the loop vectorises without
/// `-ffast-math`); the lanes are summed at the end. Agrees with `recognition::distance` (f64) within 1e-6
/// on descriptors of norm ~1.4.
fn squared(a: &[f32], b: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..LANES {
            let d = x[l] - y[l];
            acc[l] += d * d;
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| (x - y) * (x - y)).sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recognition::distance;

    #[test]
    fn mean_distance_per_identity_nearest_first() {
        let mut ix = Index::new(2);
        ix.push("far", &[vec![10.0, 0.0]]);
        ix.push("near", &[vec![3.0, 4.0], vec![0.0, 1.0]]); // distances 5 and 1: mean 3
        ix.push("empty", &[]);
        let hits = ix.search(&[0.0, 0.0], 5);
        assert_eq!(
            hits.iter().map(|h| (h.name.as_str(), h.distance, h.images)).collect::<Vec<_>>(),
            [("near", 3.0, 2), ("far", 10.0, 1)]
        );
        assert_eq!(ix.search(&[0.0, 0.0], 1).len(), 1);
        assert_eq!((ix.identities(), ix.descriptors()), (3, 3));
        assert_eq!(ix.person("near"), Some(vec![&[3.0, 4.0][..], &[0.0, 1.0][..]]));
        assert_eq!(ix.person("empty"), Some(vec![]));
        assert_eq!(ix.person("nobody"), None);
    }

    #[test]
    fn lane_sums_agree_with_the_f64_distance() {
        // Deterministic pseudo-random 128-D vectors of the model's scale (components within +-0.25).
        let mut x = 12345u64;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((x >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 0.5
        };
        for _ in 0..50 {
            let a: Vec<f32> = (0..128).map(|_| next()).collect();
            let b: Vec<f32> = (0..128).map(|_| next()).collect();
            let fast = f64::from(squared(&a, &b)).sqrt();
            assert!((fast - distance(&a, &b)).abs() < 1e-6, "{fast} vs {}", distance(&a, &b));
        }
    }
}
