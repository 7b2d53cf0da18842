//! ECS inputs (`--task-def FILE_OR_DIR`): reads each file, detects its format by content (reference
//! §3: Terraform show -json, CloudFormation/CDK, describe-task-definition output, register input),
//! parses JSON or YAML, and builds the [`EcsInventory`]. Then applies "only the latest ACTIVE
//! revision of each family is evaluated" (reference §1.2) across every file given.

mod cloudformation;
mod describe;
mod extract;
mod hcl;
mod register;
mod skips;
mod stack;
mod terraform;
mod tree;
mod yaml_budget;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::limits::{LimitExceeded, Limits};
use crate::model::ecs::{EcsInput, EcsInventory, EcsSettings, Evaluation, SourceFormat, Value};
use tree::LineIndex;

/// Why an ECS input could not be read. Each names the file, and the line or path inside it.
#[derive(Debug, thiserror::Error)]
pub enum EcsLoadError {
    /// The I/O error is part of the message, not a `source`: the CLI prints the error chain,
    /// which would repeat it.
    #[error("{file}: cannot read: {error}")]
    Io { file: String, error: std::io::Error },
    #[error("{file}:{line}:{column}: invalid JSON: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}{at}: invalid YAML: {message}")]
    Yaml {
        file: String,
        at: String,
        message: String,
    },
    #[error("{file}:{line}:{column}: invalid HCL: {message}")]
    Hcl {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Format { file: String, message: String },
    #[error("{file}: {error}")]
    Limit { file: String, error: LimitExceeded },
    #[error("{dir}: no .json, .yaml, .yml, .template or .tf file in the directory")]
    EmptyDirectory { dir: String },
}

/// One parsed file.
pub(crate) struct Document {
    pub file: String,
    pub value: serde_json::Value,
    pub lines: LineIndex,
    /// Parsed from YAML: tags became intrinsics (`{"Ref": ..}`), which read as unknown.
    pub yaml: bool,
    /// What the reader should know about how the file was parsed.
    pub notes: Vec<String>,
}

/// What a loader adds for one file.
#[derive(Default)]
pub(crate) struct Loaded {
    pub inventory: EcsInventory,
    pub notes: Vec<String>,
}

/// Reads every `--task-def` path (files, or directories of `.json`/`.yaml`/`.yml`/`.template`/
/// `.tf` files) into one inventory; `notes` receives what the reader should know (revisions not
/// evaluated, directory entries skipped).
pub fn load(
    paths: &[PathBuf],
    settings: &EcsSettings,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> Result<EcsInventory, EcsLoadError> {
    let mut inventory = EcsInventory {
        settings: settings.clone(),
        ..EcsInventory::default()
    };
    for path in paths {
        if path.is_dir() {
            let files = directory_files(path, notes)?;
            for file in files {
                match load_file(&file, limits) {
                    Ok(loaded) => merge(&mut inventory, loaded, notes),
                    // Inside a directory, files that are not ECS inputs (package.json, cdk.json)
                    // are skipped with a note; a file named on the command line must be one.
                    Err(EcsLoadError::Format { file, message }) => {
                        notes.push(format!("{file}: skipped: {message}"))
                    }
                    Err(other) => return Err(other),
                }
            }
        } else {
            merge(&mut inventory, load_file(path, limits)?, notes);
        }
    }
    select_revisions(&mut inventory, notes);
    link_services(&mut inventory);
    Ok(inventory)
}

/// The task-definition files of a directory, sorted. A symbolic link is followed only to a file
/// inside the directory: one out of it (a repository's `deploy/td.json` linked to
/// `~/.aws/credentials`) is skipped with a note, as the image loader refuses links out of an
/// input directory.
fn directory_files(dir: &Path, notes: &mut Vec<String>) -> Result<Vec<PathBuf>, EcsLoadError> {
    let read = std::fs::read_dir(dir).map_err(|error| EcsLoadError::Io {
        file: dir.display().to_string(),
        error,
    })?;
    let inside = std::fs::canonicalize(dir).ok();
    let mut skipped: Vec<PathBuf> = Vec::new();
    let mut files: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    ["json", "yaml", "yml", "template", "tf"]
                        .contains(&e.to_ascii_lowercase().as_str())
                })
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
        })
        .filter(|p| {
            let is_link = p
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink());
            let stays = !is_link
                || std::fs::canonicalize(p)
                    .ok()
                    .zip(inside.as_ref())
                    .is_some_and(|(target, inside)| target.starts_with(inside));
            if !stays {
                skipped.push(p.clone());
            }
            stays
        })
        .collect();
    files.sort();
    skipped.sort();
    notes.extend(skipped.iter().map(|p| {
        format!(
            "{}: skipped: a symbolic link out of the directory",
            p.display()
        )
    }));
    if files.is_empty() {
        return Err(EcsLoadError::EmptyDirectory {
            dir: dir.display().to_string(),
        });
    }
    Ok(files)
}

