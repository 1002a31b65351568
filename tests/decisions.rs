//! Issue 11, part 3: decision-only vendors. A vendor export of decisions only (Azure's
//! `realface/spoofface/uncertain` words) is built at test time from the real minifas128 scores of
//! `../shared/oracles` thresholded at 0.5, with a few `uncertain` (retry) and `error` (no response) rows.
//! Its APCER/BPCER counts are exactly those `eval --scores` gives on the original scores at `--threshold
//! 0.5`, with the uncertain rows as non-responses; the report and metrics.json say curves need scores.

mod common;

use std::path::{Path, PathBuf};

use common::{liveness, shared};
use serde_json::Value;

struct Row {
    path: String,
    label: String,
    species: String,
    subject: String,
    /// The oracle's score as written; `None`: no face found.
    score: Option<String>,
    /// The vendor asked for another capture (every 101st scored row).
    uncertain: bool,
}

fn oracle() -> Vec<Row> {
    common::oracle_rows("nuaa-train-minifas128.csv")
        .into_iter()
        .enumerate()
        .map(|(i, r)| Row {
            uncertain: r.score.is_some() && i % 101 == 7,
            path: r.path,
            label: r.label,
            species: r.species,
            subject: r.subject,
            score: r.score,
        })
        .collect()
}

/// The vendor's word for a row: thresholded at 0.5 (bona fide iff score >= 0.5), `uncertain`, or `error`.
fn word(r: &Row) -> &'static str {
    match &r.score {
        None => "ERROR",
        Some(_) if r.uncertain => "uncertain",
        Some(s) if s.parse::<f64>().unwrap() >= 0.5 => "RealFace",
        Some(_) => "spoofface",
    }
}

const MAP: &str = "realface=bona_fide,spoofface=attack,uncertain=retry,error=no_response";

