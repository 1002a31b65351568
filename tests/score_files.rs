//! Issue 11: score files from anywhere. Files are built at test time from the real scores of
//! `../shared/oracles` (minifas128 on the NUAA train split): the same scores written as a plain CSV, a
//! tab-separated vendor export with 0/1 labels and a 0–100 scale, attack-high scores, JSON Lines with
//! JSON pointers and the presets. Each gives exactly the metrics of the same scores in the reference
//! format, and bad input is refused naming the file, the line and the fix.

mod common;

use std::path::{Path, PathBuf};

use common::{liveness, shared};
use serde_json::{Value, json};

struct Row {
    path: String,
    live: bool,
    species: String,
    subject: String,
    /// `None`: no face found (a non-response).
    score: Option<f64>,
}

/// The oracle's rows, scores quantized to `1/q` (so that every rescaling below is exact in binary).
fn oracle(q: f64) -> Vec<Row> {
    common::oracle_rows("nuaa-train-minifas128.csv")
        .into_iter()
        .map(|r| Row {
            live: r.label == "live",
            score: r.score.map(|s| (s.parse::<f64>().unwrap() * q).round()),
            path: r.path,
            species: r.species,
            subject: r.subject,
        })
        .collect()
}

/// The same scores in the reference format (`face_found`), the baseline every mapping must equal.
fn reference(dir: &Path, rows: &[Row], q: f64) -> PathBuf {
    common::write_rows(dir, "reference.csv", "path,label,attack_type,subject,score,face_found\n", rows, |r| {
        let score = r.score.map_or(String::new(), |k| (k / q).to_string());
        let label = if r.live { "live" } else { "attack" };
        format!("{},{label},{},{},{score},{}", r.path, r.species, r.subject, u8::from(r.score.is_some()))
    })
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = liveness().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// `eval --scores FILE ARGS` into a fresh folder; the metrics without the run block, and stdout+stderr.
fn eval(file: &Path, args: &[&str]) -> (Value, String) {
    let out = file.with_extension("run");
    let mut all = vec!["eval", "--scores", file.to_str().unwrap(), "--bootstrap", "0", "--out", out.to_str().unwrap()];
    all.extend(args);
    let (code, stdout, err) = run(&all);
    assert!(matches!(code, 0 | 3), "{}: exit {code}\n{stdout}\n{err}", all.join(" "));
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("run");
    (doc, stdout + &err)
}

fn refused(file: &Path, args: &[&str]) -> String {
    let mut all = vec!["eval", "--scores", file.to_str().unwrap(), "--bootstrap", "0"];
    all.extend(args);
    let (code, out, err) = run(&all);
    assert_ne!(code, 0, "{}: accepted\n{out}", all.join(" "));
    err
}

/// [`refused`], by an error that names the file (a reading error, not an option error).
fn refused_in(file: &Path, args: &[&str]) -> String {
    let err = refused(file, args);
    assert!(err.contains(file.to_str().unwrap()), "the error names the file: {err}");
    err
}

#[test]
fn mapped_csv_tsv_and_scaled_files_equal_the_reference_format() {
    if shared("oracles").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let q = 100.0;
    let rows = oracle(q);
    let (base, _) = eval(&reference(tmp.path(), &rows, q), &[]);
    assert_eq!(base["counts"]["bona_fide"]["total"], 1743, "{}", base["counts"]);

    // The first thing anyone exports: no flags, and it says which columns it used.
    let plain =
        common::write_rows(tmp.path(), "plain.csv", "path,label,attack_type,subject,score,error\n", &rows, |r| {
            let (score, error) = r.score.map_or((String::new(), "no_face"), |k| ((k / q).to_string(), ""));
            format!("{},{},{},{},{score},{error}", r.path, if r.live { "live" } else { "spoof" }, r.species, r.subject)
        });
    let (m, out) = eval(&plain, &["--reason-column", "error"]);
    assert_eq!(m, base);
    assert!(
        out.contains("id=path, label=label, score=score, species=attack_type, reason=error, metadata=subject"),
        "{out}"
    );

    // A vendor's tab-separated export: its own column names, 1/0 labels, 0–100 confidences, errors.
    let header = "file\tis_live\tpai\tsubject\tconfidence\tstatus\n";
    let vendor = common::write_rows(tmp.path(), "vendor.tsv", header, &rows, |r| {
        let (score, status) = r.score.map_or(("ERROR".to_owned(), "no_face"), |k| (k.to_string(), "ok"));
        format!("{}\t{}\t{}\t{}\t{score}\t{status}", r.path, u8::from(r.live), r.species, r.subject)
    });
    let mapping = [
        "--id-column",
        "file",
        "--label-column",
        "is_live",
        "--live-labels",
        "1",
        "--attack-labels",
        "0",
        "--species-column",
        "pai",
        "--score-column",
        "confidence",
        "--reason-column",
        "status",
        "--score-scale",
        "100",
        "--segment-columns",
        "subject",
    ];
    let (m, out) = eval(&vendor, &mapping);
    assert_eq!(m, base);
    assert!(out.contains("bona fide iff file score >= 50 (scale 100)"), "{out}");

    // Without the scale the 0–100 file is refused with the fix; a label outside the lists with its line.
    let e = refused_in(&vendor, &mapping[..mapping.len() - 4]);
    assert!(e.contains("line 2") && e.contains("--score-scale 100"), "{e}");
    let e = refused_in(&vendor, &[&mapping[..6], &["--attack-labels", "2"], &mapping[8..]].concat());
    assert!(
        e.contains("line 1745") && e.contains("label \"0\" is in neither --live-labels (1) nor --attack-labels (2)"),
        "{e}"
    );
    let wrong = [&mapping[..10], &["--score-column", "conf"], &mapping[12..]].concat();
    let e = refused_in(&vendor, &wrong);
    assert!(
        e.contains(
            "--score-column \"conf\" is not a column; columns found: file,is_live,pai,subject,confidence,status"
        ),
        "{e}"
    );
    let e = refused(&vendor, &["--live-labels", "1"]);
    assert!(e.contains("give both --live-labels and --attack-labels"), "{e}");
}

#[test]
fn attack_high_scores_and_json_lines_with_pointers_and_presets_equal_the_reference_format() {
    if shared("oracles").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Multiples of 1/1024: 1 - k/1024 and (1024 - k)/1024 are exact, so attack-high scores map back
    // to the very same live scores.
    let q = 1024.0;
    let rows = oracle(q);
    let (base, _) = eval(&reference(tmp.path(), &rows, q), &[]);
    let spoof = common::write_rows(
        tmp.path(),
        "spoof.csv",
        "path,label,attack_type,subject,spoof_score,face_found\n",
        &rows,
        |r| {
            let score = r.score.map_or(String::new(), |k| (q - k).to_string());
            let label = if r.live { "genuine" } else { "fake" };
            format!("{},{label},{},{},{score},{}", r.path, r.species, r.subject, u8::from(r.score.is_some()))
        },
    );
    let args = [
        "--score-column",
        "spoof_score",
        "--score-scale",
        "1024",
        "--higher-is-attack",
        "--reason-column",
        "face_found",
    ];
    let (m, out) = eval(&spoof, &args);
    let reasons = |v: &Value| serde_json::from_str::<Value>(&v.to_string().replace("\"no_face\"", "\"0\"")).unwrap();
    assert_eq!(m, reasons(&base));
    assert!(out.contains("bona fide iff file score <= 512 (attack-high scores, scale 1024)"), "{out}");

    // JSON Lines, fields addressed by JSON pointers, the SpoofSense preset for the score.
    let jsonl = tmp.path().join("spoofsense.jsonl");
    let mut text = String::new();
    for r in &rows {
        let prob = r.score.map(|k| k / q);
        let attack = if r.live { json!(null) } else { json!(r.species) };
        let line = json!({"sample": {"path": r.path, "subject": r.subject}, "truth": if r.live { "real" } else { "spoof" },
            "pai": attack, "model_output": {"prob_real": prob, "pred_idx": 0}, "error": if prob.is_none() { "no_face" } else { "" }});
        text += &format!("{line}\n");
    }
    std::fs::write(&jsonl, text).unwrap();
    let (m, out) = eval(
        &jsonl,
        &[
            "--format",
            "spoofsense",
            "--id-column",
            "/sample/path",
            "--label-column",
            "truth",
            "--live-labels",
            "real",
            "--attack-labels",
            "spoof",
            "--species-column",
            "pai",
            "--reason-column",
            "error",
            "--segment-columns",
            "/sample/subject",
        ],
    );
    assert_eq!(m, base);
    assert!(out.contains("score=/model_output/prob_real"), "{out}");
}

#[test]
fn aws_preset_duplicates_and_non_finite_scores() {
    if shared("oracles").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let q = 100.0;
    let rows = oracle(q);
    let (base, _) = eval(&reference(tmp.path(), &rows, q), &[]);
    // GetFaceLivenessSessionResults: SessionId, Confidence 0–100, Status; the label is the user's.
    let aws = tmp.path().join("aws.jsonl");
    let mut text = String::new();
    for r in &rows {
        let line = match r.score {
            Some(k) => {
                json!({"SessionId": r.path, "Status": "SUCCEEDED", "Confidence": k, "label": if r.live { "live" } else { "attack" }, "attack_type": r.species, "subject": r.subject})
            }
            None => {
                json!({"SessionId": r.path, "Status": "no_face", "label": if r.live { "live" } else { "attack" }, "attack_type": r.species, "subject": r.subject})
            }
        };
        text += &format!("{line}\n");
    }
    std::fs::write(&aws, text).unwrap();
    let (m, _) = eval(&aws, &["--format", "aws-liveness"]);
    assert_eq!(m, base);

    let head = "id,label,score\n";
    let dup = tmp.path().join("dup.csv");
    std::fs::write(&dup, format!("{head}a,live,0.5\nb,attack,0.2\na,attack,0.3\n")).unwrap();
    let e = refused_in(&dup, &[]);
    assert!(e.contains("line 4") && e.contains("id \"a\" appears twice (lines 2 and 4)"), "{e}");
    for bad in ["NaN", "inf", "-Infinity", "0.5x"] {
        let f = tmp.path().join("bad.csv");
        std::fs::write(&f, format!("{head}a,live,0.5\nb,attack,{bad}\n")).unwrap();
        let e = refused_in(&f, &[]);
        assert!(e.contains("line 3") && e.contains(bad), "{e}");
    }
    let e = refused(&dup, &["--format", "nosuch"]);
    assert!(e.contains("presets: aws-liveness, spoofsense, verifik, liveness-json"), "{e}");
}