fn merge(inventory: &mut EcsInventory, loaded: Loaded, notes: &mut Vec<String>) {
    let offset = inventory.task_definitions.len();
    let Loaded {
        inventory: mut new,
        notes: new_notes,
    } = loaded;
    for service in &mut new.services {
        if let Some(index) = service.task_definition_index.as_mut() {
            *index += offset;
        }
    }
    inventory.inputs.append(&mut new.inputs);
    inventory.task_definitions.append(&mut new.task_definitions);
    inventory.services.append(&mut new.services);
    inventory.task_sets.append(&mut new.task_sets);
    inventory.clusters.append(&mut new.clusters);
    inventory
        .capacity_providers
        .append(&mut new.capacity_providers);
    inventory.stack.append(&mut new.stack);
    inventory.peer_skips.append(&mut new.peer_skips);
    notes.extend(new_notes);
}

/// Reads and parses one file, then hands it to the loader of its format.
pub(crate) fn load_file(path: &Path, limits: &Limits) -> Result<Loaded, EcsLoadError> {
    let file = path.display().to_string();
    let bytes = crate::load::read_bounded(path, limits).map_err(|error| match error {
        crate::load::BoundedReadError::Io(error) => EcsLoadError::Io {
            file: file.clone(),
            error,
        },
        crate::load::BoundedReadError::Limit(error) => EcsLoadError::Limit {
            file: file.clone(),
            error,
        },
    })?;
    let text = String::from_utf8(bytes).map_err(|error| EcsLoadError::Io {
        file: file.clone(),
        error: std::io::Error::new(std::io::ErrorKind::InvalidData, error.utf8_error()),
    })?;
    load_text(&file, &text, limits)
}

/// Parses text as JSON (when it looks like JSON) or YAML, then detects the format.
pub fn load_text_inventory(file: &str, text: &str) -> Result<EcsInventory, EcsLoadError> {
    let mut notes = Vec::new();
    let mut inventory = EcsInventory::default();
    merge(
        &mut inventory,
        load_text(file, text, &Limits::default())?,
        &mut notes,
    );
    select_revisions(&mut inventory, &mut notes);
    link_services(&mut inventory);
    Ok(inventory)
}

