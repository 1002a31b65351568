//! Active liveness: sessions (sequences of frames of one person, possibly answering challenges) scored from
//! how the face moves, plus passive PAD fused over the frames.
//!
//! input/dataset (what a session is) -> analyze (frames -> face geometry and passive scores) -> challenge
//! (what was done) -> verdict (scores, bands, decision) -> output (table, JSON, score file).

pub mod analyze;
pub mod challenge;
pub mod dataset;
pub mod input;
pub mod output;
pub mod policy;
pub mod verdict;
