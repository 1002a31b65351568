//! Issue 18, part 5: one rule picks a model's scores out of a multi-model score file. On a real
//! two-model run (silentface, minifas128) of a NUAA subset, every command that takes a model (`eval
//! --scores`, `gate`, `calibrate`, `diff`) and `report` give, for each model, exactly the figures of a
//! single-model run of that model; provenance names the column read; an unknown model exits 2 naming the
//! models the file holds; no model on a two-model file says which one was used.

mod common;

use std::path::{Path, PathBuf};

use common::{liveness, shared};
use serde_json::Value;

const MODELS: [&str; 2] = ["silentface", "minifas128"];

fn run(args: &[&str]) -> (i32, String, String) {
    let out = liveness().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert!(matches!(code, 0 | 3), "liveness {}: exit {code}\n{out}\n{err}", args.join(" "));
    out + &err
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

/// A metrics document without its `run` block (command, paths and dates differ between runs).
fn metrics(p: &Path) -> Value {
    let mut doc = json(p);
    doc.as_object_mut().unwrap().remove("run");
    doc
}

/// A NUAA-layout copy (symlinks and index files) of every `step`-th image of each class, so the dataset
/// keeps its subject, session, glasses and pos metadata.
fn nuaa_mini(dir: &Path, step: usize) {
    let nuaa = shared("datasets/nuaa-train").unwrap();
    for (index, folder) in [("client_train_raw.txt", "ClientRaw"), ("imposter_train_raw.txt", "ImposterRaw")] {
        let lines: Vec<String> = std::fs::read_to_string(nuaa.join(index))
            .unwrap()
            .lines()
            .map(|l| l.trim().replace('\\', "/"))
            .filter(|l| !l.is_empty())
            .step_by(step)
            .collect();
        for line in &lines {
            let dest = dir.join(folder).join(line);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(nuaa.join(folder).join(line), dest).unwrap();
        }
        std::fs::write(dir.join(index), lines.join("\n") + "\n").unwrap();
    }
}

/// The figures of a written policy: threshold, bands and what they reach (not the date or the file).
fn policy_figures(p: &Path) -> (Value, Value, Value, Value) {
    let policy: toml::Value = toml::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    let v = |x: &toml::Value| serde_json::to_value(x).unwrap();
    let c = &policy["calibration"];
    (v(&policy["threshold"]), v(&policy["bands"]), v(&c["reached"]), v(&c["dataset_fingerprint"]))
}

/// The galleries of a report.md: each worst error's score, class, path and metadata (the thumbnail
/// column is left out: a run read from a score file finds no images beside it).
fn gallery(run: &Path) -> Vec<String> {
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    let at = md.find("## Worst errors").unwrap_or_else(|| panic!("no gallery in {}:\n{md}", run.display()));
    let end = md[at..].find("## Reproducibility").map_or(md.len(), |e| at + e);
    let rows: Vec<String> = md[at..end]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| face") && !l.starts_with("| ---"))
        .map(|l| l.split_once(" | ").map_or(l, |(_, rest)| rest).to_owned())
        .collect();
    assert!(!rows.is_empty(), "{}", &md[at..end]);
    rows
}

#[test]
fn every_command_reads_the_named_models_column_and_equals_its_single_model_run() {
    if shared("datasets/nuaa-train").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let t = |name: &str| -> PathBuf { tmp.path().join(name) };
    let data = t("nuaa");
    nuaa_mini(&data, 40);
    let criteria = t("gate.toml");
    std::fs::write(
        &criteria,
        "name = \"audit\"\nsegment_by = [\"session\"]\nmin_segment = 5\n\
         [[criterion]]\nmetric = \"apcer_max\"\nmax = 0.5\n[[criterion]]\nmetric = \"bpcer\"\nmax = 0.5\n",
    )
    .unwrap();
    let eval = |model: &str, out: &Path| {
        ok(&["eval", s(&data), "--model", model, "--bootstrap", "50", "--out", s(out)]);
    };
    let two = t("two");
    let both = ok(&["eval", s(&data), "--model", "silentface,minifas128", "--bootstrap", "50", "--out", s(&two)]);
    assert!(both.contains("the metrics are silentface's"), "{both}");
    let two_scores = two.join("scores.csv");
    for model in MODELS {
        let single = t(model);
        eval(model, &single);
        let column = format!("{model}_score");

        // eval --scores FILE --model M == eval DATASET --model M, and says which column it read.
        let from_file = t(&format!("{model}-from-two"));
        ok(&["eval", "--scores", s(&two_scores), "--model", model, "--bootstrap", "50", "--out", s(&from_file)]);
        assert_eq!(metrics(&from_file.join("metrics.json")), metrics(&single.join("metrics.json")), "eval {model}");
        let recorded = &json(&from_file.join("metrics.json"))["run"];
        assert_eq!((recorded["model"].as_str(), recorded["score_column"].as_str()), (Some(model), Some(&*column)));
        assert_eq!(recorded["models"], serde_json::json!([]), "no model ran: {recorded}");
        assert_eq!(json(&single.join("metrics.json"))["run"]["model"], model);

        // report: the galleries of the file-read run are the model's own.
        ok(&["report", s(&from_file)]);
        assert_eq!(gallery(&from_file), gallery(&single), "report {model}");

        // gate --model M on the two-model run == gate on the single-model run.
        let gate = |scores: &Path, name: &str| {
            let out = t(&format!("{name}.gate.json"));
            let (code, stdout, err) = run(&[
                "gate",
                s(scores),
                "--model",
                model,
                "--policy",
                "default",
                "--criteria",
                s(&criteria),
                "--metrics",
                s(&out),
            ]);
            assert!(matches!(code, 0 | 1), "{stdout}\n{err}");
            let table = stdout.lines().skip_while(|l| !l.contains("audit")).collect::<Vec<_>>().join("\n");
            (code, table, out)
        };
        let (code_two, table_two, gated_two) = gate(&two, &format!("{model}-two"));
        let (code_one, table_one, gated_one) = gate(&single, model);
        assert_eq!((code_two, &table_two), (code_one, &table_one), "gate {model}");
        assert_eq!(metrics(&gated_two), metrics(&gated_one), "gate metrics {model}");
        assert_eq!(json(&gated_two)["run"]["score_column"].as_str(), Some(&*column));

        // calibrate --model M: the same threshold, bands and figures; the record names the column.
        let calibrate = |scores: &Path, name: &str| {
            let out = t(&format!("{name}.policy.toml"));
            ok(&["calibrate", s(scores), "--model", model, "--target", "eer", "--name", name, "--out", s(&out)]);
            out
        };
        let (cal_two, cal_one) = (calibrate(&two, &format!("{model}-two")), calibrate(&single, model));
        assert_eq!(policy_figures(&cal_two), policy_figures(&cal_one), "calibrate {model}");
        let record = std::fs::read_to_string(&cal_two).unwrap();
        assert!(record.contains(&format!("score_column = \"{column}\"")), "{record}");
    }

    // diff of the two models' columns of one file == diff of the two single-model runs.
    let (d_two, d_one) = (t("diff-two.json"), t("diff-one.json"));
    let diff_two =
        ok(&["diff", s(&two), s(&two), "--base-model", MODELS[0], "--current-model", MODELS[1], "--json", s(&d_two)]);
    assert!(diff_two.contains("model minifas128 (column minifas128_score)"), "{diff_two}");
    ok(&["diff", s(&t(MODELS[0])), s(&t(MODELS[1])), "--json", s(&d_one)]);
    assert_eq!(json(&d_two), json(&d_one));
    assert!(json(&d_two)["mcnemar"]["paired"].as_u64().unwrap() > 50);

    // An unknown model: exit 2, naming the models the file holds, for every command.
    let held = "the models scored in this file are silentface, minifas128";
    let cases: [Vec<&str>; 4] = [
        vec!["eval", "--scores", s(&two_scores), "--model", "minifas128-int8"],
        vec!["gate", s(&two), "--model", "nosuch", "--policy", "default", "--criteria", s(&criteria)],
        vec!["calibrate", s(&two), "--model", "nosuch", "--target", "eer"],
        vec!["diff", s(&two), s(&two), "--current-model", "nosuch"],
    ];
    for args in cases {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{}: {out}\n{err}", args.join(" "));
        assert!(err.contains(held) && err.contains("scores.csv"), "{}: {err}", args.join(" "));
    }
    let (code, _, err) = run(&["eval", "--scores", s(&t("silentface").join("scores.csv")), "--model", "minifas128"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the models scored in this file are silentface;"), "{err}");

    // No model on a two-model file: the primary's scores, and a note saying so.
    let default = t("default");
    let (code, _, err) = run(&["eval", "--scores", s(&two_scores), "--bootstrap", "50", "--out", s(&default)]);
    assert!(matches!(code, 0 | 3), "{err}");
    assert!(err.contains("2 models (silentface, minifas128): these are silentface's (column score"), "{err}");
    // The file read whole also compares the two models (`comparison`); the rest is silentface's own.
    let mut whole = metrics(&default.join("metrics.json"));
    let compared = whole.as_object_mut().and_then(|d| d.remove("comparison"));
    assert_eq!(compared.as_ref().map(|c| c["models"].as_array().map(Vec::len)), Some(Some(2)));
    assert_eq!(whole, metrics(&t("silentface").join("metrics.json")));
    let block = &json(&default.join("metrics.json"))["run"];
    let recorded = (&block["model"], &block["models"], &block["scored_with_models"]);
    assert_eq!(recorded, (&"silentface".into(), &serde_json::json!([]), &false.into()), "no model ran: {block}");
    let (_, _, err) = run(&["gate", s(&two), "--policy", "default", "--criteria", s(&criteria)]);
    assert!(err.contains("these are silentface's"), "{err}");
}
