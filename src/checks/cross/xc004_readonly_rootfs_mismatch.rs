//! XC004 readonly-rootfs-mismatch: a read-only root filesystem while the image expects to write
//! somewhere the task definition does not mount; or a writable one where the image needs no
//! writes (an easy fix for ECS.5).

use super::support::{
    container_location, effective_user_spec, for_each_pair, image_config_location,
};
use crate::checks::Emitter;
use crate::findings::Severity;
use crate::join::Joined;
use crate::join::pairing::Pairing;
use crate::model::ecs::{Container, Field, List, Value};
use crate::model::image::{Image, normalize_path};
use crate::model::users::parse_passwd;

crate::declare_check! {
    /// ## What it does
    /// Reports a read-only root filesystem where the image expects writes that the task
    /// definition does not mount, and a writable one where the image needs no writes.
    ///
    /// For each container definition paired with the scanned image, compares
    /// `readonlyRootFilesystem` with where the image expects to write:
    /// - the image's `VOLUME`s, and
    /// - when the container runs as a non-root user, the directories the image prepared for that
    ///   user to write: owned by its uid with the owner-write bit set and holding no files
    ///   (`RUN mkdir /var/cache/app && chown app /var/cache/app`), top-most only. A directory
    ///   with files in it (`COPY --chown=app . /app`) is the app's code, not a place it writes,
    ///   and the user's passwd home directory is no sign of intent either: neither is counted.
    ///
    /// With `readonlyRootFilesystem: true`, each such path not covered by a `mountPoints` entry or
    /// a `linuxParameters.tmpfs` mount at it or above it is reported (medium). With `false` or
    /// unset, when a non-root container's image expects no writes at all, an info finding says
    /// ECS.5 is an easy fix (a root process may write anywhere, so nothing is said for root).
    /// Values unknown offline are not judged.
    ///
    /// ## Why is this bad?
    /// A read-only root filesystem is the right default (ECS.5), but the app then fails with
    /// `EROFS` the first time it writes where the image expected to (a cache, a pid file, an
    /// upload directory). A `VOLUME` without a mount point is left to the runtime: Docker on EC2
    /// creates an anonymous volume on the instance, outside the task definition's control and
    /// lost with the task. Teams that hit this turn the read-only root off again. Conversely, a
    /// writable root on an image that needs no writes is risk for nothing: an attacker can drop
    /// tools and persist changes in the container.
    ///
    /// ## Example
    /// Image `VOLUME /data`, container `{"readonlyRootFilesystem": true}` with no mount at
    /// `/data`. Fix: a task `volume` and `"mountPoints": [{"sourceVolume": "data",
    /// "containerPath": "/data"}]`, or `"linuxParameters": {"tmpfs": [{"containerPath": "/data",
    /// "size": 64}]}` for scratch data (EC2 only; Fargate has no tmpfs).
    ReadonlyRootfsMismatch {
        id: "XC004",
        name: "readonly-rootfs-mismatch",
        severity: Medium,
        target: Cross,
        wants: [
            crate::model::image::ContentRequest::Path("/etc/passwd"),
            crate::model::image::ContentRequest::Path("/etc/group"),
        ],
        references: {
            cis: ["5.12"],
            security_hub: ["ECS.5"],
            see_also: [
                "checkov CKV_AWS_336 (read-only root alone, without the image)",
                "Amazon ECS Developer Guide, \"Bind mounts\" and `tmpfs`",
            ],
        },
        run: check,
    }
}

/// How many paths a message lists before `...`.
const SHOWN: usize = 5;

fn check(joined: &Joined, out: &mut Emitter) {
    for_each_pair(joined, out, check_pair);
}

/// A path the image expects to write to, and why harden thinks so.
struct WritablePath {
    path: String,
    why: String,
}

fn check_pair(image: &Image, pair: &Pairing, out: &mut Emitter) {
    let container = pair.container;
    let Some((spec, _)) = effective_user_spec(image, container) else {
        return;
    };
    let Ok(user) = image.resolve_user(&spec) else {
        return;
    };
    let home = passwd_home(image, user.uid);
    let writable = writable_paths(image, user.uid, home.as_deref());
    match &container.readonly_root_filesystem.value {
        Value::Known(true) => {
            let Some(mounts) = mounted_paths(container) else {
                return;
            };
            let uncovered: Vec<&WritablePath> = writable
                .iter()
                .filter(|w| !mounts.iter().any(|m| covers(m, &w.path)))
                .collect();
            if uncovered.is_empty() {
                return;
            }
            let listed: Vec<String> = uncovered
                .iter()
                .take(SHOWN)
                .map(|w| format!("{} ({})", w.path, w.why))
                .collect();
            let more = if uncovered.len() > SHOWN { ", ..." } else { "" };
            let finding = out
                .finding(
                    format!(
                        "container {} has a read-only root filesystem, but the image expects to write to {}{more} and the task definition mounts no volume or tmpfs there: writes fail with EROFS or land in an unmanaged anonymous volume",
                        container.label(),
                        listed.join(", ")
                    ),
                    container_location(pair, &container.readonly_root_filesystem.origin),
                )
                .with_evidence(
                    "unmounted_paths",
                    uncovered.iter().map(|w| w.path.as_str()).collect::<Vec<_>>().join(" "),
                )
                .with_evidence("effective_user", user.uid_gid())
                .with_evidence("pairing", pair.reason.clone());
            if uncovered.iter().any(|w| w.why == "VOLUME") {
                finding.with_related(image_config_location(image, "/config/Volumes"));
            }
        }
        Value::Known(false) | Value::Absent if writable.is_empty() && !user.is_root() => {
            out.finding(
                format!(
                    "container {} has a writable root filesystem, but the image declares no VOLUME and prepares no writable directory for {}: set \"readonlyRootFilesystem\": true (ECS.5), with a tmpfs or volume for /tmp if the app writes temporary files",
                    container.label(),
                    user.uid_gid()
                ),
                container_location(pair, &container.readonly_root_filesystem.origin),
            )
            .with_severity(Severity::Info)
            .with_evidence("effective_user", user.uid_gid())
            .with_evidence("pairing", pair.reason.clone());
        }
        _ => {}
    }
}

