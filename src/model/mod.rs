//! The normalized, source-agnostic view of each input that checks read. Built by `load/`;
//! input-format structs never appear here.

pub mod dockerfile;
pub mod ecs;
pub mod image;
pub mod policy;
pub mod reference;
pub mod stack;
pub mod users;
