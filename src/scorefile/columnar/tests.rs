use proptest::prelude::*;

use super::*;
use crate::scorefile::{Mapping, parse_scores};

/// What a test compares of two reads: the records, and the subjects' numbering (the bootstrap's clusters).
type View = (Vec<crate::schema::Presentation>, (Vec<usize>, usize));

fn view(c: &ScoreColumns) -> View {
    (c.to_presentations(), c.numbered("subject"))
}

/// The columns of `bytes` read in blocks of `block` bytes, or the message.
fn fast_bytes(bytes: &[u8], block: usize) -> Result<ScoreColumns, String> {
    parse_columns(bytes, "f.csv", &ReadOptions::default(), block).map(|r| r.0).map_err(|e| format!("{e:#}"))
}

/// What the streaming reader makes of `bytes`, or its message.
fn streaming_bytes(bytes: &[u8]) -> Result<View, String> {
    let records = parse_scores(bytes, "f.csv", ReadOptions::default()).map_err(|e| format!("{e:#}"))?;
    let c = ScoreColumns::from_records(&records);
    Ok((records, c.numbered("subject")))
}

fn fast(text: &str, block: usize) -> Result<View, String> {
    fast_bytes(text.as_bytes(), block).map(|c| view(&c))
}

/// Both readers, every block size from one byte to the whole text, agree.
fn agree(text: &str) -> Result<ScoreColumns, String> {
    let expected = streaming_bytes(text.as_bytes());
    for block in [1, 2, 3, 7, 16, 64, text.len().max(1), BLOCK] {
        assert_eq!(fast(text, block), expected, "block {block} of {text:?}");
    }
    fast_bytes(text.as_bytes(), BLOCK)
}

const PLAIN: &str = "path,label,attack_type,subject,score\n\
    a.jpg,live,,s1,0.9\n\
    b.jpg,attack,print,s2,0.25\n\
    c.jpg,attack,,s1,\n\
    d.jpg,live,,s3,0.5\n";

#[test]
fn a_plain_file_reads_as_the_streaming_reader_reads_it() {
    let c = agree(PLAIN).unwrap();
    assert_eq!(c.count(), 4);
    assert_eq!((c.id(1), c.species(1), c.score(1)), ("b.jpg", "print", Some(0.25)));
    assert_eq!((c.species(2), c.score(2), c.reason(2)), ("unknown", None, Some("no_score")));
    assert_eq!(c.meta(3, "subject"), Some("s3"));
    let (_, used) = parse_columns(PLAIN.as_bytes(), "f.csv", &ReadOptions::default(), 8).unwrap();
    assert_eq!(used.as_deref(), Some("id=path, label=label, score=score, species=attack_type, metadata=subject"));
}

#[test]
fn crlf_blank_lines_spaces_and_no_final_newline() {
    let text = "path,label,attack_type,score\r\n a.jpg , live ,, 0.9\r\n\r\nb.jpg,attack,print,0.1\n\nc.jpg,live,,0.3";
    let c = agree(text).unwrap();
    assert_eq!((c.count(), c.id(0), c.score(2)), (3, "a.jpg", Some(0.3)));
}

#[test]
fn quoted_fields_even_with_newlines_are_read_by_the_streaming_reader() {
    let text = "path,label,attack_type,score\n\"a,1.jpg\",live,,0.9\n\"b\nc.jpg\",attack,\"print\",0.1\n";
    let c = agree(text).unwrap();
    assert_eq!((c.id(0), c.id(1), c.species(1)), ("a,1.jpg", "b\nc.jpg", "print"));
    let quoted_header = "\"path\",label,score\nx,live,0.5\n";
    assert_eq!(agree(quoted_header).unwrap().id(0), "x");
}

#[test]
fn other_delimiters_and_escaped_cells() {
    let c = agree("path;label;attack_type;score\n'=a.jpg;attack;'+print;0.2\n").unwrap();
    assert_eq!((c.id(0), c.species(0)), ("=a.jpg", "+print"));
    assert_eq!(agree("path\tlabel\tscore\nx\tlive\t1\n").unwrap().score(0), Some(1.0));
}

#[test]
fn a_bad_number_names_the_file_and_the_line_in_any_block() {
    // The CSV reader's line numbers pass over blank lines: the streaming reader says line 7 (and line 2
    // for the row after `a` in a file of `\r\n` line ends).
    assert!(agree("path,label,score\r\na,live,0.1\r\n\r\nb,live,0.5x\r\n").unwrap_err().contains("line 2"));
    let text = format!("{PLAIN}e.jpg,live,,s1,0.7\n\nf.jpg,live,,s1,0.3x\n");
    let e = agree(&text).unwrap_err();
    assert_eq!(e, "f.csv, line 7: score \"0.3x\" is not a number");
}

