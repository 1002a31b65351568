//! Issue 16: `eval --shard auto/4` as 4 processes (the index in JOB_COMPLETION_INDEX, as Kubernetes sets
//! it, through the very command of docs/scale-out/indexed-job.yaml), merged, equals one `eval`; a shard
//! killed with kill -9 and resumed merges the same; mixed, duplicated and missing shards are refused and
//! named; a partial merge reports its coverage like any incomplete run. The Slurm script and the Spark
//! pipe command of docs/scale-out run here as they are, with the same environment variables.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{kill_after_rows_with, liveness, metrics, nuaa_subset, shared};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

const N: usize = 48; // 48 live + 48 print: about 24 per shard, so rows arrive in several batches of 8 and a kill can land part-way

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("liveness")
}

/// The container command of the Indexed Job manifest, its /data and /runs mounts replaced by local paths.
fn indexed_job_command(data: &Path, runs: &Path) -> Vec<String> {
    let yaml = std::fs::read_to_string(repo().join("docs/scale-out/indexed-job.yaml")).unwrap();
    let line = yaml.lines().find(|l| l.trim_start().starts_with("command:")).expect("a command line");
    let list = line.split_once('[').unwrap().1.rsplit_once(']').unwrap().0;
    list.split(',')
        .map(|w| w.trim().trim_matches('"').to_owned())
        .map(|w| match w.as_str() {
            "/data/nuaa-train" => data.display().to_string(),
            "/runs" => runs.display().to_string(),
            _ => w,
        })
        .collect()
}

/// Runs one pod's command with its index, as the kubelet would: `sh scripts/shard-eval.sh ...`.
fn pod(command: &[String], index: usize) -> Command {
    let mut c = Command::new(&command[0]);
    c.args(&command[1..])
        .current_dir(repo())
        .env("JOB_COMPLETION_INDEX", index.to_string())
        .env("LIVENESS", bin())
        .env("LIVENESS_MODELS", shared("models").unwrap());
    c
}

fn merge(shards: &[PathBuf], out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    liveness().arg("merge").args(shards).arg("--out").arg(out).args(extra).assert()
}

