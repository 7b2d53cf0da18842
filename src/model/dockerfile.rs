//! A Dockerfile as checks see it: stages with their base, instructions with whole-instruction line
//! spans, ARG/ENV resolved where they can be. Filled in by the Dockerfile issue.

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// The path as the user gave it.
    pub path: String,
}
