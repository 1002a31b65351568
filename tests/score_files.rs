//! Issue 11: score files from anywhere. Files are built at test time from the real scores of
//! `../shared/oracles` (minifas128 on the NUAA train split): the same scores written as a plain CSV, a
//! tab-separated vendor export with 0/1 labels and a 0–100 scale, attack-high scores, JSON Lines with
//! JSON pointers and the presets. Each gives exactly the metrics of the same scores in the reference
//! format, and bad input is refused naming the file, the line and the fix. Issue 9: every flavour the
//! tool's own writers produce reads back through the reader as written (`round_trip`).

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

/// The writers and the reader agree on every score-file flavour the tool writes: a run's `scores.csv`
/// (one model, several models, quality columns, decision and band words, non-responses with reasons,
/// text cells that need quoting or formula escaping), its Parquet conversion (`--scores-format parquet`),
/// and a session score file (`liveness session score --csv`: session measures, ok and non_response rows).
/// Each file is written by the tool's own writers and read by `scorefile`; presentations, species,
/// reasons, metadata and scores (bit for bit) come back as written.
mod round_trip {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use liveness::dataset::{Label, Sample};
    use liveness::frame::FaceBox;
    use liveness::quality::Quality;
    use liveness::schema::columns::{QUALITY, SESSION_RESULT, model_score_column};
    use liveness::schema::{Decision, Policy, Presentation};
    use liveness::score::record::{ModelScore, ScoreRecord};
    use liveness::scorefile::{ReadOptions, read_scores};
    use liveness::session::analyze::{Analysis, Stages};
    use liveness::session::challenge::{Baseline, Challenge, ChallengeResult};
    use liveness::session::input::{Problem, SessionInput};
    use liveness::session::output::{Printer, Scored};
    use liveness::session::verdict::{Measures, Mode, SessionVerdict};

    const MODELS: [&str; 2] = ["silentface", "minifas128"];

    fn policy() -> Policy {
        let path = "configs/policies/default.toml";
        Policy::parse(&std::fs::read_to_string(path).unwrap(), path).unwrap()
    }

    fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn sample(id: &str, label: Label, species: &str, meta: BTreeMap<String, String>) -> Sample {
        Sample { path: PathBuf::from(id), rel_path: id.into(), label, species: species.into(), meta, face_box: None }
    }

    /// A scored record: one live probability per model (the first is the primary), a face and its quality.
    fn scored(id: &str, lives: &[f64]) -> ScoreRecord {
        let mut rec = ScoreRecord::new(id.into());
        (rec.width, rec.height) = (640, 480);
        rec.face = Some(FaceBox { x1: -3, y1: 10, x2: 200, y2: 260 });
        rec.quality = Some(Quality {
            face_px: 203.0,
            face_share: 0.164_571_3,
            sharpness: 1234.567_89,
            brightness: 101.25,
            clipped_share: 0.000_123,
            at_border: true,
        });
        rec.models = MODELS
            .iter()
            .zip(lives)
            .map(|(m, &live)| ModelScore { model: m.to_string(), live, members: vec![] })
            .collect();
        rec
    }

