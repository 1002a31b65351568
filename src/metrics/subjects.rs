//! Grouping presentations by subject (meta column `subject`), for the clustered bootstrap and for
//! completion-within-k-attempts: presentations of one person are not independent, so both resample
//! or count people, not images.

use crate::schema::{Presentation, Presentations};

/// The meta column that names the subject.
pub const SUBJECT_COLUMN: &str = "subject";

/// Subject index of every presentation, numbered in order of first appearance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subjects {
    /// Per presentation, its subject's index.
    pub of: Vec<usize>,
    /// Number of distinct subjects.
    pub count: usize,
}

impl Subjects {
    /// `None` when no presentation has a `subject` column. A presentation without one (possible
    /// only for hand-built input) belongs to the subject `""`.
    pub fn from_meta(presentations: &[Presentation]) -> Option<Subjects> {
        Subjects::of(presentations)
    }

    /// [`Subjects::from_meta`] of presentations however they are held.
    pub fn of<P: Presentations + ?Sized>(presentations: &P) -> Option<Subjects> {
        if !presentations.meta_columns().contains(SUBJECT_COLUMN) {
            return None;
        }
        let (of, count) = presentations.numbered(SUBJECT_COLUMN);
        Some(Subjects { of, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{of_subject, pres};

    #[test]
    fn numbers_subjects_in_order_of_appearance() {
        let ps = [
            of_subject("", Some(0.1), "b"),
            of_subject("", Some(0.1), "a"),
            of_subject("x", None, "b"),
            pres("", None),
        ];
        assert_eq!(Subjects::from_meta(&ps), Some(Subjects { of: vec![0, 1, 0, 2], count: 3 }));
        assert_eq!(Subjects::from_meta(&[pres("", None)]), None);
    }
}
