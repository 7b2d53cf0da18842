//! The user's policy file, `harden.toml`: a default `--fail-on`, severity overrides per check and
//! ignores (each with a reason and an optional expiry). Parsing and validation only; applying it to
//! findings is `policy::ignore`.
//!
//! ```toml
//! fail-on = "medium"
//! profile = "base-image"      # optional: what the scan is for (`app`, the default, or `base-image`)
//!
//! [severity]
//! IM012 = "info"
//!
//! [[ignore]]
//! id = "IM003"
//! path = "/usr/bin/passwd"     # optional: glob on the path inside the image
//! resource = "web:*"           # optional: glob on the resource (family:revision, container...)
//! file = "deploy/td.json"      # optional: glob on the input file
//! match = { name = "DB_*" }    # optional: globs on the finding's evidence, by key
//! reason = "passwd needs setuid to change passwords; users have no shell"
//! expires = "2027-01-01"       # optional: the ignore stops applying on this day
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

pub use crate::dates::Date;
use crate::findings::{FailOn, Severity};

/// The file name looked up when `--config` is not given.
pub const DEFAULT_FILE_NAME: &str = "harden.toml";
/// The hidden spelling, looked up after [`DEFAULT_FILE_NAME`] in each directory.
pub const HIDDEN_FILE_NAME: &str = ".harden.toml";

/// Why a policy file cannot be used. Every variant names the file, and the line when known.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The cause is part of the message, not a `source`: the CLI prints the error chain, which
    /// would repeat it.
    #[error("cannot read the config file {file}: {error}")]
    Read { file: String, error: std::io::Error },
    #[error("{file}{at}: {message} (not a valid harden config)")]
    Syntax {
        file: String,
        /// `:line:column` when known.
        at: String,
        message: String,
    },
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: u32,
        message: String,
    },
}

/// One `[severity]` entry: every finding of check `id` gets `severity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityOverride {
    pub id: String,
    pub severity: Severity,
    /// 1-based line in the config file.
    pub line: u32,
}

/// One `[[ignore]]` table. Every matcher that is set must match; `id` always is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    /// A check ID (`IM003`) or name (`setuid-file`).
    pub id: String,
    /// Glob on the path inside the image (`/usr/bin/*`, `/opt/**`).
    pub path: Option<String>,
    /// Glob on the finding's resource (`web:3`, a container name, a CloudFormation logical id).
    pub resource: Option<String>,
    /// Glob on the input file (`Dockerfile`, `deploy/*.json`); also matches at the end of a longer
    /// path, so `Dockerfile` matches `./app/Dockerfile`.
    pub file: Option<String>,
    /// `match = { name = "DB_PASSWORD" }`: globs on the finding's evidence; every key must be in
    /// the evidence and match. Targets one finding of a check (one variable, one package).
    pub evidence: BTreeMap<String, String>,
    pub reason: String,
    /// The first day on which the ignore no longer applies.
    pub expires: Option<Date>,
    /// 1-based line of the `[[ignore]]` table in the config file.
    pub line: u32,
}

/// A parsed policy file. `Config::default()` is "no file": nothing overridden or ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The file as found or given; `None` when there is none.
    pub file: Option<String>,
    pub fail_on: Option<FailOn>,
    /// `profile = "base-image"`: what the scan is for (`--profile` overrides it).
    pub profile: Option<super::profile::Profile>,
    pub severity: Vec<SeverityOverride>,
    pub ignores: Vec<IgnoreRule>,
    /// `[limits]`: bounds on untrusted input (`--limit` overrides each).
    pub limits: crate::limits::Limits,
    /// `[fix]`: values `harden fix` needs that only the user knows.
    pub fix: FixSettings,
}

