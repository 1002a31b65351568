//! The scoring pipeline: one image to a live probability, and many images on all cores.

pub mod output;
pub mod parallel;
pub mod pipeline;
pub mod record;
