//! Names that say a value is a credential (`DB_PASSWORD`, `githubToken`), token by token.

/// Splits a variable name into upper-case tokens on separators and camelCase boundaries:
/// `githubAPIToken` → `GITHUB`, `API`, `TOKEN`.
pub fn name_tokens(name: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = word.chars().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let (previous, current) = (chars[i - 1], chars[i]);
            let next_is_lower = chars.get(i + 1).is_some_and(|c| c.is_ascii_lowercase());
            let boundary = (previous.is_ascii_lowercase() && current.is_ascii_uppercase())
                || (previous.is_ascii_uppercase() && current.is_ascii_uppercase() && next_is_lower);
            if boundary {
                tokens.push(
                    chars[start..i]
                        .iter()
                        .collect::<String>()
                        .to_ascii_uppercase(),
                );
                start = i;
            }
        }
        if start < chars.len() {
            tokens.push(
                chars[start..]
                    .iter()
                    .collect::<String>()
                    .to_ascii_uppercase(),
            );
        }
    }
    tokens
}

/// Tokens that make a name a credential wherever they appear.
pub(super) const CREDENTIAL_TOKENS: &[&str] = &[
    "PASSWORD",
    "PASSWORDS",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "APIKEY",
    "ACCESSKEY",
    "SECRETKEY",
    "PRIVATEKEY",
    "AUTHTOKEN",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
];

/// Tokens that make `KEY` right after them a credential (`API_KEY`, `APP_KEY`).
pub(super) const KEY_QUALIFIERS: &[&str] = &[
    "API",
    "ACCESS",
    "SECRET",
    "PRIVATE",
    "SIGNING",
    "SIGN",
    "ENCRYPTION",
    "ENCRYPT",
    "MASTER",
    "AUTH",
    "LICENSE",
    "APP",
    "SESSION",
    "JWT",
    "HMAC",
    "SSH",
    "DEPLOY",
    "CLIENT",
];

/// Last tokens that say the value is about a credential, not the credential itself.
pub(super) const NON_VALUE_SUFFIXES: &[&str] = &[
    "FILE",
    "FILES",
    "PATH",
    "DIR",
    "DIRECTORY",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "NAME",
    "ARN",
    "ID",
    "TYPE",
    "METHOD",
    "LENGTH",
    "LEN",
    "MIN",
    "MAX",
    "POLICY",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "DISABLE",
    "REQUIRED",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "TTL",
    "TIMEOUT",
    "FIELD",
    "PARAM",
    "REF",
    "VERSION",
    "MODE",
    "PROVIDER",
    "LOCATION",
    "REGION",
    "SIZE",
    "COUNT",
    "FORMAT",
    "ALGORITHM",
    "PREFIX",
    "SUFFIX",
    "HINT",
    "ISSUER",
    "AUDIENCE",
    "SCOPE",
    "SCOPES",
    "LIMIT",
    "INTERVAL",
    "LIFETIME",
    "DAYS",
    "STORE",
    "COMMAND",
    "CMD",
    "KIND",
];

/// If `name` looks like it holds a credential, the marker that matched (`PASSWORD`, `API_KEY`).
pub fn credential_name(name: &str) -> Option<String> {
    let tokens = name_tokens(name);
    let last = tokens.last()?;
    if NON_VALUE_SUFFIXES.contains(&last.as_str()) {
        return None;
    }
    for (index, token) in tokens.iter().enumerate() {
        let is_last = index + 1 == tokens.len();
        let next = tokens.get(index + 1).map(String::as_str);
        if CREDENTIAL_TOKENS.contains(&token.as_str()) {
            return Some(token.clone());
        }
        if token == "KEY" && index > 0 && KEY_QUALIFIERS.contains(&tokens[index - 1].as_str()) {
            return Some(format!("{}_KEY", tokens[index - 1]));
        }
        if token == "AUTH" && (is_last || matches!(next, Some("DATA" | "TOKEN" | "KEY"))) {
            return Some(token.clone());
        }
        if matches!(token.as_str(), "PASS" | "PWD") && is_last && tokens.len() > 1 {
            return Some(token.clone());
        }
    }
    None
}
