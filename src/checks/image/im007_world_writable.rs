//! IM007 world-writable: a regular file or a directory in the final filesystem is writable by every user.

use crate::checks::Emitter;
use crate::checks::image::support::{file_location, octal_mode, owner};
use crate::findings::Severity;
use crate::model::image::Image;

const OTHERS_WRITE: u32 = 0o002;
const STICKY: u32 = 0o1000;

crate::declare_check! {
    /// ## What it does
    /// Reports regular files and directories of the final filesystem whose mode lets any user write
    /// them (`o+w`). Symlinks (always `0777`, the mode means nothing) and device nodes are skipped.
    /// Directories with the sticky bit (`/tmp`, `/var/tmp` at `1777`) are **not** reported: the
    /// sticky bit stops users from removing or renaming each other's files, it is what the FHS
    /// requires for shared temporary directories, and reporting every base image's `/tmp` would
    /// drown the real findings.
    ///
    /// ## Why is this bad?
    /// A world-writable directory without the sticky bit lets any process in the container (the
    /// application after a compromise, or a second user) replace the files in it, including
    /// executables and configuration another user later runs: **high**. A world-writable file can be
    /// rewritten by anyone: **medium** (its impact depends on who reads or runs it). Both usually come
    /// from `chmod -R 777` during a build.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN chmod -R 777 /app
    /// ```
    /// Fix: give the application user ownership of what it must write, and nothing else:
    /// ```dockerfile
    /// RUN chown -R app:app /app/data && chmod -R u=rwX,go=rX /app
    /// ```
    WorldWritable {
        id: "IM007",
        name: "world-writable",
        severity: Medium,
        target: Image,
        references: {
            cis: ["4 (container images; no direct item)"],
            see_also: [
                "CIS distribution benchmarks \"ensure no world writable files exist\" / \"sticky bit on world-writable directories\"",
            ],
        },
        run: check,
    }
}

fn check(image: &Image, out: &mut Emitter) {
    for (path, entry) in image.filesystem.iter() {
        if entry.mode & OTHERS_WRITE == 0 {
            continue;
        }
        let (what, severity) = if entry.is_dir() {
            if entry.mode & STICKY != 0 {
                continue;
            }
            ("directory without the sticky bit", Severity::High)
        } else if entry.is_file() {
            ("file", Severity::Medium)
        } else {
            continue;
        };
        out.finding(
            format!(
                "{path} is a world-writable {what} (mode {})",
                octal_mode(entry.mode)
            ),
            file_location(image, path, entry.layer),
        )
        .with_severity(severity)
        .with_evidence("mode", octal_mode(entry.mode))
        .with_evidence("owner", owner(entry));
    }
}
