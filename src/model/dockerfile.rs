//! A Dockerfile as checks see it: stages with their base (an external image, `scratch` or an
//! earlier stage), instructions with whole-instruction line spans, ARG/ENV resolved the way
//! BuildKit resolves them, and the effective USER / ENV / EXPOSE / HEALTHCHECK of every stage,
//! inherited through `FROM earlier-stage` chains. Built by `load::dockerfile`; no parsing here.

use std::collections::BTreeMap;

use crate::findings::LineSpan;

/// A parsed and resolved Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    /// The path as the user gave it.
    pub path: String,
    /// The `# syntax=` directive.
    pub syntax: Option<String>,
    /// The escape token (`\`, or `` ` `` with `# escape=`` ` ``).
    pub escape: char,
    /// `--build-arg` values given for this scan.
    pub build_args: BTreeMap<String, String>,
    /// ARG instructions before the first FROM (the global scope FROM lines expand in).
    pub global_args: Vec<Instruction>,
    /// Every stage, in file order; never empty.
    pub stages: Vec<Stage>,
    /// Stage names (lower-cased) to the last stage of that name, as BuildKit's `statesByName`
    /// ends up once every stage is added: what `COPY --from=name` and `--target` look up.
    pub stage_names: BTreeMap<String, usize>,
    /// Index of the stage that is built: `--target`, or the last stage.
    pub target: usize,
    /// What the loader found about the build context.
    pub context: BuildContext,
    /// What the loader skipped, for the report's notes (instructions BuildKit does not know).
    pub notes: Vec<String>,
    /// Ignore pragmas in comments (`# harden ignore=DF001`, `# hadolint ignore=DL3002`), read by
    /// the lexer; the policy stage applies them.
    pub pragmas: Vec<Pragma>,
    /// Comments that look meant as a `# harden` pragma but do not parse (`# harden: ignore=DF001`,
    /// `# harden ignore DF001`): they suppress nothing, and HD004 says so.
    pub malformed_pragmas: Vec<MalformedPragma>,
}

/// A comment that names harden and `ignore` but is not a valid pragma.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedPragma {
    pub line: u32,
    /// The comment as written (at most 200 characters).
    pub written: String,
}

/// Whose pragma a comment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PragmaTool {
    Harden,
    Hadolint,
}

impl PragmaTool {
    pub fn as_str(self) -> &'static str {
        match self {
            PragmaTool::Harden => "harden",
            PragmaTool::Hadolint => "hadolint",
        }
    }
}

/// One `# harden ignore=...` or `# hadolint ignore=...` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pragma {
    pub tool: PragmaTool,
    /// `global ignore=`: applies to the whole file.
    pub global: bool,
    /// The comment's line.
    pub line: u32,
    /// The IDs as written (`DF001`, `DL3002`, `root-user`).
    pub ids: Vec<String>,
    /// What follows the ID list (`-- we need it`), as written but for the `--` marker.
    pub reason: Option<String>,
    /// The instruction the pragma stands above (a run of comment lines ends at it; a blank line
    /// breaks the run, as in hadolint): its whole span, continuation lines and heredocs included.
    /// `None` for a global pragma or one that stands above no instruction.
    pub instruction: Option<LineSpan>,
}

impl Pragma {
    /// How the pragma reads: `# harden global ignore=DF001,DF008`.
    pub fn written(&self) -> String {
        let scope = if self.global { " global" } else { "" };
        format!(
            "# {}{scope} ignore={}",
            self.tool.as_str(),
            self.ids.join(",")
        )
    }
}

/// The build context as far as the loader looked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildContext {
    /// The context directory (the Dockerfile's directory unless told otherwise).
    pub directory: String,
    /// The ignore file that applies (`.dockerignore` in the context, or `<Dockerfile>.dockerignore`
    /// beside the Dockerfile), if one exists. `None` also when the context was not looked at.
    pub ignore_file: Option<String>,
    /// Whether the loader could look at the context at all (false for text given without a path).
    pub inspected: bool,
}

/// One build stage: its FROM and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// `AS name`, lower-cased as BuildKit does.
    pub name: Option<String>,
    /// The FROM instruction.
    pub from: Instruction,
    pub base: Base,
    /// `FROM --platform=...` after expansion.
    pub platform: Option<String>,
    /// Instructions after FROM (ONBUILD triggers stay wrapped in their ONBUILD instruction).
    pub instructions: Vec<Instruction>,
    /// What the stage's image ends with, inherited through its stage ancestry.
    pub effective: Effective,
}

