//! Image references (`nginx`, `user/app:1`, `host:5000/a/b@sha256:...`) parsed and normalized the
//! way Docker does, following the grammar of distribution's `reference` package
//! (github.com/distribution/reference, `regexp.go` and `normalize.go`): a missing domain means
//! Docker Hub, a one-component Hub name gets `library/`, a missing tag means `latest`.

use std::fmt;

/// Docker Hub's name in references, and the host its API really lives on.
pub const DOCKER_HUB_DOMAIN: &str = "docker.io";
const DOCKER_HUB_LEGACY_DOMAIN: &str = "index.docker.io";
const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
/// The tag Docker assumes when a reference names neither a tag nor a digest.
const DEFAULT_TAG: &str = "latest";
/// distribution's `NameTotalLengthMax`: domain and path together.
const NAME_TOTAL_LENGTH_MAX: usize = 255;
/// distribution's tag grammar allows 128 characters.
const TAG_LENGTH_MAX: usize = 128;

/// A parsed, normalized image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`, `localhost`.
    pub domain: String,
    /// The repository path inside the registry (`library/nginx`, `user/app`).
    pub path: String,
    /// The tag; `latest` when neither a tag nor a digest was given.
    pub tag: Option<String>,
    /// `sha256:<64 hex>` (or another algorithm's digest), when given.
    pub digest: Option<String>,
}

/// Why a reference does not parse; the message says what is wrong with which part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference {reference:?}: {problem}")]
pub struct ReferenceError {
    pub reference: String,
    pub problem: String,
}

impl Reference {
    /// Parses a reference as `docker pull` would read it.
    pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
        let fail = |problem: &str| ReferenceError {
            reference: text.to_string(),
            problem: problem.to_string(),
        };
        if text.is_empty() {
            return Err(fail("it is empty"));
        }
        let (name_and_tag, digest) = match text.split_once('@') {
            Some((left, digest)) => {
                validate_digest(digest).map_err(|p| fail(&p))?;
                (left, Some(digest.to_string()))
            }
            None => (text, None),
        };
        // A tag follows the last ':' only when no '/' comes after it: `host:5000/app` has a port,
        // not a tag.
        let last_slash = name_and_tag.rfind('/');
        let (name, tag) = match name_and_tag.rfind(':') {
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => (
                &name_and_tag[..colon],
                Some(name_and_tag[colon + 1..].to_string()),
            ),
            _ => (name_and_tag, None),
        };
        if let Some(tag) = &tag {
            validate_tag(tag).map_err(|p| fail(&p))?;
        }
        if name.is_empty() {
            return Err(fail("the repository name is empty"));
        }
        let (domain, path) = split_domain(name);
        if let Some(domain) = &domain {
            validate_domain(domain).map_err(|p| fail(&p))?;
        }
        validate_path(path).map_err(|p| fail(&p))?;
        if domain.is_none() && is_64_hex(path) {
            // distribution's ParseNormalizedNamed refuses these: they look like image IDs.
            return Err(fail(
                "a 64-character hexadecimal name is an image ID, not a repository",
            ));
        }
        let (domain, path) = match domain {
            None => (DOCKER_HUB_DOMAIN.to_string(), hub_path(path)),
            Some(domain) if domain == DOCKER_HUB_LEGACY_DOMAIN || domain == DOCKER_HUB_DOMAIN => {
                (DOCKER_HUB_DOMAIN.to_string(), hub_path(path))
            }
            Some(domain) => (domain.to_string(), path.to_string()),
        };
        if domain.len() + 1 + path.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(fail(&format!(
                "the repository name is longer than {NAME_TOTAL_LENGTH_MAX} characters"
            )));
        }
        let tag = match (&tag, &digest) {
            (None, None) => Some(DEFAULT_TAG.to_string()),
            _ => tag,
        };
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// The `host[:port]` the registry API is served from (Docker Hub's API is not at docker.io).
    pub fn api_host(&self) -> &str {
        if self.domain == DOCKER_HUB_DOMAIN {
            DOCKER_HUB_API_HOST
        } else {
            &self.domain
        }
    }

    /// What to ask the registry's manifest endpoint for: the digest when there is one (a
    /// `tag@digest` reference is pinned by its digest, as Docker does), else the tag.
    pub fn manifest_reference(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or(DEFAULT_TAG)
    }

    /// `domain/path`, without tag or digest.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The host part of the domain without port or IPv6 brackets (for `localhost` checks).
    pub fn hostname(&self) -> &str {
        hostname_of(&self.domain)
    }
}