pub(crate) fn load_text(file: &str, text: &str, limits: &Limits) -> Result<Loaded, EcsLoadError> {
    limits
        .check("input-bytes", text.len() as u64, || {
            format!("the file ({} bytes)", text.len())
        })
        .and_then(|()| {
            limits.check("nesting-depth", nesting_depth(text), || {
                "its nesting of arrays and objects".into()
            })
        })
        .map_err(|error| EcsLoadError::Limit {
            file: file.to_string(),
            error,
        })?;
    let head = &text.as_bytes()[..text.len().min(8192)];
    if crate::load::sniff::classify(head) == crate::load::sniff::InputKind::VulnerabilityReport {
        let kind = crate::load::sniff::InputKind::VulnerabilityReport;
        return Err(EcsLoadError::Format {
            file: file.to_string(),
            message: format!(
                "not an ECS input: it is {}; pass it {}",
                kind.describe(),
                kind.how_to_pass()
            ),
        });
    }
    let mut document = if is_terraform_configuration(file) {
        hcl::parse(file, text, limits)?
    } else {
        parse(file, text, limits)?
    };
    let format = detect(&document.value).ok_or_else(|| EcsLoadError::Format {
        file: file.to_string(),
        message: format!(
            "not an ECS input{}: expected register-task-definition input (containerDefinitions), \
             describe-task-definition output (taskDefinition), a CloudFormation template \
             (Resources), `terraform show -json` output (format_version) or a Terraform .tf file",
            near_miss(&document.value)
        ),
    })?;
    let mut loaded = match format {
        SourceFormat::RegisterInput => register::load(&document)?,
        SourceFormat::DescribeOutput => describe::load(&document)?,
        SourceFormat::CloudFormation => {
            cloudformation::expand_for_each(&mut document, limits).map_err(
                |error| match error {
                    cloudformation::ExpandError::Limit(error) => EcsLoadError::Limit {
                        file: file.to_string(),
                        error,
                    },
                    cloudformation::ExpandError::Bound(why) => EcsLoadError::Format {
                        file: file.to_string(),
                        message: format!(
                            "{why}; harden refuses the template rather than read part of it"
                        ),
                    },
                    cloudformation::ExpandError::Duplicate(id) => EcsLoadError::Format {
                        file: file.to_string(),
                        message: format!(
                            "Resources: Fn::ForEach makes the logical id {:?} twice, or one the \
                         template already has; CloudFormation rejects such a template",
                            crate::excerpt::excerpt(&id, crate::excerpt::EXCERPT_CHARS)
                        ),
                    },
                },
            )?;
            // The loops' copies hold paths of their own (an item may name a long logical id).
            check_paths(file, &document.value, limits)?;
            cloudformation::load(&document, limits)?
        }
        SourceFormat::Terraform => terraform::load(&document, limits)?,
    };
    loaded.inventory.peer_skips = skips::read(&document, text, format);
    loaded.notes.splice(0..0, document.notes);
    let others = loaded.inventory.services.len()
        + loaded.inventory.task_sets.len()
        + loaded.inventory.clusters.len()
        + loaded.inventory.capacity_providers.len();
    loaded.inventory.inputs.push(EcsInput {
        file: file.to_string(),
        format,
        task_definitions: loaded.inventory.task_definitions.len(),
        other_resources: others,
    });
    Ok(loaded)
}

/// A Terraform configuration file (HCL), by its name: `.tf`, not `.tf.json` (which is JSON).
pub fn is_terraform_configuration(file: &str) -> bool {
    file.to_ascii_lowercase().ends_with(".tf")
}

/// The deepest nesting of `[`/`{` (JSON, YAML flow) or of block YAML (indentation and `- ` items
/// on one line), in one linear pass. Checked before any parser runs: serde_json stops at 128 levels,
/// but the YAML fallback and the tree conversion recurse, and 400,000 levels took the YAML parser
/// minutes. Counts brackets outside double-quoted strings, which start only where a scalar can
/// (so a `"` inside a plain scalar hides nothing); brackets in a comment or a single-quoted scalar
/// can only overcount, which errs on the side of refusing.
fn nesting_depth(text: &str) -> u64 {
    let mut deepest = 0u64;
    let mut open = 0u64;
    let mut in_string = false;
    let mut escaped = false;
    // Indentation is layout in JSON: only YAML's counts.
    let looks_like_json = text.trim_start().starts_with(['{', '[']);
    let mut line_start = !looks_like_json;
    let mut block_depth = 0u64;
    let bytes = text.as_bytes();
    let mut previous = b'\n';
    for (at, &byte) in bytes.iter().enumerate() {
        let before = std::mem::replace(&mut previous, byte);
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        // Block YAML: leading spaces and `- ` sequence items each open a level at most (a `-`
        // not followed by a space, as in `---` or `-1`, is content).
        if line_start {
            let item = byte == b'-' && matches!(bytes.get(at + 1), Some(b' ') | None);
            if byte == b' ' || item {
                block_depth += 1;
                deepest = deepest.max(open + block_depth / 2);
                continue;
            }
            line_start = false;
            block_depth = 0;
        }
        match byte {
            b'"' if matches!(
                before,
                b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':' | b'-' | b'?'
            ) =>
            {
                in_string = true
            }
            b'[' | b'{' => {
                open += 1;
                deepest = deepest.max(open);
            }
            b']' | b'}' => open = open.saturating_sub(1),
            b'\n' => line_start = !looks_like_json,
            _ => {}
        }
    }
    deepest
}