    /// Samples and their records: scores that print with 17 digits, next to 1, a subnormal; an id and
    /// metadata that need CSV quoting and formula escaping; a non-response with a quality measure and one without a face.
    fn image_rows() -> Vec<(Sample, ScoreRecord)> {
        let rows = [
            (
                sample("live/0001/a.jpg", Label::BonaFide, "", meta(&[("subject", "0001"), ("session", "s,1")])),
                scored("", &[0.1 + 0.2, 1e-300]),
            ),
            (
                sample(
                    "spoof/print/b \"q\".jpg",
                    Label::Attack,
                    "print",
                    meta(&[("subject", "0002"), ("session", "=1+1")]),
                ),
                scored("", &[1.0 - f64::EPSILON / 2.0, 5e-324]),
            ),
            (
                sample("=cmd|x.jpg", Label::Attack, "replay", meta(&[("subject", "0003"), ("session", "")])),
                scored("", &[0.5, 0.0]),
            ),
            (
                sample("live/0004/c.jpg", Label::BonaFide, "", meta(&[("subject", "0004")])),
                ScoreRecord::new(String::new()).non_response("no_face", "no face found"),
            ),
            (
                sample("spoof/mask/d.jpg", Label::Attack, "mask", meta(&[("subject", "0005"), ("session", "ü")])),
                scored("", &[0.9, 0.8]).non_response("face_too_small", "face 12 px < 80"),
            ),
        ];
        rows.into_iter()
            .map(|(s, mut r)| {
                r.path = s.rel_path.clone();
                (s, r)
            })
            .collect()
    }

    fn expected(
        id: &str,
        bona_fide: bool,
        species: &str,
        score: Option<f64>,
        reason: Option<&str>,
        meta: BTreeMap<String, String>,
    ) -> Presentation {
        Presentation {
            id: id.into(),
            bona_fide,
            species: species.into(),
            score,
            reason: reason.map(String::from),
            meta,
            decision: None,
        }
    }

    /// Equal presentations, and every score equal to the bit.
    fn assert_same(file: &Path, got: &[Presentation], want: &[Presentation]) {
        assert_eq!(got, want, "{}", file.display());
        let bits = |p: &[Presentation]| p.iter().map(|p| p.score.map(f64::to_bits)).collect::<Vec<_>>();
        assert_eq!(bits(got), bits(want), "{}: scores differ in their bits", file.display());
    }

    /// `presentations` with the numbers in the `columns` of their metadata written as Rust prints them:
    /// Parquet holds scores, quality measures and `*_score` columns as f64, so their text comes back
    /// as the number (`101.250` as `101.25`), not as the CSV cell.
    fn as_numbers(mut presentations: Vec<Presentation>, columns: &[String]) -> Vec<Presentation> {
        for p in &mut presentations {
            for c in columns {
                if let Some(v) = p.meta.get_mut(c)
                    && let Ok(x) = v.parse::<f64>()
                {
                    *v = x.to_string();
                }
            }
        }
        presentations
    }

    /// A run's `scores.csv` of `models`, written as `liveness eval` writes it.
    fn write_run_csv(dir: &Path, models: &[&str], rows: &[(Sample, ScoreRecord)], policy: &Policy) -> PathBuf {
        let models: Vec<String> = models.iter().map(|m| m.to_string()).collect();
        let meta = ["session".to_string(), "subject".to_string()];
        let path = dir.join(format!("scores-{}.csv", models.len()));
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(liveness::run::header(&meta, &models, policy)).unwrap();
        for (s, rec) in rows {
            let mut rec = rec.clone();
            rec.models.truncate(models.len());
            w.write_record(liveness::run::row(s, &meta, &rec, policy, &models)).unwrap();
        }
        w.flush().unwrap();
        path
    }

    /// What the reader must give for `rows`, the scores of model `k` (metadata columns absent from a sample read as empty).
    fn want_images(
        rows: &[(Sample, ScoreRecord)],
        k: usize,
        extra: impl Fn(&ScoreRecord) -> Vec<(String, String)>,
    ) -> Vec<Presentation> {
        rows.iter()
            .map(|(s, r)| {
                let mut m = meta(&[("session", ""), ("subject", "")]);
                m.extend(s.meta.clone());
                m.extend(extra(r));
                let score = r.live().map(|_| r.models[k].live);
                expected(&s.rel_path, s.label == Label::BonaFide, &s.species, score, r.reason(), m)
            })
            .collect()
    }

