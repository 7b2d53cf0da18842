//! Applies the user's policy to the findings: severity overrides from `harden.toml`, its
//! `[[ignore]]` tables, and inline Dockerfile pragmas (`# harden ignore=DF001`, and hadolint's
//! `# hadolint ignore=DL3002` for the harden checks whose References name that rule). Ignored
//! findings are marked suppressed, never removed. What went unused, expired or named no check is
//! collected in an [`IgnoreOutcome`], which the `HD` checks (`checks/tool/`) turn into findings.

use std::collections::BTreeSet;

use crate::checks::{self, Emitter, Run};
use crate::config::{Config, Date, IgnoreRule};
use crate::findings::{Finding, LineSpan, Location, SourceKind, Suppression};
use crate::report::normalize_path;

/// A Dockerfile's raw text, as read by the scan, for pragma matching. Independent of the parsed
/// Dockerfile model on purpose: pragmas are comments, which a model of instructions drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileText {
    /// The path as findings name it (`Location.file`).
    pub path: String,
    pub text: String,
}

/// One ignore, override or pragma the HD checks report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreNotice {
    /// Where it is written: the config file and line, or the Dockerfile line of the pragma.
    pub location: Location,
    /// How it reads: `[[ignore]] id = "IM003" path = "/usr/bin/passwd"`, `# harden ignore=DF001`.
    pub ignore: String,
    /// The check ID or name it names.
    pub id: String,
    pub reason: Option<String>,
    pub expires: Option<Date>,
}

/// What applying the policy found about the policy itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreOutcome {
    /// Ignores (config or `# harden` pragmas) that matched no finding.
    pub unused: Vec<IgnoreNotice>,
    /// Config ignores past their `expires` date: they no longer apply.
    pub expired: Vec<IgnoreNotice>,
    /// Ignores, overrides and pragmas naming an ID no check has.
    pub unknown: Vec<IgnoreNotice>,
    /// How many findings the policy suppressed.
    pub suppressed: usize,
}

/// Maps a hadolint rule (`DL3002`) to the harden check IDs that are its equivalent.
pub type HadolintMap<'a> = &'a dyn Fn(&str) -> Vec<&'static str>;

/// The registry's mapping: every check whose `## References` names the rule.
pub fn registry_hadolint_map(rule: &str) -> Vec<&'static str> {
    checks::for_hadolint_rule(rule)
        .into_iter()
        .map(|c| c.id)
        .collect()
}

/// Applies the whole policy: overrides, config ignores, inline pragmas; then runs the HD checks on
/// the outcome and applies the overrides to their findings too. `today` decides expiry.
pub fn apply_policy(
    findings: &mut Vec<Finding>,
    config: &Config,
    dockerfiles: &[DockerfileText],
    today: Date,
) -> IgnoreOutcome {
    let mut outcome = IgnoreOutcome::default();
    apply_severity_overrides(findings, config, &mut outcome);
    apply_config_ignores(findings, config, today, &mut outcome);
    for dockerfile in dockerfiles {
        apply_pragmas(findings, dockerfile, &registry_hadolint_map, &mut outcome);
    }
    outcome.suppressed = findings.iter().filter(|f| f.suppressed.is_some()).count();

    let first_tool_finding = findings.len();
    let mut controls = Vec::new();
    for check in checks::all() {
        if let Run::Tool(run) = check.run {
            let mut emitter = Emitter::new(check, findings, &mut controls);
            run(&outcome, &mut emitter);
        }
    }
    // Overrides apply to HD findings as well; unknown IDs were already reported above.
    let mut ignored = IgnoreOutcome::default();
    apply_severity_overrides(&mut findings[first_tool_finding..], config, &mut ignored);
    outcome
}

