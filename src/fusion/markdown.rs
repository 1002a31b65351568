//! The fusion report (`liveness fuse --report FILE.md`): the fitted rule, its dev split, and with
//! `--compare-on` the fusion against each member. A stand-alone Markdown page, because a fusion has no run
//! folder: it is a descriptor plus the evidence that it is worth using. Every name and filter in it is
//! user text and goes through [`crate::escape::markdown`].

use std::fmt::Write as _;

use super::compare::{Comparison, VersusMember};
use crate::escape::markdown as md;
use crate::metrics::format::p_value;
use crate::metrics::paired::Difference;
use crate::model::fusion::Fusion;

/// The whole page. `descriptor` is where the fused descriptor was written, `on` the `--compare-on` filter.
pub fn render(name: &str, descriptor: &str, fusion: &Fusion, comparison: Option<(&Comparison, &str)>) -> String {
    let mut s = format!("# Fusion {}\n\n", md(name));
    let members: Vec<String> = fusion.models.iter().map(|m| md(&m.name)).collect();
    let _ = writeln!(s, "- Members: {}; method {}.", members.join(", "), fusion.method.as_str());
    let _ = writeln!(s, "- Rule: {}.", rule(fusion));
    let dev = &fusion.dev;
    let split = match &dev.filter {
        Some(f) => format!("{} where {}", md(&dev.scores), md(f)),
        None => md(&dev.scores),
    };
    let _ = writeln!(
        s,
        "- Fitted on {split}: {} scored presentations ({} bona fide, {} attacks; {} non-responses of every \
         member left out), dev log-loss {:.6} nats per presentation.",
        dev.scored, dev.bona_fide, dev.attacks, dev.non_responses, dev.log_loss
    );
    let _ = writeln!(s, "- Descriptor: {} (use it as --model {}).", md(descriptor), md(name));
    match comparison {
        Some((c, on)) => compared(&mut s, name, c, on),
        None => s += "\nNo comparison: pass `--compare-on` with a split disjoint from the dev split.\n",
    }
    s
}

fn rule(fusion: &Fusion) -> String {
    match fusion.bias {
        Some(b) => {
            let terms: Vec<String> = fusion
                .models
                .iter()
                .map(|m| format!("{:.6} · logit({})", m.weight.unwrap_or(f64::NAN), md(&m.name)))
                .collect();
            format!("P(live) = sigmoid({b:.6} + {})", terms.join(" + "))
        }
        None => format!("P(live) = the {} of the members' live probabilities", fusion.method.as_str()),
    }
}

fn pct(v: f64) -> String {
    format!("{:.2}%", 100.0 * v)
}

fn compared(s: &mut String, name: &str, c: &Comparison, on: &str) {
    let name = md(name);
    let _ = writeln!(
        s,
        "\n## Against each member on {} ({} presentations scored by every member)\n\nEach model decides at \
         its own threshold, chosen on the dev split at {} ({name}: {:.6}). Decisions: McNemar's exact \
         test, with the change of the error rate and its 95% interval. Figures: a paired bootstrap over \
         subjects, or presentations without a subject column (both models on the same resample).",
        md(on),
        c.presentations,
        md(&c.target),
        c.fused_threshold
    );
    for m in &c.members {
        versus(s, &name, m);
    }
}