/// The bytes of the paths from the root to each value of `value` (keys and indexes joined by
/// `/`), each starting `base` bytes long, summed: what the line index and the converted tree's
/// origins hold, one path per value. Stops counting past `max`. Iterative: a walk, not a copy.
pub(crate) fn path_bytes(value: &serde_json::Value, base: u64, max: u64) -> u64 {
    let mut total = 0u64;
    let mut stack: Vec<(&serde_json::Value, u64)> = vec![(value, base)];
    while let Some((value, length)) = stack.pop() {
        total = total.saturating_add(length);
        if total > max {
            break;
        }
        match value {
            serde_json::Value::Object(map) => {
                stack.extend(map.iter().map(|(k, v)| (v, length + 1 + k.len() as u64)));
            }
            serde_json::Value::Array(items) => {
                let digits = |i: usize| i.checked_ilog10().unwrap_or(0) as u64 + 1;
                stack.extend(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (v, length + 1 + digits(i))),
                );
            }
            _ => {}
        }
    }
    total
}

/// Refuses a document whose values' paths together pass `value-path-bytes` (see [`path_bytes`]).
fn check_paths(file: &str, value: &serde_json::Value, limits: &Limits) -> Result<(), EcsLoadError> {
    let bytes = path_bytes(value, 0, limits.value_path_bytes);
    limits
        .check("value-path-bytes", bytes, || {
            "the paths to its values (a long key above many values is repeated in each)".into()
        })
        .map_err(|error| EcsLoadError::Limit {
            file: file.to_string(),
            error,
        })
}

fn parse(file: &str, text: &str, limits: &Limits) -> Result<Document, EcsLoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let looks_like_json = text.trim_start().starts_with(['{', '[']);
    let is_json_name = file.to_ascii_lowercase().ends_with(".json");
    if looks_like_json || is_json_name {
        let error = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => {
                check_paths(file, &value, limits)?;
                return Ok(Document {
                    file: file.to_string(),
                    value,
                    lines: LineIndex::json(text),
                    yaml: false,
                    notes: Vec::new(),
                });
            }
            Err(error) => error,
        };
        // JSON with comments or trailing commas is still YAML (flow style), and the ECS deploy
        // GitHub Action reads its task-definition.json with a YAML parser (`yaml.parse`): read it
        // as YAML too, saying so for a `.json` file. When YAML fails as well, the JSON error is
        // the useful one unless the text shows YAML syntax.
        match parse_yaml(file, text, limits) {
            Ok(mut document) if document.value.is_object() => {
                if looks_like_json {
                    document.lines = LineIndex::json(text);
                }
                if !is_yaml_name(file) {
                    document.notes.insert(0, format!(
                        "{file}: not valid JSON ({}:{}: {error}); read as YAML, which accepts it, \
                         as the ECS deploy GitHub Action does (`aws ... --cli-input-json` would \
                         reject it)",
                        error.line(),
                        error.column()
                    ));
                }
                return Ok(document);
            }
            Err(yaml_error) if !is_json_name && looks_like_yaml_flow(text) => {
                return Err(yaml_error);
            }
            _ => {
                return Err(EcsLoadError::Json {
                    file: file.to_string(),
                    line: error.line(),
                    column: error.column(),
                    message: error.to_string(),
                });
            }
        }
    }
    parse_yaml(file, text, limits)
}

