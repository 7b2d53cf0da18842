//! The policy stage, after the checks: severity overrides and ignores from `harden.toml`
//! ([`config`]), inline pragmas from the Dockerfile model, and the HD checks about the policy
//! itself ([`ignore`]). Marks findings suppressed, never deletes them, and never re-reads an input.

pub mod config;
pub mod ignore;

pub use config::Config;
