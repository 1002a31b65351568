//! Shared by the integration tests: where the real models and data live, and the built binary. The one home of
//! test helpers: `serve` starts a real `liveness serve` and talks HTTP to it, `api` is a fault-injecting
//! front before it, `browser` drives real headless Chromium.
#![allow(dead_code)] // each test file uses a different subset

pub mod api;
pub mod browser;
pub mod serve;

use std::path::PathBuf;

/// `../shared/<sub>` beside the checkout, or `None` after printing why the test is skipped.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared").join(sub);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (the reference models and data live in ../shared beside the checkout)",
            p.display()
        );
        None
    }
}

/// The `liveness` binary, pointed at the shared models.
pub fn liveness() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("liveness").expect("binary built");
    if let Some(m) = shared("models") {
        cmd.env("LIVENESS_MODELS", m);
    }
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// A folder-convention dataset of real NUAA images (symlinks): `n` live under `live/` and `n` printed
/// photos under `spoof/print/`, every 7th file of each class in name order.
pub fn nuaa_subset(dir: &std::path::Path, n: usize) {
    let nuaa = shared("datasets/nuaa-train").expect("checked by the caller");
    for (sub, target) in [("ClientRaw", "live"), ("ImposterRaw", "spoof/print")] {
        let dest = dir.join(target);
        std::fs::create_dir_all(&dest).unwrap();
        let mut files = walk(&nuaa.join(sub));
        files.sort();
        for f in files.into_iter().step_by(7).take(n) {
            std::os::unix::fs::symlink(&f, dest.join(f.file_name().unwrap())).unwrap();
        }
    }
}

/// A temporary folder holding `ds/`, a NUAA folder whose index files list every `n`th frame (sequences
/// stay whole, only thinner; the image folders are symlinks to the real ones). `None` (the test is
/// skipped) without the data or the models.
pub fn nuaa_thinned(n: usize) -> Option<(tempfile::TempDir, PathBuf)> {
    let nuaa = shared("datasets/nuaa-train")?;
    shared("models")?;
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("ds");
    std::fs::create_dir(&ds).unwrap();
    for sub in ["ClientRaw", "ImposterRaw"] {
        std::os::unix::fs::symlink(nuaa.join(sub), ds.join(sub)).unwrap();
    }
    for index in ["client_train_raw.txt", "imposter_train_raw.txt"] {
        let lines = std::fs::read_to_string(nuaa.join(index)).unwrap();
        let kept: String = lines.lines().step_by(n).map(|l| format!("{l}\n")).collect();
        std::fs::write(ds.join(index), kept).unwrap();
    }
    Some((tmp, ds))
}

fn walk(d: &std::path::Path) -> Vec<PathBuf> {
    std::fs::read_dir(d)
        .unwrap()
        .flat_map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() { walk(&p) } else { vec![p] }
        })
        .collect()
}

/// Data rows of a CSV file (0 when absent); file names here hold no newlines.
pub fn rows(p: &std::path::Path) -> usize {
    std::fs::read_to_string(p).map(|s| s.lines().count().saturating_sub(1)).unwrap_or(0)
}

/// Starts `liveness ARGS` (one worker is the caller's business) and SIGKILLs it once `out/scores.csv`
/// holds at least `at` rows; returns the rows left on disk.
pub fn kill_after_rows(args: &[&std::ffi::OsStr], out: &std::path::Path, at: usize) -> usize {
    kill_after_rows_with(args, out, at, &[])
}

/// [`kill_after_rows`] with extra environment variables.
pub fn kill_after_rows_with(
    args: &[&std::ffi::OsStr],
    out: &std::path::Path,
    at: usize,
    env: &[(&str, &str)],
) -> usize {
    let bin = assert_cmd::cargo::cargo_bin("liveness");
    let mut cmd = std::process::Command::new(bin);
    cmd.env("LIVENESS_MODELS", shared("models").unwrap()).current_dir(env!("CARGO_MANIFEST_DIR")).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child =
        cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().expect("liveness starts");
    let start = std::time::Instant::now();
    let scores = out.join("scores.csv");
    while rows(&scores) < at {
        if start.elapsed() > std::time::Duration::from_secs(120) || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    rows(&scores)
}

/// A run folder's metrics.json without the two documented differences between runs of the same rows
/// (a resumed, merged or repeated run): run.command and run.created_utc.
pub fn metrics(dir: &std::path::Path) -> serde_json::Value {
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    let run = doc["run"].as_object_mut().unwrap();
    run.remove("command");
    run.remove("created_utc");
    doc
}

/// One row of an oracle score file (`../shared/oracles/*.csv`), cells as written.
pub struct OracleRow {
    pub path: String,
    pub label: String,
    pub species: String,
    pub subject: String,
    /// The score as written; `None`: the reference found no face (`face_found` 0).
    pub score: Option<String>,
}

/// The rows of the oracle score file `name` (the reference pipeline's format, with `face_found`).
pub fn oracle_rows(name: &str) -> Vec<OracleRow> {
    let mut reader = csv::Reader::from_path(shared("oracles").unwrap().join(name)).unwrap();
    let h = reader.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (path, label, species, subject, score, face) =
        (col("path"), col("label"), col("attack_type"), col("subject"), col("score"), col("face_found"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            OracleRow {
                path: r[path].to_owned(),
                label: r[label].to_owned(),
                species: r[species].to_owned(),
                subject: r[subject].to_owned(),
                score: (&r[face] == "1").then(|| r[score].to_owned()),
            }
        })
        .collect()
}

/// Writes `header` (with its newline) then one `line` per row into `dir/name`; returns the path.
pub fn write_rows<R>(
    dir: &std::path::Path,
    name: &str,
    header: &str,
    rows: &[R],
    line: impl Fn(&R) -> String,
) -> PathBuf {
    let p = dir.join(name);
    let text: String = std::iter::once(header.to_owned()).chain(rows.iter().map(|r| line(r) + "\n")).collect();
    std::fs::write(&p, text).unwrap();
    p
}
