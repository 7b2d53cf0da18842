//! Ignore pragmas in Dockerfile comments: `# harden ignore=DF001,DF008 -- reason`,
//! `# hadolint ignore=DL3002`, and their `global` forms. The lexer calls [`parse`] on each comment
//! line outside an instruction, and binds the pragma to the instruction below it.

use crate::model::dockerfile::{MalformedPragma, Pragma, PragmaTool};

/// A comment meant as a `# harden` pragma that [`parse`] rejects: `harden` as a word (not
/// `hardening`), then `ignore` after at most a `:`, `-` or `global` (`# harden: ignore=DF001`,
/// `# harden ignore DF001`, `# harden-ignore=DF001`, `# harden ignore=`). Call it only when
/// `parse` returned `None`. `# hadolint` comments are hadolint's to judge.
pub fn malformed(line: &str, number: u32) -> Option<MalformedPragma> {
    let body = line.trim_start().strip_prefix('#')?.trim_start();
    let lower = body.to_ascii_lowercase();
    let rest = lower.strip_prefix("harden")?;
    if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '-'));
    let rest = match rest.strip_prefix("global") {
        Some(after) => after.trim_start_matches(|c: char| c.is_whitespace() || c == ':'),
        None => rest,
    };
    if !rest.starts_with("ignore") {
        return None;
    }
    Some(MalformedPragma {
        line: number,
        written: line.trim().chars().take(200).collect(),
    })
}

/// Parses one comment line's pragma, if it is one. The reason is kept verbatim but for a leading
/// `--` (harden's separator) and hadolint's `reason="..."` quoting.
pub fn parse(line: &str, number: u32) -> Option<Pragma> {
    let body = line.trim_start().strip_prefix('#')?.trim_start();
    let (tool, rest) = if let Some(rest) = body.strip_prefix("harden") {
        (PragmaTool::Harden, rest)
    } else if let Some(rest) = body.strip_prefix("hadolint") {
        (PragmaTool::Hadolint, rest)
    } else {
        return None;
    };
    // `# hardening notes` is a comment, not a pragma: the tool name is a whole word.
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let (global, rest) = match rest.strip_prefix("global") {
        Some(after) if after.starts_with(char::is_whitespace) => (true, after.trim_start()),
        _ => (false, rest),
    };
    let mut rest = rest
        .strip_prefix("ignore")?
        .trim_start()
        .strip_prefix('=')?;
    // IDs separated by commas, with optional blanks around them (`ignore=DL3002, DL3008`).
    let mut ids = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
            .unwrap_or(rest.len());
        // An ID starts with a letter or digit: `-- why` after an empty list is no ID.
        if end == 0 || !rest.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            break;
        }
        ids.push(rest[..end].to_string());
        let after = rest[end..].trim_start_matches([' ', '\t']);
        match after.strip_prefix(',') {
            Some(next) => rest = next,
            None => {
                rest = &rest[end..];
                break;
            }
        }
    }
    if ids.is_empty() {
        return None;
    }
    let reason = rest.trim();
    let reason = reason.strip_prefix("--").unwrap_or(reason).trim();
    let reason = match reason.strip_prefix("reason=") {
        Some(quoted) => quoted.trim().trim_matches('"').trim(),
        None => reason,
    };
    Some(Pragma {
        tool,
        global,
        line: number,
        ids,
        reason: (!reason.is_empty()).then(|| reason.to_string()),
        instruction: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_the_reason_verbatim() {
        let p = parse("# harden ignore=DF001, DF008 -- we need it, for now", 3).unwrap();
        assert_eq!(p.ids, ["DF001", "DF008"]);
        assert_eq!(p.reason.as_deref(), Some("we need it, for now"));
        assert_eq!(p.tool, PragmaTool::Harden);
        assert_eq!(p.line, 3);
        let p = parse("# harden ignore=DF001 -- a, b", 1).unwrap();
        assert_eq!(p.reason.as_deref(), Some("a, b"));
        let p = parse("  #hadolint global ignore=DL3002", 1).unwrap();
        assert!(p.global);
        assert_eq!(p.tool, PragmaTool::Hadolint);
        assert_eq!(p.written(), "# hadolint global ignore=DL3002");
        let p = parse(r#"# hadolint ignore=DL3008 reason="pinned upstream""#, 1).unwrap();
        assert_eq!(p.reason.as_deref(), Some("pinned upstream"));
    }

    #[test]
    fn comments_meant_as_harden_pragmas_are_malformed() {
        for line in [
            "# harden: ignore=DF001",
            "# harden ignore DF001",
            "# harden-ignore=DF001",
            "# HARDEN ignore: DF001",
            "# harden ignore=",
            "# harden global: ignore=DF001",
        ] {
            assert!(parse(line, 1).is_none(), "{line}");
            assert_eq!(malformed(line, 4).map(|m| m.line), Some(4), "{line}");
        }
        for line in [
            "# hardening: ignore=DF001",
            "# harden the image",
            "# hadolint ignore DL3002",
            "# just a comment",
        ] {
            assert!(malformed(line, 1).is_none(), "{line}");
        }
    }

    #[test]
    fn comments_that_are_not_pragmas() {
        assert!(parse("# just a comment", 1).is_none());
        assert!(parse("# hardening notes: ignore=none", 1).is_none());
        assert!(parse("RUN echo # harden ignore=DF001", 1).is_none());
        assert!(parse("# harden ignore=", 1).is_none());
        assert!(parse("# harden ignore= -- why", 1).is_none());
    }
}
