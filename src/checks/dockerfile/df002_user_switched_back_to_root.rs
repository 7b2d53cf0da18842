//! DF002 user-switched-back-to-root: the target chain sets a non-root USER, then ends as root.

use super::support::location;
use crate::checks::Emitter;
use crate::model::dockerfile::{Dockerfile, Keyword, Resolved};

crate::declare_check! {
    /// ## What it does
    /// Reports a target stage (with its `FROM earlier-stage` ancestry) that switches to a non-root
    /// USER and later back to root, and stays root: the last USER is `root`, `0`, `0:*` or
    /// `root:*` after ARG/ENV substitution. A temporary `USER root` followed by a non-root USER
    /// again is fine. DF001 also reports the root target; this check says where the switch back is.
    ///
    /// ## Why is this bad?
    /// The pattern usually means someone needed root for one step (installing a package) and forgot
    /// to switch back, so the image that was meant to run unprivileged runs as root.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22-slim
    /// USER node
    /// RUN npm ci
    /// USER root
    /// RUN apt-get update && apt-get install -y tini
    /// ```
    /// Fix: add `USER node` after the step that needs root.
    UserSwitchedBackToRoot {
        id: "DF002",
        name: "user-switched-back-to-root",
        severity: Medium,
        target: Dockerfile,
        references: {
            cis: ["4.1"],
            hadolint: ["DL3002 (last USER root, any stage)"],
            trivy: ["DS002"],
            checkov: ["CKV_DOCKER_8"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    let Some(last) = &dockerfile.target_stage().effective.user else {
        return;
    };
    if !last.value.is_root() {
        return;
    }
    let mut earlier_non_root = None;
    for stage in dockerfile.target_chain() {
        for instruction in &stage.instructions {
            if instruction.keyword != Keyword::User || instruction.lines == last.lines {
                continue;
            }
            let Resolved::Words(words) = &instruction.resolved else {
                continue;
            };
            let user = words.join(" ");
            let name = user.split(':').next().unwrap_or("").trim().to_string();
            if !matches!(name.as_str(), "" | "root" | "0") {
                earlier_non_root = Some((user, instruction.lines));
            }
        }
    }
    let Some((non_root, lines)) = earlier_non_root else {
        return;
    };
    let stage = &dockerfile.stages[last.stage];
    let Some(instruction) = stage.instructions.iter().find(|i| i.lines == last.lines) else {
        return;
    };
    out.finding(
        format!(
            "USER switches back to {:?} after the non-root USER {non_root:?} (line {}) and the image ends as root",
            last.value.resolved, lines.start
        ),
        location(dockerfile, instruction),
    )
    .with_evidence("user", last.value.resolved.clone())
    .with_evidence("earlier_user", non_root);
}
