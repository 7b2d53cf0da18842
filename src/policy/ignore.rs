//! Applies the user's policy to the findings: severity overrides from `harden.toml`, its
//! `[[ignore]]` tables, and inline Dockerfile pragmas (`# harden ignore=DF001`, and hadolint's
//! `# hadolint ignore=DL3002` for the harden checks whose References name that rule). Ignored
//! findings are marked suppressed, never removed. What went unused, expired or named no check is
//! collected in an [`IgnoreOutcome`], which the `HD` checks (`checks/tool/`) turn into findings.

use std::collections::BTreeSet;

use crate::checks::{self, Emitter, Run};
use crate::dates::Date;
use crate::findings::normalize_path;
use crate::findings::{Finding, LineSpan, Location, SourceKind, Suppression};
use crate::model::dockerfile::{Dockerfile, Pragma, PragmaTool};
pub use crate::model::policy::{IgnoreNotice, IgnoreOutcome};
use crate::policy::config::{Config, IgnoreRule};

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
    dockerfiles: &[&Dockerfile],
    today: Date,
) -> IgnoreOutcome {
    let outcome = apply_ignores(findings, config, dockerfiles, today);
    run_tool_checks(findings, config, &outcome);
    outcome
}

/// The policy without the HD checks: severity overrides, config ignores and pragmas, and what
/// they found about themselves.
pub fn apply_ignores(
    findings: &mut [Finding],
    config: &Config,
    dockerfiles: &[&Dockerfile],
    today: Date,
) -> IgnoreOutcome {
    let mut outcome = IgnoreOutcome::default();
    // The profile first, so a `[severity]` entry wins over it.
    config.profile.unwrap_or_default().apply(findings);
    apply_severity_overrides(findings, config, &mut outcome);
    apply_config_ignores(findings, config, today, &mut outcome);
    for dockerfile in dockerfiles {
        apply_pragmas(findings, dockerfile, &registry_hadolint_map, &mut outcome);
    }
    outcome.suppressed = findings.iter().filter(|f| f.suppressed.is_some()).count();
    outcome
}

/// The HD checks on what applying the policy found (appended to `findings`).
pub fn run_tool_checks(findings: &mut Vec<Finding>, config: &Config, outcome: &IgnoreOutcome) {
    let first_tool_finding = findings.len();
    let mut controls = Vec::new();
    for check in checks::all() {
        if let Run::Tool(run) = check.run {
            let mut emitter = Emitter::new(check, findings, &mut controls);
            run(outcome, &mut emitter);
        }
    }
    // Overrides apply to HD findings as well; unknown IDs were already reported above.
    let mut ignored = IgnoreOutcome::default();
    apply_severity_overrides(&mut findings[first_tool_finding..], config, &mut ignored);
}

