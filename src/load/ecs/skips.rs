//! Reads the skip comments peer tools honour in an ECS input, scoped as those tools scope them,
//! into [`PeerSkip`]s; the policy stage applies them to the harden checks that name the rule as
//! an equivalent. Read here, with the text, because the policy stage never re-reads an input.
//!
//! - **checkov** (bridgecrewio/checkov at 03d5fdad, 2026-08-20): `COMMENT_REGEX` in
//!   checkov/common/comment/enum.py, searched anywhere in each line of a CloudFormation
//!   resource's code lines (`collect_suppressions_for_context`, checkov/common/util/suppression.py),
//!   which `build_definitions_context` (checkov/cloudformation/cfn_utils.py) takes from the
//!   resource's key line to its last line, trailing comment and blank lines dropped; plus
//!   `Metadata: {checkov|bridgecrew: {skip: [{id, comment}]}}` in the resource
//!   (`ContextParser.collect_skip_comments`). One ID per comment: `id` is the whole match, and a
//!   check is skipped only when it equals the check's ID (base_check_registry.py), so
//!   `CKV_AWS_1,CKV_AWS_2` skips neither. A task-definition file (register input, describe
//!   output) is not a checkov input; there the whole file is the one resource.
//! - **trivy** (aquasecurity/trivy at dc3c56ee, 2026-08-21): `ignore.Parse` (pkg/iac/ignore/
//!   parse.go) splits each line on spaces, strips leading `#`, `/` and `*` from each part, and
//!   reads parts starting `trivy:` or `tfsec:` as `:`-separated key/value sections (`ignore:ID`,
//!   optional `[params]` dropped; `exp:YYYY-MM-DD`). `Rules.shift` (rule.go) moves a run of
//!   comment-only lines onto the line after the run; a rule on line R then matches a result
//!   whose metadata, or an ancestor's, starts on line R or R+1 (`matchRange`): here, the YAML
//!   block starting on that line, with everything nested in it. In a CloudFormation template the
//!   blocks are the resources and what they hold (the `Resources` key is no result's ancestor).
//!
//! Terraform plans (`terraform show -json`) carry no comments: a skip written in the `.tf` source
//! does not reach harden.

use crate::dates::Date;
use crate::findings::LineSpan;
use crate::model::ecs::{PeerSkip, PeerTool, SkipScope, SourceFormat};

use super::Document;