/// `[severity]`: every finding of the check gets the configured severity; the default is kept in
/// the evidence (`severity_override`).
pub fn apply_severity_overrides(
    findings: &mut [Finding],
    config: &Config,
    outcome: &mut IgnoreOutcome,
) {
    for entry in &config.severity {
        let Some(check) = checks::find(&entry.id) else {
            outcome.unknown.push(IgnoreNotice {
                location: config_location(config, entry.line),
                ignore: format!("[severity] {} = \"{}\"", entry.id, entry.severity),
                id: entry.id.clone(),
                reason: None,
                expires: None,
            });
            continue;
        };
        for finding in findings.iter_mut().filter(|f| f.id == check.id) {
            if finding.severity != entry.severity {
                let from = finding.severity;
                finding.with_evidence(
                    "severity_override",
                    format!("{from} → {} ({})", entry.severity, config_name(config)),
                );
                finding.severity = entry.severity;
            }
        }
    }
}

/// `[[ignore]]` tables, in file order; the first that matches a finding is the one recorded.
pub fn apply_config_ignores(
    findings: &mut [Finding],
    config: &Config,
    today: Date,
    outcome: &mut IgnoreOutcome,
) {
    for rule in &config.ignores {
        let notice = || IgnoreNotice {
            location: config_location(config, rule.line),
            ignore: describe_rule(rule),
            id: rule.id.clone(),
            reason: Some(rule.reason.clone()),
            expires: rule.expires,
        };
        // Expiry: the ignore applies up to the day before `expires` (UTC).
        if rule.expires.is_some_and(|expires| today >= expires) {
            outcome.expired.push(notice());
            continue;
        }
        let Some(check) = checks::find(&rule.id) else {
            outcome.unknown.push(notice());
            continue;
        };
        let mut matched = 0;
        for finding in findings.iter_mut() {
            if finding.id != check.id || !rule_matches(rule, &finding.location) {
                continue;
            }
            matched += 1;
            if finding.suppressed.is_none() {
                finding.suppressed = Some(Suppression {
                    kind: "config".to_string(),
                    reason: rule.reason.clone(),
                    origin: Some(format!("{}:{}", config_name(config), rule.line)),
                    expires: rule.expires.map(|d| d.to_string()),
                });
            }
        }
        if matched == 0 {
            outcome.unused.push(notice());
        }
    }
}

fn rule_matches(rule: &IgnoreRule, location: &Location) -> bool {
    let optional =
        |pattern: &Option<String>, value: &Option<String>, matcher: fn(&str, &str) -> bool| {
            match pattern {
                None => true,
                Some(pattern) => value.as_deref().is_some_and(|v| matcher(pattern, v)),
            }
        };
    optional(&rule.path, &location.path, glob_match)
        && optional(&rule.resource, &location.resource, glob_match)
        && optional(&rule.file, &location.file, file_matches)
}

/// A file pattern matches the whole path or its tail: `Dockerfile` matches `./app/Dockerfile`.
pub fn file_matches(pattern: &str, file: &str) -> bool {
    let pattern = normalize_path(pattern);
    let file = normalize_path(file);
    glob_match(pattern, file) || glob_match(&format!("**/{pattern}"), file)
}

/// Glob matching: `*` any run of characters but `/`, `**` any run including `/`, `?` one
/// character but `/`. Everything else is literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn matches(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('*', rest)) if rest.first() == Some(&'*') => {
                let rest = &rest[1..];
                // `**/` also matches no directory at all.
                if rest.first() == Some(&'/') && matches(&rest[1..], text) {
                    return true;
                }
                (0..=text.len()).any(|i| matches(rest, &text[i..]))
            }
            Some(('*', rest)) => {
                for i in 0..=text.len() {
                    if matches(rest, &text[i..]) {
                        return true;
                    }
                    if text.get(i) == Some(&'/') {
                        return false;
                    }
                }
                false
            }
            Some(('?', rest)) => text
                .split_first()
                .is_some_and(|(c, tail)| *c != '/' && matches(rest, tail)),
            Some((c, rest)) => text
                .split_first()
                .is_some_and(|(t, tail)| t == c && matches(rest, tail)),
        }
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    matches(&pattern, &text)
}