fn parse_yaml(file: &str, text: &str, limits: &Limits) -> Result<Document, EcsLoadError> {
    let value = yaml_budget::from_str(text, limits.yaml_values).map_err(|error| match error {
        Some(error) => EcsLoadError::Yaml {
            file: file.to_string(),
            at: error
                .location()
                .map(|l| format!(":{}:{}", l.line(), l.column()))
                .unwrap_or_default(),
            message: error.to_string(),
        },
        None => EcsLoadError::Limit {
            file: file.to_string(),
            error: LimitExceeded {
                limit: "yaml-values",
                max: limits.yaml_values,
                what: "the number of its values (aliases expanded)".into(),
            },
        },
    })?;
    // A key given twice in one mapping: CloudFormation accepts the template and deploys the last
    // value (as JSON parsers read JSON), so harden reads it so too, and says so.
    let note = (value.duplicate_count > 0).then(|| {
        let mut names = value
            .duplicates
            .iter()
            .map(|k| match k.char_indices().nth(60) {
                Some((cut, _)) => format!("`{}…`", &k[..cut]),
                None => format!("`{k}`"),
            })
            .collect::<Vec<_>>();
        if value.more_duplicates {
            names.push("…".into());
        }
        let count = value.duplicate_count;
        let keys = if count == 1 { "key" } else { "keys" };
        format!(
            "{file}: {count} mapping {keys} given twice ({}): the last value of each is used, \
             as CloudFormation deploys it",
            names.join(", ")
        )
    });
    let mut value = value.value;
    // `<<: *anchor` merge keys, as YAML 1.1 tools (and CloudFormation's YAML) apply them.
    let _ = value.apply_merge();
    let value = tree::yaml_to_json(&value);
    check_paths(file, &value, limits)?;
    Ok(Document {
        file: file.to_string(),
        value,
        lines: LineIndex::yaml(text),
        yaml: true,
        notes: note.into_iter().collect(),
    })
}

fn is_yaml_name(file: &str) -> bool {
    let file = file.to_ascii_lowercase();
    file.ends_with(".yaml") || file.ends_with(".yml")
}

fn looks_like_yaml_flow(text: &str) -> bool {
    // JSON-looking text that neither parser accepts: report the YAML error only if the text has a
    // YAML comment or tag.
    text.lines()
        .any(|l| l.trim_start().starts_with('#') || l.contains(" #") || l.contains(" !"))
}

/// What a file that is not an ECS input looks like, when it is a near miss: the inputs of other
/// tools that hold task definitions.
fn near_miss(value: &serde_json::Value) -> &'static str {
    let is_container = |item: &serde_json::Value| {
        item.get("name").is_some()
            && (item.get("image").is_some() || item.get("essential").is_some())
    };
    if let Some(items) = value.as_array()
        && !items.is_empty()
        && items.iter().all(is_container)
    {
        return " (a list of container definitions, as Terraform's container_definitions takes; \
                harden reads it inside a task definition, as `containerDefinitions`)";
    }
    let Some(object) = value.as_object() else {
        return "";
    };
    if object
        .get("resource")
        .and_then(serde_json::Value::as_object)
        .is_some_and(|r| r.keys().any(|k| k.starts_with("aws_ecs_")))
    {
        return " (Terraform JSON configuration, as CDK for Terraform writes it; scan \
                `terraform show -json` of a plan instead)";
    }
    if object.contains_key("resource_changes") || object.contains_key("planned_values") {
        return " (Terraform plan output without its `format_version`; give the whole \
                `terraform show -json` output)";
    }
    ""
}

/// Content-based detection, in the reference's order (§3).
fn detect(value: &serde_json::Value) -> Option<SourceFormat> {
    let object = value.as_object()?;
    if object.contains_key("format_version")
        && [
            "planned_values",
            "resource_changes",
            "values",
            "prior_state",
        ]
        .iter()
        .any(|k| object.contains_key(*k))
    {
        return Some(SourceFormat::Terraform);
    }
    if object.contains_key("Resources") || object.contains_key("AWSTemplateFormatVersion") {
        return Some(SourceFormat::CloudFormation);
    }
    if object.get("taskDefinition").is_some_and(|t| t.is_object()) {
        return Some(SourceFormat::DescribeOutput);
    }
    if object.contains_key("containerDefinitions") {
        return Some(SourceFormat::RegisterInput);
    }
    None
}

