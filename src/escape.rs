//! Text that the tool writes into HTML, Markdown, XML and the terminal, made safe for hostile names.
//!
//! File names, species, subjects and gate names come from users and datasets, so they may hold markup,
//! quotes, newlines or control characters. Each output format has one escaper here, and every writer
//! goes through it: a name can never open a tag, a link, a table row or an attribute, nor move the
//! terminal's cursor.

/// HTML element content and attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Markdown shown literally, including inside table cells (a newline becomes a space).
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// XML 1.0 attribute or element text. XML 1.0 cannot carry control characters other than tab, newline
/// and carriage return even as references, so a name holding one would make the whole document
/// unreadable to a CI: they become U+FFFD, and the markup characters are escaped.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A name for the terminal: control characters (escape sequences, carriage returns, newlines) are
/// written as Rust escapes (`\u{1b}`, `\n`), so a file name cannot rewrite or fake earlier lines.
pub fn terminal(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_neutralises_a_hostile_name() {
        let evil = "a\"/><script>x</script>|[l](j:x)\n\u{1b}[31m'&";
        assert_eq!(html(evil), "a&quot;/&gt;&lt;script&gt;x&lt;/script&gt;|[l](j:x)\n\u{1b}[31m&#39;&amp;");
        assert_eq!(markdown(evil), "a\"/&gt;&lt;script&gt;x&lt;/script&gt;\\|\\[l\\](j:x) \u{1b}\\[31m'&amp;");
        assert_eq!(xml(evil), "a&quot;/&gt;&lt;script&gt;x&lt;/script&gt;|[l](j:x)\n\u{FFFD}[31m&apos;&amp;");
        assert_eq!(terminal(evil), "a\"/><script>x</script>|[l](j:x)\\n\\u{1b}[31m'&");
        assert_eq!(terminal("plain ü"), "plain ü");
    }
}
