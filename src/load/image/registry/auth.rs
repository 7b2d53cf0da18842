//! Registry authentication: parsing `WWW-Authenticate` challenges (RFC 7235 §4.1, with the
//! `Bearer` parameters of distribution's token spec, docs/spec/auth/token.md), the token server's
//! JSON reply, and the `Authorization` header values. The HTTP exchanges themselves are in
//! `client.rs`.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use serde::Deserialize;

use super::credentials::Secret;

/// One authentication challenge from a 401 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Bearer realm="https://auth.example/token",service="registry.example",scope="..."`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    /// `Basic realm="..."`: send the user name and password with every request.
    Basic,
}

/// Picks the challenge to answer from every `WWW-Authenticate` header value: Bearer before Basic,
/// as Docker does. Unknown schemes are ignored.
pub fn parse_challenges<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<Challenge> {
    let mut basic = false;
    for header in headers {
        for (scheme, parameters) in split_challenges(header) {
            if scheme.eq_ignore_ascii_case("bearer") {
                if let Some(realm) = parameters.get("realm").filter(|r| !r.is_empty()) {
                    return Some(Challenge::Bearer {
                        realm: realm.clone(),
                        service: parameters.get("service").cloned(),
                        scope: parameters.get("scope").cloned(),
                    });
                }
            } else if scheme.eq_ignore_ascii_case("basic") {
                basic = true;
            }
        }
    }
    basic.then_some(Challenge::Basic)
}

/// Splits one header value into `(scheme, parameters)` pairs. A header may hold several
/// challenges separated by commas; a token with no `=` after it starts a new challenge.
fn split_challenges(header: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut challenges: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let token_end = rest
            .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
            .unwrap_or(rest.len());
        let token = &rest[..token_end];
        let after = rest[token_end..].trim_start_matches([' ', '\t']);
        if token.is_empty() {
            break;
        }
        if let Some(value_text) = after.strip_prefix('=') {
            // `name=value` or `name="quoted \" value"`, belonging to the current challenge.
            let value_text = value_text.trim_start();
            let (value, remaining) = if let Some(quoted) = value_text.strip_prefix('"') {
                let mut value = String::new();
                let mut chars = quoted.char_indices();
                let mut end = quoted.len();
                while let Some((index, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, escaped)) = chars.next() {
                                value.push(escaped);
                            }
                        }
                        '"' => {
                            end = index + 1;
                            break;
                        }
                        other => value.push(other),
                    }
                }
                (value, &quoted[end.min(quoted.len())..])
            } else {
                let end = value_text.find(',').unwrap_or(value_text.len());
                (value_text[..end].trim().to_string(), &value_text[end..])
            };
            if let Some((_, parameters)) = challenges.last_mut() {
                parameters.insert(token.to_ascii_lowercase(), value);
            }
            rest = remaining;
        } else {
            challenges.push((token.to_string(), BTreeMap::new()));
            rest = after;
        }
    }
    challenges
}

/// The token server's reply (token.md "Token Response Fields"): `token`, or the OAuth2
/// `access_token`; both mean the same.
#[derive(Deserialize)]
struct TokenReply {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Reads the bearer token out of a token server reply.
pub fn parse_token_reply(body: &[u8]) -> Result<Secret, String> {
    let reply: TokenReply = serde_json::from_slice(body).map_err(|error| {
        format!(
            "the token server's reply is not the expected JSON ({:?} error at line {} column {})",
            error.classify(),
            error.line(),
            error.column()
        )
    })?;
    reply
        .token
        .filter(|t| !t.is_empty())
        .or(reply.access_token.filter(|t| !t.is_empty()))
        .map(Secret::new)
        .ok_or_else(|| "the token server's reply has neither \"token\" nor \"access_token\"".into())
}

/// An `Authorization` header value. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization(Secret);

impl Authorization {
    pub fn basic(username: &str, password: &Secret) -> Authorization {
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(format!("{username}:{}", password.expose()));
        Authorization(Secret::new(format!("Basic {encoded}")))
    }

    pub fn bearer(token: &Secret) -> Authorization {
        Authorization(Secret::new(format!("Bearer {}", token.expose())))
    }

    /// The header value, for the request only.
    pub fn header_value(&self) -> &str {
        self.0.expose()
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authorization(<redacted>)")
    }
}

/// The pull scope for a repository (token.md "Requesting a Token").
pub fn pull_scope(repository_path: &str) -> String {
    format!("repository:{repository_path}:pull")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_with_quoted_and_escaped_values() {
        let challenge = parse_challenges([
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        ]);
        assert_eq!(
            challenge,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/nginx:pull".into()),
            })
        );
        let escaped = parse_challenges([
            r#"bearer realm="http://a/t\"x", service=plain , error="insufficient_scope""#,
        ]);
        assert_eq!(
            escaped,
            Some(Challenge::Bearer {
                realm: "http://a/t\"x".into(),
                service: Some("plain".into()),
                scope: None,
            })
        );
    }

    #[test]
    fn bearer_wins_over_basic_and_unknown_schemes_are_ignored() {
        assert_eq!(
            parse_challenges([r#"Basic realm="Registry Realm""#]),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenges([r#"Basic realm="r", Bearer realm="https://t/token",service="s""#]),
            Some(Challenge::Bearer {
                realm: "https://t/token".into(),
                service: Some("s".into()),
                scope: None
            })
        );
        assert_eq!(parse_challenges([r#"Negotiate abc"#, ""]), None);
        // A Bearer challenge without a realm cannot be answered.
        assert_eq!(parse_challenges([r#"Bearer service="s""#]), None);
    }

    #[test]
    fn token_replies_use_token_or_access_token() {
        assert_eq!(
            parse_token_reply(br#"{"token":"t1"}"#).unwrap().expose(),
            "t1"
        );
        assert_eq!(
            parse_token_reply(br#"{"access_token":"t2","expires_in":300}"#)
                .unwrap()
                .expose(),
            "t2"
        );
        assert_eq!(
            parse_token_reply(br#"{"token":"","access_token":"t3"}"#)
                .unwrap()
                .expose(),
            "t3"
        );
        assert!(
            parse_token_reply(br#"{"expires_in":1}"#)
                .unwrap_err()
                .contains("neither")
        );
        let message = parse_token_reply(br#"{"token": leaked}"#).unwrap_err();
        assert!(!message.contains("leaked"), "{message}");
    }

    #[test]
    fn authorization_values_are_right_and_redacted() {
        let basic = Authorization::basic("user", &Secret::new("pass"));
        assert_eq!(basic.header_value(), "Basic dXNlcjpwYXNz");
        assert_eq!(format!("{basic:?}"), "Authorization(<redacted>)");
        let bearer = Authorization::bearer(&Secret::new("tok"));
        assert_eq!(bearer.header_value(), "Bearer tok");
        assert_eq!(pull_scope("library/nginx"), "repository:library/nginx:pull");
    }
}
