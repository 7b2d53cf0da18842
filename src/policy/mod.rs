//! The policy stage, after the checks: the profile's severity caps ([`profile`]), severity
//! overrides and ignores from `harden.toml` ([`config`]), inline pragmas from the Dockerfile model,
//! checkov and trivy skips from the ECS model ([`peer`]), and the HD checks about the policy
//! itself ([`ignore`]); then `--skip`/`--only` ([`select`]), one problem one finding ([`group`]), fingerprint anchors ([`anchor`]) and
//! the baseline ([`baseline`]). Marks findings suppressed, never deletes them, and never re-reads an input.

pub mod anchor;
pub mod baseline;
pub mod config;
pub mod group;
pub mod ignore;
pub mod peer;
pub mod profile;
pub mod select;

pub use config::Config;
