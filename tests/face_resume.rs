//! `eval --match` resumes and shards like any run: a run killed part-way (SIGKILL) and resumed, and two
//! shards merged, end with the very files of one uninterrupted run (scores.csv, descriptors.csv,
//! full_system.csv, the 2-D sweep, metrics.json but for the command and time). A resume under another
//! recognizer or crop rule, or without --match, is refused.

mod common;

use std::path::{Path, PathBuf};

use common::{kill_after_rows, liveness, metrics, rows, shared};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

/// The files of an `eval --match` run folder that must agree byte for byte.
const FILES: [&str; 5] = ["scores.csv", "descriptors.csv", "full_system.csv", "full_system_sweep.csv", "sweep.csv"];

/// A NUAA-layout dataset of real images (symlinks): subjects 0001-0004, every 12th file of each subject's
/// client and imposter folders, 12 at most: 87 presentations, several sessions per subject.
fn nuaa_small(dir: &Path) -> usize {
    let nuaa = shared("datasets/nuaa-train").expect("checked by the caller");
    let mut n = 0;
    for class in ["ClientRaw", "ImposterRaw"] {
        for subject in ["0001", "0002", "0003", "0004"] {
            let dest = dir.join(class).join(subject);
            std::fs::create_dir_all(&dest).unwrap();
            let mut files: Vec<PathBuf> =
                std::fs::read_dir(nuaa.join(class).join(subject)).unwrap().map(|e| e.unwrap().path()).collect();
            files.sort();
            for f in files.into_iter().step_by(12).take(12) {
                std::os::unix::fs::symlink(&f, dest.join(f.file_name().unwrap())).unwrap();
                n += 1;
            }
        }
    }
    n
}

fn eval(data: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    liveness().arg("eval").arg(data).args(["--match", "--bootstrap", "0", "--out"]).arg(out).args(extra).assert()
}

fn same_run(a: &Path, b: &Path) {
    for file in FILES {
        assert!(std::fs::read(a.join(file)).unwrap() == std::fs::read(b.join(file)).unwrap(), "{file} differs");
    }
    let (ma, mb) = (metrics(a), metrics(b));
    assert!(ma["full_system"]["iapmr"]["pooled"]["n"].as_u64().is_some_and(|n| n > 0), "{}", ma["full_system"]);
    assert_eq!(ma, mb);
}

/// Drops the last `k` lines of a file whose fields hold no newlines.
fn drop_lines(path: &Path, k: usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(path, lines[..lines.len() - k].iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
}

#[test]
fn a_killed_match_run_resumes_to_the_files_of_one_run() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = |p: &str| tmp.path().join(p);
    let data = t("data");
    let n = nuaa_small(&data);
    let single = t("single");
    eval(&data, &single, &[]).code(0);
    assert_eq!((rows(&single.join("scores.csv")), rows(&single.join("descriptors.csv"))), (n, n));

    let part = t("part");
    let args: Vec<&std::ffi::OsStr> = ["eval".as_ref(), data.as_os_str(), "--match".as_ref(), "--bootstrap".as_ref()]
        .into_iter()
        .chain(["0", "--workers", "1", "--out"].map(|s| s.as_ref()))
        .chain([part.as_os_str()])
        .collect();
    let written = kill_after_rows(&args, &part, 30);
    assert!((1..n).contains(&written), "killed part-way ({written} of {n} rows)");
    assert!(!part.join("full_system.csv").exists());
    // A stop between the two files' rows, as far as it can go: the descriptors of the last 3 scored rows lost.
    let described = rows(&part.join("descriptors.csv"));
    drop_lines(&part.join("descriptors.csv"), 3);
    eval(&data, &part, &["--resume"])
        .code(0)
        .stderr(contains(format!("holds descriptors of {} of the", described - 3)));
    same_run(&single, &part);

    // The other way round: scores of the last rows lost, their descriptors kept (cut back, not doubled).
    let tail = t("tail");
    std::fs::create_dir_all(&tail).unwrap();
    for f in ["scores.csv", "descriptors.csv", "run.json"] {
        std::fs::copy(single.join(f), tail.join(f)).unwrap();
    }
    drop_lines(&tail.join("scores.csv"), 10);
    eval(&data, &tail, &["--resume"]).code(0).stderr(contains(format!("resume: {} of {n} samples", n - 10)));
    same_run(&single, &tail);
}

#[test]
fn a_match_run_resumed_under_another_recognizer_or_without_match_is_refused() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_small(&data);
    let run = tmp.path().join("run");
    eval(&data, &run, &[]).code(0);
    let before = std::fs::read(run.join("descriptors.csv")).unwrap();

    // The same model file, cut with the box rule: another crop rule, descriptors ~0.5 apart.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(repo.join("configs/models/face_recognition_128.toml")).unwrap();
    let boxed = tmp.path().join("box.toml");
    std::fs::write(&boxed, text.replace("rule = \"dlib5\"", "rule = \"box\"")).unwrap();
    let recognizer = boxed.to_str().unwrap();
    eval(&data, &run, &["--resume", "--recognizer", recognizer])
        .code(1)
        .stderr(contains("cannot resume").and(contains("recognizer.embedding.chip.rule: \"dlib5\" -> \"box\"")));
    // Another model file: the recorded sha256 differs.
    let other = tmp.path().join("other.toml");
    let sha = "fd433f8a8793b6b7e7ae36a809851694748d130e932733d25e310017a3790dca";
    assert!(text.contains(sha), "the descriptor's sha256 is the one this test names");
    std::fs::write(&other, text.replace(sha, &"0".repeat(64))).unwrap();
    eval(&data, &run, &["--resume", "--recognizer", other.to_str().unwrap()])
        .code(1)
        .stderr(contains(format!("recognizer.embedding.sha256: \"{sha}\" -> \"{}\"", "0".repeat(64))));
    // Without --match: its rows would lose their descriptors.
    liveness()
        .arg("eval")
        .arg(&data)
        .args(["--bootstrap", "0", "--resume", "--out"])
        .arg(&run)
        .assert()
        .code(1)
        .stderr(contains("cannot resume").and(contains("recognizer")));
    assert_eq!(std::fs::read(run.join("descriptors.csv")).unwrap(), before, "nothing written by a refused resume");
}

#[test]
fn two_match_shards_merge_to_one_run() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = |p: &str| tmp.path().join(p);
    let data = t("data");
    let n = nuaa_small(&data);
    let single = t("single");
    eval(&data, &single, &[]).code(0);
    let shards = [t("s0"), t("s1")];
    for (i, s) in shards.iter().enumerate() {
        eval(&data, s, &["--shard", &format!("{i}/2")]).code(0).stderr(contains("come from `liveness merge`"));
        assert!(!s.join("full_system.csv").exists(), "a shard alone enrols only its share of each subject");
    }
    let counts: Vec<usize> = shards.iter().map(|s| rows(&s.join("descriptors.csv"))).collect();
    assert_eq!(counts.iter().sum::<usize>(), n);
    assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    let merged = t("merged");
    liveness().arg("merge").args(&shards).arg("--out").arg(&merged).assert().code(0);
    same_run(&single, &merged);

    // A shard whose descriptors lost rows does not merge into figures.
    drop_lines(&shards[1].join("descriptors.csv"), 2);
    liveness()
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(t("bad"))
        .assert()
        .code(1)
        .stderr(contains("descriptor rows"));
}