fn same_run(a: &Path, b: &Path) {
    for file in ["scores.csv", "sweep.csv"] {
        assert!(std::fs::read(a.join(file)).unwrap() == std::fs::read(b.join(file)).unwrap(), "{file} differs");
    }
    assert_eq!(metrics(a), metrics(b));
    let report = |d: &Path| {
        let text = std::fs::read_to_string(d.join("report.md")).unwrap();
        text.lines()
            .filter(|l| {
                !l.contains("liveness eval")
                    && !l.contains("liveness merge")
                    && !l.starts_with("Read from")
                    && !l.contains("UTC")
                    && !l.contains("T2")
            })
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(report(a), report(b));
}

#[test]
fn four_shards_merge_to_one_eval_and_faults_are_named() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = |p: &str| tmp.path().join(p);
    let data = t("data");
    nuaa_subset(&data, N);
    let single = t("single");
    liveness().arg("eval").arg(&data).arg("--out").arg(&single).args(["--bootstrap", "0"]).assert().code(0);

    // Four pods at once, each told its index only through JOB_COMPLETION_INDEX.
    let runs = t("runs");
    let command = indexed_job_command(&data, &runs);
    let mut pods: Vec<_> = (0..4).map(|i| pod(&command, i).output()).collect();
    for (i, p) in pods.drain(..).enumerate() {
        let p = p.unwrap();
        assert_eq!(p.status.code(), Some(0), "pod {i}: {}", String::from_utf8_lossy(&p.stderr));
    }
    let shards: Vec<PathBuf> = (0..4).map(|i| runs.join(format!("shard-{i}"))).collect();
    let counts: Vec<usize> = shards.iter().map(|s| common::rows(&s.join("scores.csv"))).collect();
    assert_eq!(counts.iter().sum::<usize>(), 2 * N, "{counts:?}");
    assert!(counts.iter().all(|&c| c > 0), "every shard got a share: {counts:?}");
    let merged = t("merged");
    merge(&shards, &merged, &[]).code(0);
    same_run(&single, &merged);

    // A shard killed with kill -9 part-way, then retried with the same command: the same merge.
    let killed = t("killed");
    let kcommand = indexed_job_command(&data, &killed);
    for i in [0, 1, 3] {
        assert_eq!(pod(&kcommand, i).status().unwrap().code(), Some(0));
    }
    let big = (0..4).max_by_key(|&i| counts[i]).unwrap();
    let shard2 = killed.join("shard-2");
    let args: Vec<&std::ffi::OsStr> = vec![
        "eval".as_ref(),
        data.as_os_str(),
        "--shard".as_ref(),
        "auto/4".as_ref(),
        "--out".as_ref(),
        shard2.as_os_str(),
        "-j".as_ref(),
        "1".as_ref(),
        "--bootstrap".as_ref(),
        "0".as_ref(),
    ];
    // On a fast moment the shard may finish before the kill lands: start it again until a kill is part-way.
    let mut left = counts[2];
    for _ in 0..5 {
        let _ = std::fs::remove_dir_all(&shard2);
        left = kill_after_rows_with(&args, &shard2, 1, &[("JOB_COMPLETION_INDEX", "2")]);
        if left < counts[2] {
            break;
        }
    }
    assert!(left < counts[2], "killed part-way ({left} of {})", counts[2]);
    let ks: Vec<PathBuf> = (0..4).map(|i| killed.join(format!("shard-{i}"))).collect();
    // Not yet resumed: the failed shard is named, and a partial merge carries its coverage.
    merge(&ks, &t("early"), &[]).code(1).stderr(contains("shard 2/4").and(contains("is incomplete")));
    merge(&ks, &t("early"), &["--partial"]).code(0);
    liveness()
        .args(["gate", "--policy", "default", "--criteria"])
        .arg(write(&t("gate.toml"), "name = \"any\"\n[[criterion]]\nmetric = \"bpcer\"\nmax = 1.0\n"))
        .arg(t("early"))
        .assert()
        .code(2)
        .stderr(contains(format!("of {} presentations scored; resume with `liveness merge", 2 * N)));
    assert_eq!(pod(&kcommand, 2).status().unwrap().code(), Some(0));
    merge(&ks, &t("merged2"), &[]).code(0);
    same_run(&single, &t("merged2"));

    // Refusals, each naming what is wrong.
    merge(&[shards[0].clone(), shards[0].clone(), shards[1].clone()], &t("dup"), &[])
        .code(1)
        .stderr(contains(format!("shard {} is given twice", "0/4")));
    merge(&[shards[0].clone(), shards[1].clone(), shards[3].clone()], &t("missing"), &[])
        .code(1)
        .stderr(contains("shard 2/4 is missing"));
    let policy = t("strict.toml");
    let default = std::fs::read_to_string(repo().join("configs/policies/default.toml")).unwrap();
    let strict: String = default
        .lines()
        .map(|l| if l.trim_start().starts_with("min_sharpness") { "min_sharpness = 999.0" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&policy, strict).unwrap();
    let other = t("other");
    let mut c = pod(&indexed_job_command(&data, &other), big);
    c.arg("--policy").arg(&policy);
    assert!(matches!(c.status().unwrap().code(), Some(0 | 3))); // 3: the strict gates reject images
    let mut mixed = shards.clone();
    mixed[big] = other.join(format!("shard-{big}"));
    merge(&mixed, &t("mixed"), &[])
        .code(1)
        .stderr(contains("is not of the same run").and(contains("decides.policy.quality.min_sharpness")));
    let swapped = t("other-model");
    let mut c = pod(&indexed_job_command(&data, &swapped), big);
    c.args(["--model", "minifas128"]);
    assert_eq!(c.status().unwrap().code(), Some(0));
    mixed[big] = swapped.join(format!("shard-{big}"));
    merge(&mixed, &t("mixed2"), &[]).code(1).stderr(contains("decides.models[0]"));
}

fn write(p: &Path, text: &str) -> PathBuf {
    std::fs::write(p, text).unwrap();
    p.to_path_buf()
}

#[test]
fn the_slurm_script_and_the_spark_pipe_command_run_as_documented() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, N); // every one of the 4 shards gets a share (an empty shard has no metrics)
    let runs = tmp.path().join("runs");
    for i in 0..4 {
        let out = Command::new("sh")
            .arg(repo().join("docs/scale-out/slurm-array.sh"))
            .current_dir(tmp.path())
            .env("SLURM_ARRAY_TASK_ID", i.to_string())
            .env("DATASET", &data)
            .env("RUNS", &runs)
            .env("LIVENESS_HOME", repo())
            .env("LIVENESS", bin())
            .env("LIVENESS_MODELS", shared("models").unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "task {i}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let shards: Vec<PathBuf> = (0..4).map(|i| runs.join(format!("shard-{i}"))).collect();
    let single = tmp.path().join("single");
    liveness().arg("eval").arg(&data).arg("--out").arg(&single).args(["--bootstrap", "0"]).assert().code(0);
    merge(&shards, &tmp.path().join("merged"), &[]).code(0);
    same_run(&single, &tmp.path().join("merged"));

    // Spark: each partition is one process of PIPE_COMMAND fed paths on stdin; two partitions here.
    let py = std::fs::read_to_string(repo().join("docs/scale-out/spark_pipe.py")).unwrap();
    let pipe = py.lines().find_map(|l| l.strip_prefix("PIPE_COMMAND = ")).unwrap().trim_matches('"');
    let words: Vec<&str> = pipe.split_whitespace().collect();
    assert_eq!(words[0], "liveness");
    let mut paths: Vec<String> = ["live", "spoof/print"]
        .iter()
        .flat_map(|d| std::fs::read_dir(data.join(d)).unwrap().map(|e| e.unwrap().path().display().to_string()))
        .collect();
    paths.sort();
    let run = |list: &[String]| {
        use std::io::Write;
        let mut child = Command::new(bin())
            .args(&words[1..])
            .env("LIVENESS_MODELS", shared("models").unwrap())
            .current_dir(repo())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all((list.join("\n") + "\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect::<Vec<_>>()
    };
    let whole = run(&paths);
    let mut parts = run(&paths[..3]);
    parts.extend(run(&paths[3..]));
    assert_eq!(whole.len(), paths.len());
    let (mut a, mut b) = (whole.clone(), parts);
    a.sort();
    b.sort();
    assert_eq!(a, b, "partitions give the same records as one process");
}

/// A shard whose share is empty (more tasks than presentations, or an unlucky hash on a small set) is a
/// complete run folder of 0 rows that exits 0, as a retrying scheduler needs; one whose share holds a
/// single class exits 0 too. The merge of such shards still equals one `eval`.
#[test]
fn empty_and_one_class_shards_succeed_and_merge() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 2); // 4 presentations over 8 shards: at least 4 shards are empty
    let runs = tmp.path().join("runs");
    let command = indexed_job_command(&data, &runs);
    let command: Vec<String> = command.into_iter().map(|w| if w == "4" { "8".into() } else { w }).collect();
    for i in 0..8 {
        let p = pod(&command, i).output().unwrap();
        assert_eq!(p.status.code(), Some(0), "pod {i}: {}", String::from_utf8_lossy(&p.stderr));
    }
    let shards: Vec<PathBuf> = (0..8).map(|i| runs.join(format!("shard-{i}"))).collect();
    let counts: Vec<usize> = shards.iter().map(|s| common::rows(&s.join("scores.csv"))).collect();
    assert_eq!(counts.iter().sum::<usize>(), 4, "{counts:?}");
    let empty = counts.iter().position(|&c| c == 0).expect("an empty shard");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(shards[empty].join("run.json")).unwrap()).unwrap();
    assert_eq!(manifest["state"], "complete");
    assert_eq!(manifest["presentations"], 0);
    let single = tmp.path().join("single");
    liveness().arg("eval").arg(&data).arg("--out").arg(&single).args(["--bootstrap", "0"]).assert().code(0);
    merge(&shards, &tmp.path().join("merged"), &[]).code(0);
    same_run(&single, &tmp.path().join("merged"));
}