/// What the policy found over several sections of one run (images scanned apart): an ignore is
/// unused only when no section used it; the rest (expired, unknown, malformed) is the same in
/// every section, so it is taken once.
pub fn merge_outcomes(outcomes: &[IgnoreOutcome]) -> IgnoreOutcome {
    let Some((first, rest)) = outcomes.split_first() else {
        return IgnoreOutcome::default();
    };
    let mut merged = first.clone();
    merged
        .unused
        .retain(|notice| rest.iter().all(|o| o.unused.contains(notice)));
    for other in rest {
        for (into, from) in [
            (&mut merged.expired, &other.expired),
            (&mut merged.unknown, &other.unknown),
            (&mut merged.malformed, &other.malformed),
        ] {
            for notice in from {
                if !into.contains(notice) {
                    into.push(notice.clone());
                }
            }
        }
        merged.suppressed += other.suppressed;
    }
    merged
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
            if finding.id != check.id
                || !rule_matches(rule, &finding.location)
                || !evidence_matches(rule, finding)
            {
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

/// `match = { key = "glob" }`: every key is in the finding's evidence and its value matches.
fn evidence_matches(rule: &IgnoreRule, finding: &Finding) -> bool {
    rule.evidence.iter().all(|(key, pattern)| {
        finding
            .evidence
            .get(key)
            .is_some_and(|value| glob_match(pattern, value))
    })
}

/// A file pattern matches the whole path or its tail: `Dockerfile` matches `./app/Dockerfile`.
pub fn file_matches(pattern: &str, file: &str) -> bool {
    let pattern = normalize_path(pattern);
    let file = normalize_path(file);
    glob_match(pattern, file) || glob_match(&format!("**/{pattern}"), file)
}

/// Glob matching: `*` any run of characters but `/`, `**` any run including `/` (`**/` also no
/// directory at all), `?` one character but `/`. Everything else is literal.
///
/// Both the pattern (a config file) and the text (a path or evidence from the image) may be
/// hostile, so the pattern runs as a set of positions over the text, once per character:
/// O(pattern x text) time, no recursion. A backtracking matcher took exponential time on
/// `*a*a*a…b` and recursed once per character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Literal(char),
        One,
        Star,
        DoubleStar,
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                Token::DoubleStar
            }
            '*' => Token::Star,
            '?' => Token::One,
            c => Token::Literal(c),
        });
    }
    let end = tokens.len();
    // The positions the pattern may be at, as a list (only those are visited per character) and
    // a stamp per position (the character index that added it last).
    let mut stamps = vec![usize::MAX; end + 1];
    // Adds `at` and every position reachable from it without reading a character.
    let close = |stamps: &mut Vec<usize>, set: &mut Vec<usize>, stamp: usize, at: usize| {
        let mut stack = vec![at];
        while let Some(p) = stack.pop() {
            if stamps[p] == stamp {
                continue;
            }
            stamps[p] = stamp;
            set.push(p);
            match tokens.get(p) {
                Some(Token::Star) => stack.push(p + 1),
                Some(Token::DoubleStar) => {
                    stack.push(p + 1);
                    if tokens.get(p + 1) == Some(&Token::Literal('/')) {
                        stack.push(p + 2);
                    }
                }
                _ => {}
            }
        }
    };
    let mut current = Vec::new();
    close(&mut stamps, &mut current, 0, 0);
    let mut next = Vec::new();
    for (index, c) in text.chars().enumerate() {
        let stamp = index + 1;
        next.clear();
        for &p in &current {
            let target = match tokens.get(p) {
                Some(Token::Literal(l)) if *l == c => p + 1,
                Some(Token::One) if c != '/' => p + 1,
                Some(Token::Star) if c != '/' => p,
                Some(Token::DoubleStar) => p,
                _ => continue,
            };
            close(&mut stamps, &mut next, stamp, target);
        }
        if next.is_empty() {
            return false;
        }
        std::mem::swap(&mut current, &mut next);
    }
    current.contains(&end)
}

fn config_name(config: &Config) -> &str {
    config
        .file
        .as_deref()
        .unwrap_or(crate::policy::config::DEFAULT_FILE_NAME)
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
    if !rule.evidence.is_empty() {
        let pairs: Vec<String> = rule
            .evidence
            .iter()
            .map(|(key, value)| format!("{key} = {value:?}"))
            .collect();
        text.push_str(&format!(" match = {{ {} }}", pairs.join(", ")));
    }
    text
}