impl fmt::Display for Reference {
    /// The fully qualified form: `docker.io/library/nginx:latest`, `host/app:1@sha256:...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// The host of a `host[:port]` authority, brackets removed from an IPv6 literal.
pub fn hostname_of(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// distribution's `splitDockerDomain`: the first component is a domain when it contains `.` or
/// `:`, is `localhost`, or has an uppercase letter (paths are lowercase only).
fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

/// Docker Hub's official images live under `library/`.
fn hub_path(path: &str) -> String {
    if path.contains('/') {
        path.to_string()
    } else {
        format!("library/{path}")
    }
}

/// `domain := host (":" port)?` where host is DNS components joined by `.`, or `[IPv6]`.
fn validate_domain(domain: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let (address, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("the IPv6 host in {domain:?} has no closing bracket"))?;
        if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return Err(format!("{address:?} is not an IPv6 address"));
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(|| {
                format!("unexpected {after:?} after the IPv6 host in {domain:?}")
            })?),
        };
        (None, port)
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(domain), None),
        }
    };
    if let Some(host) = host {
        let valid_component = |c: &str| {
            !c.is_empty()
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        };
        if !host.split('.').all(valid_component) {
            return Err(format!("{host:?} is not a valid registry host name"));
        }
    }
    if let Some(port) = port
        && (port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!("{port:?} is not a port number"));
    }
    Ok(())
}

/// `path-component := [a-z0-9]+ (separator [a-z0-9]+)*` with `separator := [_.] | __ | [-]+`.
fn validate_path(path: &str) -> Result<(), String> {
    for component in path.split('/') {
        if component.is_empty() {
            return Err("the repository path has an empty component".to_string());
        }
        if component.chars().any(|c| c.is_ascii_uppercase()) {
            return Err("repository names must be lowercase".to_string());
        }
        if !path_component_is_valid(component) {
            return Err(format!(
                "{component:?} is not a valid repository path component (lowercase letters, digits, and single . or _, double __, or runs of - between them)"
            ));
        }
    }
    Ok(())
}

fn path_component_is_valid(component: &str) -> bool {
    let bytes = component.as_bytes();
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut index = 0;
    let mut expect_alnum = true;
    while index < bytes.len() {
        if expect_alnum {
            if !is_alnum(bytes[index]) {
                return false;
            }
            while index < bytes.len() && is_alnum(bytes[index]) {
                index += 1;
            }
            expect_alnum = false;
        } else {
            let separator_start = index;
            while index < bytes.len() && !is_alnum(bytes[index]) {
                index += 1;
            }
            let separator = &component[separator_start..index];
            let valid =
                matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
            if !valid {
                return false;
            }
            expect_alnum = true;
        }
    }
    // A trailing separator leaves us expecting one more alphanumeric run.
    !expect_alnum
}

/// `tag := [\w][\w.-]{0,127}`.
fn validate_tag(tag: &str) -> Result<(), String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = tag.chars();
    let valid = tag.len() <= TAG_LENGTH_MAX
        && chars.next().is_some_and(word)
        && chars.all(|c| word(c) || c == '.' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{tag:?} is not a valid tag (letters, digits, _, . and -, starting with a letter, digit or _, at most {TAG_LENGTH_MAX})"
        ))
    }
}

/// `digest := algorithm ":" hex` with at least 32 hex digits; sha256 must be exactly 64 lowercase
/// hex digits and sha512 128 (OCI image spec, descriptor.md "Digests").
pub fn validate_digest(digest: &str) -> Result<(), String> {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return Err(format!("{digest:?} is not a digest (algorithm:hex)"));
    };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm.starts_with(|c: char| c.is_ascii_alphabetic())
        && algorithm
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.'));
    if !algorithm_ok {
        return Err(format!("{algorithm:?} is not a digest algorithm"));
    }
    let expected_length = match algorithm {
        "sha256" => Some(64),
        "sha512" => Some(128),
        _ => None,
    };
    let hex_ok = encoded.len() >= 32
        && encoded
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        && expected_length.is_none_or(|length| encoded.len() == length);
    if !hex_ok {
        return Err(format!(
            "{digest:?} is not a valid {algorithm} digest (lowercase hex{})",
            expected_length
                .map(|length| format!(", {length} digits"))
                .unwrap_or_default()
        ));
    }
    Ok(())
}

