//! DF006 add-instead-of-copy: ADD of a local file that is not an archive (COPY does the same).

use super::df005_add_remote_url::is_remote;
use super::support::location;
use crate::checks::Emitter;
use crate::model::dockerfile::{Dockerfile, Keyword};

/// Local archives ADD unpacks (BuildKit: tar, optionally gzip, bzip2 or xz compressed).
fn is_archive(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    [
        ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
}

crate::declare_check! {
    /// ## What it does
    /// Reports `ADD` of a local source that is neither a URL nor a tar archive (which ADD would
    /// unpack), where `COPY` does the same thing. Sources whose name hides the type behind a
    /// variable are judged after ARG expansion.
    ///
    /// ## Why is this bad?
    /// ADD has implicit behaviour (URL fetching, archive unpacking) that changes what lands in the
    /// image when a file is renamed or replaced by an archive. COPY says exactly what it does.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD app.py /app/
    /// ```
    /// Fix: `COPY app.py /app/`.
    AddInsteadOfCopy {
        id: "DF006",
        name: "add-instead-of-copy",
        severity: Low,
        target: Dockerfile,
        references: {
            cis: ["4.9"],
            hadolint: ["DL3020"],
            trivy: ["DS005"],
            checkov: ["CKV_DOCKER_4"],
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
            let words = add.words();
            let sources = &words[..words.len().saturating_sub(1)];
            let local: Vec<&String> = sources
                .iter()
                .filter(|s| !is_remote(s) && !is_archive(s) && !s.starts_with("<<"))
                .collect();
            if let Some(first) = local.first() {
                out.finding(
                    format!("ADD copies the local {first:?}; COPY does the same without ADD's implicit unpacking and fetching"),
                    location(dockerfile, add),
                )
                .with_evidence("source", first.to_string());
            }
        }
    }
}