/// `[fix]` in harden.toml: `log-group` and `region` for `awslogs` (ECS.9), and `[fix.secrets]`
/// mapping environment variable names to the Secrets Manager or SSM Parameter Store ARN that
/// should provide them (ECS.8, TD007).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FixSettings {
    pub log_group: Option<String>,
    pub region: Option<String>,
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    fail_on: Option<toml::Spanned<String>>,
    profile: Option<toml::Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, toml::Spanned<String>>,
    #[serde(default)]
    ignore: Vec<toml::Spanned<RawIgnore>>,
    #[serde(default)]
    limits: BTreeMap<String, toml::Spanned<toml::Value>>,
    #[serde(default)]
    fix: FixSettings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    id: Option<String>,
    path: Option<String>,
    resource: Option<String>,
    file: Option<String>,
    #[serde(rename = "match", default)]
    evidence: BTreeMap<String, String>,
    reason: Option<String>,
    expires: Option<toml::Value>,
}

impl Config {
    /// Finds the config: `explicit` (from `--config`, must exist), else the nearest
    /// `harden.toml` or `.harden.toml` (see [`Config::find`]) from the current directory, else
    /// the empty config.
    pub fn discover(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        if let Some(path) = explicit {
            return Config::load(path);
        }
        let found = std::env::current_dir()
            .ok()
            .and_then(|dir| Config::find(&dir));
        match found {
            Some(path) => {
                // Named relative to the current directory when it is below it, as the user sees it.
                let shown = std::env::current_dir()
                    .ok()
                    .and_then(|dir| path.strip_prefix(&dir).ok().map(Path::to_path_buf))
                    .unwrap_or_else(|| path.clone());
                let mut config = Config::load(&path)?;
                config.file = Some(shown.display().to_string());
                Ok(config)
            }
            None => Ok(Config::default()),
        }
    }