/// Reference §1.2: only the highest ACTIVE revision of each family is evaluated; INACTIVE and
/// DELETE_IN_PROGRESS revisions, and older ACTIVE ones, are NOT_APPLICABLE with a note. Only
/// describe output carries status and revision; register input and IaC are "the next latest
/// ACTIVE revision" and always evaluated.
fn select_revisions(inventory: &mut EcsInventory, notes: &mut Vec<String>) {
    if inventory.settings.evaluate_inactive {
        return;
    }
    let mut latest: HashMap<String, i64> = HashMap::new();
    for td in &inventory.task_definitions {
        if td.format != SourceFormat::DescribeOutput {
            continue;
        }
        let active =
            matches!(&td.status.value, Value::Known(s) if s == "ACTIVE") || td.status.is_absent();
        if let (true, Some(family), Some(revision)) =
            (active, td.family.known(), td.revision.known())
        {
            let entry = latest.entry(family.clone()).or_insert(*revision);
            *entry = (*entry).max(*revision);
        }
    }
    for td in &mut inventory.task_definitions {
        if td.format != SourceFormat::DescribeOutput {
            continue;
        }
        let name = td.resource.name.clone();
        let reason = match (&td.status.value, td.family.known(), td.revision.known()) {
            (Value::Known(status), _, _) if status != "ACTIVE" => Some(format!(
                "{name} has status {status}: Security Hub evaluates only the latest ACTIVE \
                 revision, so it was not evaluated (use --evaluate-inactive to evaluate it)"
            )),
            (_, Some(family), Some(revision)) => match latest.get(family) {
                Some(newest) if newest > revision => Some(format!(
                    "{name} is not the latest ACTIVE revision of {family} (revision {newest} \
                     is), so it was not evaluated (use --evaluate-inactive to evaluate it)"
                )),
                _ => None,
            },
            _ => None,
        };
        if let Some(reason) = reason {
            notes.push(format!("{}: {reason}", td.resource.file));
            td.evaluation = Evaluation::NotEvaluated(reason);
        }
    }
}

/// Points each service at the task definition it names when that task definition is an input
/// (a CloudFormation `Ref` was resolved by its loader; here: `family`, `family:revision` or an
/// ARN ending in either).
fn link_services(inventory: &mut EcsInventory) {
    // Each name a service may use for an evaluated task definition (`family`,
    // `family:revision`, its resource name), the first task definition of each: each service
    // searched the whole list, quadratic in a template of thousands of both.
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (index, td) in inventory.task_definitions.iter().enumerate() {
        let family = td.family.as_str().unwrap_or_default();
        if family.is_empty() || td.evaluation != Evaluation::Evaluated {
            continue;
        }
        let mut names = vec![family.to_string(), td.resource.name.clone()];
        if let Some(revision) = td.revision.known() {
            names.push(format!("{family}:{revision}"));
        }
        for name in names {
            by_name.entry(name).or_insert(index);
        }
    }
    for service in &mut inventory.services {
        if service.task_definition_index.is_some() {
            continue;
        }
        let Some(wanted) = service.task_definition.as_str() else {
            continue;
        };
        let wanted = wanted.rsplit('/').next().unwrap_or(wanted);
        service.task_definition_index = by_name.get(wanted).copied();
    }
}

#[cfg(test)]
mod tests {
    use super::nesting_depth;

    #[test]
    fn nesting_depth_counts_brackets_and_block_levels() {
        assert_eq!(nesting_depth(r#"{"a": [{"b": "[[[[{{"}]}"#), 3);
        assert_eq!(
            nesting_depth("{\n        \"a\": 1\n}"),
            1,
            "JSON indentation is layout"
        );
        assert_eq!(nesting_depth("a:\n  b:\n    c: 1\n"), 2);
        assert_eq!(
            nesting_depth("a: - - - x\n"),
            0,
            "items count at line starts only"
        );
        assert_eq!(nesting_depth("- - - - x\n"), 4);
        assert_eq!(nesting_depth("---\na: -1\n"), 0);
        // A quote inside a plain scalar opens no string that could hide brackets after it.
        assert_eq!(nesting_depth("a: [x\", [[[1]]]]\n"), 4);
    }
}
