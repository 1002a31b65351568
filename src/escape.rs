//! Text that the tool writes into HTML, Markdown, XML and the terminal, made safe for hostile names.
//!
//! File names, species, subjects and gate names come from users and datasets, so they may hold markup,
//! quotes, newlines or control characters. Each output format has one escaper here, and every writer
//! goes through it: a name can never open a tag, a link, a table row or an attribute, nor move the
//! terminal's cursor. CSV cells are the one format read back as well as written: [`csv`] and
//! [`csv_unescape`] are inverse, so ids survive the round trip through `scores.csv`.

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

/// Markdown shown literally, including inside table cells: a newline or carriage return becomes a
/// space (so a name cannot start a heading or a row), other control characters are written as escapes.
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
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Text XML 1.0 can carry. Control characters other than tab, newline and carriage return cannot be
/// written even as references, so a name holding one would make the whole document unreadable to a CI:
/// they (and U+FFFE, U+FFFF) become U+FFFD. Markup is the XML writer's to escape (quick-xml's).
pub fn xml_chars(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| !matches!(c, '\t' | '\n' | '\r') && (c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}'));
    if s.chars().any(bad) {
        std::borrow::Cow::Owned(s.chars().map(|c| if bad(c) { '\u{FFFD}' } else { c }).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// XML 1.0 element text: [`xml_chars`], then markup escaped by quick-xml (`&lt;`, `&gt;`, `&amp;`,
/// `&apos;`, `&quot;`, and a carriage return as `&#13;` so that end-of-line normalization keeps it).
pub fn xml(s: &str) -> String {
    quick_xml::escape::escape(xml_chars(s)).into_owned()
}

/// A name for the terminal: control characters (escape sequences, carriage returns, newlines, C1
/// controls) and bidirectional overrides are written as Rust escapes (`\u{1b}`, `\n`), so a file name
/// cannot rewrite, reorder or fake earlier lines.
pub fn terminal(s: &str) -> String {
    escape_where(s, |_| true)
}

/// The tool's own multi-line text with names in it, as printed: every character [`terminal`] escapes
/// but newline and tab. The sink of every human output ([`say!`], [`tell!`]),
/// so a name nobody escaped can still not colour the terminal, ring its bell or overwrite a line.
pub fn terminal_lines(s: &str) -> String {
    escape_where(s, |c| !matches!(c, '\n' | '\t'))
}

fn escape_where(s: &str, escaped: impl Fn(char) -> bool) -> String {
    let hostile = |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if hostile(c) && escaped(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `println!` for people: the text goes through [`terminal_lines`].
macro_rules! say {
    ($($arg:tt)*) => { println!("{}", $crate::escape::terminal_lines(&format!($($arg)*))) };
}
pub(crate) use say;

/// `eprintln!` for people (warnings, notes, errors): the text goes through [`terminal_lines`].
macro_rules! tell {
    ($($arg:tt)*) => { eprintln!("{}", $crate::escape::terminal_lines(&format!($($arg)*))) };
}
pub(crate) use tell;

/// First characters a spreadsheet takes as the start of a formula (OWASP, "CSV Injection").
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell of a CSV the tool writes (a file name, an attack type, a metadata value or column name, a
/// reason). A cell that starts like a formula gets a leading `'`, which spreadsheets show as "text"
/// (OWASP); so does one that already starts with `'`, so that [`csv_unescape`] can undo the rule exactly.
/// Only text goes through here: numeric columns keep their sign (`-0.25` stays a number).
pub fn csv(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some(c) if c == '\'' || FORMULA_START.contains(&c) => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// The text [`csv`] was given: one leading `'` before a formula start or another `'` is dropped. A
/// third-party file's `'abc` (a quote before an ordinary character) is left as it is.
pub fn csv_unescape(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(|c: char| c == '\'' || FORMULA_START.contains(&c)) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_neutralises_a_hostile_name() {
        let evil = "a\"/><script>x</script>|[l](j:x)\n\u{1b}[31m'&";
        assert_eq!(html(evil), "a&quot;/&gt;&lt;script&gt;x&lt;/script&gt;|[l](j:x)\n\u{1b}[31m&#39;&amp;");
        assert_eq!(markdown(evil), "a\"/&gt;&lt;script&gt;x&lt;/script&gt;\\|\\[l\\](j:x) \\u{1b}\\[31m'&amp;");
        assert_eq!(markdown("a\r# ALL GATES PASSED\r\n| x |"), "a \\# ALL GATES PASSED  \\| x \\|");
        assert_eq!(xml(evil), "a&quot;/&gt;&lt;script&gt;x&lt;/script&gt;|[l](j:x)\n\u{FFFD}[31m&apos;&amp;");
        assert_eq!(terminal(evil), "a\"/><script>x</script>|[l](j:x)\\n\\u{1b}[31m'&");
        assert_eq!(terminal("plain ü"), "plain ü");
        assert_eq!(terminal("a\u{202e}b\u{7}"), "a\\u{202e}b\\u{7}");
        assert_eq!(terminal_lines("x\u{1b}[2J\r\n\ty\u{9b}"), "x\\u{1b}[2J\\r\n\ty\\u{9b}");
    }

    #[test]
    fn csv_cells_that_start_like_a_formula_are_text_and_read_back() {
        for (given, written) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("'=1", "''=1"),
            ("'", "''"),
            ("a=1", "a=1"),
            ("", ""),
            ("ü-", "ü-"),
        ] {
            assert_eq!(csv(given), written);
            assert_eq!(csv_unescape(&csv(given)), given);
        }
        assert_eq!(csv_unescape("'abc"), "'abc");
    }
}
