//! DF005 add-remote-url: ADD downloads a URL without `--checksum`.

use super::support::location;
use crate::checks::Emitter;
use crate::model::dockerfile::{Dockerfile, Keyword};

/// A source ADD fetches over the network (BuildKit: http(s) URLs and git URLs).
pub fn is_remote(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("git@")
        || lower.starts_with("git://")
        || lower.starts_with("ssh://")
}

crate::declare_check! {
    /// ## What it does
    /// Reports `ADD <url>` (http, https or git) without `--checksum=sha256:...`, in any stage.
    ///
    /// ## Why is this bad?
    /// The build trusts whatever the server returns at build time: a compromised or changed
    /// download lands in the image unnoticed, and the build is not reproducible. With
    /// `--checksum` BuildKit verifies the content; or download in a RUN with a checksum check.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD https://example.com/tool.tar.gz /opt/
    /// ```
    /// Fix: `ADD --checksum=sha256:<digest> https://example.com/tool.tar.gz /opt/`.
    AddRemoteUrl {
        id: "DF005",
        name: "add-remote-url",
        severity: Medium,
        target: Dockerfile,
        references: {
            cis: ["4.9 (COPY instead of ADD)"],
            trivy: ["DS005"],
            checkov: ["CKV_DOCKER_4"],
            see_also: ["hadolint DL3020 (partially)"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    for stage in &dockerfile.stages {
        for add in stage
            .instructions
            .iter()
            .filter(|i| i.keyword == Keyword::Add)
        {
            if add.flag("checksum").is_some() {
                continue;
            }
            let words = add.words();
            let sources = &words[..words.len().saturating_sub(1)];
            for source in sources.iter().filter(|s| is_remote(s)) {
                out.finding(
                    format!("ADD fetches {source} without --checksum"),
                    location(dockerfile, add),
                )
                .with_evidence("url", source.clone());
            }
        }
    }
}
