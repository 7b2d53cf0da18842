//! Credential detection shared by the image, Dockerfile and ECS checks: names that look like
//! credentials, values that look like secrets, free-text scanning (history lines, RUN commands),
//! scanners for well-known credential files, and [`redact`], which every finding must use so no
//! secret is ever printed in full. Pure functions over strings and bytes; no I/O.
//!
//! Decisions (each has a test):
//! - Names are split into tokens on `_`, `-`, `.` and camelCase boundaries, and matched per token,
//!   so `TOKENIZER_PARALLELISM` and `BYPASS_PROXY` are not credentials but `githubToken` is.
//! - A name whose last token says the value is *about* a credential rather than the credential
//!   (`PASSWORD_FILE`, `TOKEN_URL`, `SECRET_NAME`, `SECRET_ARN`, `KEY_ID`, `PASSWORD_MIN_LENGTH`...)
//!   is not a credential. So `AWS_ACCESS_KEY_ID` is not a credential *by name*; its value is still
//!   caught by format (`AKIA` + 16), and the ECS.8 check matches the AWS names exactly anyway.
//! - `KEY` alone is too common (`GPG_KEY`, `SORT_KEY`), so it counts only after a qualifier
//!   (`API_KEY`, `SECRET_KEY`, `PRIVATE_KEY`, `ACCESS_KEY`, `APP_KEY`...). `AUTH` counts only as the
//!   last token or before `DATA`/`TOKEN`/`KEY` (`NPM_AUTH`, `ECS_ENGINE_AUTH_DATA`), not in
//!   `AUTH_TYPE`. `PASS` and `PWD` count only as the last token of a longer name (`DB_PASS`; `PWD` alone
//!   is the working directory).
//! - Values that are not literal secrets are ignored: empty, a single variable reference (`$X`,
//!   `${X}`), a path (`/run/secrets/db`, for `GOOGLE_APPLICATION_CREDENTIALS`), an ARN reference to
//!   Secrets Manager or SSM, booleans/`none`/`null`, `<placeholder>`, or one character repeated
//!   (`****`).
//! - Generic high entropy alone is never a finding (official images carry checksums and GPG
//!   fingerprints in ENV); entropy is only reported as supporting evidence.

use std::fmt;

mod files;
mod formats;
mod names;
mod text;
mod values;

pub use files::*;
pub use formats::*;
pub use names::*;
pub use text::*;
pub use values::*;

#[cfg(test)]
mod tests;

/// What kind of secret a value, a text span or a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecretKind {
    /// `AKIA`/`ASIA` followed by 16 upper-case letters or digits.
    AwsAccessKeyId,
    /// 40 base64 characters next to an AWS secret key name.
    AwsSecretAccessKey,
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` or `github_pat_` tokens.
    GitHubToken,
    /// `xoxa-`, `xoxb-`, `xoxp-`, `xoxr-` tokens.
    SlackToken,
    /// A PEM `-----BEGIN ... PRIVATE KEY-----` block.
    PrivateKey,
    /// A JSON Web Token (`eyJ...`.`eyJ...`.signature).
    Jwt,
    /// A password in a URL (`https://user:password@host`) or `curl -u user:password`.
    UrlCredentials,
    /// An `Authorization: Bearer/Basic ...` header value.
    AuthorizationHeader,
    /// A credential-named variable (`DB_PASSWORD`) with a literal value of no known format.
    CredentialName,
}

impl SecretKind {
    /// A short human description.
    pub fn description(self) -> &'static str {
        match self {
            SecretKind::AwsAccessKeyId => "AWS access key id",
            SecretKind::AwsSecretAccessKey => "AWS secret access key",
            SecretKind::GitHubToken => "GitHub token",
            SecretKind::SlackToken => "Slack token",
            SecretKind::PrivateKey => "private key",
            SecretKind::Jwt => "JSON Web Token",
            SecretKind::UrlCredentials => "password in a URL or -u user:password",
            SecretKind::AuthorizationHeader => "Authorization header",
            SecretKind::CredentialName => "credential-named variable",
        }
    }

    /// True for formats that are certainly a live credential when they appear (provider-issued token
    /// formats and private keys), as opposed to a name-based guess.
    pub fn is_known_format(self) -> bool {
        !matches!(self, SecretKind::CredentialName)
    }

    /// How bad a literal credential of this kind is where it ships (image config, history, task
    /// definition): critical for a known format, high for a name-based guess.
    pub fn severity(self) -> crate::findings::Severity {
        if self.is_known_format() {
            crate::findings::Severity::Critical
        } else {
            crate::findings::Severity::High
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

// ---------------------------------------------------------------------------------------------
// Redaction

/// Values up to this many characters show no prefix at all: four characters of an eight-character
/// password is half of it.
const SHORT_SECRET: usize = 12;

/// Redacts a secret for display: the first four characters and the length (`AKIA… (20 chars)`),
/// or only the length when the value is short. Never returns the value in full.
pub fn redact(value: &str) -> String {
    let count = value.chars().count();
    if count <= SHORT_SECRET {
        return format!("[redacted, {count} chars]");
    }
    let prefix: String = value.chars().take(4).collect();
    format!("{prefix}… ({count} chars)")
}
