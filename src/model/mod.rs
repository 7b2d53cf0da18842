//! The normalized, source-agnostic view of each input that checks read. Built by `load/`;
//! input-format structs never appear here.

pub mod dockerfile;
pub mod ecs;
pub mod eol;
pub mod eol_table;
pub mod image;
pub mod os;
pub mod packages;
pub mod policy;
pub mod reference;
pub mod stack;
pub mod users;
pub mod vulns;