/// Applies one Dockerfile's pragmas (read by the lexer) to the findings located in it.
pub fn apply_pragmas(
    findings: &mut [Finding],
    dockerfile: &Dockerfile,
    hadolint: HadolintMap,
    outcome: &mut IgnoreOutcome,
) {
    for malformed in &dockerfile.malformed_pragmas {
        outcome.malformed.push(IgnoreNotice {
            location: Location::dockerfile(
                &dockerfile.path,
                LineSpan {
                    start: malformed.line,
                    end: malformed.line,
                },
            ),
            ignore: malformed.written.clone(),
            id: String::new(),
            reason: None,
            expires: None,
        });
    }
    let pragmas = &dockerfile.pragmas;
    if pragmas.is_empty() {
        return;
    }
    // Resolve each pragma ID to harden check IDs; note unknown `# harden` IDs.
    let mut resolved: Vec<Vec<(String, Vec<&'static str>)>> = Vec::new();
    for pragma in pragmas {
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
        for (index, pragma) in pragmas.iter().enumerate() {
            let applies = pragma.global
                || pragma
                    .instruction
                    .is_some_and(|i| i.start <= span.start && span.start <= i.end);
            if !applies {
                continue;
            }
            for (id, targets) in &resolved[index] {
                if !targets.contains(&finding.id) {
                    continue;
                }
                used.insert((index, id.clone()));
                if finding.suppressed.is_none() {
                    let scope = if pragma.global { " global" } else { "" };
                    finding.suppressed = Some(Suppression {
                        kind: "inline".to_string(),
                        reason: pragma.reason.clone().unwrap_or_else(|| {
                            format!(
                                "# {}{scope} ignore={id} in the Dockerfile",
                                pragma.tool.as_str()
                            )
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
    for (index, pragma) in pragmas.iter().enumerate() {
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

fn pragma_notice(dockerfile: &Dockerfile, pragma: &Pragma, id: &str) -> IgnoreNotice {
    IgnoreNotice {
        location: Location::dockerfile(
            &dockerfile.path,
            LineSpan {
                start: pragma.line,
                end: pragma.line,
            },
        ),
        ignore: pragma.written(),
        id: id.to_string(),
        reason: pragma.reason.clone(),
        expires: None,
    }
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
            fix: None,
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
        assert!(glob_match("**", ""));
        assert!(glob_match("a/**/b/*/c", "a/x/y/b/z/c"));
        assert!(!glob_match("a/**/b/*/c", "a/x/y/b/z/w/c"));
        assert!(glob_match("**/x", "x"));
        assert!(glob_match("***", "a/b"));
        assert!(!glob_match("?", ""));
    }

    /// A backtracking matcher takes exponential time on `*a*a…*b` against `aaa…` (and recursed
    /// once per character: a 200,000-character value overflowed the stack).
    #[test]
    fn hostile_globs_match_in_linear_passes() {
        let text = "a".repeat(200_000);
        assert!(!glob_match(&format!("{}b", "*a".repeat(30)), &text));
        assert!(!glob_match(&format!("{}b", "**a".repeat(30)), &text));
        assert!(glob_match(&"?".repeat(200_000), &text));
        assert!(glob_match(&text, &text));
        assert!(!glob_match(&format!("{text}a"), &text));
    }

    fn dockerfile(text: &str) -> Dockerfile {
        crate::load::dockerfile::from_text(text, "Dockerfile", &Default::default()).unwrap()
    }

    #[test]
    fn pragma_suppresses_the_instruction_below_only() {
        // IM012 stands in for a Dockerfile check here: matching is by ID and place.
        let dockerfile = dockerfile(
            "FROM alpine\n# harden ignore=IM012 -- reviewed, twice\nRUN a \\\n  b\n\nUSER root\n",
        );
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
        assert_eq!(suppression.reason, "reviewed, twice");
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
        let dockerfile = dockerfile(
            "FROM alpine\n# hadolint ignore=DL3002\nUSER root\n# harden ignore=IM012\nRUN true\n",
        );
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
        let dockerfile = dockerfile("# escape=`\nFROM x\n# harden ignore=IM012\nRUN a `\n  b\n");
        let mut findings = vec![finding(
            "IM012",
            Location::dockerfile("Dockerfile", LineSpan { start: 5, end: 5 }),
        )];
        let mut outcome = IgnoreOutcome::default();
        apply_pragmas(&mut findings, &dockerfile, &|_| Vec::new(), &mut outcome);
        assert!(findings[0].suppressed.is_some());
    }

    #[test]
    fn a_pragma_inside_a_heredoc_or_a_continued_instruction_is_not_one() {
        let dockerfile = dockerfile(
            "FROM x\nRUN a \\\n# harden ignore=IM012\n  b\nRUN <<EOF\n# harden ignore=IM012\nEOF\nUSER root\n",
        );
        assert!(dockerfile.pragmas.is_empty(), "{:?}", dockerfile.pragmas);
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
