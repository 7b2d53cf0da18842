//! Reads a Dockerfile into [`crate::model::dockerfile::Dockerfile`]: BuildKit-faithful syntax
//! (`syntax`), BuildKit's shell-word expansion (`shell`), then stages, bases and ARG/ENV scopes as
//! BuildKit's `dockerfile2llb` resolves them.
//!
//! Why our own parser rather than the `parse-dockerfile` crate behind an adapter: the adapter would
//! have had to (1) pre-scan the text to decide continuations itself (that crate continues a line
//! ending in `\\`, BuildKit does not), (2) patch `ENTRYPOINT []`, which that crate rejects, (3)
//! recompute every instruction's end line from its argument spans, and (4) re-shape every
//! instruction into BuildKit's argument lists anyway, because the conformance test compares with
//! BuildKit's AST. (1) is the line-joining half of BuildKit's parser and (4) its argument half, so
//! the adapter would have been the parser plus a dependency. Measured on our conformance suite
//! (`tests/dockerfile_conformance/`, 8 files BuildKit accepts), `parse-dockerfile` 0.1.9 rejects 2
//! (`ENTRYPOINT []`; two heredocs on one line joined by `&&`) and splits 2 into fewer
//! instructions than BuildKit (`\\` and ``` `` ``` at the end of a line taken as continuations).
//! BuildKit's parser is small (line joining, builder flags, a dozen argument shapes, heredocs);
//! this module follows it function by function, and `tests/dockerfile_conformance.rs` compares
//! it with BuildKit's own Go parser.

pub mod pragma;
pub mod shell;
pub mod syntax;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::findings::LineSpan;
use crate::limits::{LimitExceeded, Limits};
use crate::model::dockerfile::{
    ArgBinding, Base, BuildContext, Dockerfile, Effective, Flag, Heredoc, ImageReference,
    Instruction, Keyword, Resolved, Setting, Stage, User,
};
use shell::LexOptions;
use syntax::RawInstruction;

/// What to build: the target stage, build arguments, the context directory.
#[derive(Debug, Clone, Default)]
pub struct DockerfileOptions {
    /// `--target`: the stage to build (default: the last).
    pub target: Option<String>,
    /// `--build-arg KEY=VALUE`, in order (a later one wins).
    pub build_args: Vec<(String, String)>,
    /// The build context directory (default: the Dockerfile's directory).
    pub context: Option<PathBuf>,
    /// Bounds on the file (`input-bytes`), its expansions (`expansion-bytes`, `nesting-depth`) and
    /// its stage chains (`nesting-depth`).
    pub limits: Limits,
}

/// Why a Dockerfile cannot be read. Every variant names the file, and the line where there is one.
#[derive(Debug, thiserror::Error)]
pub enum DockerfileError {
    /// The cause is part of the message, not a `source`: the CLI prints the error chain, which
    /// would repeat it.
    #[error("cannot read the Dockerfile {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: String,
        line: u32,
        message: String,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: String,
        line: u32,
        message: String,
    },
    #[error("{path}: not a Dockerfile: it is {kind}; pass it {how}")]
    WrongKind {
        path: String,
        kind: &'static str,
        how: &'static str,
    },
    #[error("{path}:{line}: {error}")]
    Limit {
        path: String,
        line: u32,
        error: LimitExceeded,
    },
    #[error("{path}: --target {target:?} names no stage (stages: {available})")]
    UnknownTarget {
        path: String,
        target: String,
        available: String,
    },
}

/// Reads and resolves a Dockerfile from disk, and looks for the ignore file of its context.
pub fn load(path: &Path, options: &DockerfileOptions) -> Result<Dockerfile, DockerfileError> {
    let shown = path.display().to_string();
    let limit = |error| DockerfileError::Limit {
        path: shown.clone(),
        line: 1,
        error,
    };
    // `-` is standard input, as `docker build -f -` takes it; bounded as a file is.
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(
                std::io::stdin().lock(),
                options.limits.input_bytes.saturating_add(1),
            ),
            &mut bytes,
        )
        .map_err(|error| DockerfileError::Read {
            path: shown.clone(),
            error,
        })?;
        let size = bytes.len() as u64;
        options
            .limits
            .check("input-bytes", size, || {
                format!("standard input ({size} bytes or more)")
            })
            .map_err(limit)?;
        bytes
    } else {
        crate::load::read_bounded(path, &options.limits).map_err(|error| match error {
            crate::load::BoundedReadError::Io(error) => DockerfileError::Read {
                path: shown.clone(),
                error,
            },
            crate::load::BoundedReadError::Limit(error) => limit(error),
        })?
    };
    // Given to the wrong flag: say what it is and where it goes, not "no FROM".
    let kind = crate::load::sniff::classify(&bytes[..bytes.len().min(8192)]);
    if matches!(
        kind,
        crate::load::sniff::InputKind::ImageArchive
            | crate::load::sniff::InputKind::TaskDefinition
            | crate::load::sniff::InputKind::VulnerabilityReport
    ) {
        return Err(DockerfileError::WrongKind {
            path: shown,
            kind: kind.describe(),
            how: kind.how_to_pass(),
        });
    }
    let mut dockerfile = from_text(&String::from_utf8_lossy(&bytes), &shown, options)?;
    dockerfile.context = inspect_context(path, options.context.as_deref());
    Ok(dockerfile)
}

