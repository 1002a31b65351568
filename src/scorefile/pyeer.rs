//! pyeer's score files (github.com/manuelaguadomtz/pyeer, its "non-histogram format"): two plain text
//! files, genuine and impostor scores, one number a line. For PAD the genuine scores are the bona fide
//! presentations' and the impostor scores the attacks' (`eval --scores GENUINE --attack-scores IMPOSTOR
//! --format pyeer`).
//!
//! Nothing else is in the files, so the ids are made up (`genuine.txt:LINE`, the file as given), every
//! attack is of species `unknown`, and there are no non-responses. Blank lines are skipped; anything else
//! that is not a finite number is refused with the file and the line. Scores are read as they are (pyeer's
//! similarity scores are of any range, as bob.pad's); `--score-scale` and `--higher-is-attack` apply when
//! given, `--flip` as for every file.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::{ReadOptions, parse_score};
use crate::schema::{Presentation, UNKNOWN_SPECIES};

/// Reads the genuine and impostor files into presentations (genuine first), and what was read as what.
pub fn read(genuine: &Path, impostors: &Path, options: &ReadOptions) -> Result<(Vec<Presentation>, Option<String>)> {
    if std::fs::canonicalize(genuine).ok().is_some_and(|g| std::fs::canonicalize(impostors).ok() == Some(g)) {
        bail!("{}: the genuine and impostor score files are the same file", genuine.display());
    }
    let mut out = Vec::new();
    for (path, bona_fide) in [(genuine, true), (impostors, false)] {
        read_one(path, bona_fide, options, &mut out)?;
    }
    let used = format!(
        "pyeer genuine (bona fide) scores {}, impostor (attack) scores {}; one score a line, ids FILE:LINE, species {UNKNOWN_SPECIES}",
        genuine.display(),
        impostors.display()
    );
    Ok((out, Some(used)))
}

fn read_one(path: &Path, bona_fide: bool, options: &ReadOptions, out: &mut Vec<Presentation>) -> Result<()> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open score file {}", path.display()))?;
    let name = path.display().to_string();
    let rescaled = options.mapping.scale.is_some() || options.mapping.higher_is_attack;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("{name}, line {}: cannot read", i + 1))?;
        let cell = line.trim();
        if cell.is_empty() {
            continue;
        }
        let score = parse_score(cell)
            .and_then(|s| match (s, rescaled) {
                (Some(s), true) => options.mapping.live_score(s),
                (Some(s), false) => Ok(s),
                (None, _) => unreachable!("the cell is not empty"),
            })
            .with_context(|| format!("{name}, line {}", i + 1))?;
        out.push(Presentation {
            id: format!("{name}:{}", i + 1),
            bona_fide,
            species: if bona_fide { String::new() } else { UNKNOWN_SPECIES.to_owned() },
            score: Some(if options.flip { 1.0 - score } else { score }),
            reason: None,
            meta: Default::default(),
            decision: None,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scorefile::Mapping;

    fn files(genuine: &str, impostor: &str) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (g, i) = (dir.path().join("genuine.txt"), dir.path().join("impostor.txt"));
        std::fs::write(&g, genuine).unwrap();
        std::fs::write(&i, impostor).unwrap();
        (dir, g, i)
    }

    #[test]
    fn genuine_are_bona_fide_and_impostors_attacks_of_unknown_species() {
        let (_dir, g, i) = files("0.9\n\n 0.75 \n", "0.1\n-2.5\n");
        let (ps, used) = read(&g, &i, &ReadOptions::default()).unwrap();
        let got: Vec<(String, bool, &str, Option<f64>)> = ps
            .iter()
            .map(|p| (p.id.rsplit('/').next().unwrap().to_owned(), p.bona_fide, p.species.as_str(), p.score))
            .collect();
        assert_eq!(
            got,
            [
                ("genuine.txt:1".to_owned(), true, "", Some(0.9)),
                ("genuine.txt:3".to_owned(), true, "", Some(0.75)),
                ("impostor.txt:1".to_owned(), false, "unknown", Some(0.1)),
                ("impostor.txt:2".to_owned(), false, "unknown", Some(-2.5)),
            ]
        );
        assert!(used.unwrap().contains("one score a line"));
        let pct =
            ReadOptions { mapping: Mapping { scale: Some(100.0), ..Mapping::default() }, ..ReadOptions::default() };
        let (_dir, g, i) = files("90\n", "10\n");
        assert_eq!(read(&g, &i, &pct).unwrap().0[0].score, Some(0.9));
    }

    #[test]
    fn bad_numbers_are_refused_with_the_file_and_line() {
        for bad in ["NaN", "inf", "0.5x", "0.2 0.3"] {
            let (_dir, g, i) = files("0.9\n", &format!("0.1\n\n{bad}\n"));
            let e = format!("{:#}", read(&g, &i, &ReadOptions::default()).unwrap_err());
            assert!(e.contains("impostor.txt, line 3") && e.contains(bad), "{e}");
        }
        let (_dir, g, _) = files("0.9\n", "");
        let e = read(&g, &g, &ReadOptions::default()).unwrap_err().to_string();
        assert!(e.contains("the same file"), "{e}");
    }
}