fn config_name(config: &Config) -> &str {
    config
        .file
        .as_deref()
        .unwrap_or(crate::config::DEFAULT_FILE_NAME)
}

fn config_location(config: &Config, line: u32) -> Location {
    Location {
        source: Some(SourceKind::Tool),
        file: Some(config_name(config).to_string()),
        lines: Some(LineSpan {
            start: line,
            end: line,
        }),
        ..Location::default()
    }
}

fn describe_rule(rule: &IgnoreRule) -> String {
    let mut text = format!("[[ignore]] id = {:?}", rule.id);
    for (key, value) in [
        ("path", &rule.path),
        ("resource", &rule.resource),
        ("file", &rule.file),
    ] {
        if let Some(value) = value {
            text.push_str(&format!(" {key} = {value:?}"));
        }
    }
    text
}

/// Which tool's pragma a comment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PragmaTool {
    Harden,
    Hadolint,
}

/// One `# harden ignore=...` or `# hadolint ignore=...` comment.
#[derive(Debug, Clone)]
struct Pragma {
    tool: PragmaTool,
    /// `global ignore=`: applies to the whole file.
    global: bool,
    line: u32,
    ids: Vec<String>,
    justification: Option<String>,
}

/// Parses a comment line's pragma, if it is one. Accepts `# harden ignore=DF001,DF008`,
/// `# harden ignore=DF001 -- why`, `# hadolint ignore=DL3002`, and the `global` forms.
fn parse_pragma(line: &str, number: u32) -> Option<Pragma> {
    let body = line.trim_start().strip_prefix('#')?.trim();
    let (tool, rest) = if let Some(rest) = body.strip_prefix("harden") {
        (PragmaTool::Harden, rest)
    } else if let Some(rest) = body.strip_prefix("hadolint") {
        (PragmaTool::Hadolint, rest)
    } else {
        return None;
    };
    let rest = rest.trim_start();
    let (global, rest) = match rest.strip_prefix("global") {
        Some(after) => (true, after.trim_start()),
        None => (false, rest),
    };
    let list = rest
        .strip_prefix("ignore")?
        .trim_start()
        .strip_prefix('=')?;
    // `ignore=DL3002, DL3008` is common: join the list before splitting off the justification.
    let mut list = list.trim_start().to_string();
    while list.contains(", ") || list.contains(" ,") {
        list = list.replace(", ", ",").replace(" ,", ",");
    }
    let (ids, justification) = match list.split_once(char::is_whitespace) {
        Some((ids, tail)) => (ids.to_string(), Some(tail.trim().to_string())),
        None => (list.clone(), None),
    };
    let justification = justification
        .map(|j| {
            j.trim_start_matches("--")
                .trim()
                .trim_start_matches("reason=")
                .trim_matches('"')
                .trim()
                .to_string()
        })
        .filter(|j| !j.is_empty());
    let ids: Vec<String> = ids
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect();
    (!ids.is_empty()).then_some(Pragma {
        tool,
        global,
        line: number,
        ids,
        justification,
    })
}

/// The Dockerfile's line-continuation character: `\`, or the one an `# escape=` parser directive
/// at the top sets (Dockerfile reference, "Parser directives").
fn escape_char(lines: &[&str]) -> char {
    for line in lines {
        let trimmed = line.trim();
        let Some(body) = trimmed.strip_prefix('#') else {
            break;
        };
        let body = body.trim();
        if let Some(value) = body
            .strip_prefix("escape")
            .map(str::trim_start)
            .and_then(|v| v.strip_prefix('='))
        {
            if let Some(c) = value.trim().chars().next() {
                return c;
            }
        }
    }
    '\\'
}

