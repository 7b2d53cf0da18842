//! Fixes in the Dockerfile's target stage, as line edits: a `USER` (or a user created for the
//! base's distribution), setuid/setgid bits stripped, `EXPOSE 22` removed, `ADD` of a local file
//! made `COPY`, a secret `ENV`/`ARG` replaced by a build-secret note. Image findings (IM001,
//! IM003, IM011) are fixed here too when the Dockerfile that builds the image is given.

use super::{Outcome, Sources};
use crate::findings::{Applicability, Edit, Finding, SourceKind};
use crate::join::Joined;
use crate::model::dockerfile::{Dockerfile, Instruction, Keyword, Stage};
use crate::model::image::Image;
use crate::model::users::parse_passwd;

/// AWS's guide to stripping setuid and setgid bits (ECS best practices, "Remove the special
/// permissions from files").
pub const STRIP_SETUID: &str = "RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +";

/// Byte offsets of a text's lines.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { text, starts }
    }

    /// The first byte of 1-based line `n`.
    fn start(&self, n: u32) -> usize {
        let index = (n.max(1) - 1) as usize;
        self.starts.get(index).copied().unwrap_or(self.text.len())
    }

    /// The byte after 1-based line `n` and its newline.
    fn after(&self, n: u32) -> usize {
        self.starts
            .get(n as usize)
            .copied()
            .unwrap_or(self.text.len())
    }
}

/// What the fixes of one scan share, computed once: the Dockerfile's line offsets, its
/// instructions by first line, and the fixes made for the whole target stage (the same for every
/// finding of the check). Without it each finding re-read the whole file: quadratic in a long
/// Dockerfile with many findings.
#[derive(Default)]
pub struct Cache<'a> {
    lines: Option<Lines<'a>>,
    by_line: Option<std::collections::HashMap<u32, &'a Instruction>>,
    stage_fixes: std::collections::HashMap<&'static str, Outcome>,
}

/// The fix of one finding (see [`fix_uncached`]), with the target-stage fixes (a USER, the
/// setuid strip) computed once per check.
pub fn fix<'a>(
    joined: &Joined<'a>,
    finding: &Finding,
    sources: &'a Sources,
    cache: &mut Cache<'a>,
) -> Outcome {
    let stage_level = matches!(finding.id, "DF001" | "IM001" | "IM003" | "DF010");
    if stage_level && let Some(outcome) = cache.stage_fixes.get(finding.id) {
        return outcome.clone();
    }
    let outcome = fix_uncached(joined, finding, sources, cache);
    if stage_level {
        cache.stage_fixes.insert(finding.id, outcome.clone());
    }
    outcome
}

