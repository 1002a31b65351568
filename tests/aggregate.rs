//! `eval --group-by subject,session,pos --aggregate ...` on real NUAA sequences (every 10th frame of the
//! train split, scored by the real silentface models): the video-level figures equal a brute-force
//! recomputation from scores.csv, the frame-level figures equal a plain eval of the same file, and a
//! video with no scored frame is a non-response.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{liveness, nuaa_thinned, shared};
use serde_json::Value;

fn metrics(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap()
}

/// Rows of scores.csv as maps column -> cell.
fn rows(file: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(file).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records().map(|rec| header.iter().cloned().zip(rec.unwrap().iter().map(String::from)).collect()).collect()
}

/// Brute force: videos keyed by (subject, session, pos, label, attack_type) -> the statistic of the
/// scored frames (None: no scored frame), by numpy/scipy's definitions.
fn videos(rows: &[BTreeMap<String, String>], how: &str) -> BTreeMap<[String; 5], Option<f64>> {
    let mut frames: BTreeMap<[String; 5], Vec<f64>> = BTreeMap::new();
    for r in rows {
        let key = ["subject", "session", "pos", "label", "attack_type"].map(|c| r[c].clone());
        let scores = frames.entry(key).or_default();
        if r["status"] == "ok" {
            scores.push(r["score"].parse().unwrap());
        }
    }
    frames
        .into_iter()
        .map(|(key, mut s)| {
            s.sort_by(f64::total_cmp);
            let n = s.len();
            let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
            let value = (n > 0).then(|| match how {
                "mean" => mean(&s),
                "median" => (s[(n - 1) / 2] + s[n / 2]) / 2.0,
                "min" => s[0],
                "max" => s[n - 1],
                "trimmed:0.2" => {
                    let cut = (0.2 * n as f64).floor() as usize;
                    mean(&s[cut..n - cut])
                }
                other => panic!("{other}"),
            });
            (key, value)
        })
        .collect()
}

/// k/n of BPCER and of each species' APCER at `t`, and the non-responses per class, from the videos.
fn brute_rates(videos: &BTreeMap<[String; 5], Option<f64>>, t: f64) -> BTreeMap<String, (u64, u64, u64)> {
    let mut rates: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for (key, score) in videos {
        let class = if key[3] == "live" { "bona_fide".to_string() } else { key[4].clone() };
        let (k, n, nr) = rates.entry(class).or_default();
        match score {
            None => *nr += 1,
            Some(s) => {
                *n += 1;
                // bona fide iff score >= t: an error is a live video rejected or an attack video accepted
                if (key[3] == "live") != (*s >= t) {
                    *k += 1;
                }
            }
        }
    }
    rates
}

/// The same k/n/non-responses read from metrics.json.
fn reported_rates(doc: &Value) -> BTreeMap<String, (u64, u64, u64)> {
    let at = &doc["at_threshold"];
    let counts = &doc["counts"];
    let mut rates = BTreeMap::new();
    let b = &at["bona_fide"]["bpcer"];
    let nr = |c: &Value| c["non_responses"].as_u64().unwrap();
    rates.insert("bona_fide".into(), (b["k"].as_u64().unwrap(), b["n"].as_u64().unwrap(), nr(&counts["bona_fide"])));
    for (sp, r) in at["species"].as_object().unwrap() {
        let a = &r["apcer"];
        rates.insert(sp.clone(), (a["k"].as_u64().unwrap(), a["n"].as_u64().unwrap(), nr(&counts["species"][sp])));
    }
    rates
}

