//! IM001 root-user: the image's configured user is root (uid 0), however it is written.

use crate::checks::Emitter;
use crate::findings::Location;
use crate::model::image::{ContentRequest, Image};
use crate::model::users::IdSource;

crate::declare_check! {
    /// ## What it does
    /// Reports an image whose config makes the container run as uid 0: `User` empty or absent
    /// (the runtime's default is root), `root`, `0`, `00`, `0:gid`, `root:group`, or any name or uid
    /// that the image's own `/etc/passwd` maps to uid 0 (`USER toor` where `toor:x:0:0`). The user is
    /// resolved exactly as runc/Docker resolve it ([`crate::model::users`]); the finding shows the
    /// resolved `uid:gid` and which passwd/group line it came from. A uid that passwd does not list
    /// is fine for the runtime (and not a finding); a name passwd does not list is IM002.
    ///
    /// ## Why is this bad?
    /// A process running as root in the container is root on the host's kernel: one container escape
    /// or a writable host mount away from the host, and able to use every capability the runtime
    /// grants. AWS's ECS guide and CIS Docker Benchmark 4.1 both ask for a non-root `USER`. Severity
    /// high. Note that AWS Security Hub ECS.20 only reads the task definition's `user`: the
    /// cross-source checks report the effective user.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20
    /// USER 0:0
    /// ```
    /// Fix:
    /// ```dockerfile
    /// RUN adduser -D -u 10001 app
    /// USER 10001:10001
    /// ```
    RootUser {
        id: "IM001",
        name: "root-user",
        severity: High,
        target: Image,
        wants: [ContentRequest::Path("/etc/passwd"), ContentRequest::Path("/etc/group")],
        references: {
            cis: ["4.1"],
            security_hub: ["ECS.20 (task definition)"],
            dockle: ["CIS-DI-0001"],
            trivy: ["DS002"],
            checkov: ["CKV_DOCKER_8"],
            see_also: ["AWS ECS best practices \"run as non-root\"", "hadolint DL3002"],
        },
        run: check,
    }
}

fn check(image: &Image, out: &mut Emitter) {
    let spec = image.config_user();
    // An unresolvable user is IM002's finding: the container does not start at all.
    let Ok(resolved) = image.resolve_user(spec) else {
        return;
    };
    if !resolved.is_root() {
        return;
    }
    let message = if spec.is_empty() {
        format!(
            "the image config sets no USER, so the container runs as root ({})",
            resolved.uid_gid()
        )
    } else {
        let through_passwd = match &resolved.uid_source {
            IdSource::Name { line } => format!(": /etc/passwd line {line} gives it uid 0"),
            IdSource::NumericInFile { line } => format!(
                "; /etc/passwd line {line} names uid 0 {:?}",
                resolved.user_name.as_deref().unwrap_or_default()
            ),
            _ => String::new(),
        };
        format!(
            "USER {spec:?} runs as root ({}){through_passwd}",
            resolved.uid_gid()
        )
    };
    let finding = out.finding(message, Location::image(&image.source));
    finding
        .with_evidence(
            "user",
            if spec.is_empty() { "(unset)" } else { spec }.to_string(),
        )
        .with_evidence("resolved", resolved.uid_gid())
        .with_evidence("resolution", resolved.explanation());
    if let Some(name) = &resolved.user_name {
        finding.with_evidence("passwd_name", name.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::image::support::testing::{file, image, run};

    fn with_user(user: Option<&str>, passwd: &str) -> Vec<crate::findings::Finding> {
        let mut image = image(vec![
            ("/etc/passwd", file(0o644, passwd)),
            ("/etc/group", file(0o644, "root:x:0:\n")),
        ]);
        image.config.user = user.map(str::to_string);
        run(&CHECK, &image)
    }

    #[test]
    fn every_root_form_is_reported_with_the_resolved_ids() {
        let passwd =
            "root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n";
        for user in [
            None,
            Some(""),
            Some("root"),
            Some("0"),
            Some("00"),
            Some("0:0"),
            Some("root:root"),
            Some("toor"),
        ] {
            let findings = with_user(user, passwd);
            assert_eq!(findings.len(), 1, "{user:?}");
            assert_eq!(findings[0].evidence["resolved"], "0:0");
        }
        let toor = with_user(Some("toor"), passwd);
        assert!(toor[0].message.contains("toor"));
        assert!(toor[0].evidence["resolution"].contains("line 2"));
        for user in ["app", "1000", "4242:0", "nobody-missing"] {
            assert!(with_user(Some(user), passwd).is_empty(), "{user}");
        }
    }
}
