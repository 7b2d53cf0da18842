//! The text of an input file as it is on disk, for the fix stage's edits (which must keep every
//! other byte): read once, bounded by `input-bytes` through [`super::read_bounded`]. Parsing stays
//! in the format loaders.

use std::path::Path;

use crate::limits::Limits;

/// Reads `path` as UTF-8 text within the limits; `None` when it cannot be read, is larger, or is
/// not UTF-8 (such a file gets no fix, and its scan already reported any error).
pub fn read(path: &Path, limits: &Limits) -> Option<String> {
    let bytes = super::read_bounded(path, limits).ok()?;
    String::from_utf8(bytes).ok()
}