fn run(args: &[&str]) -> (i32, String) {
    let out = liveness().args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// `eval --scores FILE ARGS` into FILE.run; the metrics document and the output.
fn eval(file: &Path, args: &[&str]) -> (Value, String, PathBuf) {
    let out = file.with_extension("run");
    let mut all = vec!["eval", "--scores", file.to_str().unwrap(), "--bootstrap", "0", "--out", out.to_str().unwrap()];
    all.extend(args);
    let (code, text) = run(&all);
    assert!(matches!(code, 0 | 3), "{}: exit {code}\n{text}", all.join(" "));
    let doc = serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    (doc, text, out)
}

fn refused(file: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["eval", "--scores", file.to_str().unwrap(), "--bootstrap", "0"];
    all.extend(args);
    let (code, text) = run(&all);
    assert_ne!(code, 0, "{}: accepted\n{text}", all.join(" "));
    (code, text)
}

#[test]
fn vendor_decisions_give_the_counts_of_the_scores_at_the_same_operating_point() {
    if shared("oracles").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let rows = oracle();
    let uncertain = rows.iter().filter(|r| r.uncertain).count();
    assert!((10..40).contains(&uncertain), "{uncertain}");
    // The original scores, with the rows the vendor was uncertain of as non-responses.
    let reference = common::write_rows(
        tmp.path(),
        "reference.csv",
        "path,label,attack_type,subject,score,face_found\n",
        &rows,
        |r| {
            let scored = r.score.as_ref().filter(|_| !r.uncertain);
            let face = u8::from(scored.is_some());
            format!("{},{},{},{},{},{face}", r.path, r.label, r.species, r.subject, scored.map_or("", String::as_str))
        },
    );
    let (base, _, _) = eval(&reference, &["--threshold", "0.5"]);
    let vendor =
        common::write_rows(tmp.path(), "vendor.csv", "path,label,attack_type,subject,result,status\n", &rows, |r| {
            let status = if r.score.is_none() { "no_face" } else { "" };
            format!("{},{},{},{},{},{status}", r.path, r.label, r.species, r.subject, word(r))
        });
    let args = ["--decision-column", "result", "--decision-map", MAP, "--reason-column", "status"];
    let (doc, out, run_dir) = eval(&vendor, &args);
    let d = &doc["decisions"];
    // The very rate objects (k, n, value, Clopper-Pearson interval) of the score engine at 0.5.
    let at = &base["at_threshold"];
    assert_eq!(d["bona_fide"], at["bona_fide"]);
    assert_eq!(d["species"], at["species"]);
    assert_eq!(d["attack"], at["attack"]);
    assert!(d["bona_fide"]["bpcer"]["k"].as_u64().unwrap() > 0 && d["attack"]["apcer_max"]["k"].as_u64().unwrap() > 0);
    // The retries are the uncertain rows, shared out per class; the no responses the rows without a face.
    let retries: u64 =
        d["bands"].as_object().unwrap().values().map(|c| c["shares"]["retry"]["k"].as_u64().unwrap()).sum();
    assert_eq!(retries as usize, uncertain);
    let errors: u64 =
        d["bands"].as_object().unwrap().values().map(|c| c["shares"]["no_response"]["k"].as_u64().unwrap()).sum();
    assert_eq!(errors as usize, rows.iter().filter(|r| r.score.is_none()).count());
    let live = &d["bands"]["bona_fide"];
    assert_eq!(live["total"], base["counts"]["bona_fide"]["total"]);
    assert_eq!(live["non_response_reasons"]["uncertain"], live["shares"]["retry"]["k"]);
    // Curves need scores: said in metrics.json, the terminal and the report, which draws no chart.
    assert!(
        doc["curves"]["reason"].as_str().unwrap().contains("curves (EER, DET, ROC, threshold sweeps, AUC) need scores")
    );
    assert!(doc.get("at_threshold").is_none() && doc.get("threshold_free").is_none());
    assert!(out.contains("curves (EER, DET, ROC") && out.contains("APCER worst species"), "{out}");
    assert!(out.contains("a retry or no_response is neither an accepted attack nor a rejected bona fide"), "{out}");
    let html = std::fs::read_to_string(run_dir.join("index.html")).unwrap();
    assert!(html.contains("No curves: curves (EER") && html.contains("The vendor&#39;s own decisions"), "{html}");
    assert!(!html.contains("<svg") && !html.contains("<img"), "no chart: {html}");
    let md = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(md.contains("retry share, bona fide") && md.contains("No curves"), "{md}");
    assert!(!run_dir.join("sweep.csv").exists());
    // `liveness report` regenerates it from the folder alone.
    let (code, text) = run(&["report", run_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{text}");

    // Scores and decisions both: the usual metrics and the vendor's beside them.
    let both = common::write_rows(
        tmp.path(),
        "both.csv",
        "path,label,attack_type,subject,score,result,status\n",
        &rows,
        |r| {
            let status = if r.score.is_none() { "no_face" } else { "" };
            let score = r.score.as_deref().unwrap_or("");
            format!("{},{},{},{},{score},{},{status}", r.path, r.label, r.species, r.subject, word(r))
        },
    );
    let (m, out, run_dir) = eval(&both, &[&args[..], &["--threshold", "0.5"]].concat());
    let oracle_copy = tmp.path().join("oracle.csv");
    std::fs::copy(shared("oracles").unwrap().join("nuaa-train-minifas128.csv"), &oracle_copy).unwrap();
    let (plain, _, _) = eval(&oracle_copy, &["--threshold", "0.5"]);
    assert_eq!(m["at_threshold"], plain["at_threshold"]);
    assert_eq!(m["threshold_free"], plain["threshold_free"]);
    assert_eq!(m["decisions"], doc["decisions"]);
    assert!(out.contains("the vendor's decisions (column result) beside the threshold 0.5"), "{out}");
    let html = std::fs::read_to_string(run_dir.join("index.html")).unwrap();
    assert!(html.contains("at threshold 0.5") && html.contains("<svg"), "the table and the charts as usual");
}

#[test]
fn bad_decision_input_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("azure.csv");
    std::fs::write(&f, "id,label,result\na,live,realface\nb,attack,spoofface\nc,attack,maybe\n").unwrap();
    let (code, e) = refused(&f, &["--decision-column", "result", "--decision-map", MAP]);
    assert_eq!(code, 1, "{e}");
    assert!(e.contains(f.to_str().unwrap()) && e.contains("line 4"), "{e}");
    assert!(e.contains("\"maybe\" is not in --decision-map (realface, spoofface, uncertain, error)"), "{e}");
    // The map without its column, the column without its map, a bad map: usage errors (exit 2).
    let (code, e) = refused(&f, &["--decision-map", MAP]);
    assert!(code == 2 && e.contains("--decision-column"), "{e}");
    let (code, e) = refused(&f, &["--decision-column", "result"]);
    assert!(code == 2 && e.contains("--decision-map"), "{e}");
    let (code, e) = refused(&f, &["--decision-column", "result", "--decision-map", "realface"]);
    assert!(code == 2 && e.contains("is not WORD=bona_fide|attack|retry|no_response"), "{e}");
    let (code, e) = refused(&f, &["--decision-column", "result", "--decision-map", "realface=live"]);
    assert!(code == 2 && e.contains("\"live\" is not a decision"), "{e}");
    let (_, e) = refused(&f, &["--decision-column", "verdict", "--decision-map", MAP]);
    assert!(e.contains("--decision-column \"verdict\" is not a column; columns found: id,label,result"), "{e}");
    let (_, e) = refused(&f, &["--decision-column", "result", "--decision-map", "x=attack,X=retry"]);
    assert!(e.contains("names \"X\" twice"), "{e}");
}
