//! Gate results for people (an aligned table), for CI test reports (JUnit XML: one test case per
//! criterion, so a failed criterion shows up by name in the CI's test view) and for CI job summaries
//! (Markdown).

use std::fmt::Write as _;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::{CriterionResult, GateVerdict};

/// Counts of passed, failed and skipped criteria.
fn tally(outcomes: &[CriterionResult]) -> (usize, usize, usize) {
    let n = |v: GateVerdict| outcomes.iter().filter(|o| o.verdict == v).count();
    (n(GateVerdict::Pass), n(GateVerdict::Fail), n(GateVerdict::Skipped))
}

/// `name` is shown as the caller escaped it for its format.
fn headline(name: &str, outcomes: &[CriterionResult]) -> String {
    let (pass, fail, skipped) = tally(outcomes);
    let result = if fail == 0 { "PASSED" } else { "FAILED" };
    format!("gate {name}: {result} ({pass} passed, {fail} failed, {skipped} skipped)")
}

/// An aligned text table, then the headline. Cells are [`terminal`]-escaped (species and gate names come
/// from users), so a newline in a name cannot add a row nor fake the headline.
pub fn table(name: &str, outcomes: &[CriterionResult]) -> String {
    let cells: Vec<[String; 3]> =
        outcomes.iter().map(|o| [&o.criterion, &o.limit, &o.measured].map(|c| terminal(c))).collect();
    let width = |k: usize, title: &str| cells.iter().map(|c| c[k].chars().count()).chain([title.len()]).max();
    let (wc, wl, wm) = (width(0, "CRITERION"), width(1, "LIMIT"), width(2, "MEASURED"));
    let (wc, wl, wm) = (wc.unwrap_or(0), wl.unwrap_or(0), wm.unwrap_or(0));
    let mut s = format!("{:<wc$}  {:<wl$}  {:<wm$}  RESULT\n", "CRITERION", "LIMIT", "MEASURED");
    for (o, [criterion, limit, measured]) in outcomes.iter().zip(&cells) {
        let reason = o.reason.as_deref().map(|r| format!("  ({})", terminal(r))).unwrap_or_default();
        let _ = writeln!(s, "{criterion:<wc$}  {limit:<wl$}  {measured:<wm$}  {}{reason}", o.verdict.as_str());
    }
    s + &headline(&terminal(name), outcomes)
}

/// JUnit XML: suite `liveness gate <name>`, one test case per criterion. quick-xml writes the document
/// (nesting, indentation, attribute escaping, which also keeps tabs and newlines through attribute-value
/// normalization); [`xml_chars`] first replaces what XML 1.0 cannot carry at all.
pub fn junit(name: &str, outcomes: &[CriterionResult]) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    match write_junit(&mut w, &xml_chars(name), outcomes) {
        // quick-xml writes UTF-8 from UTF-8 text.
        Ok(()) => String::from_utf8_lossy(&w.into_inner()).into_owned() + "\n",
        // A Vec does not fail to grow short of running out of memory, which aborts before this.
        Err(e) => format!("<!-- {e} -->\n"),
    }
}