/// Applies one Dockerfile's pragmas to the findings located in it.
pub fn apply_pragmas(
    findings: &mut [Finding],
    dockerfile: &DockerfileText,
    hadolint: HadolintMap,
    outcome: &mut IgnoreOutcome,
) {
    let lines: Vec<&str> = dockerfile.text.lines().collect();
    let escape = escape_char(&lines);
    let continues = |line: &str| line.trim_end().ends_with(escape);

    // Each pragma, and the instruction (its first line) it is bound to: the first non-comment
    // line below a run of comment lines; a blank line breaks the run, as in hadolint.
    let mut pragmas: Vec<(Pragma, Option<u32>)> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(pragma) = parse_pragma(line, index as u32 + 1) else {
            continue;
        };
        if index > 0 && continues(lines[index - 1]) {
            continue; // a comment inside a continued instruction is not a pragma position
        }
        let mut target = None;
        if !pragma.global {
            for (below, text) in lines.iter().enumerate().skip(index + 1) {
                let trimmed = text.trim();
                if trimmed.starts_with('#') {
                    continue;
                }
                if !trimmed.is_empty() {
                    target = Some(below as u32 + 1);
                }
                break;
            }
        }
        pragmas.push((pragma, target));
    }
    if pragmas.is_empty() {
        return;
    }

    // Resolve each pragma ID to harden check IDs; note unknown `# harden` IDs.
    let mut resolved: Vec<Vec<(String, Vec<&'static str>)>> = Vec::new();
    for (pragma, _) in &pragmas {
        let mut ids = Vec::new();
        for id in &pragma.ids {
            let targets: Vec<&'static str> = match pragma.tool {
                PragmaTool::Harden => checks::find(id).map(|c| c.id).into_iter().collect(),
                PragmaTool::Hadolint => hadolint(id),
            };
            if targets.is_empty() && pragma.tool == PragmaTool::Harden {
                outcome.unknown.push(pragma_notice(dockerfile, pragma, id));
            }
            ids.push((id.clone(), targets));
        }
        resolved.push(ids);
    }

    let file = normalize_path(&dockerfile.path);
    let mut used: BTreeSet<(usize, String)> = BTreeSet::new();
    for finding in findings.iter_mut() {
        let location = &finding.location;
        if location.source != Some(SourceKind::Dockerfile)
            || location.file.as_deref().map(normalize_path) != Some(file)
        {
            continue;
        }
        let Some(span) = location.lines else {
            continue;
        };
        let instruction = instruction_start(&lines, span.start, &continues);
        for (index, (pragma, target)) in pragmas.iter().enumerate() {
            if !pragma.global && *target != Some(instruction) {
                continue;
            }
            for (id, targets) in &resolved[index] {
                if !targets.contains(&finding.id) {
                    continue;
                }
                used.insert((index, id.clone()));
                if finding.suppressed.is_none() {
                    let tool = match pragma.tool {
                        PragmaTool::Harden => "harden",
                        PragmaTool::Hadolint => "hadolint",
                    };
                    let scope = if pragma.global { " global" } else { "" };
                    finding.suppressed = Some(Suppression {
                        kind: "inline".to_string(),
                        reason: pragma.justification.clone().unwrap_or_else(|| {
                            format!("# {tool}{scope} ignore={id} in the Dockerfile")
                        }),
                        origin: Some(format!("{}:{}", dockerfile.path, pragma.line)),
                        expires: None,
                    });
                }
            }
        }
    }

    // A `# harden` pragma ID that suppressed nothing is reported; hadolint pragmas serve hadolint
    // too, so one harden does not use is not harden's to flag.
    for (index, (pragma, _)) in pragmas.iter().enumerate() {
        if pragma.tool != PragmaTool::Harden {
            continue;
        }
        for (id, targets) in &resolved[index] {
            if !targets.is_empty() && !used.contains(&(index, id.clone())) {
                outcome.unused.push(pragma_notice(dockerfile, pragma, id));
            }
        }
    }
}

