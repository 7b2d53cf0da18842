//! IM002 unknown-user: the configured user or group cannot be resolved, so the container will not start.

use crate::checks::Emitter;
use crate::findings::Location;
use crate::model::image::{ContentRequest, Image};
use crate::model::users::UnresolvedUser;

crate::declare_check! {
    /// ## What it does
    /// Reports an image whose config `User` names a user missing from the image's `/etc/passwd` (or
    /// a group missing from `/etc/group`), or an image with a named user and no `/etc/passwd` at
    /// all (typical of `FROM scratch` images with `USER app`), or a numeric id outside the range the
    /// runtime accepts. Numeric uids and gids that the files do not list are fine: the runtime uses
    /// them as they are.
    ///
    /// ## Why is this bad?
    /// runc resolves a named user through the container's own `/etc/passwd`; when the name is not
    /// there it refuses to start the container (`unable to find user app: no matching entries in
    /// passwd file`). The image is unusable as built, and the usual "fix" under pressure is to drop
    /// the `USER` line and run as root. Severity high: the deployment fails. Use a numeric
    /// `USER 10001:10001`, which needs no passwd entry, or create the user in the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM scratch
    /// COPY app /app
    /// USER app
    /// ```
    /// Fix:
    /// ```dockerfile
    /// USER 10001:10001
    /// ```
    UnknownUser {
        id: "IM002",
        name: "unknown-user",
        severity: High,
        target: Image,
        wants: [ContentRequest::Path("/etc/passwd"), ContentRequest::Path("/etc/group")],
        references: {
            cis: ["4.1 (a non-root user that exists)"],
            see_also: ["runc libcontainer/user `GetExecUser`"],
        },
        run: check,
    }
}

fn check(image: &Image, out: &mut Emitter) {
    let spec = image.config_user();
    let Err(reason) = image.resolve_user(spec) else {
        return;
    };
    let missing = match &reason {
        UnresolvedUser::UserNotInPasswd { name } | UnresolvedUser::NoPasswd { name } => {
            format!("user {name}")
        }
        UnresolvedUser::GroupNotInGroupFile { name } | UnresolvedUser::NoGroupFile { name } => {
            format!("group {name}")
        }
        UnresolvedUser::OutOfRange { id } => format!("id {id}"),
    };
    out.finding(
        format!("USER {spec:?}: {reason}; the container would fail to start"),
        Location::image(&image.source),
    )
    .with_evidence("user", spec.to_string())
    .with_evidence("unresolved", missing);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::image::support::testing::{file, image, run};

    #[test]
    fn names_without_entries_fail_numbers_do_not() {
        let mut with_passwd = image(vec![
            ("/etc/passwd", file(0o644, "root:x:0:0::/root:/bin/sh\n")),
            ("/etc/group", file(0o644, "root:x:0:\n")),
        ]);
        let mut scratch = image(vec![]);
        for (user, passwd_fails, scratch_fails) in [
            ("app", true, true),
            ("root:staff", true, true),
            ("1000", false, false),
            ("1000:1000", false, false),
            ("-5", true, true),
            ("", false, false),
        ] {
            with_passwd.config.user = Some(user.to_string());
            scratch.config.user = Some(user.to_string());
            assert_eq!(
                !run(&CHECK, &with_passwd).is_empty(),
                passwd_fails,
                "{user}"
            );
            assert_eq!(!run(&CHECK, &scratch).is_empty(), scratch_fails, "{user}");
        }
        scratch.config.user = Some("scratch".to_string());
        let findings = run(&CHECK, &scratch);
        assert!(
            findings[0].message.contains("no /etc/passwd"),
            "{}",
            findings[0].message
        );
    }
}
