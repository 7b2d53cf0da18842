//! IM014 os-end-of-life: the image's operating-system release is past (or near) its end of life.

use crate::checks::Emitter;
use crate::checks::image::support::file_location;
use crate::dates::Date;
use crate::findings::Severity;
use crate::model::eol::{self, EOL_TABLE_AS_OF, EolState};
use crate::model::image::{ContentRequest, Image};

crate::declare_check! {
    /// ## What it does
    /// Identifies the image's operating system from its own files (`/etc/os-release`, which is
    /// usually a link to `/usr/lib/os-release`, resolved inside the image; else
    /// `/etc/alpine-release`, `/etc/redhat-release`, `/etc/system-release`,
    /// `/etc/debian_version`) and looks its release up in an embedded end-of-life table
    /// generated from endoflife.date (its commit and "as of" date are in `harden explain IM014`'s
    /// source, the README and every report). Reports a release past its end of life (high) or
    /// within 90 days of it (low). Covers Alpine, Debian (and distroless, which follows Debian),
    /// Ubuntu, RHEL/UBI, Rocky, AlmaLinux, CentOS Linux and Stream, Amazon Linux, Fedora,
    /// openSUSE Leap and SLES; Wolfi, Chainguard OS and Tumbleweed are rolling and have no end.
    ///
    /// The end is the last day of free security updates from the archive the image already
    /// uses: endoflife.date's `eol`, except for Debian, whose LTS is free and published to the
    /// same security archive (its `eoes` date). Paid extensions (Ubuntu Pro ESM, RHEL ELS, SLES
    /// LTSS) are shown as evidence and do not delay the finding: a public base image does not
    /// get them.
    ///
    /// ## Why is this bad?
    /// After its end of life a release gets no security fixes: every vulnerability found later
    /// stays in the image, and scanners stop reporting some of them (their advisory feeds drop
    /// the release). Rebuilding on the same base changes nothing. AWS's ECS image guidance asks to
    /// rebuild from maintained base images.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.10
    /// ```
    /// Fix:
    /// ```dockerfile
    /// FROM alpine:3.22
    /// ```
    OsEndOfLife {
        id: "IM014",
        name: "os-end-of-life",
        severity: High,
        target: Image,
        wants: [
            ContentRequest::Path("/etc/os-release"),
            ContentRequest::Path("/usr/lib/os-release"),
            ContentRequest::Path("/etc/alpine-release"),
            ContentRequest::Path("/etc/debian_version"),
            ContentRequest::Path("/etc/redhat-release"),
            ContentRequest::Path("/etc/system-release"),
        ],
        references: {
            nist: ["800-53 SA-22 (unsupported system components)"],
            see_also: [
                "endoflife.date",
                "trivy's \"detected OS is EOL\" scan warning",
            ],
        },
        run: check,
    }
}

fn check(image: &Image, out: &mut Emitter) {
    let today = out.today();
    evaluate(image, today, out);
}

fn evaluate(image: &Image, today: Date, out: &mut Emitter) {
    let Some(os) = image.operating_system() else {
        return;
    };
    let status = eol::status(&os, today);
    let Some(end) = status.end else {
        return;
    };
    let severity = match status.state {
        EolState::Ended => Severity::High,
        EolState::EndingSoon => Severity::Low,
        _ => return,
    };
    // No day counts in the message: it stays the same from one day to the next (baselines).
    let message = if severity == Severity::High {
        format!(
            "{} reached its end of life on {end}: it gets no security updates",
            os.describe()
        )
    } else {
        format!(
            "{} reaches its end of life on {end}, within {} days",
            os.describe(),
            eol::ENDING_SOON_DAYS
        )
    };
    let layer = image
        .filesystem
        .get(&os.source)
        .map(|entry| entry.layer)
        .unwrap_or(0);
    let finding = out.finding(message, file_location(image, &os.source, layer));
    finding
        .with_severity(severity)
        .with_evidence("os", os.describe())
        .with_evidence("release_cycle", status.cycle.clone().unwrap_or_default())
        .with_evidence("end_of_life", end.to_string())
        .with_evidence(
            "eol_table",
            format!("endoflife.date as of {EOL_TABLE_AS_OF}"),
        );
    if let Some(extended) = status.extended {
        finding.with_evidence("paid_extended_support_until", extended.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::image::support::testing::{file, image};
    use crate::findings::Finding;

    fn run_on(files: Vec<(&str, crate::model::image::Entry)>, today: &str) -> Vec<Finding> {
        let image = image(files);
        let mut findings = Vec::new();
        let mut controls = Vec::new();
        let mut emitter = Emitter::new(&CHECK, &mut findings, &mut controls);
        evaluate(&image, Date::parse(today).unwrap(), &mut emitter);
        findings
    }

    fn os_release(id: &str, version: &str) -> Vec<(&'static str, crate::model::image::Entry)> {
        let text = format!("ID={id}\nNAME=\"{id}\"\nVERSION_ID=\"{version}\"\n");
        vec![("/etc/os-release", file(0o644, &text))]
    }

    #[test]
    fn high_past_the_end_low_within_ninety_days_nothing_before() {
        let past = run_on(os_release("alpine", "3.10.9"), "2026-12-04");
        assert_eq!(past.len(), 1);
        assert_eq!(past[0].severity, Severity::High);
        assert_eq!(past[0].evidence["end_of_life"], "2021-05-01");
        assert_eq!(past[0].location.path.as_deref(), Some("/etc/os-release"));
        let soon = run_on(os_release("alpine", "3.10.9"), "2021-03-01");
        assert_eq!(soon.len(), 1);
        assert_eq!(soon[0].severity, Severity::Low);
        assert!(run_on(os_release("alpine", "3.10.9"), "2020-12-01").is_empty());
        // Rolling, unknown and newer-than-the-table releases are never findings.
        assert!(run_on(os_release("wolfi", "20230201"), "2030-01-01").is_empty());
        assert!(run_on(os_release("gentoo", "2.17"), "2030-01-01").is_empty());
        assert!(run_on(os_release("alpine", "3.99.1"), "2030-01-01").is_empty());
        assert!(run_on(vec![], "2030-01-01").is_empty());
    }

    #[test]
    fn asks_for_every_file_identification_reads() {
        assert_eq!(CHECK.wants, crate::model::os::OS_FILES);
    }
}
