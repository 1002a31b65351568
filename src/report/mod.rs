//! Presenting an evaluation. Everything here renders from a run folder's `metrics.json` document (and the
//! files beside it), never from in-memory state, so a report can be regenerated without rescoring.

pub mod format;
pub mod terminal;