fn write_junit(w: &mut Writer<Vec<u8>>, name: &str, outcomes: &[CriterionResult]) -> std::io::Result<()> {
    let (_, fail, skipped) = tally(outcomes);
    let (tests, fail, skipped) = (outcomes.len().to_string(), fail.to_string(), skipped.to_string());
    let counts = [("tests", tests.as_str()), ("failures", fail.as_str()), ("skipped", skipped.as_str())];
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let suites = BytesStart::new("testsuites").with_attributes([("name", "liveness gate")].into_iter().chain(counts));
    w.write_event(Event::Start(suites))?;
    let suite_name = format!("liveness gate {name}");
    let suite = BytesStart::new("testsuite")
        .with_attributes([("name", suite_name.as_str())].into_iter().chain(counts).chain([("errors", "0")]));
    w.write_event(Event::Start(suite))?;
    let class = format!("liveness.gate.{name}");
    for o in outcomes {
        let test = xml_chars(&format!("{} {}", o.criterion, o.limit)).into_owned();
        w.write_event(Event::Start(
            BytesStart::new("testcase").with_attributes([("classname", &*class), ("name", &*test)]),
        ))?;
        let reason = xml_chars(o.reason.as_deref().unwrap_or("")).into_owned();
        match o.verdict {
            GateVerdict::Pass => text_element(w, BytesStart::new("system-out"), &o.measured)?,
            GateVerdict::Fail => text_element(
                w,
                BytesStart::new("failure").with_attributes([("message", &*reason)]),
                &format!("measured {}", o.measured),
            )?,
            GateVerdict::Skipped => {
                w.write_event(Event::Empty(BytesStart::new("skipped").with_attributes([("message", &*reason)])))?
            }
        }
        w.write_event(Event::End(BytesEnd::new("testcase")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    w.write_event(Event::End(BytesEnd::new("testsuites")))
}

/// `<start>text</start>` on one line.
fn text_element(w: &mut Writer<Vec<u8>>, start: BytesStart, text: &str) -> std::io::Result<()> {
    let end = start.to_end().into_owned();
    w.write_event(Event::Start(start))?;
    w.write_event(Event::Text(BytesText::from_escaped(xml(text))))?;
    w.write_event(Event::End(end))
}

/// A Markdown summary: headline, context lines, then the table.
pub fn markdown(name: &str, context: &[String], outcomes: &[CriterionResult]) -> String {
    let mut s = format!("### {}\n\n", headline(&md(name), outcomes));
    for line in context {
        let _ = writeln!(s, "- {}", md(line));
    }
    s += "\n| criterion | limit | measured | result |\n| --- | --- | --- | --- |\n";
    for o in outcomes {
        let result = match (o.verdict, &o.reason) {
            (GateVerdict::Pass, _) => "✅ pass".to_owned(),
            (v, Some(r)) => format!("{} {}: {}", if v == GateVerdict::Fail { "❌" } else { "⏭️" }, v.as_str(), md(r)),
            (v, None) => v.as_str().to_owned(),
        };
        let _ = writeln!(s, "| {} | {} | {} | {result} |", md(&o.criterion), md(&o.limit), md(&o.measured));
    }
    s
}

use crate::escape::{markdown as md, terminal, xml, xml_chars};

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes() -> Vec<CriterionResult> {
        let o = |criterion: &str, verdict, reason: Option<&str>| CriterionResult {
            criterion: criterion.into(),
            limit: "<= 5.00%".into(),
            measured: "7.00% (7/100) [2.86-13.89%]".into(),
            verdict,
            reason: reason.map(Into::into),
        };
        vec![
            o("bpcer", GateVerdict::Pass, None),
            o("apcer[print]", GateVerdict::Fail, Some("value 7.00% is outside <= 5.00%")),
            o("apcer[mask]", GateVerdict::Skipped, Some("no presentations of species \"mask\"")),
        ]
    }

    #[test]
    fn junit_has_one_case_per_criterion_with_escaped_text() {
        let x = junit("a&b", &outcomes());
        assert!(
            x.contains("<testsuite name=\"liveness gate a&amp;b\" tests=\"3\" failures=\"1\" skipped=\"1\""),
            "{x}"
        );
        assert_eq!(x.matches("<testcase ").count(), 3);
        assert!(x.contains("name=\"apcer[print] &lt;= 5.00%\""), "{x}");
        assert!(x.contains("<failure message=\"value 7.00% is outside &lt;= 5.00%\">"), "{x}");
        assert!(x.contains("<skipped message=\"no presentations of species &quot;mask&quot;\"/>"), "{x}");
        // A hostile name: markup, a quote and control characters XML 1.0 cannot carry at all.
        let x = junit("x\"/><evil a='1'>\u{1}\u{1b}[31m", &outcomes());
        assert!(
            x.contains("name=\"liveness gate x&quot;/&gt;&lt;evil a=&apos;1&apos;&gt;\u{FFFD}\u{FFFD}[31m\""),
            "{x}"
        );
        assert!(!x.chars().any(|c| c.is_control() && c != '\n'), "{x}");
    }

    #[test]
    fn table_and_markdown_state_the_result() {
        let t = table("g", &outcomes());
        assert!(t.ends_with("gate g: FAILED (1 passed, 1 failed, 1 skipped)"), "{t}");
        assert!(t.lines().nth(2).unwrap().contains("FAIL  (value 7.00%"), "{t}");
        let m = markdown("g", &["threshold 0.5".into()], &outcomes()[..1]);
        assert!(m.starts_with("### gate g: PASSED (1 passed, 0 failed, 0 skipped)\n\n- threshold 0.5\n"), "{m}");
        let hostile = markdown("g", &["[x](javascript:alert(1)) <b>\n| row"].map(String::from), &outcomes()[1..2]);
        assert!(hostile.contains("- \\[x\\](javascript:alert(1)) &lt;b&gt; \\| row\n"), "{hostile}");
        assert!(hostile.contains("| apcer\\[print\\] | &lt;= 5.00% |"), "{hostile}");
        // Escaped as the report escapes Markdown: it renders as `| bpcer | <= 5.00% | 7.00% (7/100) [...] |`.
        assert!(m.contains("| bpcer | &lt;= 5.00% | 7.00% (7/100) \\[2.86-13.89%\\] | ✅ pass |"), "{m}");
    }
}