/// Every skip in one parsed input.
pub(crate) fn read(document: &Document, text: &str, format: SourceFormat) -> Vec<PeerSkip> {
    if format == SourceFormat::Terraform {
        return Vec::new();
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let outline = Outline::of(&lines);
    let cloudformation = format == SourceFormat::CloudFormation;
    let resources = if cloudformation {
        outline.resources(&lines)
    } else {
        Vec::new()
    };
    let mut skips = Vec::new();
    // Cheap test first: most files hold neither tool's name.
    let mentions = |needle: &str| text.contains(needle);
    if mentions("checkov:skip=") || mentions("bridgecrew:skip=") || mentions("cortex:skip=") {
        for (index, line) in lines.iter().enumerate() {
            let number = index as u32 + 1;
            let Some((id, reason)) = checkov_comment(line) else {
                continue;
            };
            let scope = if cloudformation {
                match resources
                    .iter()
                    .find(|(_, span)| span.start <= number && number <= span.end)
                {
                    Some((name, _)) => SkipScope::Resource(name.clone()),
                    None => continue,
                }
            } else {
                SkipScope::File
            };
            skips.push(PeerSkip {
                tool: PeerTool::Checkov,
                file: document.file.clone(),
                line: Some(number),
                id,
                reason,
                expires: None,
                scope,
            });
        }
    }
    if cloudformation {
        metadata_skips(document, &mut skips);
    }
    if mentions("trivy:") || mentions("tfsec:") {
        for rule in trivy_rules(&lines) {
            let mut spans = Vec::new();
            for target in [rule.line, rule.line + 1] {
                let Some(span) = outline.block_at(target) else {
                    continue;
                };
                let inside_a_resource = resources
                    .iter()
                    .any(|(_, r)| r.start <= target && target <= r.end);
                if cloudformation && !inside_a_resource {
                    continue;
                }
                spans.push(span);
            }
            if spans.is_empty() {
                continue;
            }
            skips.push(PeerSkip {
                tool: PeerTool::Trivy,
                file: document.file.clone(),
                line: Some(rule.written),
                id: rule.id,
                reason: None,
                expires: rule.expires,
                scope: SkipScope::Lines(spans),
            });
        }
    }
    skips
}

/// checkov's `COMMENT_REGEX`: `(checkov:skip=|bridgecrew:skip=|cortex:skip=) *([A-Za-z_\d-]+
/// (?:,[A-Za-z_\d-]+)*)?(:[^\n]*)?`, first match in the line. The ID is the whole second group;
/// the reason what follows its `:`.
fn checkov_comment(line: &str) -> Option<(String, Option<String>)> {
    let start = ["checkov:skip=", "bridgecrew:skip=", "cortex:skip="]
        .iter()
        .filter_map(|prefix| line.find(prefix).map(|at| at + prefix.len()))
        .min()?;
    let rest = line[start..].trim_start_matches(' ');
    let id_chars = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut end = rest.find(|c: char| !id_chars(c)).unwrap_or(rest.len());
    // `(?:,[A-Za-z_\d-]+)*`: a comma followed by at least one ID character continues the group.
    while rest[end..].starts_with(',') && rest[end + 1..].starts_with(id_chars) {
        let more = rest[end + 1..]
            .find(|c: char| !id_chars(c))
            .unwrap_or(rest.len() - end - 1);
        end += 1 + more;
    }
    let id = &rest[..end];
    if id.is_empty() {
        return None;
    }
    let reason = rest[end..]
        .strip_prefix(':')
        .map(str::to_string)
        .filter(|r| !r.is_empty());
    Some((id.to_string(), reason))
}

/// `Resources.<id>.Metadata.{checkov,bridgecrew}.skip[].{id, comment}`.
fn metadata_skips(document: &Document, skips: &mut Vec<PeerSkip>) {
    let Some(resources) = document.value.get("Resources").and_then(|r| r.as_object()) else {
        return;
    };
    for (name, resource) in resources {
        let Some(metadata) = resource.get("Metadata") else {
            continue;
        };
        for tool in ["checkov", "bridgecrew"] {
            let entries = metadata
                .get(tool)
                .and_then(|t| t.get("skip"))
                .and_then(|s| s.as_array());
            for entry in entries.into_iter().flatten() {
                let Some(id) = entry.get("id").and_then(|i| i.as_str()) else {
                    continue;
                };
                skips.push(PeerSkip {
                    tool: PeerTool::Checkov,
                    file: document.file.clone(),
                    line: document.lines.line(&format!(
                        "/Resources/{}/Metadata",
                        name.replace('~', "~0").replace('/', "~1")
                    )),
                    id: id.to_string(),
                    reason: entry
                        .get("comment")
                        .and_then(|c| c.as_str())
                        .map(str::to_string),
                    expires: None,
                    scope: SkipScope::Resource(name.clone()),
                });
            }
        }
    }
}

/// One trivy ignore rule after `shift`.
#[derive(Debug, PartialEq)]
struct TrivyRule {
    /// The line it applies from (its own, or the line after a run of comment lines).
    line: u32,
    /// The line it is written on.
    written: u32,
    id: String,
    expires: Option<Option<Date>>,
}

/// `ignore.Parse` and `Rules.shift`.
fn trivy_rules(lines: &[&str]) -> Vec<TrivyRule> {
    struct Parsed {
        line: u32,
        start_of_line: bool,
        id: String,
        expires: Option<Option<Date>>,
    }
    let mut rules: Vec<Parsed> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let number = index as u32 + 1;
        let parts: Vec<&str> = line
            .trim()
            .split(' ')
            .map(|p| p.trim().trim_start_matches(['#', '/', '*']))
            .filter(|p| !p.is_empty())
            .collect();
        let mut on_this_line = 0usize;
        let mut first_is_start = false;
        for (position, part) in parts.iter().enumerate() {
            let Some(body) = part
                .strip_prefix("tfsec:")
                .or_else(|| part.strip_prefix("trivy:"))
            else {
                continue;
            };
            let segments: Vec<&str> = body.split(':').collect();
            let mut id = None;
            let mut expires = None;
            for pair in segments.chunks_exact(2) {
                match pair[0] {
                    "ignore" => {
                        let value = pair[1].split('[').next().unwrap_or("");
                        if !value.is_empty() {
                            id = Some(value.to_string());
                        }
                    }
                    "exp" => expires = Some(Date::parse(pair[1]).filter(|_| pair[1].len() == 10)),
                    _ => {}
                }
            }
            let Some(id) = id else {
                continue;
            };
            let start_of_line = position == 0 || (on_this_line > 0 && first_is_start);
            if on_this_line == 0 {
                first_is_start = start_of_line;
            }
            on_this_line += 1;
            rules.push(Parsed {
                line: number,
                start_of_line,
                id,
                expires,
            });
        }
    }
    // `Rules.shift`, as written: from the last rule back, a start-of-line rule directly above
    // the run so far takes the run's line.
    let mut lines_after: Vec<u32> = rules.iter().map(|r| r.line).collect();
    let mut current: Option<u32> = None;
    let mut offset = 0u32;
    for i in (1..rules.len()).rev() {
        if !rules[i - 1].start_of_line {
            continue;
        }
        let current_line = lines_after[i];
        let range = *current.get_or_insert(current_line);
        if rules[i - 1].line + 1 + offset == current_line {
            lines_after[i - 1] = range;
            offset += 1;
        } else {
            current = None;
            offset = 0;
        }
    }
    rules
        .into_iter()
        .zip(lines_after)
        .map(|(rule, line)| TrivyRule {
            line,
            written: rule.line,
            id: rule.id,
            expires: rule.expires,
        })
        .collect()
}

