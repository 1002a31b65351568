//! Merging the run folders of a sharded run into the run one `eval` would have written.
//!
//! The shards are checked first (same dataset fingerprint, models, policy, metric options and shard count;
//! every shard exactly once; each complete), then their rows are interleaved back into dataset order by
//! the positions each shard recorded (`positions.txt`, [`super::shard::store_positions`]). The interleave is a k-way merge that
//! holds one row per shard: time linear in rows, memory flat in rows and a few KB per shard. Rows are
//! copied as parsed CSV records re-written by the same writer, so the merged `scores.csv` is byte-identical
//! to a single run's. An `eval --match` run's `descriptors.csv` is interleaved the same way.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use serde_json::json;

use super::manifest::{Manifest, State, differences};
use crate::schema::run_folder::{DESCRIPTORS_CSV, POSITIONS_TXT as POSITIONS, SCORES_CSV};

/// One shard's folder and manifest.
pub struct Shard {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

/// What a merge found.
pub struct Merged {
    /// The merged run's manifest (complete, or `scoring` when shards or rows are missing).
    pub manifest: Manifest,
    /// Rows written.
    pub rows: u64,
    /// Shards that were absent or incomplete, named for the user.
    pub gaps: Vec<String>,
}

/// Reads and cross-checks the shards; refuses mixed runs always, and gaps unless `partial`.
pub fn check(dirs: &[PathBuf], partial: bool) -> Result<(Vec<Shard>, Vec<String>)> {
    ensure!(!dirs.is_empty(), "give the shard run folders to merge");
    let mut shards = Vec::new();
    for dir in dirs {
        let manifest = Manifest::load(dir).with_context(|| format!("shard folder {}", dir.display()))?;
        ensure!(manifest.shard.is_some(), "{} is not a shard (run without --shard): nothing to merge", dir.display());
        shards.push(Shard { dir: dir.clone(), manifest });
    }
    let first = &shards[0];
    let count = first.manifest.shard.map_or(1, |s| s.count);
    for s in &shards[1..] {
        let what = |m: &Manifest| {
            json!({"shard_count": m.shard.map(|s| s.count), "dataset": {"fingerprint": m.dataset.fingerprint,
                "presentations": m.dataset.presentations}, "decides": m.decides, "evaluation": m.evaluation})
        };
        let diff = differences(&what(&first.manifest), &what(&s.manifest));
        if !diff.is_empty() {
            bail!(
                "shard {} ({}) is not of the same run as shard {} ({}): {}\n  {}",
                spec(s),
                s.dir.display(),
                spec(first),
                first.dir.display(),
                "(first -> this)",
                diff.join("\n  ")
            );
        }
    }
    let mut seen: Vec<Option<&Shard>> = vec![None; count as usize];
    for s in &shards {
        let i = s.manifest.shard.map_or(0, |x| x.index) as usize;
        if let Some(other) = seen[i] {
            bail!("shard {} is given twice: {} and {}", spec(s), other.dir.display(), s.dir.display());
        }
        seen[i] = Some(s);
    }
    let mut gaps = Vec::new();
    for (i, s) in seen.iter().enumerate() {
        match s {
            None => gaps.push(format!("shard {i}/{count} is missing (no folder given)")),
            Some(s) if s.manifest.state != State::Complete => gaps.push(format!(
                "shard {} ({}) is incomplete: {} of {} presentations scored; resume it with `{}`",
                spec(s),
                s.dir.display(),
                super::coverage::count_rows(&crate::scorefile::of_run(&s.dir)),
                s.manifest.presentations,
                s.manifest.resume_command
            )),
            Some(_) => {}
        }
    }
    if !gaps.is_empty() && !partial {
        bail!("cannot merge: {}\n(pass --partial to merge what is there, marked incomplete)", gaps.join("; "));
    }
    Ok((shards, gaps))
}

fn spec(s: &Shard) -> String {
    s.manifest.shard.map(|x| x.to_string()).unwrap_or_default()
}

/// Interleaves the shards' rows into `out/scores.csv` in dataset order (and, for an `eval --match` run,
/// their `descriptors.csv` the same way) and returns the merged manifest.
pub fn merge(shards: &[Shard], gaps: Vec<String>, out: &Path, command: &[String]) -> Result<Merged> {
    for s in shards {
        super::restore_csv(&s.dir)?;
    }
    let (rows, missing) = interleave(shards, SCORES_CSV, out)?;
    ensure!(
        missing == 0 || !gaps.is_empty(),
        "{missing} presentations of the dataset are in no shard although every shard is complete: the shard folders were edited"
    );
    if shards[0].manifest.decides.get("recognizer").is_some() {
        let (described, _) = interleave(shards, DESCRIPTORS_CSV, out)?;
        ensure!(
            described == rows,
            "the shards hold {rows} scored rows but {described} descriptor rows ({DESCRIPTORS_CSV}): resume the \
             incomplete shards first (a stopped shard may hold one more descriptor than scores)"
        );
    }
    let total = shards[0].manifest.dataset.presentations;
    let first = &shards[0].manifest;
    let complete = missing == 0;
    let manifest = Manifest {
        state: if complete { State::Complete } else { State::Scoring },
        presentations: total,
        fingerprint: first.dataset.fingerprint.clone(),
        shard: None,
        // What completes a partial merge: the same merge, once the missing shards are there.
        resume_command: super::manifest::command_line(command, &["--partial"]),
        created_utc: super::utc_now_iso(),
        completed_utc: complete.then(super::utc_now_iso),
        ..first.clone()
    };
    manifest.store(out)?;
    Ok(Merged { manifest, rows, gaps })
}

/// The k-way merge of one file the shards wrote row by row (`file` in each shard folder, in the order of
/// its `positions.txt`) into `out/file` in dataset order; returns the rows written and the presentations
/// of the dataset found in no shard.
fn interleave(shards: &[Shard], file: &'static str, out: &Path) -> Result<(u64, u64)> {
    struct Cursor {
        dir: PathBuf,
        file: &'static str,
        rows: csv::Reader<BufReader<File>>,
        positions: std::io::Lines<BufReader<File>>,
        record: csv::ByteRecord,
    }
    impl Cursor {
        /// The next row's position, with the row in `record`; `None` at the end of both files.
        fn advance(&mut self) -> Result<Option<u64>> {
            let more = self.rows.read_byte_record(&mut self.record).with_context(|| self.name(self.file))?;
            let position = self.positions.next().transpose().with_context(|| self.name(POSITIONS))?;
            match (more, position) {
                (false, None) => Ok(None),
                (true, Some(p)) => {
                    Ok(Some(p.trim().parse().with_context(|| format!("{}: {p:?}", self.name(POSITIONS)))?))
                }
                (true, None) => {
                    bail!("{} has more rows than {} has positions", self.name(self.file), self.name(POSITIONS))
                }
                // An incomplete shard (merged with --partial) has positions beyond its last row.
                (false, Some(_)) => Ok(None),
            }
        }
        fn name(&self, file: &str) -> String {
            self.dir.join(file).display().to_string()
        }
    }

    let mut header: Option<csv::ByteRecord> = None;
    let mut cursors = Vec::new();
    let mut heap = BinaryHeap::new();
    for s in shards {
        let open =
            |f: &str| File::open(s.dir.join(f)).with_context(|| format!("cannot read {}", s.dir.join(f).display()));
        let mut rows = csv::ReaderBuilder::new().has_headers(false).from_reader(BufReader::new(open(file)?));
        let mut head = csv::ByteRecord::new();
        ensure!(rows.read_byte_record(&mut head)?, "{}: empty file", s.dir.join(file).display());
        match &header {
            None => header = Some(head),
            Some(h) => {
                ensure!(*h == head, "{}: other columns than the first shard's", s.dir.join(file).display())
            }
        }
        let positions = BufReader::new(open(POSITIONS)?).lines();
        let mut c = Cursor { dir: s.dir.clone(), file, rows, positions, record: csv::ByteRecord::new() };
        if let Some(p) = c.advance()? {
            heap.push(Reverse((p, cursors.len())));
        }
        cursors.push(c);
    }
    let header = header.context("no shard")?;
    let path = out.join(file);
    let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut writer = csv::Writer::from_writer(BufWriter::new(file));
    writer.write_byte_record(&header)?;
    let (mut rows, mut last) = (0u64, None::<(u64, usize)>);
    let total = shards[0].manifest.dataset.presentations;
    let mut missing = 0u64;
    while let Some(Reverse((p, i))) = heap.pop() {
        if let Some((q, j)) = last {
            ensure!(
                p > q,
                "presentation {} of the dataset is in two shards ({} and {}): the shard folders overlap",
                p + 1,
                cursors[j].dir.display(),
                cursors[i].dir.display()
            );
        }
        missing += p - last.map_or(0, |(q, _)| q + 1);
        ensure!(p < total, "{}: position {p} beyond the dataset's {total} presentations", cursors[i].name(POSITIONS));
        writer.write_byte_record(&cursors[i].record)?;
        rows += 1;
        last = Some((p, i));
        if let Some(next) = cursors[i].advance()? {
            heap.push(Reverse((next, i)));
        }
    }
    missing += total - last.map_or(0, |(q, _)| q + 1);
    let mut file = writer.into_inner().map_err(|e| e.into_error())?;
    file.flush()?;
    file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok((rows, missing))
}
