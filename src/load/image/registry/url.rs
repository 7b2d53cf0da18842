//! The little URL handling the registry client needs: absolute http(s) URLs, their origin, and
//! resolving a redirect's `Location` (RFC 3986 §5.2, the forms servers send: absolute,
//! scheme-relative, absolute-path and relative-path). `Display` leaves out the query, which for a
//! blob store carries a signature.

use std::fmt;

/// Why a string is not a URL the client will use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an http(s) URL without user info")]
pub struct NotAUrl;

/// An absolute `http` or `https` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    scheme: String,
    authority: String,
    /// Starts with `/`; may hold `?query`.
    path_and_query: String,
}

impl Url {
    /// Parses `http(s)://authority/path?query`; anything else is an error.
    pub fn parse(text: &str) -> Result<Url, NotAUrl> {
        let (scheme, rest) = text.split_once("://").ok_or(NotAUrl)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(NotAUrl);
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if authority.is_empty()
            || authority.contains('@')
            || authority.contains(char::is_whitespace)
        {
            // `user:password@host` URLs are refused rather than risking credentials in messages.
            return Err(NotAUrl);
        }
        let mut path_and_query = rest[authority_end..]
            .split('#')
            .next()
            .unwrap_or("")
            .to_string();
        if !path_and_query.starts_with('/') {
            path_and_query.insert(0, '/');
        }
        Ok(Url {
            scheme,
            authority: authority.to_ascii_lowercase(),
            path_and_query,
        })
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `host[:port]`, lowercase.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The path and query (`/v2/app/tags/list?n=100`), to request on the same origin.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    /// The full URL, query included, to send a request to.
    pub fn as_str(&self) -> String {
        format!(
            "{}://{}{}",
            self.scheme, self.authority, self.path_and_query
        )
    }

    /// Same scheme and authority: where the registry's credentials may be sent.
    pub fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme && self.authority == other.authority
    }

    /// Resolves a `Location` header (or a relative path) against this URL.
    pub fn join(&self, location: &str) -> Url {
        let location = location.trim();
        if let Ok(absolute) = Url::parse(location) {
            return absolute;
        }
        if let Some(rest) = location.strip_prefix("//")
            && let Ok(url) = Url::parse(&format!("{}://{rest}", self.scheme))
        {
            return url;
        }
        let path_and_query = if location.starts_with('/') {
            location.to_string()
        } else {
            let path = self.path_and_query.split('?').next().unwrap_or("/");
            let directory = &path[..path.rfind('/').map_or(0, |index| index + 1)];
            format!("{directory}{location}")
        };
        Url {
            scheme: self.scheme.clone(),
            authority: self.authority.clone(),
            path_and_query: if path_and_query.starts_with('/') {
                path_and_query
            } else {
                format!("/{path_and_query}")
            },
        }
    }
}

impl fmt::Display for Url {
    /// Scheme, authority and path; never the query (blob store signatures live there).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path_and_query.split('?').next().unwrap_or("/");
        write!(f, "{}://{}{}", self.scheme, self.authority, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_join_redirect_locations() {
        let base = Url::parse("https://Registry.Example:5000/v2/app/blobs/sha256:ab").unwrap();
        assert_eq!(base.authority(), "registry.example:5000");
        assert_eq!(
            base.join("https://cdn.example/x?sig=1").as_str(),
            "https://cdn.example/x?sig=1"
        );
        assert_eq!(
            base.join("//cdn.example/y").as_str(),
            "https://cdn.example/y"
        );
        assert_eq!(
            base.join("/v2/other").as_str(),
            "https://registry.example:5000/v2/other"
        );
        assert_eq!(
            base.join("sha256:cd").as_str(),
            "https://registry.example:5000/v2/app/blobs/sha256:cd"
        );
        assert!(base.same_origin(&base.join("/elsewhere")));
        assert!(!base.same_origin(&Url::parse("http://registry.example:5000/").unwrap()));
        assert!(!base.same_origin(&Url::parse("https://registry.example:5001/").unwrap()));
    }

    #[test]
    fn display_hides_the_query_and_userinfo_is_refused() {
        let url = Url::parse("https://s3.example/bucket/blob?X-Amz-Signature=secret").unwrap();
        assert_eq!(url.to_string(), "https://s3.example/bucket/blob");
        assert!(Url::parse("https://user:pass@host/").is_err());
        assert!(Url::parse("ftp://host/").is_err());
        assert!(Url::parse("host/path").is_err());
        assert_eq!(
            Url::parse("http://[::1]:5000").unwrap().authority(),
            "[::1]:5000"
        );
    }
}
