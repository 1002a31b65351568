//! Counts at one threshold, per class: the sufficient statistics of every at-threshold rate.
//!
//! Rates are derived from these counts (never from per-presentation passes) so that the report,
//! the segments and every bootstrap resample (a sum of per-subject tallies) share one definition.

use super::population::{BONA_FIDE, Item, Population};

/// Counts of one class (bona fide, or one attack species) at a threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ClassTally {
    /// Presentations with a score.
    pub scored: u64,
    /// Scored presentations classified wrongly: bona fide with score < t, attacks with score >= t.
    pub errors: u64,
    /// Presentations without a score.
    pub non_responses: u64,
}

impl ClassTally {
    fn add(&mut self, other: &ClassTally) {
        self.scored += other.scored;
        self.errors += other.errors;
        self.non_responses += other.non_responses;
    }

    /// All presentations of the class, scored or not.
    pub fn total(&self) -> u64 {
        self.scored + self.non_responses
    }
}

/// One [`ClassTally`] per class, indexed like [`Population`] classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    pub classes: Vec<ClassTally>,
}

impl Tally {
    /// All zeros for `classes` classes.
    pub fn zero(classes: usize) -> Tally {
        Tally { classes: vec![ClassTally::default(); classes] }
    }

    /// Counts a population at threshold `t` (bona fide iff score >= t).
    pub fn count(population: &Population, t: f64) -> Tally {
        let mut tally = Tally::zero(population.classes());
        for item in &population.items {
            tally.record(item, t);
        }
        tally
    }

    /// Adds one presentation.
    pub fn record(&mut self, item: &Item, t: f64) {
        let c = &mut self.classes[item.class];
        match item.score() {
            None => c.non_responses += 1,
            Some(s) => {
                c.scored += 1;
                let accepted = crate::schema::is_bona_fide(s, t);
                c.errors += u64::from(accepted != (item.class == BONA_FIDE));
            }
        }
    }

    /// Adds another tally of the same shape.
    pub fn add(&mut self, other: &Tally) {
        for (mine, theirs) in self.classes.iter_mut().zip(&other.classes) {
            mine.add(theirs);
        }
    }

    /// The bona fide counts.
    pub fn bona_fide(&self) -> &ClassTally {
        &self.classes[BONA_FIDE]
    }

    /// `(species index, counts)` of every species with at least one presentation here.
    pub fn present_species(&self) -> impl Iterator<Item = (usize, &ClassTally)> + '_ {
        self.classes[BONA_FIDE + 1..].iter().enumerate().filter(|(_, c)| c.total() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pres;

    #[test]
    fn counts_errors_and_non_responses_per_class() {
        // t = 0.5: live 0.5 accepted (>=), live 0.4 rejected (error); print 0.5 accepted (error),
        // print 0.1 rejected; replay has only a non-response.
        let ps = [
            pres("", Some(0.5)),
            pres("", Some(0.4)),
            pres("", None),
            pres("print", Some(0.5)),
            pres("print", Some(0.1)),
            pres("replay", None),
        ];
        let pop = Population::new(&ps).unwrap();
        let t = Tally::count(&pop, 0.5);
        assert_eq!(*t.bona_fide(), ClassTally { scored: 2, errors: 1, non_responses: 1 });
        assert_eq!(t.classes[1], ClassTally { scored: 2, errors: 1, non_responses: 0 });
        assert_eq!(t.classes[2], ClassTally { scored: 0, errors: 0, non_responses: 1 });
        let mut doubled = t.clone();
        doubled.add(&t);
        assert_eq!(doubled.classes[1], ClassTally { scored: 4, errors: 2, non_responses: 0 });
        let present: Vec<usize> = Tally::count(&pop.subset(&[0, 5]), 0.5).present_species().map(|(s, _)| s).collect();
        assert_eq!(present, [1]);
    }
}
