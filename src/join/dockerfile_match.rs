//! Whether the scanned Dockerfile built the scanned image: the target stage's `RUN` and `ENV`
//! instructions looked up, in order, in the image config's `history` (issue 5, "Match the
//! Dockerfile to the image by build history"). BuildKit records `RUN /bin/sh -c CMD # buildkit`
//! and `ENV K=V`; the classic builder `/bin/sh -c CMD` and `/bin/sh -c #(nop)  ENV K=V`; both
//! keep the command text, so a whitespace-normalized substring search in order finds them.

use serde::Serialize;

use crate::model::dockerfile::{Dockerfile, Keyword, Resolved};
use crate::model::image::Image;

/// The verdict, for the report's `inputs.dockerfile_match`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DockerfileMatch {
    /// `matched` (every compared instruction is in the history, in order), `differs`, or
    /// `unknown` (nothing to compare: no RUN/ENV in the stage, or no history in the image).
    pub status: MatchStatus,
    /// How many instructions were compared, and how many were found.
    pub compared: usize,
    pub found: usize,
    /// The first instruction not found: its line and text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_missing_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_missing: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    Matched,
    Differs,
    Unknown,
}

impl DockerfileMatch {
    /// One line for the report's notes.
    pub fn note(&self, dockerfile: &str, image: &str) -> String {
        match self.status {
            MatchStatus::Matched => format!(
                "Dockerfile {dockerfile} matches the build history of image {image}: {} of {} RUN/ENV instructions of the target stage found in order",
                self.found, self.compared
            ),
            MatchStatus::Differs => format!(
                "Dockerfile {dockerfile} does not match the build history of image {image}: {} of {} RUN/ENV instructions found; line {} ({}) is not in the history, so Dockerfile findings may not describe this image",
                self.found,
                self.compared,
                self.first_missing_line.unwrap_or_default(),
                self.first_missing.as_deref().unwrap_or_default()
            ),
            MatchStatus::Unknown => format!(
                "Dockerfile {dockerfile} could not be matched with image {image}: {}",
                if self.compared == 0 {
                    "its target stage has no RUN or ENV instruction to look for"
                } else {
                    "the image config has no build history"
                }
            ),
        }
    }
}

/// Compares the Dockerfile's target stage with the image's history.
pub fn match_dockerfile(dockerfile: &Dockerfile, image: &Image) -> DockerfileMatch {
    let wanted: Vec<(u32, String, Vec<String>)> = dockerfile
        .stages
        .get(dockerfile.target)
        .map(|stage| stage.instructions.iter().filter_map(searchable).collect())
        .unwrap_or_default();
    let history: Vec<String> = image
        .history
        .iter()
        .map(|h| normalize(&h.created_by))
        .collect();
    let mut result = DockerfileMatch {
        status: MatchStatus::Unknown,
        compared: wanted.len(),
        found: 0,
        first_missing_line: None,
        first_missing: None,
    };
    if wanted.is_empty() || history.iter().all(String::is_empty) {
        return result;
    }
    let mut cursor = 0;
    for (line, text, needles) in &wanted {
        let position = history[cursor..]
            .iter()
            .position(|entry| needles.iter().all(|needle| entry.contains(needle.as_str())));
        match position {
            Some(offset) => {
                result.found += 1;
                cursor += offset + 1;
            }
            None if result.first_missing_line.is_none() => {
                result.first_missing_line = Some(*line);
                result.first_missing = Some(text.clone());
            }
            None => {}
        }
    }
    result.status = if result.found == result.compared {
        MatchStatus::Matched
    } else {
        MatchStatus::Differs
    };
    result
}