#[test]
fn nan_and_infinities_are_refused_with_the_line() {
    for (cell, line) in [("NaN", 3), ("inf", 3), ("-infinity", 3)] {
        let text = format!("path,label,score\na,live,0.5\nb,attack,{cell}\n");
        let e = agree(&text).unwrap_err();
        assert!(e.starts_with(&format!("f.csv, line {line}: score")) && e.contains("finite"), "{e}");
    }
}

#[test]
fn duplicate_ids_are_refused_naming_both_lines() {
    let e = agree("path,label,score\na,live,0.5\nb,live,0.5\na,attack,0.1\n").unwrap_err();
    assert!(e.contains("id \"a\" appears twice (lines 2 and 4)"), "{e}");
}

#[test]
fn malformed_rows_and_bytes_are_reported_as_the_streaming_reader_does() {
    agree("path,label,score\na,live,0.5,extra\n").unwrap_err();
    agree("path,label,score\na,live\n").unwrap_err();
    agree("path,label,score\na,maybe,0.5\n").unwrap_err();
    agree("path,label,score\na,live,0.5\rb,live,0.4\n").unwrap();
    agree("").unwrap_err();
    assert_eq!(agree("path,label,score").unwrap().count(), 0);
    let bytes = b"path,label,score\n\xff,live,0.5\n";
    assert_eq!(fast_bytes(bytes, 4).map(|c| view(&c)), streaming_bytes(bytes));
    assert!(streaming_bytes(bytes).is_err());
}

#[test]
fn mapped_and_known_formats_and_json_lines() {
    let reference = "path,label,attack_type,score,face_found\na,live,,0.5,1\nb,attack,print,,0\n";
    assert_eq!(agree(reference).unwrap().reason(1), Some("no_face"));
    let liveness =
        "path,label,attack_type,score,status,reason\na,live,,0.5,ok,\nb,attack,print,,non_response,no_face\n";
    assert_eq!(agree(liveness).unwrap().reason(1), Some("no_face"));
    let json = "{\"path\":\"a\",\"label\":\"live\",\"score\":0.5}\n";
    assert_eq!(agree(json).unwrap().id(0), "a");
    let options = ReadOptions {
        mapping: Mapping {
            scale: Some(100.0),
            live_labels: vec!["1".into()],
            attack_labels: vec!["0".into()],
            ..Mapping::default()
        },
        ..ReadOptions::default()
    };
    let text = "id,label,score,site\nx,1,50,a\ny,0,25,b\n";
    let (c, _) = parse_columns(text.as_bytes(), "f.csv", &options, 3).unwrap();
    let records = parse_scores(text.as_bytes(), "f.csv", options).unwrap();
    assert_eq!(c.to_presentations(), records);
    assert_eq!((c.score(0), c.meta(1, "site")), (Some(0.5), Some("b")));
}

#[test]
fn pieces_are_whole_lines_covering_the_text() {
    let text = "a\nbb\nccc\n\ndddd";
    for n in 1..8 {
        let p = pieces(text, n);
        assert_eq!(p.concat(), text);
        assert!(p[..p.len() - 1].iter().all(|s| s.ends_with('\n')), "{p:?}");
    }
    assert!(pieces("", 4).is_empty());
}

fn row() -> impl Strategy<Value = String> {
    let label = prop_oneof![Just("live"), Just("attack"), Just("Live"), Just("spoof")];
    let species = prop_oneof![Just(""), Just("print"), Just("replay"), Just(" mask ")];
    let score = prop_oneof![
        400 => (0u32..=1_000_000).prop_map(|s| format!("{:.6}", f64::from(s) / 1e6)),
        20 => Just(String::new()),
        20 => Just("error".to_owned()),
        1 => Just("0.5x".to_owned()),
        1 => Just("nan".to_owned()),
    ];
    let end = prop_oneof![Just("\n"), Just("\r\n"), Just("\n\n")];
    (label, species, 0u32..5, score, end).prop_map(|(l, sp, subject, s, end)| format!("{l},{sp},s{subject},{s}{end}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// On generated files (unique ids, every line end, blank lines, empty, word and bad scores) the
    /// parallel reader in any block size gives exactly the streaming reader's columns, or its message.
    #[test]
    fn the_parallel_read_equals_the_sequential_one(rows in prop::collection::vec(row(), 0..200), block in 1usize..300) {
        let mut text = String::from("path,label,attack_type,subject,score\n");
        for (i, r) in rows.iter().enumerate() {
            text += &format!("img/{i}.jpg,{r}");
        }
        let expected = streaming_bytes(text.as_bytes());
        prop_assert_eq!(fast(&text, block), expected);
    }

    /// Any bytes: never a panic, and the same answer as the streaming reader.
    #[test]
    fn arbitrary_input_never_panics(bytes in prop::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b'"'), Just(b'\r'), Just(b'a'), Just(b'1'), Just(b'.'), any::<u8>()], 0..120), block in 1usize..40) {
        let text = [b"path,label,score\n".as_slice(), &bytes].concat();
        prop_assert_eq!(fast_bytes(&text, block).map(|c| view(&c)), streaming_bytes(&text));
    }
}
