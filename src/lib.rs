//! harden: one hardening report for a container: its image, its Dockerfile and its Amazon ECS task
//! definition. Data flows `load` → `model` → `checks` → `findings` → `correlate` → `report`.

pub mod checks;
pub mod config;
pub mod correlate;
pub mod excerpt;
pub mod findings;
pub mod limits;
pub mod load;
pub mod model;
pub mod report;
pub mod scan;
pub mod secrets;
#[doc(hidden)]
pub mod testkit;