/// What to look for in the history for one instruction: its line, a short text for the
/// report, and the strings a history entry must contain. Heredoc RUNs and JSON-form RUNs with
/// build-time mounts are skipped (their history text is not the instruction's).
fn searchable(
    instruction: &crate::model::dockerfile::Instruction,
) -> Option<(u32, String, Vec<String>)> {
    let line = instruction.lines.start;
    match instruction.keyword {
        Keyword::Run if instruction.heredocs.is_empty() => {
            let command = if instruction.json {
                instruction.arguments.join(" ")
            } else {
                instruction.arguments.first()?.clone()
            };
            let command = normalize(&command);
            (!command.is_empty())
                .then(|| (line, format!("RUN {}", shorten(&command)), vec![command]))
        }
        Keyword::Env => match &instruction.resolved {
            Resolved::Pairs(pairs) if !pairs.is_empty() => {
                // Only the names: values are shown redacted nowhere here, and BuildKit quotes
                // values with spaces differently from the Dockerfile.
                let needles: Vec<String> = pairs.iter().map(|(k, _)| format!("{k}=")).collect();
                Some((line, format!("ENV {}", needles.join(" ")), needles))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Collapses runs of whitespace (continuation lines, indentation) to one space.
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first 60 characters of a command, credentials redacted, for a note.
fn shorten(command: &str) -> String {
    let command = crate::secrets::redact_text(command);
    match command.char_indices().nth(60) {
        Some((end, _)) => format!("{}...", &command[..end]),
        None => command,
    }
}

impl DockerfileMatch {
    /// Whether the image may be taken as built from the Dockerfile: its history does not
    /// contradict it (an image without history, or a stage with nothing to compare, is taken).
    pub fn describes_image(&self) -> bool {
        self.status != MatchStatus::Differs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::dockerfile::{DockerfileOptions, from_text};
    use crate::model::image::HistoryEntry;

    const DOCKERFILE: &str = "FROM alpine AS build\nRUN make\n\nFROM alpine:3.20\nENV APP_PORT=8080 MODE=prod\nRUN apk add --no-cache \\\n      curl\nCOPY app /app\nRUN adduser -D app\nUSER app\n";

    fn image(history: &[&str]) -> Image {
        Image {
            history: history
                .iter()
                .map(|created_by| HistoryEntry {
                    created_by: created_by.to_string(),
                    ..HistoryEntry::default()
                })
                .collect(),
            ..Image::default()
        }
    }

    fn dockerfile() -> Dockerfile {
        from_text(DOCKERFILE, "Dockerfile", &DockerfileOptions::default()).unwrap()
    }

    #[test]
    fn buildkit_and_classic_histories_match_the_target_stage() {
        let buildkit = image(&[
            "/bin/sh -c #(nop) ADD file:abc in /",
            "ENV APP_PORT=8080 MODE=prod",
            "RUN /bin/sh -c apk add --no-cache       curl # buildkit",
            "COPY app /app # buildkit",
            "RUN /bin/sh -c adduser -D app # buildkit",
            "USER app",
        ]);
        let classic = image(&[
            "/bin/sh -c #(nop) ADD file:abc in /",
            "/bin/sh -c #(nop)  ENV APP_PORT=8080 MODE=prod",
            "/bin/sh -c apk add --no-cache curl",
            "/bin/sh -c #(nop) COPY file:123 in /app ",
            "/bin/sh -c adduser -D app",
        ]);
        for history in [buildkit, classic] {
            let result = match_dockerfile(&dockerfile(), &history);
            assert_eq!(result.status, MatchStatus::Matched, "{result:?}");
            assert_eq!((result.compared, result.found), (3, 3));
        }
    }

    #[test]
    fn another_build_differs_and_names_the_first_missing_line() {
        let other = image(&[
            "ENV APP_PORT=8080 MODE=prod",
            "RUN /bin/sh -c apk add --no-cache wget # buildkit",
            "RUN /bin/sh -c adduser -D app # buildkit",
        ]);
        let result = match_dockerfile(&dockerfile(), &other);
        assert_eq!(result.status, MatchStatus::Differs);
        assert_eq!((result.found, result.first_missing_line), (2, Some(6)));
        // Order matters: the same commands in another order are another build.
        let reordered = image(&[
            "RUN /bin/sh -c adduser -D app # buildkit",
            "RUN /bin/sh -c apk add --no-cache curl # buildkit",
            "ENV APP_PORT=8080 MODE=prod",
        ]);
        assert_eq!(
            match_dockerfile(&dockerfile(), &reordered).status,
            MatchStatus::Differs
        );
    }

    #[test]
    fn no_history_is_unknown_not_a_mismatch() {
        let result = match_dockerfile(&dockerfile(), &image(&[]));
        assert_eq!(result.status, MatchStatus::Unknown);
        assert!(
            result
                .note("Dockerfile", "app.tar")
                .contains("no build history")
        );
    }
}