fn fix_uncached<'a>(
    joined: &Joined<'a>,
    finding: &Finding,
    sources: &'a Sources,
    cache: &mut Cache<'a>,
) -> Outcome {
    let Some(dockerfile) = joined.dockerfile else {
        return Outcome::NotFixable;
    };
    let Some(text) = sources.texts.get(&dockerfile.path) else {
        return Outcome::NotFixable;
    };
    let Some(stage) = dockerfile.stages.get(dockerfile.target) else {
        return Outcome::NotFixable;
    };
    let lines = cache.lines.get_or_insert_with(|| Lines::new(text));
    let file = dockerfile.path.as_str();
    let from_dockerfile = finding.location.source == Some(SourceKind::Dockerfile)
        && finding.location.file.as_deref() == Some(file);
    let by_line = cache.by_line.get_or_insert_with(|| {
        let mut by_line = std::collections::HashMap::new();
        // The first instruction starting on a line wins, as the scan in file order did.
        for instruction in stage.instructions.iter().chain(&dockerfile.global_args) {
            by_line
                .entry(instruction.lines.start)
                .or_insert(instruction);
        }
        by_line
    });
    let instruction = from_dockerfile
        .then_some(finding.location.lines)
        .flatten()
        .and_then(|span| by_line.get(&span.start).copied());
    let edit = |start: usize, end: usize, replacement: String| Edit {
        file: file.to_string(),
        start,
        end,
        replacement,
    };
    let fixed = |applicability, description: String, edits| {
        Outcome::Fixed(crate::findings::Fix {
            applicability,
            description,
            edits,
        })
    };
    match finding.id {
        "DF001" | "IM001" => {
            let (user, create, applicability, why) = chosen_user(joined.image, dockerfile, stage);
            // After the stage's last line, so the USER also covers every instruction's result.
            let at = lines.after(last_line(stage));
            let newline = if text[..at].ends_with('\n') || at == 0 {
                ""
            } else {
                "\n"
            };
            let mut replacement = newline.to_string();
            if let Some(create) = &create {
                replacement.push_str(create);
                replacement.push('\n');
            }
            replacement.push_str(&format!("USER {user}\n"));
            fixed(
                applicability,
                format!("run as {user}: {why}"),
                vec![edit(at, at, replacement)],
            )
        }
        "IM003" | "DF010" => {
            // Right after the last instruction that writes the filesystem (still as root), on its
            // line's end, so a USER added at the stage's end comes after it.
            let Some(last_write) = stage
                .instructions
                .iter()
                .rev()
                .find(|i| matches!(i.keyword, Keyword::Run | Keyword::Copy | Keyword::Add))
            else {
                return Outcome::NotFixable;
            };
            let line_end = lines.after(last_write.lines.end);
            let at = if text[..line_end].ends_with('\n') {
                line_end - 1
            } else {
                line_end
            };
            if text.contains(STRIP_SETUID) {
                return Outcome::NotFixable;
            }
            let no_shell = joined
                .image
                .is_some_and(|image| image.find_program("sh", image.path_env()).is_none());
            let applicability = if no_shell {
                Applicability::Review
            } else {
                Applicability::Safe
            };
            fixed(
                applicability,
                format!(
                    "strip setuid/setgid bits in the target stage ({}){}",
                    "AWS's ECS best practice",
                    if no_shell {
                        " (review: the image has no /bin/sh for RUN)"
                    } else {
                        ""
                    }
                ),
                vec![edit(at, at, format!("\n{STRIP_SETUID}"))],
            )
        }
        "DF013" | "IM011" => {
            let exposes: Vec<&Instruction> = match instruction {
                Some(i) => vec![i],
                None => stage
                    .instructions
                    .iter()
                    .filter(|i| i.keyword == Keyword::Expose && i.words().iter().any(|w| is_ssh(w)))
                    .collect(),
            };
            let mut edits = Vec::new();
            for expose in exposes {
                if expose.keyword != Keyword::Expose {
                    continue;
                }
                let kept: Vec<&String> = expose.words().iter().filter(|w| !is_ssh(w)).collect();
                let start = lines.start(expose.lines.start);
                let end = lines.after(expose.lines.end);
                if kept.is_empty() {
                    edits.push(edit(start, end, String::new()));
                } else if expose.lines.start == expose.lines.end
                    && expose.arguments == *expose.words()
                {
                    let written: Vec<&str> = kept.iter().map(|w| w.as_str()).collect();
                    let newline = if text[start..end].ends_with('\n') {
                        "\n"
                    } else {
                        ""
                    };
                    edits.push(edit(
                        start,
                        end,
                        format!("EXPOSE {}{newline}", written.join(" ")),
                    ));
                }
            }
            if edits.is_empty() {
                return Outcome::Missing(
                    "remove port 22 from the EXPOSE instruction by hand".into(),
                );
            }
            fixed(
                Applicability::Safe,
                "remove EXPOSE 22 (no SSH server belongs in a container; use ECS Exec)".into(),
                edits,
            )
        }
        "DF006" => {
            let Some(add) = instruction.filter(|i| i.keyword == Keyword::Add) else {
                return Outcome::NotFixable;
            };
            let sources = &add.words()[..add.words().len().saturating_sub(1)];
            if sources.iter().any(|s| is_archive(s)) {
                return Outcome::Missing(
                    "ADD unpacks this local archive; keep ADD or unpack it in a RUN".into(),
                );
            }
            let start = lines.start(add.lines.start);
            let line = &text[start..];
            let offset = line.len() - line.trim_start().len();
            let keyword = start + offset;
            if !text[keyword..]
                .get(..3)
                .is_some_and(|k| k.eq_ignore_ascii_case("ADD"))
            {
                return Outcome::NotFixable;
            }
            fixed(
                Applicability::Safe,
                "COPY instead of ADD for a local file (ADD also fetches URLs and unpacks archives)"
                    .into(),
                vec![edit(keyword, keyword + 3, "COPY".into())],
            )
        }
        "DF004" => {
            let Some(secret) =
                instruction.filter(|i| matches!(i.keyword, Keyword::Env | Keyword::Arg))
            else {
                return Outcome::NotFixable;
            };
            let Some(name) = finding.evidence.get("name") else {
                return Outcome::NotFixable;
            };
            let single = match secret.keyword {
                Keyword::Env => secret.arguments.len() == 2,
                _ => secret.arguments.len() == 1,
            };
            if !single {
                return Outcome::Missing(format!(
                    "{name} shares its {} instruction with other variables; move it to a build secret by hand",
                    secret.keyword.as_str()
                ));
            }
            let start = lines.start(secret.lines.start);
            let end = lines.after(secret.lines.end);
            let id = name.to_ascii_lowercase();
            fixed(
                Applicability::Review,
                format!(
                    "{name} is a secret baked into the image: pass it as a build secret (review: the RUN that reads it must change)"
                ),
                vec![edit(
                    start,
                    end,
                    format!(
                        "# harden: {name} was a secret in the image. Pass it at build time instead:\n#   RUN --mount=type=secret,id={id},env={name} <command that needs it>\n#   docker build --secret id={id},env={name} .\n"
                    ),
                )],
            )
        }
        _ => Outcome::NotFixable,
    }
}

