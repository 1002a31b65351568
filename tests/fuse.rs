//! `liveness fuse` on real NUAA images with the real models: the logistic fit on one pass of
//! `eval --model silentface,minifas128` (its gradient recomputed here from the rows), the written descriptor
//! read back, and the fused model used by name and by path in `score`, `eval` and `serve`, its score equal
//! to sigmoid(b + sum w_i logit(p_i)) of the members' own `score` outputs; refusals with their reasons.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{liveness, shared};
use serde_json::Value;

/// Images that both models find hardest (lowest fused score of a live face, highest of a photo, on the
/// full NUAA train run): every 15th image alone is perfectly separated by the two logits, and an
/// unregularised logistic fit has no optimum there (that case is the refusal test below).
const HARD: [&str; 7] = [
    "ClientRaw/0005/0005_00_00_02_237.jpg",
    "ClientRaw/0005/0005_00_00_02_112.jpg",
    "ClientRaw/0005/0005_00_00_02_240.jpg",
    "ImposterRaw/0005/0005_00_04_02_135.jpg",
    "ImposterRaw/0005/0005_00_03_02_75.jpg",
    "ImposterRaw/0005/0005_00_01_02_300.jpg",
    "ImposterRaw/0005/0005_00_02_02_225.jpg",
];

/// A NUAA-layout dataset of every 15th listed image of each class plus [`HARD`] (index files filtered,
/// class folders linked), scored once by both models; `None` without the shared data.
fn run() -> Option<&'static (tempfile::TempDir, PathBuf)> {
    static RUN: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    RUN.get_or_init(|| {
        let nuaa = shared("datasets/nuaa-train")?;
        shared("models")?;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nuaa");
        std::fs::create_dir_all(&data).unwrap();
        for (folder, index) in [("ClientRaw", "client_train_raw.txt"), ("ImposterRaw", "imposter_train_raw.txt")] {
            std::os::unix::fs::symlink(nuaa.join(folder), data.join(folder)).unwrap();
            let text = std::fs::read_to_string(nuaa.join(index)).unwrap();
            let keep: Vec<&str> = text
                .lines()
                .enumerate()
                .filter(|(i, l)| i % 15 == 0 || HARD.contains(&format!("{folder}/{l}").as_str()))
                .map(|(_, l)| l)
                .collect();
            std::fs::write(data.join(index), keep.join("\n") + "\n").unwrap();
        }
        let out = dir.path().join("run");
        liveness()
            .arg("eval")
            .arg(&data)
            .args(["--model", "silentface,minifas128", "--out"])
            .arg(&out)
            .assert()
            .success();
        Some((dir, out))
    })
    .as_ref()
}

fn fit(dev: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    liveness()
        .arg("fuse")
        .arg("--dev")
        .arg(dev)
        .args(["--models", "silentface,minifas128", "--name", "nuaa-fused", "--out"])
        .arg(out)
        .args(extra)
        .assert()
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).ln()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// (bias, [w_silentface, w_minifas128]) of a written descriptor.
fn rule(path: &Path) -> (f64, Vec<f64>) {
    let t: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let f = &t["fusion"];
    let w = f["model"].as_array().unwrap().iter().map(|m| m["weight"].as_float().unwrap()).collect();
    (f["bias"].as_float().unwrap(), w)
}

fn score_json(model: &str, image: &Path, extra: &[&str]) -> Value {
    let o = liveness().args(extra).args(["score", "--json", "--model", model]).arg(image).assert().success();
    serde_json::from_slice(&o.get_output().stdout).unwrap()
}

/// The `(label is live, subject, [column values])` of each scored row of a scores.csv.
fn rows(file: &Path, columns: &[&str]) -> Vec<(bool, String, Vec<f64>)> {
    let mut r = csv::Reader::from_path(file).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap_or_else(|| panic!("no column {n} in {h:?}"));
    let idx: Vec<usize> = columns.iter().map(|c| col(c)).collect();
    let (label, subject, status) = (col("label"), col("subject"), col("status"));
    r.records()
        .map(Result::unwrap)
        .filter(|rec| &rec[status] == "ok")
        .map(|rec| {
            (&rec[label] == "live", rec[subject].to_owned(), idx.iter().map(|&i| rec[i].parse().unwrap()).collect())
        })
        .collect()
}

