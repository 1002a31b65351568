//! index.html: one self-contained page (inline SVG charts, inline CSS, thumbnails as data URIs), so it
//! can be mailed, attached to a ticket or opened offline; no script, no network access.
//!
//! Every piece of text from the run (paths, species, metadata, command lines) is escaped: file names
//! come from datasets, and a file called `<script>.jpg` must show as text, not run.

use std::fmt::Write;

use base64::Engine;

use super::document::Block;

const CSS: &str = "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}\
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:4px}\
.verdict{font-size:1.15em;background:#f4f7fb;border-left:5px solid #0072b2;padding:12px 16px}\
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top;font-size:.92em}\
th{background:#f3f3f3}figure{margin:16px 0}figure svg{width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#555;font-size:.9em}.gallery{display:flex;flex-wrap:wrap;gap:10px}\
.case{width:170px;border:1px solid #ddd;padding:6px;font-size:.78em;word-break:break-all}.case img{display:block;margin:0 auto 4px}\
.missing{color:#a00}pre{background:#f6f6f6;padding:8px;white-space:pre-wrap;word-break:break-all}";

pub use crate::escape::html as escape;

/// Renders the page.
pub fn render(title: &str, blocks: &[Block]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    for block in blocks {
        match block {
            Block::Heading(t) => {
                let _ = writeln!(h, "<h2>{}</h2>", escape(t));
            }
            Block::Text(t) => {
                let _ = writeln!(h, "<p>{}</p>", escape(t));
            }
            Block::Verdict(t) => {
                let _ = writeln!(h, "<p class=\"verdict\">{}</p>", escape(t));
            }
            Block::Code(t) => {
                let _ = writeln!(h, "<pre>{}</pre>", escape(t));
            }
            Block::Table { header, rows } => table(&mut h, header, rows),
            Block::Chart(c) => {
                // The SVG comes from plotters, which escapes the text it draws.
                let _ = writeln!(
                    h,
                    "<figure>{}<figcaption>{} (<a href=\"charts/{}.png\">PNG</a>, <a href=\"charts/{}.svg\">SVG</a>)</figcaption></figure>",
                    strip_prolog(&c.svg),
                    escape(&c.title),
                    c.stem,
                    c.stem
                );
            }
            Block::Gallery { title, cases } => {
                let _ = writeln!(h, "<h3>{}</h3>", escape(title));
                if cases.is_empty() {
                    h.push_str("<p>None.</p>\n");
                    continue;
                }
                h.push_str("<div class=\"gallery\">\n");
                for c in cases {
                    h.push_str("<div class=\"case\">");
                    match &c.thumbnail {
                        Ok(jpeg) => {
                            let _ = write!(
                                h,
                                "<img alt=\"face crop\" src=\"data:image/jpeg;base64,{}\">",
                                base64::engine::general_purpose::STANDARD.encode(jpeg)
                            );
                        }
                        Err(why) => {
                            let _ = write!(h, "<div class=\"missing\">no thumbnail: {}</div>", escape(why));
                        }
                    }
                    let species = if c.species.is_empty() { "bona fide".to_owned() } else { c.species.clone() };
                    let _ = write!(h, "<b>score {:.4}</b> {}<br>{}", c.score, escape(&species), escape(&c.id));
                    for (k, v) in &c.meta {
                        let _ = write!(h, "<br>{}={}", escape(k), escape(v));
                    }
                    h.push_str("</div>\n");
                }
                h.push_str("</div>\n");
            }
        }
    }
    h.push_str("</body></html>\n");
    h
}

fn table(h: &mut String, header: &[String], rows: &[Vec<String>]) {
    h.push_str("<table>");
    if header.iter().any(|c| !c.is_empty()) {
        h.push_str("<tr>");
        for c in header {
            let _ = write!(h, "<th>{}</th>", escape(c));
        }
        h.push_str("</tr>");
    }
    for row in rows {
        h.push_str("<tr>");
        for c in row {
            let _ = write!(h, "<td>{}</td>", escape(c));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>\n");
}

/// The SVG element alone: an XML prolog is not allowed inside HTML.
fn strip_prolog(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |i| &svg[i..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_from_the_run_is_escaped() {
        assert_eq!(escape("<script>&'\""), "&lt;script&gt;&amp;&#39;&quot;");
        let blocks = vec![
            Block::Heading("<h>".into()),
            Block::Table { header: vec!["a&b".into()], rows: vec![vec!["<script>alert(1)</script>".into()]] },
            Block::Code("rm -rf <x>".into()),
        ];
        let page = render("t<", &blocks);
        assert!(!page.contains("<script>") && !page.contains("<h>") && !page.contains("<x>"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)")
                && page.contains("a&amp;b")
                && page.contains("<title>t&lt;</title>")
        );
        assert_eq!(strip_prolog("<?xml version=\"1.0\"?>\n<svg a>"), "<svg a>");
    }
}