/// The block structure of a YAML text by indentation: for each line that starts a node (not
/// blank, not a comment), the last line of the node (its nested lines included).
struct Outline {
    /// 1-based line → last line of the node it starts; 0 where no node starts.
    ends: Vec<u32>,
}

impl Outline {
    fn of(lines: &[&str]) -> Outline {
        // A sequence item counts one column deeper than its dash, so items written at their
        // key's own indentation (`Key:` then `- item`) still nest in it, and siblings close
        // each other.
        let indent = |line: &str| {
            let trimmed = line.trim_start_matches(' ');
            let column = line.len() - trimmed.len();
            if trimmed == "-" || trimmed.starts_with("- ") {
                column + 1
            } else {
                column
            }
        };
        let content = |line: &str| {
            let trimmed = line.trim();
            !trimmed.is_empty() && !trimmed.starts_with('#')
        };
        let mut ends = vec![0u32; lines.len() + 1];
        // A stack of open nodes (line, indent): a line closes every node at its indent or deeper.
        let mut open: Vec<(usize, usize)> = Vec::new();
        let mut last_content = 0usize;
        for (index, line) in lines.iter().enumerate() {
            if !content(line) {
                continue;
            }
            let column = indent(line);
            while let Some(&(start, at)) = open.last() {
                if at < column {
                    break;
                }
                ends[start] = last_content as u32;
                open.pop();
            }
            open.push((index + 1, column));
            last_content = index + 1;
        }
        for (start, _) in open {
            ends[start] = last_content as u32;
        }
        Outline { ends }
    }

    /// The node starting on `line`, with everything nested in it.
    fn block_at(&self, line: u32) -> Option<LineSpan> {
        let end = *self.ends.get(line as usize)?;
        (end != 0).then_some(LineSpan { start: line, end })
    }