#[test]
fn logistic_fusion_is_fitted_written_and_scores_as_its_formula_says() {
    let Some((dir, run)) = run() else { return };
    let image = shared("models/samples/image_F1.jpg").unwrap();
    let fused = dir.path().join("fused.toml");
    let o = fit(run, &fused, &["--where", "subject=0005..0009"]).success();
    let text = String::from_utf8_lossy(&o.get_output().stdout).into_owned();
    assert!(text.contains("Newton steps") && text.contains("dev log-loss"), "{text}");
    let (b, w) = rule(&fused);

    // The fit is the maximum: the log-likelihood's gradient vanishes on the dev rows, recomputed here.
    let dev: Vec<_> = rows(&run.join("scores.csv"), &["silentface_score", "minifas128_score"])
        .into_iter()
        .filter(|(_, s, _)| s.as_str() >= "0005")
        .collect();
    let mut g = [0.0; 3];
    for (live, _, p) in &dev {
        let x = [1.0, logit(p[0]), logit(p[1])];
        let r = f64::from(u8::from(*live)) - sigmoid(b + w[0] * x[1] + w[1] * x[2]);
        for (gj, xj) in g.iter_mut().zip(x) {
            *gj += r * xj;
        }
    }
    assert!(g.iter().all(|v| v.abs() < 1e-8), "gradient {g:?} at b {b}, w {w:?}");
    let table: toml::Value = toml::from_str(&std::fs::read_to_string(&fused).unwrap()).unwrap();
    let devt = &table["fusion"]["dev"];
    assert_eq!(devt["scored"].as_integer(), Some(dev.len() as i64), "{devt}");
    assert_eq!(devt["filter"].as_str(), Some("subject=0005..0009"));

    // The descriptor round-trips through the ordinary parser and serializer.
    let parsed =
        liveness::model::descriptor::Descriptor::parse(&std::fs::read_to_string(&fused).unwrap(), "f").unwrap();
    let again = toml::to_string(&parsed).unwrap();
    let reparsed = liveness::model::descriptor::Descriptor::parse(&again, "g").unwrap();
    assert_eq!(toml::to_string(&reparsed).unwrap(), again);
    assert_eq!(reparsed.fusion, parsed.fusion);
    assert_eq!(parsed.members.len(), 3);

    // `score --model fused.toml` equals the formula on the members' own scores, and reports them.
    let got = score_json(fused.to_str().unwrap(), &image, &[]);
    let sf = score_json("silentface", &image, &[])["live_probability"].as_f64().unwrap();
    let mf = score_json("minifas128", &image, &[])["live_probability"].as_f64().unwrap();
    let want = sigmoid(b + w[0] * logit(sf) + w[1] * logit(mf));
    let live = got["live_probability"].as_f64().unwrap();
    assert!((live - want).abs() < 1e-9, "fused {live} against the formula's {want}");
    assert_eq!(got["models"]["silentface"]["live_probability"].as_f64(), Some(sf));
    assert_eq!(got["models"]["minifas128"]["live_probability"].as_f64(), Some(mf));

    // By name, from a config folder the catalog reads.
    let config = dir.path().join("config");
    std::fs::create_dir_all(config.join("models")).unwrap();
    std::fs::copy(&fused, config.join("models/nuaa-fused.toml")).unwrap();
    let by_name = score_json("nuaa-fused", &image, &["--config-dir", config.to_str().unwrap()]);
    assert_eq!(by_name["live_probability"], got["live_probability"]);

    // `serve --model` answers the same.
    let models = shared("models").unwrap();
    let server = common::serve::Server::start(&["--model", fused.to_str().unwrap()], &models);
    let (status, served) = server.post("/v1/liveness", "image/jpeg", &std::fs::read(&image).unwrap(), None);
    assert_eq!(status, 200, "{served}");
    assert_eq!(served["live_probability"], got["live_probability"]);
}

#[test]
fn eval_with_the_fused_model_writes_its_score_and_each_member_column() {
    let Some((dir, run)) = run() else { return };
    let fused = dir.path().join("fused-eval.toml");
    fit(run, &fused, &["--where", "subject=0005..0009"]).success();
    let (b, w) = rule(&fused);
    let out = dir.path().join("fused-run");
    let data = dir.path().join("nuaa");
    liveness().arg("eval").arg(&data).arg("--model").arg(&fused).arg("--out").arg(&out).assert().success();
    let cols = ["score", "nuaa-fused_score", "silentface_score", "minifas128_score"];
    let fused_rows = rows(&out.join("scores.csv"), &cols);
    let member_rows = rows(&run.join("scores.csv"), &["silentface_score", "minifas128_score"]);
    assert_eq!(fused_rows.len(), member_rows.len());
    for ((_, _, f), (_, _, m)) in fused_rows.iter().zip(&member_rows) {
        assert_eq!((f[2], f[3]), (m[0], m[1]), "member columns differ from the members' own run");
        let want = sigmoid(b + w[0] * logit(m[0]) + w[1] * logit(m[1]));
        assert!((f[0] - want).abs() < 1e-9 && f[0] == f[1], "{f:?} against {want}");
    }
}

