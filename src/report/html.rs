//! index.html: one self-contained page (inline SVG charts, inline CSS, thumbnails as data URIs), so it
//! can be mailed, attached to a ticket or opened offline; no script, no network access.
//!
//! Every piece of text from the run (paths, species, metadata, command lines) is escaped: file names
//! come from datasets, and a file called `<script>.jpg` must show as text, not run.

use base64::Engine;
use maud::{DOCTYPE, Markup, PreEscaped, Render, html};

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

/// Text from the run, escaped by [`escape`] (which, unlike maud's own escaper, also escapes `'`, so the
/// page is the same byte for byte as before maud). Anything spliced without it is still escaped, by
/// maud; only the CSS and plotters' SVG go in as [`PreEscaped`].
struct Text<'a>(&'a str);

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str(&escape(self.0));
    }
}

/// Renders the page.
pub fn render(title: &str, blocks: &[Block]) -> String {
    html! {
        (DOCTYPE) "\n"
        html lang="en" {
            head { meta charset="utf-8"; title { (Text(title)) } style { (PreEscaped(CSS)) } }
            body {
                "\n" h1 { (Text(title)) } "\n"
                @for block in blocks { (block_markup(block)) }
            }
        }
        "\n"
    }
    .into_string()
}

/// One block and the newline after it.
fn block_markup(block: &Block) -> Markup {
    html! {
        @match block {
            Block::Heading(t) => { h2 { (Text(t)) } }
            Block::Text(t) => { p { (Text(t)) } }
            Block::Verdict(t) => { p class="verdict" { (Text(t)) } }
            Block::Code(t) => { pre { (Text(t)) } }
            Block::Table { header, rows } => { (table(header, rows)) }
            Block::Chart(c) => {
                // The SVG comes from plotters, which escapes the text it draws.
                figure {
                    (PreEscaped(strip_prolog(&c.svg)))
                    figcaption {
                        (Text(&c.title)) " (" a href={ "charts/" (c.stem) ".png" } { "PNG" } ", "
                        a href={ "charts/" (c.stem) ".svg" } { "SVG" } ")"
                    }
                }
            }
            Block::Gallery { title, cases } => { h3 { (Text(title)) } "\n" (gallery(cases)) }
        }
        "\n"
    }
}

fn gallery(cases: &[super::gallery::Case]) -> Markup {
    html! {
        @if cases.is_empty() {
            p { "None." }
        } @else {
            div class="gallery" {
                "\n"
                @for c in cases { (case(c)) "\n" }
            }
        }
    }
}

fn case(c: &super::gallery::Case) -> Markup {
    let species = if c.species.is_empty() { "bona fide" } else { c.species.as_str() };
    html! {
        div class="case" {
            @match &c.thumbnail {
                Ok(jpeg) => {
                    img alt="face crop" src={ "data:image/jpeg;base64," (base64::engine::general_purpose::STANDARD.encode(jpeg)) };
                }
                Err(why) => { div class="missing" { "no thumbnail: " (Text(why)) } }
            }
            b { "score " (format!("{:.4}", c.score)) } " " (Text(species)) br; (Text(&c.id))
            @for (k, v) in &c.meta { br; (Text(k)) "=" (Text(v)) }
        }
    }
}

fn table(header: &[String], rows: &[Vec<String>]) -> Markup {
    html! {
        table {
            @if header.iter().any(|c| !c.is_empty()) {
                tr { @for c in header { th { (Text(c)) } } }
            }
            @for row in rows {
                tr { @for c in row { td { (Text(c)) } } }
            }
        }
    }
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