/// BuildKit reads `<Dockerfile name>.dockerignore` beside the Dockerfile first, then
/// `.dockerignore` at the context root.
fn inspect_context(dockerfile: &Path, context: Option<&Path>) -> BuildContext {
    let directory = context
        .map(Path::to_path_buf)
        .or_else(|| dockerfile.parent().map(Path::to_path_buf))
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let mut beside = dockerfile.as_os_str().to_owned();
    beside.push(".dockerignore");
    let candidates = [PathBuf::from(beside), directory.join(".dockerignore")];
    BuildContext {
        directory: directory.display().to_string(),
        ignore_file: candidates
            .iter()
            .find(|c| c.is_file())
            .map(|c| c.display().to_string()),
        inspected: true,
    }
}

/// Parses and resolves Dockerfile text; `path` is only used in messages and locations.
pub fn from_text(
    text: &str,
    path: &str,
    options: &DockerfileOptions,
) -> Result<Dockerfile, DockerfileError> {
    let tree = syntax::parse_with(
        text,
        options.limits.nesting_depth,
        options.limits.dockerfile_words,
    )
    .map_err(|e| match e.limit {
        Some((limit, max)) => DockerfileError::Limit {
            path: path.to_string(),
            line: e.line,
            error: LimitExceeded {
                limit,
                max,
                what: if limit == "dockerfile-words" {
                    "the word count of the Dockerfile's instructions".into()
                } else {
                    "a variable expansion".into()
                },
            },
        },
        None => DockerfileError::Syntax {
            path: path.to_string(),
            line: e.line,
            message: e.message,
        },
    })?;
    let build_args: BTreeMap<String, String> = options.build_args.iter().cloned().collect();
    let mut resolver = Resolver {
        path,
        escape: tree.escape,
        build_args: &build_args,
        global: platform_args(),
        stages: Vec::new(),
        global_args: Vec::new(),
        scope: Scope::default(),
        notes: RefCell::new(Vec::new()),
        limits: options.limits,
        stage_names: HashMap::new(),
        expanded: Cell::new(0),
    };
    let pragmas = tree.pragmas;
    let malformed_pragmas = tree.malformed_pragmas;
    for raw in tree.instructions {
        resolver.add(raw)?;
    }
    resolver.finish_stage();
    let Resolver {
        stages,
        global_args,
        notes,
        stage_names,
        ..
    } = resolver;
    let notes = notes.into_inner();
    if stages.is_empty() {
        return Err(DockerfileError::Invalid {
            path: path.to_string(),
            line: global_args.last().map_or(1, |a| a.lines.end),
            message: "no FROM: the Dockerfile has no build stage".into(),
        });
    }
    let target = match &options.target {
        None => stages.len() - 1,
        // BuildKit's `findStateByName`: lower-cased, the last stage of that name, never an index.
        Some(name) => stage_names
            .get(&name.to_ascii_lowercase())
            .copied()
            .ok_or_else(|| DockerfileError::UnknownTarget {
                path: path.to_string(),
                target: name.clone(),
                available: stages
                    .iter()
                    .map(|s| s.name.clone().unwrap_or_else(|| format!("#{}", s.index)))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
    };
    Ok(Dockerfile {
        path: path.to_string(),
        syntax: tree.syntax,
        escape: tree.escape,
        build_args,
        global_args,
        stages,
        stage_names: stage_names.into_iter().collect(),
        target,
        context: BuildContext::default(),
        notes,
        pragmas,
        malformed_pragmas,
    })
}

/// BuildKit's automatic platform ARGs, for the default linux/amd64 build.
fn platform_args() -> BTreeMap<String, Option<String>> {
    [
        ("TARGETPLATFORM", "linux/amd64"),
        ("TARGETOS", "linux"),
        ("TARGETARCH", "amd64"),
        ("TARGETVARIANT", ""),
        ("BUILDPLATFORM", "linux/amd64"),
        ("BUILDOS", "linux"),
        ("BUILDARCH", "amd64"),
        ("BUILDVARIANT", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v.to_string())))
    .collect()
}

/// The ARG and ENV values visible to one stage's instructions.
#[derive(Default)]
struct Scope {
    /// Declared ARGs; `None` when declared without a value.
    args: BTreeMap<String, Option<String>>,
    effective: Effective,
}

struct Resolver<'a> {
    path: &'a str,
    escape: char,
    build_args: &'a BTreeMap<String, String>,
    /// Global ARGs (before the first FROM) with their values.
    global: BTreeMap<String, Option<String>>,
    stages: Vec<Stage>,
    global_args: Vec<Instruction>,
    scope: Scope,
    /// What BuildKit's parser accepts but its build would reject, and how it was read instead.
    notes: RefCell<Vec<String>>,
    limits: Limits,
    /// Stage names to the last stage of that name so far (BuildKit's `statesByName`, which each
    /// new stage overwrites): a lookup per FROM, not a scan of the stages.
    stage_names: HashMap<String, usize>,
    /// Bytes expansion has added to the words so far (`expanded-bytes`).
    expanded: Cell<u64>,
}

