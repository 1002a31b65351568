//! report.md: the same content as index.html in GitHub-flavoured Markdown, for pull requests and
//! issues, where inline SVG and data URIs do not render: charts and thumbnails are linked as files.

use std::fmt::Write;

use super::document::Block;

pub use crate::escape::markdown as escape;

pub fn render(title: &str, blocks: &[Block]) -> String {
    let mut m = format!("# {}\n\n", escape(title));
    for block in blocks {
        match block {
            Block::Heading(t) => {
                let _ = writeln!(m, "## {}\n", escape(t));
            }
            Block::Text(t) => {
                let _ = writeln!(m, "{}\n", escape(t));
            }
            Block::Verdict(t) => {
                let _ = writeln!(m, "> **{}**\n", escape(t));
            }
            Block::Code(t) => {
                // A lone CR ends a line in CommonMark, so control characters are written as escapes;
                // the fence is longer than any run of backticks inside, so nothing can close it early.
                let t = crate::escape::terminal_lines(t);
                let longest = t.split(|c| c != '`').map(str::len).max().unwrap_or(0);
                let fence = "`".repeat(longest.max(2) + 1);
                let _ = writeln!(m, "{fence}\n{t}\n{fence}\n");
            }
            Block::Table { header, rows } => {
                let cells =
                    |r: &[String]| format!("| {} |", r.iter().map(|c| escape(c)).collect::<Vec<_>>().join(" | "));
                let _ = writeln!(m, "{}\n|{}", cells(header), " --- |".repeat(header.len()));
                for r in rows {
                    let _ = writeln!(m, "{}", cells(r));
                }
                m.push('\n');
            }
            Block::Chart(c) => {
                let _ = writeln!(m, "![{}](charts/{}.png)\n", escape(&c.title), c.stem);
            }
            Block::Gallery { title, cases } => {
                let _ = writeln!(m, "### {}\n", escape(title));
                if cases.is_empty() {
                    m.push_str("None.\n\n");
                    continue;
                }
                m.push_str("| face | score | class | path | metadata |\n| --- | --- | --- | --- | --- |\n");
                for c in cases {
                    let face = match (&c.thumbnail_file, &c.thumbnail) {
                        (Some(f), _) => format!("![face crop]({f})"),
                        (None, Err(why)) => format!("no thumbnail: {}", escape(why)),
                        (None, Ok(_)) => String::new(),
                    };
                    let class = if c.species.is_empty() { "bona fide".to_owned() } else { escape(&c.species) };
                    let meta = c
                        .meta
                        .iter()
                        .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let _ = writeln!(m, "| {face} | {:.4} | {class} | {} | {meta} |", c.score, escape(&c.id));
                }
                m.push('\n');
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_text_are_escaped_and_charts_linked() {
        let chart = crate::report::charts::Rendered { stem: "det".into(), title: "DET".into(), svg: String::new() };
        let md = render(
            "r",
            &[
                Block::Table {
                    header: vec!["a".into(), "b".into()],
                    rows: vec![vec!["x|y".into(), "<script>".into()]],
                },
                Block::Chart(chart),
            ],
        );
        assert!(md.contains("| a | b |\n| --- | --- |\n| x\\|y | &lt;script&gt; |"), "{md}");
        assert!(md.contains("![DET](charts/det.png)"));
        assert_eq!(escape("a_b*c"), "a\\_b\\*c");
    }
}
