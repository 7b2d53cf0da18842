//! DF015 copy-context-without-dockerignore: `COPY . .` or `ADD .` with no .dockerignore.

use super::support::location;
use crate::checks::Emitter;
use crate::model::dockerfile::{Dockerfile, Keyword};

crate::declare_check! {
    /// ## What it does
    /// Reports `COPY . .` / `ADD .` when the build context has no `.dockerignore`.
    ///
    /// That is: `COPY`/`ADD` of the whole build context (`.`, `./`, `*`) from the context (not
    /// `--from` another stage) when the context has no ignore file: neither `.dockerignore` at
    /// the context root nor `<Dockerfile>.dockerignore` beside the Dockerfile (BuildKit reads the
    /// latter first). The context is the Dockerfile's directory unless `--context` says otherwise.
    ///
    /// ## Why is this bad?
    /// The whole directory lands in the image: `.git` history, `.env` files, local credentials,
    /// test keys, build output. A deleted file is still in the layer.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY . .
    /// ```
    /// Fix: add a `.dockerignore` (`.git`, `.env*`, `*.pem`, `node_modules`...), or copy only
    /// what the build needs.
    CopyContextWithoutDockerignore {
        id: "DF015",
        name: "copy-context-without-dockerignore",
        severity: Medium,
        target: Dockerfile,
        references: {
            cis: ["4.10 (no secrets in images)"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    if !dockerfile.context.inspected || dockerfile.context.ignore_file.is_some() {
        return;
    }
    for stage in &dockerfile.stages {
        for copy in stage.instructions.iter().filter(|i| {
            matches!(i.keyword, Keyword::Copy | Keyword::Add) && i.flag("from").is_none()
        }) {
            let words = copy.words();
            let sources = &words[..words.len().saturating_sub(1)];
            if let Some(source) = sources
                .iter()
                .find(|s| matches!(s.as_str(), "." | "./" | "*" | "./*"))
            {
                out.finding(
                    format!(
                        "{} copies the whole build context ({source:?}) and {} has no .dockerignore",
                        copy.keyword.as_str(),
                        dockerfile.context.directory
                    ),
                    location(dockerfile, copy),
                )
                .with_evidence("context", dockerfile.context.directory.clone());
            }
        }
    }
}