impl Resolver<'_> {
    fn note(&self, line: u32, message: impl std::fmt::Display) {
        self.notes
            .borrow_mut()
            .push(format!("{}:{line}: {message}", self.path));
    }

    /// Expands one word in a scope: ENV wins over ARG of the same name (Dockerfile reference,
    /// "Using ARG variables"). Also says whether an unset variable was used.
    fn expand(
        &self,
        word: &str,
        line: u32,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(String, bool), DockerfileError> {
        let unset = Cell::new(false);
        let tracking = |name: &str| {
            let value = lookup(name);
            if value.is_none() {
                unset.set(true);
            }
            value
        };
        let options = LexOptions::expanding(self.escape).bounded_by(&self.limits);
        match shell::expand_word(word, options, &tracking) {
            Ok(expanded) => {
                let added = expanded.len().saturating_sub(word.len()) as u64;
                let total = self.expanded.get().saturating_add(added);
                self.expanded.set(total);
                if total > self.limits.expanded_bytes {
                    return Err(DockerfileError::Limit {
                        path: self.path.to_string(),
                        line,
                        error: LimitExceeded {
                            limit: "expanded-bytes",
                            max: self.limits.expanded_bytes,
                            what: "what variable expansion adds to the Dockerfile's words".into(),
                        },
                    });
                }
                Ok((expanded, unset.get()))
            }
            Err(shell::LexError {
                limit: Some((limit, max)),
                ..
            }) => Err(DockerfileError::Limit {
                path: self.path.to_string(),
                line,
                error: LimitExceeded {
                    limit,
                    max,
                    what: "a variable expansion".into(),
                },
            }),
            Err(error) => {
                self.note(
                    line,
                    format_args!(
                        "cannot expand {:?} ({error}): a build stops there; the word is kept as written",
                        // A note quotes the word, which may be megabytes long.
                        crate::excerpt::excerpt(word, crate::excerpt::EXCERPT_CHARS)
                    ),
                );
                Ok((word.to_string(), false))
            }
        }
    }

    fn expand_in_stage(&self, word: &str, line: u32) -> Result<String, DockerfileError> {
        let scope = &self.scope;
        let lookup = |name: &str| {
            scope
                .effective
                .env
                .get(name)
                .map(|s| s.value.clone())
                .or_else(|| scope.args.get(name).cloned().flatten())
        };
        Ok(self.expand(word, line, &lookup)?.0)
    }

    fn expand_global(&self, word: &str, line: u32) -> Result<(String, bool), DockerfileError> {
        let lookup = |name: &str| self.global.get(name).cloned().flatten();
        self.expand(word, line, &lookup)
    }

    fn add(&mut self, raw: RawInstruction) -> Result<(), DockerfileError> {
        let line = raw.start_line;
        let Some(mut instruction) = convert(&raw) else {
            self.note(
                line,
                format_args!(
                    "unknown instruction {} skipped (BuildKit's parser accepts it; a build stops there)",
                    raw.keyword.to_uppercase()
                ),
            );
            return Ok(());
        };
        match instruction.keyword {
            Keyword::From => return self.start_stage(instruction),
            Keyword::Arg if self.stages.is_empty() => {
                let bindings = self.bind_args(&instruction, true)?;
                for binding in &bindings {
                    self.global
                        .insert(binding.name.clone(), binding.value.clone());
                }
                instruction.resolved = Resolved::Args(bindings);
                self.global_args.push(instruction);
                return Ok(());
            }
            keyword if self.stages.is_empty() => {
                self.note(
                    line,
                    format_args!(
                        "{} before the first FROM skipped (a build stops there)",
                        keyword.as_str()
                    ),
                );
                return Ok(());
            }
            _ => {}
        }
        let stage = self.stages.len() - 1;
        let span = instruction.lines;
        let setting = |value| placed(value, span, stage);
        let setting_words = |value| placed(value, span, stage);
        let setting_flag = |value| placed(value, span, stage);
        match instruction.keyword {
            Keyword::Arg => {
                let bindings = self.bind_args(&instruction, false)?;
                for binding in &bindings {
                    self.scope
                        .args
                        .insert(binding.name.clone(), binding.value.clone());
                }
                instruction.resolved = Resolved::Args(bindings);
            }
            Keyword::Env | Keyword::Label => {
                // Every value of one ENV expands against the scope before that ENV.
                let mut pairs = Vec::new();
                for pair in instruction.arguments.chunks(2) {
                    let key = self.expand_in_stage(&pair[0], line)?;
                    let value = self.expand_in_stage(pair.get(1).map_or("", |v| v), line)?;
                    pairs.push((key, value));
                }
                if instruction.keyword == Keyword::Env {
                    for (key, value) in &pairs {
                        self.scope
                            .effective
                            .env
                            .insert(key.clone(), setting(value.clone()));
                    }
                }
                instruction.resolved = Resolved::Pairs(pairs);
            }
            Keyword::User
            | Keyword::Workdir
            | Keyword::Stopsignal
            | Keyword::Expose
            | Keyword::Copy
            | Keyword::Add
            | Keyword::Volume => {
                let mut words = Vec::new();
                for word in &instruction.arguments {
                    words.push(self.expand_in_stage(word, line)?);
                }
                match instruction.keyword {
                    Keyword::User => {
                        self.scope.effective.user = Some(placed(
                            User {
                                written: instruction.arguments.join(" "),
                                resolved: words.join(" "),
                            },
                            span,
                            stage,
                        ));
                    }
                    Keyword::Expose => {
                        let ports = words.iter().flat_map(|w| w.split_whitespace());
                        for port in ports {
                            self.scope.effective.expose.push(setting(port.to_string()));
                        }
                    }
                    _ => {}
                }
                instruction.resolved = Resolved::Words(words);
            }
            Keyword::Healthcheck => {
                let disabled = instruction
                    .arguments
                    .first()
                    .is_some_and(|kind| kind.eq_ignore_ascii_case("none"));
                self.scope.effective.healthcheck = Some(setting_flag(disabled));
            }
            Keyword::Cmd => {
                self.scope.effective.cmd = Some(setting_words(instruction.arguments.clone()))
            }
            Keyword::Entrypoint => {
                self.scope.effective.entrypoint = Some(setting_words(instruction.arguments.clone()))
            }
            _ => {}
        }
        let current = self.stages.last_mut().expect("a stage exists");
        current.instructions.push(instruction);
        Ok(())
    }

    /// Records the scope's settings as the last stage's effective settings. Once per stage, not
    /// per instruction: copying the whole ENV map after each of 100,000 `ENV` lines is quadratic.
    fn finish_stage(&mut self) {
        if let Some(current) = self.stages.last_mut() {
            current.effective = self.scope.effective.clone();
        }
    }

    /// ARG NAME[=default] ...: a `--build-arg` wins, then the (expanded) default, then, inside a
    /// stage, the global ARG of the same name (BuildKit `dockerfile2llb`).
    fn bind_args(
        &self,
        instruction: &Instruction,
        global: bool,
    ) -> Result<Vec<ArgBinding>, DockerfileError> {
        let line = instruction.lines.start;
        let mut bindings = Vec::new();
        for word in &instruction.arguments {
            let (name, default) = match word.split_once('=') {
                Some((name, default)) => (name.to_string(), Some(default.to_string())),
                None => (word.clone(), None),
            };
            let from_build_arg = self.build_args.get(&name).cloned();
            let value = match (&from_build_arg, &default) {
                (Some(value), _) => Some(value.clone()),
                (None, Some(default)) if global => Some(self.expand_global(default, line)?.0),
                (None, Some(default)) => Some(self.expand_in_stage(default, line)?),
                (None, None) if global => None,
                (None, None) => self.global.get(&name).cloned().flatten(),
            };
            bindings.push(ArgBinding {
                name,
                default,
                value,
                from_build_arg: from_build_arg.is_some(),
            });
        }
        Ok(bindings)
    }

    fn start_stage(&mut self, mut from: Instruction) -> Result<(), DockerfileError> {
        self.finish_stage();
        let line = from.lines.start;
        let (image, name) = match from.arguments.as_slice() {
            [image] => (image.clone(), None),
            [image, as_word, name] if as_word.eq_ignore_ascii_case("as") => {
                (image.clone(), Some(name.to_ascii_lowercase()))
            }
            // BuildKit's build wants one or three arguments; read what is there.
            arguments => {
                let image = arguments.first().cloned().unwrap_or_default();
                let name = match arguments {
                    [_, as_word, name, ..] if as_word.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                };
                self.note(
                    line,
                    format_args!(
                        "FROM has {} arguments where a build wants FROM image [AS name] (it stops there); read as FROM {image}{}",
                        arguments.len(),
                        name.as_ref().map(|n| format!(" AS {n}")).unwrap_or_default()
                    ),
                );
                (image, name)
            }
        };
        if let Some(name) = &name
            && self.stage_names.contains_key(name)
        {
            self.note(
                line,
                format_args!(
                    "stage name {name:?} is used twice (BuildKit warns: DuplicateStageName); a later FROM names the last stage of that name before it, and --from and --target the last in the file"
                ),
            );
        }
        let (resolved, unset) = self.expand_global(&image, line)?;
        let platform = match from.flag("platform").and_then(|f| f.value.clone()) {
            Some(platform) => Some(self.expand_global(&platform, line)?.0),
            None => None,
        };
        let lower = resolved.to_ascii_lowercase();
        let index = self.stages.len();
        // `addState` (convert.go) looks the expanded base name up as written: stage names are
        // lower-cased, so `FROM Build` is not stage `build` but an image name a build rejects.
        if !self.stage_names.contains_key(&resolved) && self.stage_names.contains_key(&lower) {
            self.note(
                line,
                format_args!(
                    "FROM {resolved} is not stage {lower:?}: BuildKit matches a FROM to a stage name case-sensitively, so it reads an image name (a build stops there: repository names are lower-case)"
                ),
            );
        }
        // `scratch` too is compared as written (convert.go: `BaseName == emptyImageName`).
        if lower == "scratch" && resolved != "scratch" && !self.stage_names.contains_key(&resolved)
        {
            self.note(
                line,
                format_args!(
                    "FROM {resolved} is not scratch: BuildKit matches `scratch` case-sensitively, so it reads an image name (a build stops there: repository names are lower-case)"
                ),
            );
        }
        let base = if let Some(&earlier) = self.stage_names.get(&resolved) {
            Base::Stage(earlier)
        } else if resolved == "scratch" {
            Base::Scratch
        } else if resolved.is_empty() {
            // `ARG BASE` without a default, then `FROM ${BASE}`: the file is built with
            // `--build-arg BASE=...`. Without one the base is unknown; it keeps its written name.
            if unset {
                self.note(line, format_args!("FROM {image} names no image without --build-arg (a build argument has no value): its base image is unknown"));
            } else {
                self.note(line, format_args!("FROM {image:?} names no image (a build stops there): its base image is unknown"));
            }
            Base::Image(ImageReference::parse(&image, &image, true))
        } else {
            Base::Image(ImageReference::parse(&image, &resolved, unset))
        };
        let effective = match &base {
            Base::Stage(earlier) => self.stages[*earlier].effective.clone(),
            Base::Scratch => Effective::default(),
            Base::Image(reference) => Effective {
                base_image: Some(reference.clone()),
                ..Effective::default()
            },
        };
        let mut effective = effective;
        // Each stage keeps its whole chain, so 20,000 stages each built on the one before cost
        // 20,000² entries: the chain is bounded like any other nesting.
        self.limits
            .check("nesting-depth", effective.chain.len() as u64 + 1, || {
                format!("the chain of stages built on each other at stage {index}")
            })
            .map_err(|error| DockerfileError::Limit {
                path: self.path.to_string(),
                line,
                error,
            })?;
        effective.chain.push(index);
        let mut words = vec![resolved];
        words.extend(from.arguments.iter().skip(1).cloned());
        from.resolved = Resolved::Words(words);
        self.scope = Scope {
            args: BTreeMap::new(),
            effective: effective.clone(),
        };
        if let Some(name) = &name {
            self.stage_names.insert(name.clone(), index);
        }
        self.stages.push(Stage {
            index,
            name,
            from,
            base,
            platform,
            instructions: Vec::new(),
            effective,
        });
        Ok(())
    }
}

