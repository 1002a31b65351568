//! How many presentations of each class there were, and why some got no score (report section
//! `counts`). Non-response reasons are kept by name because "no face found" and "image unreadable"
//! call for different fixes, and a rate alone hides which one dominates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::population::{BONA_FIDE, Population};
use super::tally::{ClassTally, Tally};
use crate::schema::Presentations;

/// Counts of one class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCounts {
    /// All presentations.
    pub total: u64,
    /// Presentations with a score.
    pub scored: u64,
    /// Presentations without a score (total - scored).
    pub non_responses: u64,
    /// Non-responses by reason.
    pub non_response_reasons: BTreeMap<String, u64>,
}

/// Counts of bona fide presentations and of each attack species present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub bona_fide: ClassCounts,
    pub species: BTreeMap<String, ClassCounts>,
}

impl Counts {
    /// Counts `members` (indices into both `presentations` and `population.items`), whose tally is `tally`.
    pub(crate) fn new<P: Presentations + ?Sized>(
        presentations: &P,
        population: &Population,
        members: impl Iterator<Item = usize>,
        tally: &Tally,
    ) -> Counts {
        let mut reasons: Vec<BTreeMap<String, u64>> = vec![BTreeMap::new(); population.classes()];
        for i in members.filter(|&i| population.items[i].score().is_none()) {
            let reason = presentations.reason(i).unwrap_or_default().to_owned();
            *reasons[population.items[i].class].entry(reason).or_default() += 1;
        }
        let class_counts = |class: usize, c: &ClassTally| ClassCounts {
            total: c.total(),
            scored: c.scored,
            non_responses: c.non_responses,
            non_response_reasons: reasons[class].clone(),
        };
        Counts {
            bona_fide: class_counts(BONA_FIDE, tally.bona_fide()),
            species: tally
                .present_species()
                .map(|(s, c)| (population.species[s].clone(), class_counts(s + 1, c)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pres;

    #[test]
    fn counts_reasons_per_class_over_members() {
        let mut ps = vec![
            pres("", Some(0.4)),
            pres("", None),
            pres("print", None),
            pres("print", None),
            pres("mask", Some(0.1)),
        ];
        ps[3].reason = Some("unreadable".into());
        let pop = Population::new(&ps).unwrap();
        let members = [0, 1, 2, 3];
        let tally = Tally::count(&pop.subset(&members), 0.5);
        let counts = Counts::new(&ps, &pop, members.into_iter(), &tally);
        assert_eq!((counts.bona_fide.total, counts.bona_fide.scored, counts.bona_fide.non_responses), (2, 1, 1));
        assert_eq!(counts.bona_fide.non_response_reasons, BTreeMap::from([("no_face".to_owned(), 1)]));
        assert_eq!(counts.species.keys().collect::<Vec<_>>(), ["print"]);
        let print = &counts.species["print"];
        assert_eq!(
            print.non_response_reasons,
            BTreeMap::from([("no_face".to_owned(), 1), ("unreadable".to_owned(), 1)])
        );
    }
}