fn versus(s: &mut String, name: &str, m: &VersusMember) {
    let member = md(&m.member);
    let _ = writeln!(s, "\n### {name} vs {member} (threshold {:.6})\n", m.member_threshold);
    let _ = writeln!(s, "| class | n | errors {name} | errors {member} | worse | better | McNemar p | change [95%] |");
    s.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for d in &m.decisions {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} [{}, {}] |",
            d.class,
            d.n,
            d.a_errors,
            d.b_errors,
            d.worse,
            d.better,
            p_value(d.p_value),
            pct(d.change),
            pct(d.change_ci95.0),
            pct(d.change_ci95.1)
        );
    }
    let Some(b) = &m.bootstrap else {
        s.push_str("\nNo presentations: no bootstrap of the figures.\n");
        return;
    };
    let _ = writeln!(s, "\n| figure | {name} | {member} | difference | bootstrap median [95%] | resamples |");
    s.push_str("| --- | ---: | ---: | ---: | --- | ---: |\n");
    for (figure, d) in [("AUC", &b.auc), ("EER", &b.eer), ("BPCER", &b.bpcer), ("APCER_max", &b.apcer_max)] {
        let _ = writeln!(s, "{}", figure_row(figure, d.as_ref()));
    }
    let _ = writeln!(s, "\n{} {}s resampled.", b.subjects, b.unit);
}

fn figure_row(figure: &str, d: Option<&Difference>) -> String {
    match d {
        Some(d) => format!(
            "| {figure} | {:.4} | {:.4} | {:+.4} | {:+.4} [{:+.4}, {:+.4}] | {} |",
            d.a, d.b, d.difference, d.median, d.lower, d.upper, d.resamples
        ),
        None => format!("| {figure} | — | — | not defined on this split | | |"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::paired::{Decisions, PairedDifferences};
    use crate::model::fusion::{FusionDev, FusionMethod, FusionModel};

    fn fusion() -> Fusion {
        let model = |name: &str, w: f64| FusionModel {
            name: name.into(),
            members: vec![name.into()],
            sha256: vec!["00".into()],
            weight: Some(w),
        };
        Fusion {
            method: FusionMethod::Logistic,
            bias: Some(1.5),
            models: vec![model("a|b", 2.0), model("<img>", 0.5)],
            dev: FusionDev {
                scores: "dev/scores.csv".into(),
                filter: Some("subject=1..4".into()),
                fingerprint: "f".into(),
                scored: 10,
                bona_fide: 6,
                attacks: 4,
                non_responses: 1,
                log_loss: 0.25,
                date: "2026-12-03".into(),
                tool: "liveness".into(),
            },
        }
    }

    #[test]
    fn the_page_gives_the_rule_the_split_and_each_members_tables_with_names_escaped() {
        let d = Decisions {
            class: "attack".into(),
            n: 4,
            a_errors: 0,
            b_errors: 3,
            worse: 0,
            better: 3,
            p_value: 0.25,
            change: -0.75,
            change_ci95: (-1.0, -0.25),
        };
        let diff = Difference { a: 1.0, b: 0.9, difference: 0.1, median: 0.1, lower: 0.0, upper: 0.2, resamples: 99 };
        let c = Comparison {
            target: "eer".into(),
            fused_threshold: 0.5,
            presentations: 4,
            members: vec![VersusMember {
                member: "a|b".into(),
                member_threshold: 0.25,
                decisions: vec![d],
                bootstrap: Some(PairedDifferences {
                    unit: "subject".into(),
                    subjects: 3,
                    auc: Some(diff),
                    eer: None,
                    bpcer: None,
                    apcer_max: None,
                }),
            }],
        };
        let page = render("f|x", "configs/models/f.toml", &fusion(), Some((&c, "subject=5..9")));
        assert!(
            page.contains("P(live) = sigmoid(1.500000 + 2.000000 · logit(a\\|b) + 0.500000 · logit(&lt;img&gt;))"),
            "{page}"
        );
        assert!(page.contains("10 scored presentations (6 bona fide, 4 attacks; 1 non-responses"), "{page}");
        assert!(page.contains("| attack | 4 | 0 | 3 | 0 | 3 | 0.2500 | -75.00% [-100.00%, -25.00%] |"), "{page}");
        assert!(page.contains("| AUC | 1.0000 | 0.9000 | +0.1000 | +0.1000 [+0.0000, +0.2000] | 99 |"), "{page}");
        assert!(page.contains("| EER | — | — | not defined on this split | | |"), "{page}");
        assert!(!page.contains("a|b") && !page.contains("<img>"), "{page}");
    }
}