fn is_64_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn canonical(text: &str) -> String {
        Reference::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .to_string()
    }

    #[test]
    fn docker_hub_short_names_are_normalized() {
        assert_eq!(canonical("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(canonical("nginx:1.27"), "docker.io/library/nginx:1.27");
        assert_eq!(canonical("user/app"), "docker.io/user/app:latest");
        assert_eq!(
            canonical("docker.io/nginx"),
            "docker.io/library/nginx:latest"
        );
        assert_eq!(
            canonical("index.docker.io/library/nginx:1"),
            "docker.io/library/nginx:1"
        );
        let hub = Reference::parse("nginx").unwrap();
        assert_eq!(hub.api_host(), "registry-1.docker.io");
        assert_eq!(hub.path, "library/nginx");
    }

    #[test]
    fn domains_ports_localhost_and_ip_hosts() {
        let reference = Reference::parse("registry.example.com:5000/team/app:v1").unwrap();
        assert_eq!(reference.domain, "registry.example.com:5000");
        assert_eq!(reference.path, "team/app");
        assert_eq!(reference.tag.as_deref(), Some("v1"));
        assert_eq!(reference.api_host(), "registry.example.com:5000");
        assert_eq!(reference.hostname(), "registry.example.com");

        assert_eq!(canonical("localhost/app"), "localhost/app:latest");
        assert_eq!(canonical("localhost:5000/app"), "localhost:5000/app:latest");
        assert_eq!(canonical("127.0.0.1:5000/app:1"), "127.0.0.1:5000/app:1");
        let ipv6 = Reference::parse("[::1]:5000/app:1").unwrap();
        assert_eq!(ipv6.domain, "[::1]:5000");
        assert_eq!(ipv6.hostname(), "::1");
        assert_eq!(ipv6.tag.as_deref(), Some("1"));
        let ipv6_no_port = Reference::parse("[fe80::1]/app").unwrap();
        assert_eq!(ipv6_no_port.domain, "[fe80::1]");
        assert_eq!(ipv6_no_port.tag.as_deref(), Some("latest"));
        // An uppercase first component can only be a host (paths are lowercase).
        assert_eq!(Reference::parse("Registry/app").unwrap().domain, "Registry");
        // Without a slash, `localhost:5000` is Docker Hub's `library/localhost` tagged 5000.
        assert_eq!(
            canonical("localhost:5000"),
            "docker.io/library/localhost:5000"
        );
    }

    #[test]
    fn digests_pin_and_tags_stay_for_display() {
        let pinned = Reference::parse(&format!("nginx@{DIGEST}")).unwrap();
        assert_eq!(pinned.tag, None);
        assert_eq!(pinned.digest.as_deref(), Some(DIGEST));
        assert_eq!(pinned.manifest_reference(), DIGEST);
        assert_eq!(
            pinned.to_string(),
            format!("docker.io/library/nginx@{DIGEST}")
        );

        let both = Reference::parse(&format!("127.0.0.1:5000/app:1@{DIGEST}")).unwrap();
        assert_eq!(both.tag.as_deref(), Some("1"));
        assert_eq!(both.manifest_reference(), DIGEST);
        assert_eq!(both.to_string(), format!("127.0.0.1:5000/app:1@{DIGEST}"));

        assert_eq!(Reference::parse("app:2").unwrap().manifest_reference(), "2");
    }

    #[test]
    fn path_separators_follow_the_grammar() {
        for valid in ["a.b/c_d/e__f", "a-b", "a---b", "a0/1b", "foo/bar/baz/qux"] {
            Reference::parse(valid).unwrap_or_else(|e| panic!("{valid}: {e}"));
        }
        for invalid in [
            "a..b", "a_-b", "a___b", "-a", "a-", "a/", "/a", "a//b", "a/.b",
        ] {
            assert!(Reference::parse(invalid).is_err(), "{invalid} should fail");
        }
    }

    #[test]
    fn invalid_references_say_what_is_wrong() {
        let message = |text: &str| Reference::parse(text).unwrap_err().to_string();
        assert!(message("").contains("empty"));
        assert!(message("Nginx").contains("lowercase"));
        assert!(message("nginx:").contains("not a valid tag"));
        assert!(message("nginx:-x").contains("not a valid tag"));
        assert!(message(&format!("nginx:{}", "a".repeat(129))).contains("not a valid tag"));
        assert!(message("nginx@sha256:abc").contains("not a valid sha256 digest"));
        assert!(
            message(
                "nginx@sha256:ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
            )
            .contains("not a valid sha256 digest")
        );
        assert!(message("nginx@latest").contains("not a digest"));
        assert!(message("host:port/app").contains("not a port number"));
        assert!(message("bad_host.com:5000/app").contains("not a valid registry host"));
        assert!(message("[::1/app").contains("no closing bracket"));
        assert!(message(&"a".repeat(64)).contains("image ID"));
        let long = format!("example.com/{}", "a/".repeat(130) + "a");
        assert!(message(&long).contains("longer than 255"));
        assert!(message("app:1:2").contains("path component"));
    }
}