    /// The config file that applies in `start`: `harden.toml`, else `.harden.toml`, in `start`
    /// or the nearest parent, stopping at the repository root (the first directory holding
    /// `.git`), as git, ruff and hadolint look for their files.
    pub fn find(start: &Path) -> Option<std::path::PathBuf> {
        for dir in start.ancestors() {
            for name in [DEFAULT_FILE_NAME, HIDDEN_FILE_NAME] {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return Some(candidate);
                }
            }
            if dir.join(".git").exists() {
                return None;
            }
        }
        None
    }

    /// Reads and parses one config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        // Bounded like any input file (a repository's config is as hostile as its Dockerfile);
        // by the default `input-bytes`, as the limits are what this file may raise.
        let read = |error| ConfigError::Read {
            file: file.clone(),
            error,
        };
        let bytes = crate::load::read_bounded(path, &crate::limits::Limits::default()).map_err(
            |error| match error {
                crate::load::BoundedReadError::Io(error) => read(error),
                crate::load::BoundedReadError::Limit(error) => read(std::io::Error::other(
                    format!("larger than {}", crate::limits::human(error.max)),
                )),
            },
        )?;
        let text = String::from_utf8(bytes).map_err(|error| {
            read(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                error.utf8_error(),
            ))
        })?;
        Config::parse(&text, &file)
    }

    /// Parses config text; `file` names it in errors and in the findings about it.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| syntax_error(text, file, &e))?;
        let line_of = |offset: usize| line_at(text, offset);
        let invalid = |line: u32, message: String| ConfigError::Invalid {
            file: file.to_string(),
            line,
            message,
        };

        let fail_on = match raw.fail_on {
            Some(value) => Some(FailOn::parse(value.get_ref()).map_err(|message| {
                invalid(line_of(value.span().start), format!("fail-on: {message}"))
            })?),
            None => None,
        };
        let profile = match raw.profile {
            Some(value) => Some(super::profile::Profile::parse(value.get_ref()).ok_or_else(
                || {
                    invalid(
                        line_of(value.span().start),
                        format!(
                            "profile: expected \"app\" or \"base-image\", not {:?}",
                            value.get_ref()
                        ),
                    )
                },
            )?),
            None => None,
        };

        let mut severity = Vec::new();
        for (id, value) in raw.severity {
            let line = line_of(value.span().start);
            let parsed = Severity::parse(value.get_ref()).ok_or_else(|| {
                invalid(
                    line,
                    format!(
                        "severity of {id}: expected info, low, medium, high or critical, not {:?}",
                        value.get_ref()
                    ),
                )
            })?;
            severity.push(SeverityOverride {
                id,
                severity: parsed,
                line,
            });
        }
        severity.sort_by_key(|o| o.line);

        let mut ignores = Vec::new();
        for table in raw.ignore {
            let line = line_of(table.span().start);
            let raw = table.into_inner();
            let id = raw
                .id
                .filter(|id| !id.trim().is_empty())
                .ok_or_else(|| invalid(line, "[[ignore]] needs `id`, the check ID".into()))?;
            let reason = raw.reason.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
                invalid(
                    line,
                    format!("[[ignore]] of {id} needs a `reason`: say why it is acceptable"),
                )
            })?;
            let expires = match raw.expires {
                None => None,
                Some(value) => {
                    let text = match &value {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Datetime(d) => d.to_string(),
                        other => other.to_string(),
                    };
                    Some(Date::parse(&text).ok_or_else(|| {
                        invalid(
                            line,
                            format!(
                                "[[ignore]] of {id}: expires must be a date YYYY-MM-DD, not {text}"
                            ),
                        )
                    })?)
                }
            };
            ignores.push(IgnoreRule {
                id: id.trim().to_string(),
                path: raw.path,
                resource: raw.resource,
                file: raw.file,
                evidence: raw.evidence,
                reason: reason.trim().to_string(),
                expires,
                line,
            });
        }

        let mut limits = crate::limits::Limits::default();
        for (name, value) in raw.limits {
            let line = line_of(value.span().start);
            let text = match value.get_ref() {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            limits
                .set(&name, &text)
                .map_err(|e| invalid(line, format!("[limits] {e}")))?;
        }

        // A value that would not register is refused here, not written into a task definition.
        for (name, arn) in &raw.fix.secrets {
            let is_secret_arn = arn.starts_with("arn:")
                && (arn.contains(":secretsmanager:") || arn.contains(":ssm:"));
            if !is_secret_arn {
                let line = line_of(text.find(name.as_str()).unwrap_or(0));
                return Err(invalid(
                    line,
                    format!(
                        "[fix.secrets] {name}: expected a Secrets Manager or SSM Parameter Store ARN (arn:aws:secretsmanager:... or arn:aws:ssm:...), not {arn:?}"
                    ),
                ));
            }
        }
        Ok(Config {
            file: Some(file.to_string()),
            fail_on,
            profile,
            severity,
            ignores,
            limits,
            fix: raw.fix,
        })
    }
}

