//! Input formats: reading and parsing only, turning each input into the model. Errors are typed and
//! name the input, the blob or the line.

pub mod dockerfile;
pub mod ecs;
pub mod image;
pub mod packages;
pub mod sniff;
pub mod text;
pub mod vulns;

mod bounded;
pub use bounded::{BoundedReadError, read_bounded};
