//! The delimiter of a delimited score file, guessed from its header line; shared by the streaming table
//! reader and the Parquet writer's CSV conversion (each reads the file's first bytes itself).

/// The delimiter of the header line: the most frequent of `,`, tab, `;`, `|` outside quotes (`,` when
/// none occurs, a one-column file).
pub(super) fn sniff_delimiter(start: &[u8]) -> u8 {
    let line = start.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let mut counts = [(b',', 0usize), (b'\t', 0), (b';', 0), (b'|', 0)];
    let mut quoted = false;
    for b in line {
        if *b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(c) = counts.iter_mut().find(|(d, _)| d == b) {
            c.1 += 1;
        }
    }
    counts.iter().max_by_key(|(d, n)| (*n, *d == b',')).filter(|(_, n)| *n > 0).map_or(b',', |(d, _)| *d)
}
