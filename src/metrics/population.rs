//! A compact, validated view of the presentations that every metric pass walks.
//!
//! Species names are resolved to small integers once, so that the hot loops (10 million scores)
//! index arrays instead of comparing strings, and scores are checked once for NaN/infinity, so no
//! later pass has to.

use std::collections::HashMap;

use anyhow::{Result, bail, ensure};

use crate::schema::{Presentation, Presentations};

/// Class index of bona fide presentations; attack species `s` has class `s + 1`.
pub(crate) const BONA_FIDE: usize = 0;

/// One presentation reduced to what the metrics need, in 16 bytes (an `Option<f64>` would make it
/// 24: at 10 million presentations that is 80 MB more to fault in and stream through).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    /// [`BONA_FIDE`] or `1 + species index`.
    pub class: usize,
    /// The score, NaN for a non-response (scores are validated finite, so NaN is free to mean that).
    score: f64,
}

impl Item {
    pub fn new(class: usize, score: Option<f64>) -> Item {
        Item { class, score: score.unwrap_or(f64::NAN) }
    }

    /// The score; `None` = non-response.
    pub fn score(&self) -> Option<f64> {
        (!self.score.is_nan()).then_some(self.score)
    }
}

/// The presentations of one evaluation (or one segment of it), in input order.
#[derive(Debug, Clone)]
pub(crate) struct Population {
    /// Attack species, sorted by name; species `s` is class `s + 1`.
    pub species: Vec<String>,
    pub items: Vec<Item>,
}

impl Population {
    /// Resolves species and validates scores; errors name the offending presentation.
    pub fn new(presentations: &[Presentation]) -> Result<Population> {
        Population::of(presentations)
    }

    /// [`Population::new`] of presentations however they are held.
    pub fn of<P: Presentations + ?Sized>(presentations: &P) -> Result<Population> {
        let n = presentations.count();
        ensure!(
            u32::try_from(n).is_ok(),
            "{n} presentations: at most {} can be evaluated at once (counts are stored as u32)",
            u32::MAX
        );
        let mut lookup: HashMap<&str, usize> = HashMap::new();
        let mut items = Vec::with_capacity(n);
        // Rows usually come in runs of one species: remembering the last lookup skips most hashing.
        let mut last: Option<(&str, usize)> = None;
        for i in 0..n {
            let score = presentations.score(i);
            if let Some(s) = score.filter(|s| !s.is_finite()) {
                bail!("presentation {} ({:?}) has a non-finite score {s}", i + 1, presentations.id(i));
            }
            let species = presentations.species(i);
            let class = match last {
                _ if presentations.bona_fide(i) => BONA_FIDE,
                Some((name, class)) if name == species => class,
                _ => {
                    let next = lookup.len() + 1;
                    let class = *lookup.entry(species).or_insert(next);
                    last = Some((species, class));
                    class
                }
            };
            items.push(Item::new(class, score));
        }
        Ok(Population::sorted(lookup, items))
    }

    /// Renumbers classes numbered in order of appearance so that species are sorted by name.
    fn sorted(lookup: HashMap<&str, usize>, mut items: Vec<Item>) -> Population {
        let mut by_name: Vec<(&str, usize)> = lookup.into_iter().collect();
        by_name.sort_unstable();
        let mut renumber = vec![BONA_FIDE; by_name.len() + 1];
        for (rank, (_, appearance)) in by_name.iter().enumerate() {
            renumber[*appearance] = rank + 1;
        }
        for item in &mut items {
            item.class = renumber[item.class];
        }
        Population { species: by_name.into_iter().map(|(name, _)| name.to_owned()).collect(), items }
    }

    /// The items at `members` (indices into this population), keeping the species list.
    pub fn subset(&self, members: &[usize]) -> Population {
        Population { species: self.species.clone(), items: members.iter().map(|&i| self.items[i]).collect() }
    }

    /// Number of classes: bona fide plus one per species.
    pub fn classes(&self) -> usize {
        self.species.len() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pres;

    #[test]
    fn species_sorted_and_classes_assigned() {
        let ps = [pres("replay", Some(0.1)), pres("", Some(0.9)), pres("print", None), pres("replay", Some(0.2))];
        let pop = Population::new(&ps).unwrap();
        assert_eq!(pop.species, ["print", "replay"]);
        let classes: Vec<usize> = pop.items.iter().map(|i| i.class).collect();
        assert_eq!(classes, [2, BONA_FIDE, 1, 2]);
        let scores: Vec<Option<f64>> = pop.items.iter().map(Item::score).collect();
        assert_eq!(scores, [Some(0.1), Some(0.9), None, Some(0.2)]);
        assert_eq!(pop.classes(), 3);
        let sub = pop.subset(&[3, 1]);
        let picked: Vec<(usize, Option<f64>)> = sub.items.iter().map(|i| (i.class, i.score())).collect();
        assert_eq!(picked, [(2, Some(0.2)), (BONA_FIDE, Some(0.9))]);
        assert_eq!(sub.species, pop.species);
    }

    #[test]
    fn non_finite_score_is_an_error_naming_the_presentation() {
        let mut bad = pres("", Some(f64::NAN));
        bad.id = "x.jpg".into();
        let e = Population::new(&[pres("", Some(0.5)), bad]).unwrap_err().to_string();
        assert!(e.contains("presentation 2") && e.contains("x.jpg"), "{e}");
    }
}