/// The image's VOLUMEs, then, for a non-root uid, the top-most directories it owns and may
/// write (see the docs).
fn writable_paths(image: &Image, uid: i64, home: Option<&str>) -> Vec<WritablePath> {
    let mut paths: Vec<WritablePath> = image
        .config
        .volumes
        .iter()
        .map(|volume| WritablePath {
            path: normalize_path(volume),
            why: "VOLUME".to_string(),
        })
        .collect();
    if uid == 0 {
        return paths;
    }
    let mut owned: Vec<&str> = Vec::new();
    for (path, entry) in image.filesystem.iter() {
        let prepared = entry.is_dir()
            && entry.mode & 0o200 != 0
            && i64::try_from(entry.uid) == Ok(uid)
            && Some(path) != home;
        if !prepared || owned.iter().any(|above| covers(above, path)) || holds_files(image, path) {
            continue;
        }
        owned.push(path);
    }
    for path in owned {
        if paths.iter().any(|w| covers(&w.path, path)) {
            continue;
        }
        paths.push(WritablePath {
            path: path.to_string(),
            why: format!("directory owned by uid {uid}"),
        });
    }
    paths
}

/// Whether anything but directories is below `dir` (the tree is sorted, so its descendants are
/// one contiguous range).
fn holds_files(image: &Image, dir: &str) -> bool {
    let prefix = format!("{dir}/");
    image
        .filesystem
        .starting_with(&prefix)
        .any(|(_, entry)| !entry.is_dir())
}

/// The home directory of `uid` in the image's /etc/passwd, normalized.
fn passwd_home(image: &Image, uid: i64) -> Option<String> {
    let passwd = String::from_utf8_lossy(image.filesystem.content("/etc/passwd")?).into_owned();
    parse_passwd(&passwd)
        .into_iter()
        .find(|entry| entry.uid == uid)
        .map(|entry| normalize_path(&entry.home))
}

/// The container paths of `mountPoints` and `tmpfs`; `None` when either list cannot be known.
fn mounted_paths(container: &Container) -> Option<Vec<String>> {
    let mut paths = Vec::new();
    known_items(
        &container.mount_points,
        |mount| &mount.container_path,
        &mut paths,
    )?;
    match &container.linux_parameters.value {
        Value::Known(parameters) => {
            known_items(&parameters.tmpfs, |mount| &mount.container_path, &mut paths)?
        }
        Value::Absent => {}
        _ => return None,
    }
    Some(paths)
}

/// Appends the known container paths of a list's items; `None` when the list or a path cannot
/// be known offline (then no verdict is given).
fn known_items<T>(
    list: &List<T>,
    path_of: impl Fn(&T) -> &Field<String>,
    paths: &mut Vec<String>,
) -> Option<()> {
    match &list.value {
        Value::Known(items) => {
            for item in items {
                match &path_of(item).value {
                    Value::Known(path) => paths.push(normalize_path(path)),
                    Value::Absent => {}
                    _ => return None,
                }
            }
        }
        Value::Absent => {}
        _ => return None,
    }
    Some(())
}

/// Whether a mount at `mount` covers `path` (the same path or an ancestor).
fn covers(mount: &str, path: &str) -> bool {
    mount == "/"
        || path == mount
        || path
            .strip_prefix(mount)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The paths the image writes when it runs as `uid` (its VOLUMEs and the user's empty writable
/// directories), which a read-only root filesystem must mount: what the fix stage mounts.
pub fn paths_to_mount(image: &Image, uid: i64) -> Vec<String> {
    let home = passwd_home(image, uid);
    writable_paths(image, uid, home.as_deref())
        .into_iter()
        .map(|w| w.path)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn a_mount_covers_itself_and_what_is_below_only() {
        assert!(covers("/data", "/data"));
        assert!(covers("/data", "/data/cache"));
        assert!(covers("/", "/anything"));
        assert!(!covers("/data", "/database"));
        assert!(!covers("/data/cache", "/data"));
    }
}
