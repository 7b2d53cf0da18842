//! Opening a file inside an input directory (an OCI layout, an extracted docker save) without ever
//! leaving it: every component is opened with `openat` and `O_NOFOLLOW`, a symbolic link is
//! followed by hand only when its target stays inside the directory (docker save links one
//! layer's `layer.tar` to another's), and only a regular file is opened (a FIFO would hang the
//! read, a device such as `/dev/zero` never ends, a socket cannot be read). Checking the path
//! first and opening it after would be a race and would still follow links; this does neither.
//! What a refused link points to, and a refused file's size, are never part of the error.

use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

/// Symbolic links followed in one open before it is a loop (docker save needs one or two).
const MAX_LINKS: usize = 16;

/// Why a path inside the directory was not opened.
#[derive(Debug)]
pub enum Refused {
    NotFound,
    /// A symbolic link whose target is absolute or climbs out of the directory.
    LeavesDirectory,
    /// Links that do not end (or more than [`MAX_LINKS`]).
    LinkLoop,
    /// Not a regular file: what it is (`a FIFO`, `a directory`...).
    NotRegular(&'static str),
    Io(std::io::Error),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NotFound => write!(f, "no such file"),
            Refused::LeavesDirectory => write!(
                f,
                "a symbolic link that leads out of the directory; refused (only files inside it are read)"
            ),
            Refused::LinkLoop => write!(f, "too many levels of symbolic links"),
            Refused::NotRegular(kind) => write!(f, "{kind}, not a regular file; refused"),
            Refused::Io(error) => write!(f, "{error}"),
        }
    }
}

fn describe(kind: FileType) -> &'static str {
    match kind {
        FileType::Directory => "a directory",
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Symlink => "a symbolic link",
        _ => "not a regular file",
    }
}

/// `a/./b//c` → `[a, b, c]`; `None` when `..` climbs above the start.
fn components(path: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for component in path.split(|b| *b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => {
                parts.pop()?;
            }
            other => parts.push(other.to_vec()),
        }
    }
    Some(parts)
}

/// Opens the regular file at `relative` inside `root`.
pub fn open_inside(root: &Path, relative: &str) -> Result<File, Refused> {
    let io = |e: Errno| Refused::Io(e.into());
    let root_fd = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(io)?;
    let mut path = components(relative.as_bytes()).ok_or(Refused::LeavesDirectory)?;
    let mut links = 0;
    'walk: loop {
        let mut current: Option<OwnedFd> = None;
        for (index, name) in path.iter().enumerate() {
            let dir = current.as_ref().map_or(root_fd.as_fd(), |fd| fd.as_fd());
            let last = index + 1 == path.len();
            let stat = match rustix::fs::statat(dir, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => stat,
                Err(Errno::NOENT) => return Err(Refused::NotFound),
                Err(e) => return Err(io(e)),
            };
            let kind = FileType::from_raw_mode(stat.st_mode);
            if kind == FileType::Symlink {
                links += 1;
                if links > MAX_LINKS {
                    return Err(Refused::LinkLoop);
                }
                let target =
                    rustix::fs::readlinkat(dir, name.as_slice(), Vec::new()).map_err(io)?;
                let target = target.as_bytes();
                if target.starts_with(b"/") {
                    return Err(Refused::LeavesDirectory);
                }
                // The target is relative to the link's directory: splice it in and start over
                // from the root, so `..` is resolved against real directories only.
                let mut spliced: Vec<u8> = Vec::new();
                for part in &path[..index] {
                    spliced.extend_from_slice(part);
                    spliced.push(b'/');
                }
                spliced.extend_from_slice(target);
                for part in &path[index + 1..] {
                    spliced.push(b'/');
                    spliced.extend_from_slice(part);
                }
                path = components(&spliced).ok_or(Refused::LeavesDirectory)?;
                continue 'walk;
            }
            if !last {
                if kind != FileType::Directory {
                    return Err(Refused::NotFound);
                }
                let fd = rustix::fs::openat(
                    dir,
                    name.as_slice(),
                    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(io)?;
                current = Some(fd);
                continue;
            }
            if kind != FileType::RegularFile {
                return Err(Refused::NotRegular(describe(kind)));
            }
            // O_NONBLOCK: if the file was swapped for a FIFO since the stat, the open does not
            // wait for a writer; the fstat below then refuses it.
            let fd = rustix::fs::openat(
                dir,
                name.as_slice(),
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| match e {
                Errno::LOOP => Refused::LeavesDirectory,
                other => io(other),
            })?;
            let opened = FileType::from_raw_mode(rustix::fs::fstat(&fd).map_err(io)?.st_mode);
            if opened != FileType::RegularFile {
                return Err(Refused::NotRegular(describe(opened)));
            }
            rustix::fs::fcntl_setfl(&fd, OFlags::empty()).map_err(io)?;
            return Ok(File::from(fd));
        }
        // An empty path: the directory itself.
        return Err(Refused::NotRegular("a directory"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_inside_are_followed_and_links_out_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("image");
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join("a/layer.tar"), b"tar").unwrap();
        symlink("../a/layer.tar", root.join("b/layer.tar")).unwrap();
        symlink("/etc/passwd", root.join("abs")).unwrap();
        symlink("../../outside", root.join("a/up")).unwrap();
        symlink("/", root.join("slash")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        std::fs::write(dir.path().join("outside"), b"secret").unwrap();
        assert!(open_inside(&root, "b/layer.tar").is_ok());
        assert!(matches!(
            open_inside(&root, "abs"),
            Err(Refused::LeavesDirectory)
        ));
        assert!(matches!(
            open_inside(&root, "a/up"),
            Err(Refused::LeavesDirectory)
        ));
        assert!(matches!(
            open_inside(&root, "slash/etc/passwd"),
            Err(Refused::LeavesDirectory)
        ));
        assert!(matches!(open_inside(&root, "loop"), Err(Refused::LinkLoop)));
        assert!(matches!(
            open_inside(&root, "a"),
            Err(Refused::NotRegular("a directory"))
        ));
        assert!(matches!(open_inside(&root, "nope"), Err(Refused::NotFound)));
    }
}
