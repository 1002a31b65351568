//! Sharded runs: a deterministic partition of a dataset by a stable hash of each presentation's id.
//!
//! A presentation's shard depends only on its id (the dataset-relative path) and the shard count: never
//! on listing order, machine or thread count, so N independent processes (a Kubernetes Indexed Job, a
//! Slurm array) each take their share without talking to each other, and `liveness merge` can check
//! that every presentation came back exactly once.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use anyhow::Result;
use sha2::{Digest, Sha256};

use crate::dataset::Sample;
use crate::schema::run_folder::POSITIONS_TXT;

pub use super::manifest::ShardSpec;

/// Environment variables that carry a task index, in the order they are consulted by `--shard auto/N`.
pub const INDEX_VARIABLES: [&str; 2] = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"];

/// The shard of `id` among `count`: the first 8 bytes of its sha256, big-endian, modulo `count`.
pub fn shard_of(id: &str, count: u32) -> u32 {
    let h = Sha256::digest(id.as_bytes());
    let head = u64::from_be_bytes(h[..8].try_into().unwrap_or_default());
    (head % u64::from(count.max(1))) as u32
}

impl ShardSpec {
    /// Whether the presentation `id` belongs to this shard.
    pub fn holds(&self, id: &str) -> bool {
        shard_of(id, self.count) == self.index
    }
}

/// Positions (0-based, in dataset order) of the samples that belong to `shard`.
pub fn positions(samples: &[Sample], shard: ShardSpec) -> Vec<usize> {
    samples.iter().enumerate().filter(|(_, s)| shard.holds(&s.rel_path)).map(|(i, _)| i).collect()
}

/// Writes `dir/positions.txt` whole (sibling file, then rename): the position in the whole dataset of each
/// of the shard's rows, one per line, by which `merge` interleaves the shards back into dataset order.
pub fn store_positions(dir: &Path, positions: &[usize]) -> Result<()> {
    let mut text = String::with_capacity(positions.len() * 8);
    for p in positions {
        text += &p.to_string();
        text.push('\n');
    }
    super::atomic::write(&dir.join(POSITIONS_TXT), text)
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// `--shard I/N` or `--shard auto/N`, as given; `auto` is resolved by [`ShardArg::resolve`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardArg {
    pub index: Option<u32>,
    pub count: u32,
}

impl FromStr for ShardArg {
    type Err = String;

    fn from_str(s: &str) -> Result<ShardArg, String> {
        let Some((i, n)) = s.split_once('/') else { return Err(format!("`{s}` is not I/N or auto/N (e.g. 0/4)")) };
        let count: u32 = n.trim().parse().map_err(|_| format!("`{n}` in `{s}` is not a shard count"))?;
        if count == 0 {
            return Err(format!("`{s}`: the shard count must be at least 1"));
        }
        let index = match i.trim() {
            "auto" => None,
            i => {
                let i: u32 = i.parse().map_err(|_| format!("`{i}` in `{s}` is not a shard index or `auto`"))?;
                if i >= count {
                    return Err(format!("`{s}`: the shard index must be below {count} (shards are 0..{count})"));
                }
                Some(i)
            }
        };
        Ok(ShardArg { index, count })
    }
}

impl ShardArg {
    /// The shard, with `auto` taken from the first set variable of [`INDEX_VARIABLES`].
    pub fn resolve(&self) -> Result<ShardSpec> {
        self.resolve_with(|v| std::env::var(v).ok())
    }

    fn resolve_with(&self, var: impl Fn(&str) -> Option<String>) -> Result<ShardSpec> {
        let index = match self.index {
            Some(i) => i,
            None => {
                let Some((name, value)) = INDEX_VARIABLES.iter().find_map(|n| var(n).map(|v| (*n, v))) else {
                    anyhow::bail!(
                        "--shard auto/{} needs the task index in {} (set by Kubernetes Indexed Jobs and Slurm arrays)",
                        self.count,
                        INDEX_VARIABLES.join(" or ")
                    );
                };
                let i: u32 = value.trim().parse().map_err(|_| anyhow::anyhow!("{name}={value:?} is not an index"))?;
                anyhow::ensure!(
                    i < self.count,
                    "{name}={i} but --shard auto/{} has shards 0..{}",
                    self.count,
                    self.count
                );
                i
            }
        };
        Ok(ShardSpec { index, count: self.count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_is_stable_and_covers_every_id_once() {
        // Pinned (computed with Python's hashlib): a change of hash would split the shards of one run two ways.
        assert_eq!([shard_of("live/a.jpg", 4), shard_of("spoof/print/b.jpg", 4)], [0, 3]);
        assert_eq!(shard_of("x", 1), 0);
        let ids: Vec<String> = (0..1000).map(|i| format!("live/{i:04}.jpg")).collect();
        let mut sizes = [0usize; 4];
        for id in &ids {
            let held: Vec<u32> = (0..4).filter(|&i| ShardSpec { index: i, count: 4 }.holds(id)).collect();
            assert_eq!(held.len(), 1, "{id}");
            sizes[held[0] as usize] += 1;
        }
        assert!(sizes.iter().all(|&n| (200..300).contains(&n)), "{sizes:?}");
    }

    #[test]
    fn parses_and_resolves_auto_from_the_job_index() {
        assert_eq!("1/4".parse::<ShardArg>().unwrap().resolve().unwrap(), ShardSpec { index: 1, count: 4 });
        assert!("4/4".parse::<ShardArg>().unwrap_err().contains("below 4"));
        assert!("1/0".parse::<ShardArg>().is_err() && "x".parse::<ShardArg>().is_err());
        let auto: ShardArg = "auto/4".parse().unwrap();
        let env = |k: &'static str, v: &'static str| move |n: &str| (n == k).then(|| v.to_string());
        assert_eq!(auto.resolve_with(env("JOB_COMPLETION_INDEX", "3")).unwrap().index, 3);
        assert_eq!(auto.resolve_with(env("SLURM_ARRAY_TASK_ID", "2")).unwrap().index, 2);
        assert!(auto.resolve_with(env("JOB_COMPLETION_INDEX", "4")).is_err());
        assert!(auto.resolve_with(|_| None).unwrap_err().to_string().contains("JOB_COMPLETION_INDEX"));
    }
}