    /// The decision, band and quality cells as the writer words them, read back as kept columns.
    fn engine_cells(r: &ScoreRecord, policy: &Policy) -> Vec<(String, String)> {
        let live = r.live();
        let mut cells = vec![
            ("decision".to_string(), live.map_or(String::new(), |p| Decision::of(policy.is_live(p)).as_str().into())),
            ("band".to_string(), live.map_or(String::new(), |p| policy.band(p).as_str().into())),
        ];
        let q = r.quality.unwrap_or_else(|| unreachable!());
        let values = [
            q.face_px.to_string(),
            format!("{:.6}", q.face_share),
            format!("{:.3}", q.sharpness),
            format!("{:.3}", q.brightness),
            format!("{:.6}", q.clipped_share),
            u8::from(q.at_border).to_string(),
        ];
        cells.extend(QUALITY.iter().map(|c| c.name.to_string()).zip(values));
        cells
    }

    fn kept_image_columns() -> Vec<String> {
        ["decision", "band"].iter().map(|c| c.to_string()).chain(QUALITY.iter().map(|c| c.name.to_string())).collect()
    }

    #[test]
    fn image_score_files_csv_and_parquet() {
        let tmp = tempfile::tempdir().unwrap();
        let policy = policy();
        let rows: Vec<_> = image_rows().into_iter().filter(|(_, r)| r.quality.is_some()).collect();
        let none = |_: &ScoreRecord| vec![];
        for models in [&MODELS[..1], &MODELS[..]] {
            let csv = write_run_csv(tmp.path(), models, &rows, &policy);
            let parquet = csv.with_extension("parquet");
            liveness::run::parquet_from_csv(&csv, &parquet).unwrap();
            for file in [&csv, &parquet] {
                assert_same(file, &read_scores(file, ReadOptions::default()).unwrap(), &want_images(&rows, 0, none));
                for (k, model) in models.iter().enumerate() {
                    let options =
                        ReadOptions { score_column: Some(model_score_column(model)), ..ReadOptions::default() };
                    assert_same(file, &read_scores(file, options).unwrap(), &want_images(&rows, k, none));
                }
                // The engine's words and measures, kept as metadata: as written in the CSV, as numbers in Parquet.
                let columns = kept_image_columns();
                let got = read_scores(file, ReadOptions::default().keeping(&columns)).unwrap();
                let want = want_images(&rows, 0, |r| engine_cells(r, &policy));
                match file == &parquet {
                    true => assert_same(file, &as_numbers(got, &columns), &as_numbers(want, &columns)),
                    false => assert_same(file, &got, &want),
                }
            }
        }
        // A record without a face (no quality measured) reads back as the non-response it is.
        let all = image_rows();
        let csv = write_run_csv(tmp.path(), &MODELS, &all, &policy);
        assert_same(&csv, &read_scores(&csv, ReadOptions::default()).unwrap(), &want_images(&all, 0, none));
    }

    fn assert_cells(meta: &BTreeMap<String, String>, cells: &[(&str, &str)]) {
        for (column, value) in cells {
            assert_eq!(meta.get(*column).map(String::as_str), Some(*value), "{column}");
        }
    }

    fn session(
        id: &str,
        label: Label,
        species: &str,
        verdict: Option<SessionVerdict>,
        problem: Option<Problem>,
    ) -> Scored {
        let input = SessionInput {
            id: id.into(),
            label: Some(label),
            species: species.into(),
            meta: meta(&[("subject", "0007"), ("device", "phone, front")]),
            frames: vec![],
            challenges: vec![Challenge::Blink, Challenge::HeadLeft],
            ordered: true,
            problem: None,
        };
        let analysis = Analysis { frames_captured: 24, frames: vec![], problem, stages: Stages::default() };
        Scored { input, analysis, verdict }
    }