impl Stage {
    /// `stage "name" (#0)` or `stage 1`, for messages.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("stage {name:?} (#{})", self.index),
            None => format!("stage {}", self.index),
        }
    }
}

/// What a stage builds on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// `FROM scratch`: an empty filesystem and config.
    Scratch,
    /// An image from a registry.
    Image(ImageReference),
    /// An earlier stage, by index (written as its name).
    Stage(usize),
}

/// An image reference from FROM, after ARG expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference {
    /// As written (`python:${PY}-slim`).
    pub written: String,
    /// After ARG expansion (`python:3.12-slim`).
    pub resolved: String,
    /// Repository without tag or digest (`python`, `ghcr.io/org/app`).
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:...` when pinned by digest.
    pub digest: Option<String>,
    /// The expansion used a variable that has no value.
    pub has_unset_variable: bool,
}

impl ImageReference {
    /// Splits `registry:5000/repo/name:tag@sha256:...` into repository, tag and digest.
    pub fn parse(written: &str, resolved: &str, has_unset_variable: bool) -> ImageReference {
        let (rest, digest) = match resolved.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest.to_string())),
            None => (resolved, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        ImageReference {
            written: written.to_string(),
            resolved: resolved.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
            has_unset_variable,
        }
    }

    /// The repository's last path component (`python` for `docker.io/library/python`).
    pub fn short_name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }
}

/// Instruction keywords BuildKit knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Keyword {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
}

impl Keyword {
    /// Parses a lower- or upper-case keyword.
    pub fn parse(word: &str) -> Option<Keyword> {
        Some(match word.to_ascii_lowercase().as_str() {
            "add" => Keyword::Add,
            "arg" => Keyword::Arg,
            "cmd" => Keyword::Cmd,
            "copy" => Keyword::Copy,
            "entrypoint" => Keyword::Entrypoint,
            "env" => Keyword::Env,
            "expose" => Keyword::Expose,
            "from" => Keyword::From,
            "healthcheck" => Keyword::Healthcheck,
            "label" => Keyword::Label,
            "maintainer" => Keyword::Maintainer,
            "onbuild" => Keyword::Onbuild,
            "run" => Keyword::Run,
            "shell" => Keyword::Shell,
            "stopsignal" => Keyword::Stopsignal,
            "user" => Keyword::User,
            "volume" => Keyword::Volume,
            "workdir" => Keyword::Workdir,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Add => "ADD",
            Keyword::Arg => "ARG",
            Keyword::Cmd => "CMD",
            Keyword::Copy => "COPY",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Env => "ENV",
            Keyword::Expose => "EXPOSE",
            Keyword::From => "FROM",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Label => "LABEL",
            Keyword::Maintainer => "MAINTAINER",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Run => "RUN",
            Keyword::Shell => "SHELL",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::User => "USER",
            Keyword::Volume => "VOLUME",
            Keyword::Workdir => "WORKDIR",
        }
    }
}

/// A builder flag (`--mount=type=cache,target=/x`, `--link`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Without the dashes (`mount`).
    pub name: String,
    /// After `=`; `None` for a bare `--link`.
    pub value: Option<String>,
}

/// A heredoc body attached to RUN/COPY/ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub name: String,
    pub file_descriptor: u32,
    /// Unquoted delimiter: `$X` in the body expands.
    pub expand: bool,
    /// `<<-`: leading tabs are stripped.
    pub chomp: bool,
    /// The body as the build sees it (tabs stripped for `<<-`).
    pub content: String,
}

/// One ARG binding: `ARG NAME[=default]` with the value it takes in this build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgBinding {
    pub name: String,
    /// The default as written (before expansion).
    pub default: Option<String>,
    /// The value in effect: a `--build-arg`, else the expanded default, else the global value.
    pub value: Option<String>,
    /// The value came from `--build-arg`.
    pub from_build_arg: bool,
}

/// An instruction's arguments after BuildKit's expansion, where BuildKit expands them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Resolved {
    /// Not expanded at build time (RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD...).
    #[default]
    NotExpanded,
    /// Expanded words (FROM, USER, WORKDIR, EXPOSE, COPY, ADD, VOLUME, STOPSIGNAL).
    Words(Vec<String>),
    /// Expanded key/value pairs (ENV, LABEL).
    Pairs(Vec<(String, String)>),
    /// ARG declarations.
    Args(Vec<ArgBinding>),
}

/// One instruction with its whole line span (continuations and heredoc bodies included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub keyword: Keyword,
    pub flags: Vec<Flag>,
    /// BuildKit's argument list for the keyword: the shell-form command as one string, the JSON
    /// array's items, `KEY`, `VALUE` pairs flattened for ENV/LABEL, whitespace-split words for
    /// FROM/COPY/ADD/EXPOSE, `NAME=value` words for ARG, `[CMD|NONE, ...]` for HEALTHCHECK.
    pub arguments: Vec<String>,
    /// JSON (exec) form.
    pub json: bool,
    pub heredocs: Vec<Heredoc>,
    pub lines: LineSpan,
    /// The instruction's text, continuation lines joined.
    pub text: String,
    pub resolved: Resolved,
    /// The instruction an ONBUILD wraps.
    pub onbuild: Option<Box<Instruction>>,
}

impl Instruction {
    /// The `from=` of each `--mount` (BuildKit's `parseMount`: comma-separated `key=value`
    /// fields, keys case-insensitive); mounts without one read the build context.
    pub fn mount_sources(&self) -> Vec<String> {
        self.flags_named("mount")
            .filter_map(|flag| flag.value.as_deref())
            .filter_map(|value| {
                value
                    .split(',')
                    .filter_map(|field| field.trim_matches('"').split_once('='))
                    .filter(|(key, _)| key.eq_ignore_ascii_case("from"))
                    .map(|(_, value)| value.to_string())
                    .next_back()
            })
            .filter(|from| !from.is_empty())
            .collect()
    }

    /// A flag by name (`mount`, `from`, `checksum`); the last one wins, as in BuildKit.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }

    /// Every flag with this name (`--mount` may repeat).
    pub fn flags_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Flag> + 'a {
        self.flags.iter().filter(move |f| f.name == name)
    }

    /// The expanded words if BuildKit expands this instruction, else the arguments as written.
    pub fn words(&self) -> &[String] {
        match &self.resolved {
            Resolved::Words(words) => words,
            _ => &self.arguments,
        }
    }

    /// The shell text a RUN executes: the shell-form command, the JSON form joined by spaces, and
    /// every heredoc body (for `RUN <<EOF` the body is the script).
    pub fn command_text(&self) -> String {
        let mut text = self.arguments.join(" ");
        for heredoc in &self.heredocs {
            text.push('\n');
            text.push_str(&heredoc.content);
        }
        text
    }
}

/// A setting with the place that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub lines: LineSpan,
    /// The stage whose instruction set it (an ancestor for inherited settings).
    pub stage: usize,
}

/// The USER in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// As written (`${APP_USER}`).
    pub written: String,
    /// After ARG/ENV expansion (`app`, `0:0`).
    pub resolved: String,
}

impl User {
    /// The user part (before `:`).
    pub fn name(&self) -> &str {
        self.resolved.split(':').next().unwrap_or("").trim()
    }

    /// `root`, `0`, `0:*`, `root:*`, or empty (BuildKit treats an empty USER as root).
    pub fn is_root(&self) -> bool {
        matches!(self.name(), "" | "root" | "0")
    }
}

/// What a stage's image ends with: the config the built image would carry (as far as the
/// Dockerfile says; an external base image's own config is unknown until the image is scanned).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effective {
    /// Stage indices from the root of the FROM chain to this stage.
    pub chain: Vec<usize>,
    /// The external image at the root of the chain; `None` for `scratch`.
    pub base_image: Option<ImageReference>,
    /// The last USER in the chain; `None` when no stage of the chain sets one (the base image's
    /// user applies: root for scratch, unknown for an external image).
    pub user: Option<Setting<User>>,
    /// ENV in effect, by name (the last assignment wins).
    pub env: BTreeMap<String, Setting<String>>,
    /// EXPOSEd ports after expansion (`80/tcp`), in order.
    pub expose: Vec<Setting<String>>,
    /// The last HEALTHCHECK; `value` is true when it is `HEALTHCHECK NONE`.
    pub healthcheck: Option<Setting<bool>>,
    /// The last CMD and ENTRYPOINT arguments.
    pub cmd: Option<Setting<Vec<String>>>,
    pub entrypoint: Option<Setting<Vec<String>>>,
}

impl Dockerfile {
    /// The stage that is built.
    pub fn target_stage(&self) -> &Stage {
        &self.stages[self.target]
    }

    /// The target stage and its stage ancestry, root first.
    pub fn target_chain(&self) -> impl Iterator<Item = &Stage> {
        self.target_stage()
            .effective
            .chain
            .iter()
            .map(|&i| &self.stages[i])
    }

    /// A stage by name, case-insensitive, as `--target` names it (BuildKit's `findStateByName`:
    /// by name only, never by index; a name used twice names the last stage of that name).
    pub fn stage_named(&self, name: &str) -> Option<&Stage> {
        self.stage_names
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.stages[i])
    }

    /// What `COPY --from=REFERENCE` or `RUN --mount=from=REFERENCE` in stage `stage` reads, as
    /// BuildKit's dockerfile2llb resolves it (moby/buildkit at 73ed6825, 2026-08-21):
    ///
    /// - `toCommand` (frontend/dockerfile/dockerfile2llb/convert.go, lines 941-978) runs once every
    ///   stage is known. `COPY --from` that `strconv.Atoi` reads as a number is a stage index
    ///   (`findStateByIndex`: out of range is "invalid stage index"); anything else is looked up
    ///   by name, lower-cased (`findStateByName`, lines 1259-1262), and a name no stage has is an
    ///   image (an "unregistered" state whose base name is the reference).
    /// - `detectRunMount` (convert_runmount.go, lines 16-43) looks `from=` up by name only: a
    ///   mount's `from=0` is the image `0`, not stage 0.
    /// - A stage at or after the current one fails the build: a later one with "cannot copy from
    ///   stage ..., it needs to be defined before current stage" (convert.go line 1124;
    ///   convert_runmount.go line 75: "stage needs to be defined before current command"), the
    ///   current one with "circular dependency detected" (`validateCircularDependency`,
    ///   validations.go; convert_test.go `TestDockerfileCircularDependencies`).
    /// - `--from` with a variable or quotes is refused ("variable expansion is not supported for
    ///   --from"; a mount's `from` with `$` not at the end likewise).
    ///
    /// `FROM` is not resolved here: it looks up only the stages before it, case-sensitively, by
    /// name only (`addState`, convert.go lines 1247-1257), which the loader does as it reads.
    pub fn resolve_from(&self, stage: usize, reference: &str, kind: FromKind) -> StageOrImage {
        let invalid = |reason| StageOrImage::Invalid(reason);
        let variable = match kind {
            // `ProcessWordWithMatches` with no variables changes the word: `$X`, quotes, escapes.
            FromKind::Copy => reference.char_indices().any(|(i, c)| {
                (c == '$' && i + 1 < reference.len()) || c == '"' || c == '\'' || c == self.escape
            }),
            FromKind::Mount => reference.find('$').is_some_and(|i| i + 1 < reference.len()),
        };
        if variable {
            return invalid(InvalidReference::Variable);
        }
        let found = match (kind, reference.parse::<i64>()) {
            (FromKind::Copy, Ok(index)) => match usize::try_from(index) {
                Ok(index) if index < self.stages.len() => index,
                _ => return invalid(InvalidReference::NoSuchIndex),
            },
            _ => match self.stage_names.get(&reference.to_ascii_lowercase()) {
                Some(&index) => index,
                None => {
                    return StageOrImage::Image(ImageReference::parse(reference, reference, false));
                }
            },
        };
        match found.cmp(&stage) {
            std::cmp::Ordering::Less => StageOrImage::Stage(found),
            std::cmp::Ordering::Equal => invalid(InvalidReference::CurrentStage),
            std::cmp::Ordering::Greater => invalid(InvalidReference::LaterStage(found)),
        }
    }

    /// Every `COPY --from` and `RUN --mount=...,from=` of every stage, resolved, in file order.
    /// (ONBUILD triggers run in the builds that use this image as a base; they are not here.)
    pub fn stage_references(&self) -> Vec<StageReference<'_>> {
        let mut references = Vec::new();
        for stage in &self.stages {
            for instruction in &stage.instructions {
                match instruction.keyword {
                    Keyword::Copy => {
                        if let Some(written) = instruction
                            .flag("from")
                            .and_then(|f| f.value.as_deref())
                            .filter(|v| !v.is_empty())
                        {
                            references.push(StageReference {
                                stage: stage.index,
                                instruction,
                                kind: FromKind::Copy,
                                written: written.to_string(),
                                resolved: self.resolve_from(stage.index, written, FromKind::Copy),
                            });
                        }
                    }
                    Keyword::Run => {
                        for written in instruction.mount_sources() {
                            references.push(StageReference {
                                stage: stage.index,
                                instruction,
                                kind: FromKind::Mount,
                                resolved: self.resolve_from(stage.index, &written, FromKind::Mount),
                                written,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        references
    }

    /// Stages whose files reach the built image through `COPY --from` (directly from the
    /// target's chain, or through another such stage), with the COPY that takes them first. The
    /// target chain itself is not included. Linear in the number of references.
    pub fn copied_into_target(&self) -> BTreeMap<usize, CopiedFrom> {
        let references = self.stage_references();
        let mut by_stage: BTreeMap<usize, Vec<&StageReference<'_>>> = BTreeMap::new();
        for reference in &references {
            if reference.kind == FromKind::Copy {
                by_stage.entry(reference.stage).or_default().push(reference);
            }
        }
        let mut copied: BTreeMap<usize, CopiedFrom> = BTreeMap::new();
        let mut queue: Vec<usize> = self.target_stage().effective.chain.clone();
        let mut seen: std::collections::BTreeSet<usize> = queue.iter().copied().collect();
        while let Some(stage) = queue.pop() {
            for reference in by_stage.get(&stage).into_iter().flatten() {
                let StageOrImage::Stage(source) = reference.resolved else {
                    continue;
                };
                if self.ships(source) {
                    continue;
                }
                let words = reference.instruction.words();
                // The last word is the destination; a heredoc COPY has no source paths.
                let sources = &words[..words.len().saturating_sub(1)];
                if let Some(entry) = copied.get_mut(&source) {
                    entry.sources.extend(sources.iter().cloned());
                    continue;
                }
                // The source stage's whole chain is its filesystem; each stage is entered once.
                for &ancestor in &self.stages[source].effective.chain {
                    if self.ships(ancestor) || copied.contains_key(&ancestor) {
                        continue;
                    }
                    copied.insert(
                        ancestor,
                        CopiedFrom {
                            copy: reference.instruction.lines,
                            sources: sources.to_vec(),
                        },
                    );
                    if seen.insert(ancestor) {
                        queue.push(ancestor);
                    }
                }
            }
        }
        copied
    }

    /// Whether a stage is the target or one of its ancestors (what ends up in the built image).
    pub fn ships(&self, stage: usize) -> bool {
        self.target_stage().effective.chain.contains(&stage)
    }
}

/// Which flag names the source: `COPY --from` takes stage indexes, a mount's `from=` does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromKind {
    Copy,
    Mount,
}

/// What a `--from` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageOrImage {
    /// An earlier stage, by index.
    Stage(usize),
    /// An image (no stage has that name).
    Image(ImageReference),
    /// BuildKit refuses the build.
    Invalid(InvalidReference),
}

/// Why BuildKit refuses a `--from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidReference {
    /// A variable, quotes or an escape: `--from` is not expanded.
    Variable,
    /// `COPY --from=N` with no stage N.
    NoSuchIndex,
    /// The stage the instruction is in (a circular dependency).
    CurrentStage,
    /// A stage defined after the instruction's stage.
    LaterStage(usize),
}

impl InvalidReference {
    /// Why, for messages.
    pub fn describe(self) -> String {
        match self {
            InvalidReference::Variable => {
                "--from is not expanded: a variable, quote or escape in it fails the build".into()
            }
            InvalidReference::NoSuchIndex => "no stage has that index".into(),
            InvalidReference::CurrentStage => {
                "it names the stage it is in (a circular dependency)".into()
            }
            InvalidReference::LaterStage(index) => {
                format!("it names stage {index}, defined later: a stage can only read earlier ones")
            }
        }
    }
}

/// One resolved `COPY --from` or mount `from=`.
#[derive(Debug, Clone)]
pub struct StageReference<'a> {
    /// The stage the instruction is in.
    pub stage: usize,
    pub instruction: &'a Instruction,
    pub kind: FromKind,
    /// The reference as written.
    pub written: String,
    pub resolved: StageOrImage,
}

/// How a stage's files reach the built image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedFrom {
    /// The first COPY --from that takes them.
    pub copy: LineSpan,
    /// That COPY's source paths (after expansion), relative to the stage's root.
    pub sources: Vec<String>,
}