    /// A CloudFormation YAML template's resources: each key under the top-level `Resources`,
    /// from its key line to its last content line.
    fn resources(&self, lines: &[&str]) -> Vec<(String, LineSpan)> {
        let Some(top) = lines
            .iter()
            .position(|l| l.starts_with("Resources:") || l.starts_with("\"Resources\":"))
        else {
            return Vec::new();
        };
        let Some(section) = self.block_at(top as u32 + 1) else {
            return Vec::new();
        };
        let mut resources = Vec::new();
        let mut line = section.start + 1;
        while line <= section.end {
            match self.block_at(line) {
                Some(span) => {
                    let text = lines[line as usize - 1].trim();
                    let name = text
                        .split(':')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .trim_matches(['"', '\''])
                        .to_string();
                    resources.push((name, span));
                    line = span.end + 1;
                }
                None => line += 1,
            }
        }
        resources
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// trivy's own cases (pkg/iac/ignore/rule_test.go `TestRules_Ignore`): the source, the
    /// result's line, and whether a rule for `rule-1`/`rule-2` applies there. Only the line
    /// logic is ported; IDs are matched in the policy stage.
    #[test]
    fn trivy_rule_lines_follow_trivys_tests() {
        let applies = |src: &str, line: u32, id: &str| {
            let lines: Vec<&str> = src.lines().collect();
            trivy_rules(&lines)
                .iter()
                .any(|r| r.id == id && (r.line == line || r.line + 1 == line))
        };
        assert!(applies("#trivy:ignore:rule-1", 2, "rule-1"));
        assert!(
            !applies("#trivy:ignore:rule-1", 3, "rule-1"),
            "blank line between"
        );
        assert!(
            !applies(
                "#trivy:ignore:rule-1\n#trivy:ignore:rule-2\t\n\n",
                4,
                "rule-1"
            ),
            "blank line between rules"
        );
        assert!(applies("#trivy:ignore:rule-1", 1, "rule-1"), "same line");
        assert!(applies("test #trivy:ignore:rule-1", 1, "rule-1"));
        assert!(applies(
            "test #trivy:ignore:rule-1 #trivy:ignore:rule-2",
            1,
            "rule-2"
        ));
        assert!(
            applies("#trivy:ignore:rule-1\n#trivy:ignore:rule-2\n", 3, "rule-1"),
            "a run of rules applies after the run"
        );
        assert!(applies("#trivy:ignore:rule-1[param1=1]", 2, "rule-1"));
        assert!(!applies("#trivy:exp:2022-01-01", 2, "rule-2"), "no ignore");
        assert!(trivy_rules(&["#trivy:ignore"]).is_empty());
        assert!(applies(
            "# trivy:ignore:rule-1\n# trivy:ignore:rule-2\ntest #trivy:ignore:rule-3\n",
            3,
            "rule-1"
        ));
        assert!(applies(
            "# trivy:ignore:rule-1 # trivy:ignore:rule-2\n# trivy:ignore:rule-3\ntest #trivy:ignore:rule-4\n",
            3,
            "rule-2"
        ));
        let rules = trivy_rules(&["#trivy:ignore:rule-1:exp:2022-01-01"]);
        assert_eq!(rules[0].expires, Some(Date::parse("2022-01-01")));
        let rules = trivy_rules(&["#trivy:ignore:rule-1:exp:2026-99-01"]);
        assert_eq!(
            rules[0].expires,
            Some(None),
            "an invalid date never applies"
        );
    }

    #[test]
    fn checkov_comments_read_as_its_regex_does() {
        assert_eq!(
            checkov_comment("    # checkov:skip=CKV_AWS_97:EFS is private"),
            Some(("CKV_AWS_97".into(), Some("EFS is private".into())))
        );
        assert_eq!(
            checkov_comment("#checkov:skip= CKV_AWS_336"),
            Some(("CKV_AWS_336".into(), None))
        );
        assert_eq!(
            checkov_comment("x: 1 # bridgecrew:skip=CKV_AWS_1,CKV_AWS_2:both"),
            Some(("CKV_AWS_1,CKV_AWS_2".into(), Some("both".into())))
        );
        assert_eq!(checkov_comment("# checkov:skip=:no id"), None);
        assert_eq!(checkov_comment("# harden ignore=ECS.5"), None);
    }

    #[test]
    fn outline_and_resources() {
        let text = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  # above\n  TaskDef:\n    Type: AWS::ECS::TaskDefinition\n    Properties:\n      ContainerDefinitions:\n        - Name: app\n          Privileged: true\n\n  # next\n  Cluster:\n    Type: AWS::ECS::Cluster\nOutputs: {}\n";
        let lines: Vec<&str> = text.lines().collect();
        let outline = Outline::of(&lines);
        assert_eq!(
            outline.resources(&lines),
            [
                ("TaskDef".to_string(), LineSpan { start: 4, end: 9 }),
                ("Cluster".to_string(), LineSpan { start: 12, end: 13 }),
            ]
        );
        assert_eq!(outline.block_at(8), Some(LineSpan { start: 8, end: 9 }));
        assert_eq!(outline.block_at(9), Some(LineSpan { start: 9, end: 9 }));
        assert_eq!(outline.block_at(3), None, "a comment starts no node");
        // Items at their key's indentation nest in it.
        let lines = [
            "Containers:",
            "- Name: a",
            "  User: root",
            "- Name: b",
            "Other: 1",
        ];
        let outline = Outline::of(&lines);
        assert_eq!(outline.block_at(1), Some(LineSpan { start: 1, end: 4 }));
        assert_eq!(outline.block_at(2), Some(LineSpan { start: 2, end: 3 }));
    }
}
