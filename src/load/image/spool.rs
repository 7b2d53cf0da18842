//! Temporary files an image is spooled to (standard input; a whole archive compressed with gzip
//! or zstd), bounded, and removed whatever happens: on drop (success, error, panic unwinding;
//! the `tempfile` crate's guarantee) and on SIGINT/SIGTERM, which would otherwise end the process
//! without running a destructor. The signal side keeps the paths of live spools in a list that a
//! `signal-hook` thread empties before exiting with 128 + the signal, as a shell would.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use super::error::ImageError;
use crate::limits::{LimitExceeded, Limits};

static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

/// Installs (once per process) the thread that removes live spools on SIGINT and SIGTERM.
fn install_handler() {
    HANDLER.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                remove_live();
                std::process::exit(128 + signal);
            }
        });
    });
}

/// Removes every live spool (the signal handler's work).
fn remove_live() {
    let paths = match LIVE.lock() {
        Ok(mut live) => std::mem::take(&mut *live),
        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
    };
    for path in paths {
        let _ = std::fs::remove_file(path);
    }
}

/// A spooled image: deleted on drop and on SIGINT/SIGTERM.
#[derive(Debug)]
pub struct Spool {
    file: tempfile::NamedTempFile,
}

impl Spool {
    pub fn new(input: &str) -> Result<Spool, ImageError> {
        install_handler();
        let file = tempfile::NamedTempFile::new().map_err(|e| ImageError::io(input, e))?;
        if let Ok(mut live) = LIVE.lock() {
            live.push(file.path().to_path_buf());
        }
        Ok(Spool { file })
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// Copies `reader` into the spool, at most `limit` bytes of the limit `name` (`what` names
    /// the stream in the error). `Err(Ok(..))` is the limit, `Err(Err(..))` an I/O error.
    pub fn fill(
        &mut self,
        reader: &mut impl Read,
        limits: &Limits,
        name: &'static str,
        what: &str,
    ) -> Result<u64, Result<LimitExceeded, io::Error>> {
        let max = limits.get(name).unwrap_or(u64::MAX);
        let file = self.file.as_file_mut();
        let copied = io::copy(&mut reader.take(max.saturating_add(1)), file).map_err(Err)?;
        limits
            .check(name, copied, || what.to_string())
            .map_err(Ok)?;
        file.flush().map_err(Err)?;
        Ok(copied)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        if let Ok(mut live) = LIVE.lock() {
            let path = self.file.path();
            live.retain(|p| p != path);
        }
        // The NamedTempFile removes the file itself.
    }
}