#[test]
fn nuaa_videos_equal_a_brute_force_recomputation_at_both_levels() {
    let Some((tmp, ds)) = nuaa_thinned(10) else { return };
    let run = tmp.path().join("run");
    let out = liveness()
        .args(["eval", "--group-by", "subject,session,pos", "--aggregate", "median", "--bootstrap", "200", "--out"])
        .arg(&run)
        .arg(&ds)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("videos: 60 from 350 frames"), "{stdout}");
    let scores = rows(&run.join("scores.csv"));
    assert_eq!(scores.len(), 350, "scores.csv keeps the frames");
    let doc = metrics(&run);
    let t = doc["run"]["threshold"].as_f64().unwrap();
    let brute = videos(&scores, "median");
    // NUAA: 15 live sequences and 45 photo sequences, whatever the frames kept
    assert_eq!((brute.len(), doc["run"]["presentations"].as_u64()), (60, Some(60)));
    assert_eq!(reported_rates(&doc), brute_rates(&brute, t));
    let summary = &doc["aggregation"]["summary"];
    assert_eq!((summary["frames"].as_u64(), summary["videos"].as_u64()), (Some(350), Some(60)));
    // live and photo sequences reuse subject/session/position numbers: split, never mixed
    assert!(summary["split_keys"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(doc["bootstrap"]["clusters"], 9, "subject survives aggregation: clustered intervals");
    assert!(
        doc["aggregation"]["frame_level"]["at_threshold"]["bona_fide"]["bpcer"]["bootstrap95"]["upper"].is_number()
    );

    // The frame level is exactly a plain eval of the same scores.
    let plain = tmp.path().join("plain");
    let code = liveness()
        .args(["eval", "--bootstrap", "200", "--out"])
        .arg(&plain)
        .arg("--scores")
        .arg(run.join("scores.csv"))
        .output()
        .unwrap();
    assert!(matches!(code.status.code(), Some(0 | 3)), "{}", String::from_utf8_lossy(&code.stderr));
    let frames = &doc["aggregation"]["frame_level"];
    let plain = metrics(&plain);
    for block in ["at_threshold", "threshold_free", "counts", "decision_bands", "bootstrap"] {
        assert_eq!(frames[block], plain[block], "{block}");
    }

    // Every aggregate, from the score file, with one live video that has no scored frame.
    let silenced = ["0001", "01", "00", "live", ""];
    let edited = tmp.path().join("edited.csv");
    let mut w = csv::Writer::from_path(&edited).unwrap();
    w.write_record(scores[0].keys()).unwrap();
    for r in &scores {
        let mut r = r.clone();
        if ["subject", "session", "pos", "label", "attack_type"].map(|c| r[c].as_str()) == silenced {
            for c in ["score", "silentface_score", "decision", "band"] {
                r.insert(c.into(), String::new());
            }
            r.insert("status".into(), "non_response".into());
            r.insert("reason".into(), "no_face".into());
        }
        w.write_record(r.values()).unwrap();
    }
    w.flush().unwrap();
    let edited_rows = rows(&edited);
    for how in ["mean", "median", "min", "max", "trimmed:0.2"] {
        let dir = tmp.path().join(how.replace(':', "-"));
        let out = liveness()
            .args(["eval", "--bootstrap", "0", "--group-by", "subject,session,pos", "--aggregate", how, "--out"])
            .arg(&dir)
            .arg("--scores")
            .arg(&edited)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{how}: a non-response -> exit 3\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = metrics(&dir);
        let brute = videos(&edited_rows, how);
        assert_eq!(brute.values().filter(|v| v.is_none()).count(), 1);
        assert_eq!(reported_rates(&doc), brute_rates(&brute, t), "{how}");
        assert_eq!(
            doc["counts"]["bona_fide"]["non_response_reasons"]["no_scored_frame"], 1,
            "{how}: {}",
            doc["counts"]
        );
        assert_eq!(doc["aggregation"]["summary"]["videos_without_scored_frame"], 1);
        assert_eq!(doc["aggregation"]["summary"]["aggregate"], how);
    }
}

#[test]
fn grouping_by_a_column_the_frames_lack_is_refused_with_counts() {
    let Some(oracles) = shared("oracles") else { return };
    let file = oracles.join("nuaa-train-silentface.csv");
    let tmp = tempfile::tempdir().unwrap();
    let out = liveness()
        .args(["eval", "--group-by", "video_id", "--out"])
        .arg(tmp.path().join("run"))
        .arg("--scores")
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--group-by video_id: 3491 of 3491 frames have no `video_id` value"), "{err}");
    assert!(err.contains("columns found:"), "{err}");
    let out = liveness().args(["eval", "--aggregate", "median", "--scores"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--aggregate needs --group-by");
    let out = liveness()
        .args(["eval", "--group-by", "subject", "--aggregate", "avg", "--scores"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("mean, median, min, max"));
}