fn last_line(stage: &Stage) -> u32 {
    stage
        .instructions
        .iter()
        .map(|i| i.lines.end)
        .chain(std::iter::once(stage.from.lines.end))
        .max()
        .unwrap_or(1)
}

fn is_ssh(word: &str) -> bool {
    matches!(word, "22" | "22/tcp")
}

fn is_archive(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    [
        ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".gz",
        ".bz2", ".xz",
    ]
    .iter()
    .any(|extension| lower.ends_with(extension))
}

/// The user the target stage should end with, a line creating it when the image has none, how
/// sure that is, and why.
fn chosen_user(
    image: Option<&Image>,
    dockerfile: &Dockerfile,
    stage: &Stage,
) -> (String, Option<String>, Applicability, String) {
    if let Some(image) = image {
        let passwd = image
            .filesystem
            .content("/etc/passwd")
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default();
        if let Some(user) = parse_passwd(&passwd)
            .into_iter()
            .find(|u| (1000..65534).contains(&u.uid))
        {
            return (
                user.name.clone(),
                None,
                Applicability::Safe,
                format!(
                    "{} (uid {}) is the image's regular user",
                    user.name, user.uid
                ),
            );
        }
    }
    let _ = dockerfile;
    let base = match &stage.base {
        crate::model::dockerfile::Base::Image(reference) => reference.resolved.to_ascii_lowercase(),
        _ => String::new(),
    };
    let busybox_like = base.contains("alpine") || base.contains("busybox");
    let create = if busybox_like {
        "RUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app"
    } else {
        "RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home app"
    };
    (
        "app".into(),
        Some(create.into()),
        Applicability::Review,
        format!(
            "the image has no regular user; create one ({} tools, review: the base's distribution was guessed from its name)",
            if busybox_like {
                "busybox/Alpine"
            } else {
                "shadow-utils"
            }
        ),
    )
}