/// A TOML error on one line, `file:line:column: message`, without the excerpt of the file that
/// `toml`'s multi-line rendering adds.
fn syntax_error(text: &str, file: &str, error: &toml::de::Error) -> ConfigError {
    let message = error.message().trim().replace('\n', " ");
    let at = match error.span() {
        Some(span) => {
            // A span not on a character boundary (never from `toml`) counts to the end.
            let before = text.get(..span.start).unwrap_or(text);
            let line = line_at(text, before.len());
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before[line_start..].chars().count() + 1;
            format!(":{line}:{column}")
        }
        None => String::new(),
    };
    ConfigError::Syntax {
        file: file.to_string(),
        at,
        message,
    }
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> u32 {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u32
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_validate_and_order() {
        assert_eq!(
            Date::parse("2027-01-01"),
            Some(Date {
                year: 2027,
                month: 1,
                day: 1
            })
        );
        assert!(Date::parse("2027-02-29").is_none());
        assert!(Date::parse("2028-02-29").is_some());
        assert!(Date::parse("2027-13-01").is_none());
        assert!(Date::parse("next year").is_none());
        assert!(Date::parse("2027-01-01x").is_none());
        assert!(Date::parse("2026-12-31") < Date::parse("2027-01-01"));
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(19_723).to_string(), "2024-01-01");
        assert_eq!(Date::from_unix_days(11_016).to_string(), "2000-02-29");
    }

    #[test]
    fn parses_every_section_with_lines() {
        let text = "fail-on = \"medium\"\n\n[severity]\nIM012 = \"high\"\n\n[[ignore]]\nid = \"IM003\"\npath = \"/usr/bin/*\"\nreason = \"needed\"\nexpires = 2027-01-01\n\n[[ignore]]\nid = \"IM012\"\nreason = \"ECS runs its own health check\"\nexpires = \"2030-06-30\"\n";
        let config = Config::parse(text, "harden.toml").unwrap();
        assert_eq!(
            config.fail_on,
            Some(FailOn::AtLeast(crate::findings::Severity::Medium))
        );
        assert_eq!(config.severity[0].id, "IM012");
        assert_eq!(config.severity[0].severity, Severity::High);
        assert_eq!(config.severity[0].line, 4);
        assert_eq!(config.ignores.len(), 2);
        assert_eq!(config.ignores[0].path.as_deref(), Some("/usr/bin/*"));
        assert_eq!(config.ignores[0].expires, Date::parse("2027-01-01"));
        assert_eq!(config.ignores[0].line, 6);
        assert_eq!(config.ignores[1].expires, Date::parse("2030-06-30"));
        assert_eq!(config.ignores[1].line, 12);
    }

    #[test]
    fn an_ignore_can_match_evidence() {
        let text = "[[ignore]]\nid = \"DF004\"\nmatch = { name = \"DB_PASSWORD\" }\nreason = \"test-only\"\n";
        let config = Config::parse(text, "h.toml").unwrap();
        assert_eq!(
            config.ignores[0].evidence.get("name").map(String::as_str),
            Some("DB_PASSWORD")
        );
        assert!(
            Config::parse(
                "[[ignore]]\nid = \"DF004\"\nmatch = 3\nreason = \"r\"\n",
                "h"
            )
            .is_err()
        );
    }

    #[test]
    fn an_ignore_without_reason_is_an_error_naming_the_line() {
        let error = Config::parse("\n[[ignore]]\nid = \"IM003\"\n", "h.toml").unwrap_err();
        assert_eq!(
            error.to_string(),
            "h.toml:2: [[ignore]] of IM003 needs a `reason`: say why it is acceptable"
        );
    }

    #[test]
    fn the_nearest_config_up_to_the_repository_root_is_found() {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("repo");
        let deep = repo.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(root.path().join("harden.toml"), "").unwrap();
        // Outside the repository: not found once the walk reaches `.git`.
        std::fs::create_dir(repo.join(".git")).unwrap();
        assert_eq!(Config::find(&deep), None);
        std::fs::write(repo.join(".harden.toml"), "").unwrap();
        assert_eq!(Config::find(&deep), Some(repo.join(".harden.toml")));
        std::fs::write(repo.join("a/harden.toml"), "").unwrap();
        assert_eq!(Config::find(&deep), Some(repo.join("a/harden.toml")));
        std::fs::write(repo.join("a/.harden.toml"), "").unwrap();
        assert_eq!(Config::find(&deep), Some(repo.join("a/harden.toml")));
    }

    #[test]
    fn a_toml_error_is_one_line_with_line_and_column() {
        let error = Config::parse("fail-on = \"high\"\n\n[severity\n", "h.toml").unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with("h.toml:3:"), "{text}");
        assert!(!text.contains('\n'), "{text}");
        let error = Config::parse("fail-on = \"high\"\nbogus = 1\n", "h.toml").unwrap_err();
        assert!(error.to_string().starts_with("h.toml:2:1: "), "{error}");
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(Config::parse("[severity]\nIM012 = \"urgent\"\n", "h").is_err());
        assert!(Config::parse("fail-on = \"sometimes\"\n", "h").is_err());
        assert!(Config::parse("unknown-key = 1\n", "h").is_err());
        assert!(
            Config::parse(
                "[[ignore]]\nid = \"IM003\"\nreason = \"r\"\nexpires = \"soon\"\n",
                "h"
            )
            .is_err()
        );
        assert!(Config::parse("[[ignore]]\nreason = \"r\"\n", "h").is_err());
    }
}