    fn verdict(liveness_score: f64) -> SessionVerdict {
        let outcome = |challenge, passed| ChallengeResult {
            challenge,
            passed,
            completed_at: passed.then_some(5),
            peak: Some(0.42),
        };
        SessionVerdict {
            mode: Mode::Active,
            baseline: Baseline { yaw: 1.5, pitch: -2.0, mouth_width: 50.0, ear: 0.3 },
            measures: Measures {
                yaw_range: 31.25,
                pitch_range: 4.5,
                ear_min_ratio: 0.4125,
                blink: true,
                smile_peak: 1.0625,
            },
            challenges: vec![outcome(Challenge::Blink, true), outcome(Challenge::HeadLeft, false)],
            pose_variation_score: 12.5,
            expression_variation_score: 40.0,
            liveness_score,
            liveness_passed: true,
            band: "pass",
            passive_score: Some(0.876_543_21),
            passive_passed: Some(true),
            live: true,
        }
    }

    #[test]
    fn session_score_files() {
        let tmp = tempfile::tempdir().unwrap();
        let sessions = [
            session("sessions/live one", Label::BonaFide, "", Some(verdict(73.123_456_789_012_34)), None),
            session(
                "sessions/=attack",
                Label::Attack,
                "replay",
                None,
                Some(Problem { reason: "too_few_frames", detail: "3 usable frames < 8".into() }),
            ),
        ];
        let path = tmp.path().join("sessions.csv");
        let columns = vec!["device".to_string(), "subject".to_string()];
        let ids: Vec<String> = sessions.iter().map(|s| s.input.id.clone()).collect();
        let mut printer = Printer::new(
            liveness::score::output::Format::Csv,
            columns,
            &ids,
            Box::new(std::fs::File::create(&path).unwrap()),
        )
        .unwrap();
        for s in &sessions {
            printer.print(s).unwrap();
        }
        drop(printer);
        // challenges_passed / challenges_failed are outcomes a report may break rates down by: metadata.
        let base = |passed: &str, failed: &str| {
            meta(&[
                ("subject", "0007"),
                ("device", "phone, front"),
                ("challenges_passed", passed),
                ("challenges_failed", failed),
            ])
        };
        let want = [
            expected(
                "sessions/live one",
                true,
                "",
                Some(73.123_456_789_012_34 / 100.0),
                None,
                base("blink", "head_left"),
            ),
            expected("sessions/=attack", false, "replay", None, Some("too_few_frames"), base("", "")),
        ];
        assert_same(&path, &read_scores(&path, ReadOptions::default()).unwrap(), &want);
        // Every session measure reads back as written when kept as metadata.
        let measures: Vec<String> = SESSION_RESULT
            .iter()
            .map(|c| c.name.to_string())
            .filter(|c| {
                !["score", "status", "reason"].contains(&c.as_str())
                    && !c.starts_with("challenges_passed")
                    && !c.starts_with("challenges_failed")
            })
            .collect();
        let kept = read_scores(&path, ReadOptions::default().keeping(&measures)).unwrap();
        assert_cells(
            &kept[0].meta,
            &[
                ("decision", "live"),
                ("band", "pass"),
                ("liveness_mode", "active"),
                ("liveness_score", "73.12"),
                ("liveness_passed", "1"),
                ("passive_score", "0.876543"),
                ("challenges_asked", "blink;head_left"),
                ("challenges_completed", "1"),
                ("frames_captured", "24"),
                ("frames_used", "0"),
                ("yaw_range", "31.25"),
                ("ear_min_ratio", "0.4125"),
                ("blink", "1"),
                ("smile_peak", "1.0625"),
            ],
        );
        let refused = [
            ("decision", ""),
            ("liveness_score", ""),
            ("challenges_asked", "blink;head_left"),
            ("frames_captured", "24"),
        ];
        assert_cells(&kept[1].meta, &refused);
        let parquet = path.with_extension("parquet");
        liveness::run::parquet_from_csv(&path, &parquet).unwrap();
        let got = read_scores(&parquet, ReadOptions::default().keeping(&measures)).unwrap();
        assert_same(&parquet, &as_numbers(got, &measures), &as_numbers(kept, &measures));
    }
}
