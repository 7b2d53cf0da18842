//! harden: one hardening report for a container: its image, its Dockerfile and its Amazon ECS task
//! definition. Data flows one way, each stage run once from [`scan`]:
//! `load` → `model` → `join` → `checks` → `policy` → `report` (docs/architecture.md).

pub mod checks;
pub mod dates;
pub mod excerpt;
pub mod findings;
pub mod join;
pub mod limits;
pub mod load;
pub mod model;
pub mod policy;
pub mod report;
pub mod scan;
pub mod secrets;
#[doc(hidden)]
pub mod testkit;