#[test]
fn separated_dev_sets_unknown_members_and_tiny_classes_are_refused_with_the_reason() {
    let Some((dir, run)) = run() else { return };
    let out = dir.path().join("refused.toml");
    let err = |a: assert_cmd::assert::Assert| String::from_utf8_lossy(&a.failure().get_output().stderr).into_owned();
    // Subjects 0001-0004 of this subset are perfectly separated: no maximum-likelihood weights exist.
    let e = err(fit(run, &out, &["--where", "subject=0001..0004"]));
    assert!(e.contains("perfectly separated") && e.contains("--method mean"), "{e}");
    let e = err(liveness()
        .arg("fuse")
        .arg("--dev")
        .arg(run)
        .args(["--models", "silentface,minifas128-int8", "--name", "x", "--out"])
        .arg(&out)
        .assert());
    assert!(e.contains("minifas128-int8") && e.contains("silentface, minifas128"), "{e}");
    let e = err(fit(run, &out, &["--where", "pos=01", "--method", "mean"]));
    assert!(e.contains("at least 10") && e.contains("bona fide"), "{e}");
    assert!(!out.exists());
    // mean and max need no fit and give the mean and the largest member probability.
    let mean = dir.path().join("mean.toml");
    fit(run, &mean, &["--where", "subject=0001..0004", "--method", "mean"]).success();
    let t: toml::Value = toml::from_str(&std::fs::read_to_string(&mean).unwrap()).unwrap();
    assert!(t["fusion"].get("bias").is_none() && t["fusion"]["method"].as_str() == Some("mean"), "{t}");
}

#[test]
fn the_comparison_counts_each_models_errors_at_its_threshold_and_is_written_as_markdown_and_json() {
    let Some((dir, run)) = run() else { return };
    let fused = dir.path().join("fused-compare.toml");
    let (md, json) = (dir.path().join("fusion.md"), dir.path().join("fusion.json"));
    let mut extra = vec!["--where", "subject=0005..0009", "--compare-on", "subject=0001..0004", "--resamples", "200"];
    extra.extend(["--report", md.to_str().unwrap(), "--json", json.to_str().unwrap()]);
    fit(run, &fused, &extra).success();
    let (b, w) = rule(&fused);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["compared_on"], "subject=0001..0004");
    let c = &doc["comparison"];
    let t_fused = c["fused_threshold"].as_f64().unwrap();

    // Brute force from the rows: a model errs when (score >= its threshold) differs from the label.
    let eval: Vec<_> = rows(&run.join("scores.csv"), &["silentface_score", "minifas128_score"])
        .into_iter()
        .filter(|(_, s, _)| s.as_str() <= "0004")
        .collect();
    assert_eq!(c["presentations"].as_u64(), Some(eval.len() as u64));
    for (i, m) in c["members"].as_array().unwrap().iter().enumerate() {
        let t = m["member_threshold"].as_f64().unwrap();
        for d in m["decisions"].as_array().unwrap() {
            let keep = |live: bool| match d["class"].as_str().unwrap() {
                "bona fide" => live,
                "attack" => !live,
                _ => true,
            };
            let (mut n, mut fe, mut me, mut worse, mut better) = (0, 0, 0, 0, 0);
            for (live, _, p) in eval.iter().filter(|r| keep(r.0)) {
                let f = sigmoid(b + w[0] * logit(p[0]) + w[1] * logit(p[1]));
                let (f_wrong, m_wrong) = ((f >= t_fused) != *live, (p[i] >= t) != *live);
                n += 1;
                fe += u64::from(f_wrong);
                me += u64::from(m_wrong);
                worse += u64::from(f_wrong && !m_wrong);
                better += u64::from(m_wrong && !f_wrong);
            }
            let got: Vec<u64> =
                ["n", "a_errors", "b_errors", "worse", "better"].map(|k| d[k].as_u64().unwrap()).to_vec();
            assert_eq!(got, vec![n, fe, me, worse, better], "{} {}", m["member"], d["class"]);
        }
        assert!(m["bootstrap"]["auc"]["resamples"].as_u64().unwrap() > 0, "{m}");
    }
    let page = std::fs::read_to_string(&md).unwrap();
    assert!(page.contains("### nuaa-fused vs silentface") && page.contains("### nuaa-fused vs minifas128"), "{page}");
    assert!(page.contains("| class | n | errors nuaa-fused | errors silentface |"), "{page}");
}