fn placed<T>(value: T, lines: LineSpan, stage: usize) -> Setting<T> {
    Setting {
        value,
        lines,
        stage,
    }
}

/// The syntax node as a model instruction (arguments as BuildKit shapes them, not yet expanded).
/// `None` for an instruction BuildKit does not know (its parser keeps it, its build rejects it).
fn convert(raw: &RawInstruction) -> Option<Instruction> {
    let keyword = Keyword::parse(&raw.keyword)?;
    Some(Instruction {
        keyword,
        flags: raw
            .flags
            .iter()
            .map(|flag| {
                let flag = flag.trim_start_matches('-');
                match flag.split_once('=') {
                    Some((name, value)) => Flag {
                        name: name.to_string(),
                        value: Some(value.to_string()),
                    },
                    None => Flag {
                        name: flag.to_string(),
                        value: None,
                    },
                }
            })
            .collect(),
        arguments: raw.values.clone(),
        json: raw.json,
        heredocs: raw
            .heredocs
            .iter()
            .map(|h| Heredoc {
                name: h.name.clone(),
                file_descriptor: h.file_descriptor,
                expand: h.expand,
                chomp: h.chomp,
                content: if h.chomp {
                    h.content
                        .split_inclusive('\n')
                        .map(|l| l.trim_start_matches('\t'))
                        .collect()
                } else {
                    h.content.clone()
                },
            })
            .collect(),
        lines: LineSpan {
            start: raw.start_line,
            end: raw.end_line,
        },
        text: raw.original.clone(),
        resolved: Resolved::NotExpanded,
        onbuild: raw.sub.as_deref().and_then(convert).map(Box::new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(text: &str, options: &DockerfileOptions) -> Dockerfile {
        from_text(text, "Dockerfile", options).unwrap()
    }

    #[test]
    fn user_is_resolved_from_arg_default_and_build_arg() {
        let text =
            "ARG BASE=alpine:3.20\nFROM ${BASE} AS build\nARG APP_USER=app\nUSER ${APP_USER}\n";
        let file = resolve(text, &DockerfileOptions::default());
        let user = file.target_stage().effective.user.as_ref().unwrap();
        assert_eq!(user.value.resolved, "app");
        let Base::Image(base) = &file.stages[0].base else {
            panic!()
        };
        assert_eq!(
            (base.repository.as_str(), base.tag.as_deref()),
            ("alpine", Some("3.20"))
        );
        let options = DockerfileOptions {
            build_args: vec![("APP_USER".into(), "0:0".into())],
            ..DockerfileOptions::default()
        };
        let file = resolve(text, &options);
        assert!(
            file.target_stage()
                .effective
                .user
                .as_ref()
                .unwrap()
                .value
                .is_root()
        );
    }

    #[test]
    fn effective_settings_follow_the_stage_chain() {
        let text = "FROM debian AS base\nUSER app\nENV A=1\nFROM base AS mid\nEXPOSE 80\nFROM alpine AS other\nUSER other\nFROM mid\nENV B=${A}2\n";
        let file = resolve(text, &DockerfileOptions::default());
        let target = file.target_stage();
        assert_eq!(target.base, Base::Stage(1));
        assert_eq!(target.effective.chain, [0, 1, 3]);
        assert_eq!(
            target.effective.user.as_ref().unwrap().value.resolved,
            "app"
        );
        assert_eq!(target.effective.env["B"].value, "12");
        assert_eq!(
            target.effective.base_image.as_ref().unwrap().repository,
            "debian"
        );
        let options = DockerfileOptions {
            target: Some("OTHER".into()),
            ..DockerfileOptions::default()
        };
        assert_eq!(resolve(text, &options).target, 2);
    }

    #[test]
    fn global_args_need_redeclaring_inside_a_stage() {
        let text = "ARG V=1\nFROM scratch\nUSER u$V\nARG V\nUSER u$V\n";
        let file = resolve(text, &DockerfileOptions::default());
        let words: Vec<_> = file.stages[0]
            .instructions
            .iter()
            .filter(|i| i.keyword == Keyword::User)
            .map(|i| i.words()[0].clone())
            .collect();
        assert_eq!(words, ["u", "u1"]);
    }

    /// Every prefix of every conformance file (cut at any character) either parses or returns an
    /// error naming a line: truncated input never panics.
    #[test]
    fn truncated_input_never_panics() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dockerfile_conformance");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "Dockerfile") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (cut, _) in text.char_indices() {
                match from_text(&text[..cut], "D", &DockerfileOptions::default()) {
                    Ok(file) => assert!(!file.stages.is_empty()),
                    Err(error) => assert!(error.to_string().starts_with("D:"), "{error}"),
                }
            }
        }
    }

    /// Conformance files with shell- and Dockerfile-significant characters inserted at
    /// pseudo-random places (a fixed LCG, so failures reproduce) never panic either.
    #[test]
    fn mutated_input_never_panics() {
        const ALPHABET: &[char] = &[
            '\\', '`', '\'', '"', '$', '{', '}', '[', ']', '<', '-', '=', '\n', '\r', '\t', '#',
            ':', ' ', 'é', '\u{feff}',
        ];
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dockerfile_conformance");
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as usize
        };
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "Dockerfile") {
                continue;
            }
            let original: Vec<char> = std::fs::read_to_string(&path).unwrap().chars().collect();
            for _ in 0..300 {
                let mut chars = original.clone();
                for _ in 0..1 + next() % 4 {
                    let at = next() % (chars.len() + 1);
                    chars.insert(at, ALPHABET[next() % ALPHABET.len()]);
                }
                let text: String = chars.into_iter().collect();
                if let Err(error) = from_text(&text, "D", &DockerfileOptions::default()) {
                    assert!(error.to_string().starts_with("D:"), "{error}");
                }
            }
        }
    }

    #[test]
    fn a_base_named_only_by_an_unset_build_arg_is_unknown_not_an_error() {
        let text = "ARG BASE_IMAGE\nARG TAG\nFROM ${BASE_IMAGE}\nFROM alpine:${TAG}\n";
        let file = resolve(text, &DockerfileOptions::default());
        let Base::Image(base) = &file.stages[0].base else {
            panic!()
        };
        assert_eq!(base.resolved, "${BASE_IMAGE}");
        assert!(base.has_unset_variable);
        assert!(
            file.notes[0].contains("Dockerfile:3: FROM ${BASE_IMAGE}"),
            "{:?}",
            file.notes
        );
        let options = DockerfileOptions {
            build_args: vec![("BASE_IMAGE".into(), "debian:12".into())],
            ..DockerfileOptions::default()
        };
        let file = resolve(text, &options);
        assert!(file.notes.is_empty());
    }

    #[test]
    fn unknown_target_and_a_file_without_from_are_errors() {
        let options = DockerfileOptions {
            target: Some("nope".into()),
            ..DockerfileOptions::default()
        };
        let error = from_text("FROM a AS x\n", "D", &options).unwrap_err();
        assert!(error.to_string().contains("nope"), "{error}");
        let error = from_text("ARG A=1\n", "D", &DockerfileOptions::default()).unwrap_err();
        assert!(error.to_string().starts_with("D:1:"), "{error}");
    }

    /// What BuildKit's parser accepts and only its build rejects is read as well as it can be,
    /// with a note naming the line: the scan still reports on the rest of the file.
    #[test]
    fn what_only_a_build_rejects_is_read_with_a_note() {
        let text = "RUN early\nFROM a AS base # comment\nFROM c AS base\nENV A=it's\nENV B=${}\nFROM {{ x }}:{{ y }}\n";
        let file = resolve(text, &DockerfileOptions::default());
        assert_eq!(file.stages.len(), 3);
        assert_eq!(file.stages[0].name.as_deref(), Some("base"));
        assert_eq!(file.stages[1].name.as_deref(), Some("base"));
        assert_eq!(file.stage_named("BASE").unwrap().index, 1, "the last one");
        let Base::Image(first) = &file.stages[0].base else {
            panic!()
        };
        assert_eq!(first.resolved, "a");
        assert_eq!(
            file.stages[1].effective.env["A"].value, "it's",
            "kept as written"
        );
        let lines: Vec<&str> = file
            .notes
            .iter()
            .map(|n| n.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            lines,
            [
                "Dockerfile:1",
                "Dockerfile:2",
                "Dockerfile:3",
                "Dockerfile:4",
                "Dockerfile:5",
                "Dockerfile:6"
            ],
            "{:?}",
            file.notes
        );
        assert!(
            file.notes[1].contains("FROM has 5 arguments"),
            "{:?}",
            file.notes
        );
    }

    /// Stage references resolved as BuildKit's dockerfile2llb resolves them; each case is one of
    /// BuildKit's own (convert_test.go `TestDockerfileParsing`, `TestDockerfileCircularDependencies`,
    /// dockerfile_multistage_test.go `testOutOfOrderStage`) or follows from the code
    /// `Dockerfile::resolve_from` cites.
    #[test]
    fn stage_references_resolve_as_buildkit_does() {
        use crate::model::dockerfile::{FromKind, InvalidReference, StageOrImage};
        let resolved = |text: &str| -> Vec<(String, StageOrImage)> {
            resolve(text, &DockerfileOptions::default())
                .stage_references()
                .into_iter()
                .map(|r| (r.written, r.resolved))
                .collect()
        };
        let image = |name: &str| StageOrImage::Image(ImageReference::parse(name, name, false));
        // TestDockerfileParsing: by name and by index; --target matches any case.
        let text = "FROM scratch AS foo\nENV FOO bar\nFROM foo\nCOPY --from=foo f1 /\nCOPY --from=0 f2 /\n";
        assert_eq!(
            resolved(text),
            [
                ("foo".into(), StageOrImage::Stage(0)),
                ("0".into(), StageOrImage::Stage(0))
            ]
        );
        let options = DockerfileOptions {
            target: Some("Foo".into()),
            ..DockerfileOptions::default()
        };
        assert_eq!(resolve(text, &options).target, 0);
        // --target is a name, never an index (findStateByName).
        let options = DockerfileOptions {
            target: Some("0".into()),
            ..DockerfileOptions::default()
        };
        assert!(from_text(text, "D", &options).is_err());
        // TestDockerfileCircularDependencies: the stage itself, and a stage defined later.
        assert_eq!(
            resolved("FROM busybox AS stage0\nCOPY --from=stage0 f1 /sub/\n"),
            [(
                "stage0".into(),
                StageOrImage::Invalid(InvalidReference::CurrentStage)
            )]
        );
        let text = "FROM busybox AS stage0\nCOPY --from=stage2 f1 /sub/\nFROM busybox AS stage1\nCOPY --from=stage0 f2 /sub/\nFROM busybox AS stage2\nCOPY --from=stage1 f2 /sub/\n";
        assert_eq!(
            resolved(text),
            [
                (
                    "stage2".into(),
                    StageOrImage::Invalid(InvalidReference::LaterStage(2))
                ),
                ("stage0".into(), StageOrImage::Stage(0)),
                ("stage1".into(), StageOrImage::Stage(1)),
            ]
        );
        // testOutOfOrderStage, by name and by index; and an index no stage has.
        let text = "FROM busybox AS target\nCOPY --from=build / /out\nCOPY --from=1 / /out\nCOPY --from=2 / /out\nCOPY --from=-1 / /out\nFROM alpine AS build\nCOPY /Dockerfile /d2\nFROM target\n";
        assert_eq!(
            resolved(text),
            [
                (
                    "build".into(),
                    StageOrImage::Invalid(InvalidReference::LaterStage(1))
                ),
                (
                    "1".into(),
                    StageOrImage::Invalid(InvalidReference::LaterStage(1))
                ),
                (
                    "2".into(),
                    StageOrImage::Invalid(InvalidReference::LaterStage(2))
                ),
                (
                    "-1".into(),
                    StageOrImage::Invalid(InvalidReference::NoSuchIndex)
                ),
            ]
        );
        // Names match in any case; a name no stage has is an image; a mount's from= is never an
        // index; --from is not expanded.
        let text = "FROM golang AS Build\nFROM alpine\nCOPY --from=BUILD /a /a\nCOPY --from=nginx:1.27 /b /b\nRUN --mount=type=bind,from=0,target=/m --mount=type=cache,target=/c --mount=FROM=build,target=/n true\nCOPY --from=$S /c /c\n";
        assert_eq!(
            resolved(text),
            [
                ("BUILD".into(), StageOrImage::Stage(0)),
                ("nginx:1.27".into(), image("nginx:1.27")),
                ("0".into(), image("0")),
                ("build".into(), StageOrImage::Stage(0)),
                (
                    "$S".into(),
                    StageOrImage::Invalid(InvalidReference::Variable)
                ),
            ]
        );
        // A name used twice: --from names the last stage of that name in the file (statesByName
        // is overwritten), FROM the last one before it.
        let text = "FROM a AS x\nFROM b AS x\nFROM x\nCOPY --from=x / /\nFROM c AS x\n";
        let file = resolve(text, &DockerfileOptions::default());
        assert_eq!(file.stages[2].base, Base::Stage(1));
        assert_eq!(
            file.resolve_from(2, "x", FromKind::Copy),
            StageOrImage::Invalid(InvalidReference::LaterStage(3))
        );
        // FROM matches stage names case-sensitively and never by index.
        let file = resolve(
            "FROM alpine AS build\nFROM Build\nFROM 0\n",
            &DockerfileOptions::default(),
        );
        assert!(matches!(&file.stages[1].base, Base::Image(i) if i.resolved == "Build"));
        assert!(matches!(&file.stages[2].base, Base::Image(i) if i.resolved == "0"));
        assert!(
            file.notes.iter().any(|n| n.contains("case-sensitively")),
            "{:?}",
            file.notes
        );
        // So is `scratch`: `FROM SCRATCH` names an image (that a build cannot pull).
        let file = resolve(
            "FROM scratch
FROM SCRATCH
",
            &DockerfileOptions::default(),
        );
        assert_eq!(file.stages[0].base, Base::Scratch);
        assert!(matches!(&file.stages[1].base, Base::Image(i) if i.resolved == "SCRATCH"));
        assert!(
            file.notes.iter().any(|n| n.contains("is not scratch")),
            "{:?}",
            file.notes
        );
    }

    /// What the built image takes from other stages: the target's COPY --from, transitively,
    /// with each source stage's own chain; stages only mounted or never copied are not included.
    #[test]
    fn copied_into_target_follows_copy_from_chains() {
        let text = "FROM debian AS base\nFROM base AS build\nCOPY --from=tools /t /t\nFROM debian AS tools\nFROM alpine AS unused\nFROM alpine AS mounted\nFROM alpine\nCOPY --from=build /app /app\nRUN --mount=from=mounted,target=/m true\nCOPY --from=build /lib /lib\n";
        let file = resolve(text, &DockerfileOptions::default());
        let copied = file.copied_into_target();
        assert_eq!(copied.keys().copied().collect::<Vec<_>>(), [0, 1]);
        assert_eq!(copied[&1].copy.start, 8);
        assert_eq!(copied[&1].sources, ["/app", "/lib"]);
        // `tools` is copied by `build` before it is defined: BuildKit refuses that, so nothing.
        assert!(!copied.contains_key(&2));
    }
}