/// The classifiers' runtime decides a row's last float bits, so shards scored on another backend are
/// refused at merge, and a merge of OpenVINO shards records (and reports) OpenVINO as one `eval` does.
#[test]
fn the_backend_is_recorded_and_shards_of_another_backend_are_refused() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    nuaa_subset(&data, 6);
    let shard = |runs: &Path, i: usize, backend: &str| {
        let out = tmp.path().join(runs).join(format!("shard-{i}"));
        liveness()
            .arg("eval")
            .arg(&data)
            .args(["--shard", &format!("{i}/2"), "--bootstrap", "0", "--backend", backend, "--out"])
            .arg(&out)
            .assert()
            .code(0);
        out
    };
    let ov: Vec<PathBuf> = (0..2).map(|i| shard(Path::new("ov"), i, "openvino")).collect();
    let single = tmp.path().join("single");
    liveness()
        .arg("eval")
        .arg(&data)
        .args(["--bootstrap", "0", "--backend", "openvino", "--out"])
        .arg(&single)
        .assert()
        .code(0);
    merge(&ov, &tmp.path().join("merged"), &[]).code(0);
    same_run(&single, &tmp.path().join("merged"));
    assert_eq!(metrics(&single)["run"]["backend"], "openvino");
    let report = std::fs::read_to_string(tmp.path().join("merged/report.md")).unwrap();
    assert!(report.contains("| classifier runtime | openvino |"), "{report}");

    // Nor does a resume mix them in one folder.
    liveness()
        .arg("eval")
        .arg(&data)
        .args(["--shard", "0/2", "--bootstrap", "0", "--backend", "ort", "--resume", "--out"])
        .arg(&ov[0])
        .assert()
        .code(1)
        .stderr(contains("cannot resume").and(contains("backend: \"openvino\" -> \"ort\"")));
    let ort = shard(Path::new("ort"), 1, "ort");
    merge(&[ov[0].clone(), ort], &tmp.path().join("mixed"), &[])
        .code(1)
        .stderr(contains("decides.backend: \"openvino\" -> \"ort\""));
}
