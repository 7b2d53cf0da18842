//! Reading a whole text input (Dockerfile, task definition, stack) with the `input-bytes` limit:
//! the size is checked before reading, and the read itself stops one byte past the limit, so a file
//! that grows (or a FIFO) cannot make it unbounded either.

use std::io::Read;
use std::path::Path;

use crate::limits::{LimitExceeded, Limits};

/// Why [`read_bounded`] failed.
#[derive(Debug)]
pub enum BoundedReadError {
    Io(std::io::Error),
    Limit(LimitExceeded),
}

/// The file's bytes, or the `input-bytes` limit it exceeds.
pub fn read_bounded(path: &Path, limits: &Limits) -> Result<Vec<u8>, BoundedReadError> {
    let max = limits.input_bytes;
    let too_big = |size: u64| {
        limits
            .check("input-bytes", size, || {
                format!("the file ({size} bytes or more)")
            })
            .map_err(BoundedReadError::Limit)
    };
    let file = std::fs::File::open(path).map_err(BoundedReadError::Io)?;
    if let Ok(metadata) = file.metadata() {
        too_big(metadata.len())?;
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(BoundedReadError::Io)?;
    too_big(bytes.len() as u64)?;
    Ok(bytes)
}
