//! Tells the kinds of input apart from their first bytes, so an input given to the wrong flag is
//! named as what it is, with the flag it belongs to, instead of failing deep inside the wrong
//! parser (a Dockerfile read as a tar, an image archive read as a Dockerfile).

/// What the first bytes of a file look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A tar (ustar magic at offset 257) or a gzip/zstd/xz/bzip2 stream: an image archive.
    ImageArchive,
    /// Text whose first instruction is `FROM` or `ARG` (after comments and blank lines).
    Dockerfile,
    /// JSON or YAML naming ECS task-definition or template keys.
    TaskDefinition,
    /// A vulnerability scanner's JSON report (trivy, grype, ECR scan findings).
    VulnerabilityReport,
    Unknown,
}

impl InputKind {
    /// The flag that takes this kind of input, as a user would type it.
    pub fn how_to_pass(self) -> &'static str {
        match self {
            InputKind::ImageArchive => "as the image: `harden scan IMAGE`",
            InputKind::Dockerfile => "with --dockerfile",
            InputKind::TaskDefinition => "with --task-def",
            InputKind::VulnerabilityReport => "with --vulns",
            InputKind::Unknown => "",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            InputKind::ImageArchive => "an image archive",
            InputKind::Dockerfile => "a Dockerfile",
            InputKind::TaskDefinition => "an ECS task definition or template",
            InputKind::VulnerabilityReport => "a vulnerability scanner's report",
            InputKind::Unknown => "unknown",
        }
    }
}

/// Keys only ECS task definitions and the stacks around them carry.
const TASK_DEFINITION_KEYS: &[&str] = &[
    "containerDefinitions",
    "\"taskDefinition\"",
    "taskDefinitionArn",
    "AWSTemplateFormatVersion",
    "AWS::ECS::",
    "aws_ecs_task_definition",
    "container_definitions",
];

/// Classifies a file by its head (the first few KiB are enough).
pub fn classify(head: &[u8]) -> InputKind {
    let compressed = [
        &[0x1f, 0x8b][..],
        &[0x28, 0xb5, 0x2f, 0xfd][..],
        &[0xfd, b'7', b'z', b'X', b'Z', 0][..],
        &b"BZh"[..],
    ];
    if compressed.iter().any(|magic| head.starts_with(magic))
        || head.get(257..262) == Some(&b"ustar"[..])
    {
        return InputKind::ImageArchive;
    }
    let text = String::from_utf8_lossy(head);
    let first_instruction = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'));
    if let Some(line) = first_instruction {
        let word = line.split_whitespace().next().unwrap_or_default();
        let rest = &line[word.len()..];
        if (word.eq_ignore_ascii_case("FROM") || word.eq_ignore_ascii_case("ARG"))
            && rest.starts_with(char::is_whitespace)
        {
            return InputKind::Dockerfile;
        }
    }
    // After the Dockerfile test: a Dockerfile may mention these keys in a comment or a RUN.
    // Scanner reports first: their top-level keys come first in the document (trivy's
    // `SchemaVersion`, grype's `matches`, ECR's `imageScanFindings` or `imageScanStatus`), and
    // a report may quote a task definition's keys.
    let head_keys = |keys: &[&str]| keys.iter().all(|key| text.contains(key));
    if text.trim_start().starts_with('{')
        && (head_keys(&["\"SchemaVersion\"", "\"ArtifactName\""])
            || head_keys(&["\"matches\"", "\"vulnerability\"", "\"artifact\""])
            || head_keys(&["\"imageScanFindings\""])
            || head_keys(&["\"imageScanStatus\""]))
    {
        return InputKind::VulnerabilityReport;
    }
    if TASK_DEFINITION_KEYS.iter().any(|key| text.contains(key)) {
        return InputKind::TaskDefinition;
    }
    InputKind::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_told_apart() {
        assert_eq!(
            classify(b"# syntax=docker/dockerfile:1\n\nfrom alpine\n"),
            InputKind::Dockerfile
        );
        assert_eq!(classify(b"ARG V=1\nFROM x:$V\n"), InputKind::Dockerfile);
        assert_eq!(classify(b"FROMAGE\n"), InputKind::Unknown);
        assert_eq!(classify(&[0x1f, 0x8b, 8, 0]), InputKind::ImageArchive);
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(classify(&tar), InputKind::ImageArchive);
        assert_eq!(
            classify(b"{\"family\": \"web\", \"containerDefinitions\": []}"),
            InputKind::TaskDefinition
        );
        assert_eq!(
            classify(b"Resources:\n  T:\n    Type: AWS::ECS::TaskDefinition\n"),
            InputKind::TaskDefinition
        );
        assert_eq!(classify(b"{\"schemaVersion\": 2}"), InputKind::Unknown);
        assert_eq!(
            classify(b"{\"SchemaVersion\": 2, \"ArtifactName\": \"app.tar\"}"),
            InputKind::VulnerabilityReport
        );
        assert_eq!(
            classify(b"{\"matches\": [{\"vulnerability\": {}, \"artifact\": {}}]}"),
            InputKind::VulnerabilityReport
        );
        assert_eq!(
            classify(b"{\"registryId\": \"1\", \"imageScanFindings\": {}}"),
            InputKind::VulnerabilityReport
        );
    }
}