fn pragma_notice(dockerfile: &DockerfileText, pragma: &Pragma, id: &str) -> IgnoreNotice {
    let tool = match pragma.tool {
        PragmaTool::Harden => "harden",
        PragmaTool::Hadolint => "hadolint",
    };
    let scope = if pragma.global { " global" } else { "" };
    IgnoreNotice {
        location: Location::dockerfile(
            &dockerfile.path,
            LineSpan {
                start: pragma.line,
                end: pragma.line,
            },
        ),
        ignore: format!("# {tool}{scope} ignore={}", pragma.ids.join(",")),
        id: id.to_string(),
        reason: pragma.justification.clone(),
        expires: None,
    }
}

/// The first line of the instruction that contains `line`: walk up while the line above ends with
/// the escape character (a continued instruction).
fn instruction_start(lines: &[&str], line: u32, continues: &dyn Fn(&str) -> bool) -> u32 {
    let mut start = line.max(1);
    while start > 1 {
        let Some(above) = lines.get(start as usize - 2) else {
            break;
        };
        if !continues(above) {
            break;
        }
        start -= 1;
    }
    start
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;

    fn finding(id: &'static str, location: Location) -> Finding {
        Finding {
            id,
            name: "test",
            severity: Severity::High,
            message: "m".into(),
            location,
            evidence: Default::default(),
            related: Vec::new(),
            suppressed: None,
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match("/usr/bin/*", "/usr/bin/passwd"));
        assert!(!glob_match("/usr/bin/*", "/usr/bin/x/passwd"));
        assert!(glob_match("/usr/**", "/usr/bin/x/passwd"));
        assert!(glob_match("/usr/**/passwd", "/usr/passwd"));
        assert!(glob_match("/usr/bin/pass??", "/usr/bin/passwd"));
        assert!(!glob_match("/usr/bin/pass?", "/usr/bin/passwd"));
        assert!(glob_match("web:*", "web:3"));
        assert!(!glob_match("web", "web:3"));
        assert!(file_matches("Dockerfile", "./app/Dockerfile"));
        assert!(file_matches("app/Dockerfile", "/abs/app/Dockerfile"));
        assert!(!file_matches("Dockerfile", "app/Dockerfile.dev"));
        assert!(file_matches("deploy/*.json", "deploy/td.json"));
    }

    #[test]
    fn pragmas_parse() {
        let p = parse_pragma("# harden ignore=DF001, DF008 -- we need it", 3).unwrap();
        assert_eq!(p.ids, ["DF001", "DF008"]);
        assert_eq!(p.justification.as_deref(), Some("we need it"));
        assert_eq!(p.tool, PragmaTool::Harden);
        let p = parse_pragma("  #hadolint global ignore=DL3002", 1).unwrap();
        assert!(p.global);
        assert_eq!(p.tool, PragmaTool::Hadolint);
        assert!(parse_pragma("# just a comment", 1).is_none());
        assert!(parse_pragma("RUN echo # harden ignore=DF001", 1).is_none());
        assert!(parse_pragma("# harden ignore=", 1).is_none());
    }

    #[test]
    fn pragma_suppresses_the_instruction_below_only() {
        // IM012 stands in for a Dockerfile check here: matching is by ID and place.
        let text = "FROM alpine\n# harden ignore=IM012 -- reviewed\nRUN a \\\n  b\n\nUSER root\n";
        let dockerfile = DockerfileText {
            path: "Dockerfile".into(),
            text: text.into(),
        };
        let at = |start, end| Location::dockerfile("./Dockerfile", LineSpan { start, end });
        let mut findings = vec![
            finding("IM012", at(3, 4)),
            finding("IM012", at(4, 4)),
            finding("IM012", at(6, 6)),
        ];
        let mut outcome = IgnoreOutcome::default();
        apply_pragmas(&mut findings, &dockerfile, &|_| Vec::new(), &mut outcome);
        let suppression = findings[0].suppressed.as_ref().unwrap();
        assert_eq!(suppression.kind, "inline");
        assert_eq!(suppression.reason, "reviewed");
        assert_eq!(suppression.origin.as_deref(), Some("Dockerfile:2"));
        assert!(
            findings[1].suppressed.is_some(),
            "a line inside the instruction"
        );
        assert!(findings[2].suppressed.is_none());
        assert!(outcome.unused.is_empty());
    }

    #[test]
    fn hadolint_pragmas_map_through_the_table_and_unused_harden_pragmas_are_reported() {
        let text =
            "FROM alpine\n# hadolint ignore=DL3002\nUSER root\n# harden ignore=IM012\nRUN true\n";
        let dockerfile = DockerfileText {
            path: "Dockerfile".into(),
            text: text.into(),
        };
        let map = |rule: &str| {
            if rule == "DL3002" {
                vec!["IM012"]
            } else {
                vec![]
            }
        };
        let mut findings = vec![finding(
            "IM012",
            Location::dockerfile("Dockerfile", LineSpan { start: 3, end: 3 }),
        )];
        let mut outcome = IgnoreOutcome::default();
        apply_pragmas(&mut findings, &dockerfile, &map, &mut outcome);
        assert!(findings[0].suppressed.is_some());
        assert_eq!(outcome.unused.len(), 1);
        assert_eq!(outcome.unused[0].location.lines.unwrap().start, 4);
        assert_eq!(outcome.unused[0].ignore, "# harden ignore=IM012");
    }

    #[test]
    fn escape_directive_changes_continuations() {
        let text = "# escape=`\nFROM x\n# harden ignore=IM012\nRUN a `\n  b\n";
        let dockerfile = DockerfileText {
            path: "Dockerfile".into(),
            text: text.into(),
        };
        let mut findings = vec![finding(
            "IM012",
            Location::dockerfile("Dockerfile", LineSpan { start: 5, end: 5 }),
        )];
        let mut outcome = IgnoreOutcome::default();
        apply_pragmas(&mut findings, &dockerfile, &|_| Vec::new(), &mut outcome);
        assert!(findings[0].suppressed.is_some());
    }

    #[test]
    fn config_ignores_match_expire_and_report_unused() {
        let config = Config::parse(
            "[[ignore]]\nid = \"IM012\"\nfile = \"app.tar\"\nreason = \"r1\"\n\n[[ignore]]\nid = \"missing-healthcheck\"\nreason = \"r2\"\nexpires = \"2000-01-01\"\n\n[[ignore]]\nid = \"IM012\"\npath = \"/nope\"\nreason = \"r3\"\n\n[[ignore]]\nid = \"XX999\"\nreason = \"r4\"\n",
            "harden.toml",
        )
        .unwrap();
        let mut findings = vec![
            finding("IM012", Location::image("app.tar")),
            finding("IM012", Location::image("other.tar")),
        ];
        let mut outcome = IgnoreOutcome::default();
        let today = Date::parse("2026-11-23").unwrap();
        apply_config_ignores(&mut findings, &config, today, &mut outcome);
        let suppression = findings[0].suppressed.as_ref().unwrap();
        assert_eq!(suppression.reason, "r1");
        assert_eq!(suppression.origin.as_deref(), Some("harden.toml:1"));
        assert!(
            findings[1].suppressed.is_none(),
            "the expired ignore no longer applies"
        );
        assert_eq!(outcome.expired.len(), 1);
        assert_eq!(outcome.expired[0].location.lines.unwrap().start, 6);
        assert_eq!(outcome.unused.len(), 1);
        assert_eq!(outcome.unused[0].reason.as_deref(), Some("r3"));
        assert_eq!(outcome.unknown.len(), 1);
        assert_eq!(outcome.unknown[0].id, "XX999");
    }
}
