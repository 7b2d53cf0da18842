//! The text of an input file as it is on disk, for the fix stage's edits (which must keep every
//! other byte): read once, bounded by `input-bytes`. Parsing stays in the format loaders.

use std::io::Read;
use std::path::Path;

/// Reads `path` as UTF-8 text of at most `max_bytes`; `None` when it cannot be read, is larger,
/// or is not UTF-8 (such a file gets no fix, and its scan already reported any error).
pub fn read(path: &Path, max_bytes: u64) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() as u64 > max_bytes {
        return None;
    }
    String::from_utf8(bytes).ok()
}
