//! The persons store behind `liveness persons` and `liveness search`: enrolled identities with their face
//! descriptors, in one SQLite file (`store`), searched by an exact brute-force scan (`index`).
//!
//! A descriptor is only comparable with descriptors of the same network weights and crop rule (one image
//! cut by two rules gives descriptors about 0.5 apart), so a gallery records the model's sha256 and rule
//! and refuses a run with any other ([`GalleryKey`]).

pub mod index;
pub mod store;

pub use index::{Hit, Index};
pub use store::{Enrolment, Gallery, GalleryKey, Person};

/// The gallery's file inside the `--db` folder.
pub const DB_FILE: &str = "gallery.sqlite";
