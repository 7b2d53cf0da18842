//! Files a check asks for (`/etc/passwd`, `/etc/group`) reached through links: a symlinked file,
//! a symlinked `/etc`, an absolute link, a `..` that climbs past the root, a hardlink, a link
//! written in an earlier layer than its target. The oracle is the kernel: `umoci unpack` extracts
//! the same image, and `openat2(RESOLVE_IN_ROOT)` opens `/etc/passwd` inside that root the way
//! runc's `GetExecUser` resolves it (symlinks followed within the root, `..` clamped at `/`).
//! The images set no `USER`: umoci's own bundle config would look the user up itself (and, on an
//! absolute link, not inside the root). In CI (CI=true) a missing umoci fails the test; locally it
//! skips with a note.

use std::os::fd::AsFd;
use std::path::Path;
use std::process::Command;

use harden::checks;
use harden::load::image::{ImageError, ImageOptions, load};
use harden::model::image::Image;
use harden::testkit::{Layout, parse_image};

const PASSWD: &str =
    r#"content="root:x:0:0:root:/root:/bin/sh\napp:x:10001:10002::/home/app:/sbin/nologin\n""#;

/// (name, image text); every image defines `app` only behind a link.
fn cases() -> Vec<(&'static str, String)> {
    vec![
        (
            "relative symlink to a file in a lower layer",
            format!(
                "tag latest\nlayer\nfile /usr/share/base-passwd/passwd {PASSWD}\nlayer\nsymlink /etc/passwd -> ../usr/share/base-passwd/passwd\n"
            ),
        ),
        (
            "symlinked /etc, file written in a later layer",
            format!("tag latest\nlayer\ndir /usr/etc\nsymlink /etc -> usr/etc\nlayer\nfile /usr/etc/passwd {PASSWD}\n"),
        ),
        (
            "absolute symlink",
            format!("tag latest\nlayer\nfile /usr/lib/passwd {PASSWD}\nsymlink /etc/passwd -> /usr/lib/passwd\n"),
        ),
        (
            "`..` past the root is clamped",
            format!("tag latest\nlayer\nfile /usr/lib/passwd {PASSWD}\nsymlink /etc/passwd -> ../../../../../usr/lib/passwd\n"),
        ),
        (
            "chain of links through a symlinked directory",
            format!("tag latest\nlayer\nfile /data/real/passwd {PASSWD}\nsymlink /data/current -> real\nlayer\nsymlink /etc/passwd -> /data/current/passwd\n"),
        ),
        (
            "hardlink",
            format!("tag latest\nlayer\nfile /usr/lib/passwd {PASSWD}\nhardlink /etc/passwd => /usr/lib/passwd\n"),
        ),
        (
            "link target replaced by a later layer",
            format!("tag latest\nlayer\nfile /usr/lib/passwd content=\"root:x:0:0::/:/bin/sh\\n\"\nsymlink /etc/passwd -> /usr/lib/passwd\nlayer\nfile /usr/lib/passwd {PASSWD}\n"),
        ),
        (
            "symlink loop",
            "tag latest\nlayer\nsymlink /etc/passwd -> /etc/loop\nsymlink /etc/loop -> /etc/passwd\n".to_string(),
        ),
    ]
}

fn umoci_available() -> bool {
    let found = Command::new("umoci")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "umoci is required in CI (.ci/run installs it)"
        );
        println!("note: umoci not installed; skipping (apt-get install -y umoci)");
    }
    found
}

/// `/etc/passwd` as the kernel resolves it inside the unpacked root, or `None` when it cannot be
/// opened (a loop, or nothing there).
fn kernel_view(rootfs: &Path) -> Option<Vec<u8>> {
    use rustix::fs::{Mode, OFlags, ResolveFlags, openat2};
    let root = std::fs::File::open(rootfs).unwrap();
    let fd = openat2(
        root.as_fd(),
        "/etc/passwd",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT,
    )
    .ok()?;
    let mut file = std::fs::File::from(fd);
    let mut content = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut content).unwrap();
    Some(content)
}

/// Writes the image text as an OCI layout under `dir` and loads it as a scan does.
fn write_and_load(text: &str, dir: &Path) -> (Result<Image, ImageError>, std::path::PathBuf) {
    let oci = dir.join("oci");
    parse_image(text)
        .unwrap()
        .write(Layout::OciDir, &oci)
        .unwrap();
    let options = ImageOptions {
        wants: checks::content_requests(),
        ..ImageOptions::default()
    };
    (
        load(&format!("oci:{}:latest", oci.display()), &options),
        oci,
    )
}

#[test]
fn requested_files_behind_links_resolve_as_the_kernel_resolves_them() {
    if !umoci_available() {
        return;
    }
    for (name, text) in cases() {
        let dir = tempfile::tempdir().unwrap();
        let (image, oci) = write_and_load(&text, dir.path());
        let image = image.unwrap_or_else(|e| panic!("{name}: {e}"));
        let ours = image.filesystem.content("/etc/passwd").map(<[u8]>::to_vec);

        let bundle = dir.path().join("bundle");
        let unpacked = Command::new("umoci")
            .args(["unpack", "--image", &format!("{}:latest", oci.display())])
            .arg(&bundle)
            .output()
            .unwrap();
        assert!(
            unpacked.status.success(),
            "{name}: umoci unpack: {}",
            String::from_utf8_lossy(&unpacked.stderr)
        );
        let theirs = kernel_view(&bundle.join("rootfs"));
        assert_eq!(
            ours.as_deref().map(String::from_utf8_lossy),
            theirs.as_deref().map(String::from_utf8_lossy),
            "{name}"
        );
        // And the user the checks see is the one the runtime would run.
        let user = image.resolve_user("app");
        match theirs {
            Some(_) => {
                let user = user.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                assert_eq!(user.uid_gid(), "10001:10002", "{name}");
            }
            None => assert!(user.is_err(), "{name}: resolved through a loop"),
        }
    }
}

#[test]
fn a_link_in_a_later_layer_than_its_target_reaches_the_target_contents() {
    // The target was streamed past before the link said it was wanted: the loader reads that
    // layer once more (verifying it again) for that one file.
    let text = format!(
        "tag latest\nlayer\nfile /usr/lib/passwd {PASSWD}\nlayer\nsymlink /etc/passwd -> /usr/lib/passwd\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let image = write_and_load(&text, dir.path()).0.unwrap();
    assert_eq!(image.layers.len(), 2);
    assert!(
        image
            .filesystem
            .content("/etc/passwd")
            .is_some_and(|c| c.starts_with(b"root:")),
        "the target's contents were fetched"
    );
    assert_eq!(image.resolve_user("app").unwrap().uid, 10001);
}
