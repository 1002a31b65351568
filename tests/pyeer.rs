//! Issue 11, part 4: pyeer's genuine/impostor score files (`--format pyeer`), built at test time from the
//! real minifas128 scores of `../shared/oracles`: the bona fide scores one a line in genuine.txt, the
//! attacks' in impostor.txt (with blank lines). They give exactly the metrics of the same scores in this
//! tool's own format (species `unknown`, ids made up), and a bad number is refused with its file and line.

mod common;

use std::path::Path;

use common::{liveness, shared};
use serde_json::Value;

/// The oracle's scored rows: (bona fide, score as written).
fn scores() -> Vec<(bool, String)> {
    let file = shared("oracles").unwrap().join("nuaa-train-minifas128.csv");
    let mut reader = csv::Reader::from_path(file).unwrap();
    let h = reader.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (label, score, face) = (col("label"), col("score"), col("face_found"));
    reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[face] == "1")
        .map(|r| (&r[label] == "live", r[score].to_owned()))
        .collect()
}

fn run(args: &[&str]) -> (i32, String) {
    let out = liveness().args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// `eval --scores ARGS` into `out`: the metrics without the run block, and the output.
fn eval(out: &Path, args: &[&str]) -> (Value, String) {
    let mut all = vec!["eval", "--bootstrap", "0", "--out", out.to_str().unwrap(), "--scores"];
    all.extend(args);
    let (code, text) = run(&all);
    assert_eq!(code, 0, "{}\n{text}", all.join(" "));
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("run");
    (doc, text)
}

#[test]
fn pyeer_files_give_the_metrics_of_the_same_scores_in_our_format() {
    if shared("oracles").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let rows = scores();
    let mut own = String::from("path,label,attack_type,score,status,reason\n");
    let (mut genuine, mut impostor) = (String::new(), String::from("\n"));
    for (i, (live, s)) in rows.iter().enumerate() {
        own += &format!("p{i},{},,{s},ok,\n", if *live { "live" } else { "attack" });
        let file = if *live { &mut genuine } else { &mut impostor };
        *file += &format!("{s}\n");
        if i % 500 == 0 {
            file.push_str("  \n");
        }
    }
    for (name, text) in [("own.csv", &own), ("genuine.txt", &genuine), ("impostor.txt", &impostor)] {
        std::fs::write(d.join(name), text).unwrap();
    }
    let (base, _) = eval(&d.join("own.run"), &[d.join("own.csv").to_str().unwrap()]);
    let (g, i) = (d.join("genuine.txt"), d.join("impostor.txt"));
    let pyeer = [g.to_str().unwrap(), "--attack-scores", i.to_str().unwrap(), "--format", "pyeer"];
    let (m, out) = eval(&d.join("pyeer.run"), &pyeer);
    assert_eq!(m, base);
    assert_eq!(m["counts"]["species"]["unknown"]["total"], rows.iter().filter(|r| !r.0).count());
    assert!(out.contains("pyeer genuine (bona fide) scores") && out.contains("one score a line"), "{out}");
    // pyeer's own name for the option reads too.
    let alias = [g.to_str().unwrap(), "--impostor-scores", i.to_str().unwrap(), "--format", "pyeer"];
    assert_eq!(eval(&d.join("alias.run"), &alias).0, base);
}

#[test]
fn bad_pyeer_input_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (g, i) = (tmp.path().join("genuine.txt"), tmp.path().join("impostor.txt"));
    std::fs::write(&g, "0.9\n0.8\n").unwrap();
    let eval = |extra: &[&str]| {
        let mut all = vec!["eval", "--bootstrap", "0", "--scores", g.to_str().unwrap()];
        all.extend(extra);
        let (code, text) = run(&all);
        assert_ne!(code, 0, "accepted: {text}");
        text
    };
    for bad in ["NaN", "inf", "0.3x", "error"] {
        std::fs::write(&i, format!("0.1\n\n{bad}\n")).unwrap();
        let e = eval(&["--attack-scores", i.to_str().unwrap(), "--format", "pyeer"]);
        assert!(e.contains(&format!("{}, line 3", i.display())) && e.contains(bad), "{e}");
    }
    std::fs::write(&i, "0.1\n").unwrap();
    let e = eval(&["--format", "pyeer"]);
    assert!(e.contains("--attack-scores IMPOSTOR"), "{e}");
    let e = eval(&["--attack-scores", i.to_str().unwrap()]);
    assert!(e.contains("give --format pyeer"), "{e}");
    let e = eval(&["--attack-scores", i.to_str().unwrap(), "--format", "pyeer", "--id-column", "x"]);
    assert!(e.contains("one score a line"), "{e}");
}
