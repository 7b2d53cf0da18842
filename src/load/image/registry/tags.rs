//! Listing a repository's tags (`docker://HOST/REPO --all-tags`): `GET /v2/<name>/tags/list?n=N`,
//! following the `Link: <...>; rel="next"` header page by page (distribution-spec, spec.md
//! "Listing Tags"). A hostile registry can page forever, send huge pages or point the next page at
//! another host: the listing is bounded by the `tags` limit (an error past it, never a silent
//! cut), each page by a size, every page must bring new tags, and a next page on another origin is
//! refused (the registry's credentials would go with it).

use super::RegistryError;
use super::client::{RegistryClient, header};
use super::url::Url;

/// Tags asked for per page. Registries may send fewer (then a `Link` says where the rest is).
pub const DEFAULT_PAGE_SIZE: usize = 1_000;
/// A page of tags larger than this is refused (1,000 tags of 128 bytes fit many times over).
const PAGE_BYTES: u64 = 4 << 20;

/// Every tag of the client's repository, in the registry's order (lexical, per the spec), at
/// most `max_tags` (more is an error naming the `tags` limit).
pub fn list_tags(
    client: &RegistryClient,
    page_size: usize,
    max_tags: u64,
) -> Result<Vec<String>, RegistryError> {
    let reference = client.reference();
    let invalid = |message: String| RegistryError::InvalidResponse {
        reference: reference.to_string(),
        message,
    };
    let mut path = format!("/v2/{}/tags/list?n={}", reference.path, page_size.max(1));
    let mut tags: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut pages = 0u64;
    loop {
        pages += 1;
        let what = format!("the tag list (page {pages})");
        let response = client.fetch(&path, Some("application/json"), None, &what)?;
        let next = header(&response, "link").and_then(|value| next_link(&value));
        let body = response
            .into_body()
            .into_with_config()
            .limit(PAGE_BYTES)
            .read_to_vec()
            .map_err(|error| invalid(format!("{what}: {error}")))?;
        let page: TagPage = serde_json::from_slice(&body)
            .map_err(|error| invalid(format!("{what} is not a tag list: {error}")))?;
        let before = tags.len();
        for tag in page.tags.unwrap_or_default() {
            if !valid_tag(&tag) {
                return Err(invalid(format!(
                    "{what} holds {:?}, which is not a tag",
                    crate::excerpt::excerpt(&tag, 80)
                )));
            }
            if seen.insert(tag.clone()) {
                tags.push(tag);
            }
            if tags.len() as u64 > max_tags {
                return Err(invalid(format!(
                    "the repository has more than {max_tags} tags (limit `tags`); raise it with --limit tags=N, or list the tags to scan with --images-from"
                )));
            }
        }
        let Some(next) = next else {
            return Ok(tags);
        };
        if tags.len() == before {
            return Err(invalid(format!(
                "{what} brought no new tag but links to another page; stopping"
            )));
        }
        let url = client.base().join(&next);
        if !url.same_origin(client.base()) {
            return Err(invalid(format!(
                "{what} links its next page to {}, another origin than the registry's; refused",
                origin(&url)
            )));
        }
        path = url.path_and_query().to_string();
    }
}

/// `docker://HOST/REPO` (a repository, without tag or digest) expanded to one `docker://` spec
/// per tag, as the user would have written them: `docker://HOST/REPO:TAG`.
pub fn tag_specs(
    repository: &str,
    settings: &super::RegistrySettings,
    max_tags: u64,
) -> Result<Vec<String>, RegistryError> {
    let written = repository
        .strip_prefix(super::TRANSPORT_PREFIX)
        .unwrap_or(repository);
    let reference = super::Reference::parse(written)?;
    let tagged = written
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'));
    if reference.digest.is_some() || tagged {
        return Err(RegistryError::InvalidResponse {
            reference: reference.to_string(),
            message: "--all-tags takes a repository (docker://HOST/REPO), without a tag or digest"
                .to_string(),
        });
    }
    let client = RegistryClient::new(&reference, settings)?;
    let tags = list_tags(&client, DEFAULT_PAGE_SIZE, max_tags)?;
    Ok(tags
        .into_iter()
        .map(|tag| format!("{}{written}:{tag}", super::TRANSPORT_PREFIX))
        .collect())
}

fn origin(url: &Url) -> String {
    format!("{}://{}", url.scheme(), url.authority())
}

#[derive(serde::Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// The `rel="next"` target of a `Link` header (RFC 8288): `<url>; rel="next"`, possibly among
/// other comma-separated links.
pub fn next_link(value: &str) -> Option<String> {
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |i| close + i);
        let params = &rest[close + 1..params_end];
        let is_next = params.split(';').any(|param| {
            let param = param.trim().trim_end_matches(',').trim();
            param
                .strip_prefix("rel=")
                .map(|rel| rel.trim_matches('"'))
                .is_some_and(|rel| rel.split_whitespace().any(|r| r == "next"))
        });
        if is_next {
            return Some(target.to_string());
        }
        rest = &rest[params_end..];
    }
    None
}

/// A tag as the distribution spec's grammar has it: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_as_registries_send_them() {
        assert_eq!(
            next_link(r#"</v2/app/tags/list?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/app/tags/list?last=b&n=2")
        );
        assert_eq!(
            next_link(r#"<https://r.example/a>; rel="prev", <https://r.example/b>; rel=next"#)
                .as_deref(),
            Some("https://r.example/b")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
        assert_eq!(next_link("garbage <unclosed"), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn tag_grammar() {
        assert!(valid_tag("1.27-alpine"));
        assert!(valid_tag("_x"));
        assert!(!valid_tag(".hidden"));
        assert!(!valid_tag("../etc"));
        assert!(!valid_tag(&"a".repeat(129)));
        assert!(!valid_tag(""));
    }
}
