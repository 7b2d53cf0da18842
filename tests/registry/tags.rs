//! `--all-tags`: the tag listing against the real registry, with `skopeo list-tags` as the oracle
//! (distribution 2.8, the registry the tests run, ignores `?n=` and answers in one page, unsorted,
//! without `Link`); pagination as the
//! distribution-spec describes it ("Listing Tags": `n`, `last`, `Link: <...>; rel="next"`) against
//! an in-test server that pages by the spec; a hostile registry that pages forever, or links its
//! next page to another host, is stopped with an error.

use std::process::Command;

use harden::load::image::registry::tags::list_tags;
use harden::testkit::{ImageSpec, LayerSpec, Layout, write_oci_images};

use super::harness::{self, Registry, RegistryAuth};
use super::http::{Reply, Server};
use super::{client, settings};

/// What skopeo lists for the repository: the oracle.
fn skopeo_tags(spec: &str) -> Vec<String> {
    let output = Command::new("skopeo")
        .args(["list-tags", "--tls-verify=false", "--no-creds", spec])
        .output()
        .expect("run skopeo");
    assert!(
        output.status.success(),
        "skopeo list-tags: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut tags: Vec<String> = value["Tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    tags.sort();
    tags
}

#[test]
fn all_tags_lists_what_skopeo_lists_and_scans_each() {
    if !harness::require_tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let layout = work.path().join("layout");
    let image = ImageSpec::new()
        .reference("1")
        .layer(LayerSpec::gzip().dir("/etc", 0o755).file(
            "/etc/passwd",
            0o644,
            "root:x:0:0:root:/root:/bin/sh\n",
        ));
    write_oci_images(&[image], false, Layout::OciDir, &layout).unwrap();
    let registry = Registry::start(RegistryAuth::Anonymous);
    let pushed = ["1.0", "1.1", "2.0", "latest", "stable"];
    for tag in pushed {
        registry.push(&layout, "1", &format!("many/app:{tag}"), &[]);
    }
    let repository = format!("{}/many/app", registry.authority());
    let oracle = skopeo_tags(&format!("docker://{repository}"));
    assert_eq!(oracle.len(), pushed.len());

    // Asked for two tags a page, the registry still answers in one page (no Link).
    let registry_client = client(
        &format!("{repository}:latest"),
        &settings(&registry.authority(), None),
    );
    let mut listed = list_tags(&registry_client, 2, 100).unwrap();
    listed.sort();
    assert_eq!(listed, oracle);
    // One tag a page: every page brings one new tag.
    assert_eq!(
        list_tags(&registry_client, 1, 100).unwrap().len(),
        pushed.len()
    );
    // Past the limit: an error naming it, never a silent cut.
    let error = list_tags(&registry_client, 2, 3).unwrap_err().to_string();
    assert!(error.contains("limit `tags`"), "{error}");

    // End to end: each tag scanned, each named in the report.
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["scan", &format!("docker://{repository}"), "--all-tags"])
        .args(["--insecure-registry", &registry.authority()])
        .args(["-f", "json", "--fail-on", "never"])
        .env("DOCKER_CONFIG", work.path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut scanned: Vec<String> = report["inputs"]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["source"].as_str().unwrap().to_string())
        .collect();
    scanned.sort();
    let expected: Vec<String> = oracle
        .iter()
        .map(|tag| format!("docker://{repository}:{tag}"))
        .collect();
    assert_eq!(scanned, expected);

    // A tag or digest is refused: --all-tags takes a repository.
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["scan", &format!("docker://{repository}:1.0"), "--all-tags"])
        .args(["--insecure-registry", &registry.authority()])
        .env("DOCKER_CONFIG", work.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// A registry that pages its tag list as the distribution-spec says: sorted, at most `n` after
/// `last`, and a `Link` to the next page while tags remain.
fn paging_registry(tags: Vec<String>) -> Server {
    Server::start(move |request| {
        let param = |name: &str| {
            request
                .query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let n: usize = param("n").and_then(|n| n.parse().ok()).unwrap_or(100);
        let last = param("last");
        let mut sorted = tags.clone();
        sorted.sort();
        let rest: Vec<&String> = sorted
            .iter()
            .filter(|tag| last.as_ref().is_none_or(|last| *tag > last))
            .collect();
        let page: Vec<&String> = rest.iter().take(n).copied().collect();
        let mut reply = Reply::new(
            200,
            serde_json::json!({"name": "app", "tags": page}).to_string(),
        )
        .header("Content-Type", "application/json");
        if rest.len() > n {
            reply = reply.header(
                "Link",
                &format!(
                    r#"</v2/app/tags/list?n={n}&last={}>; rel="next""#,
                    page.last().unwrap()
                ),
            );
        }
        reply
    })
}

#[test]
fn every_page_is_followed_to_the_last() {
    let tags: Vec<String> = (0..23).map(|i| format!("v{i:02}")).collect();
    let server = paging_registry(tags.clone());
    let authority = format!("127.0.0.1:{}", server.port);
    let paging_client = client(&format!("{authority}/app:1"), &settings(&authority, None));
    assert_eq!(list_tags(&paging_client, 5, 100).unwrap(), tags);
    // 23 tags, 5 a page: 5 pages, each asked once.
    assert_eq!(server.requests.lock().unwrap().len(), 5);
    assert_eq!(list_tags(&paging_client, 1000, 100).unwrap(), tags);
    let error = list_tags(&paging_client, 5, 22).unwrap_err().to_string();
    assert!(error.contains("limit `tags`"), "{error}");
}

#[test]
fn a_registry_paging_forever_or_elsewhere_is_stopped() {
    // Each page holds a new tag and links to the next one, forever.
    let endless = Server::start(|request| {
        let last: u64 = request
            .query
            .iter()
            .find(|(name, _)| name == "last")
            .and_then(|(_, value)| value.trim_start_matches('t').parse().ok())
            .unwrap_or(0);
        let next = last + 1;
        Reply::new(200, format!(r#"{{"name": "app", "tags": ["t{next}"]}}"#))
            .header("Content-Type", "application/json")
            .header(
                "Link",
                &format!(r#"</v2/app/tags/list?n=1&last=t{next}>; rel="next""#),
            )
    });
    let authority = format!("127.0.0.1:{}", endless.port);
    let endless_client = client(&format!("{authority}/app:1"), &settings(&authority, None));
    let error = list_tags(&endless_client, 1, 20).unwrap_err().to_string();
    assert!(error.contains("more than 20 tags"), "{error}");
    assert!(endless.requests.lock().unwrap().len() <= 21);

    // The next page on another host: refused before any request goes there.
    let elsewhere = Server::start(|_| Reply::new(200, r#"{"tags": ["stolen"]}"#));
    let other = format!(
        "http://127.0.0.1:{}/v2/app/tags/list?n=1&last=a",
        elsewhere.port
    );
    let linking = Server::start(move |_| {
        Reply::new(200, r#"{"name": "app", "tags": ["a"]}"#)
            .header("Link", &format!(r#"<{other}>; rel="next""#))
    });
    let authority = format!("127.0.0.1:{}", linking.port);
    let linking_client = client(&format!("{authority}/app:1"), &settings(&authority, None));
    let error = list_tags(&linking_client, 1, 100).unwrap_err().to_string();
    assert!(error.contains("another origin"), "{error}");
    assert!(elsewhere.requests.lock().unwrap().is_empty());

    // A page that brings nothing new but links on: stopped.
    let stuck = Server::start(|_| {
        Reply::new(200, r#"{"name": "app", "tags": ["a"]}"#)
            .header("Link", r#"</v2/app/tags/list?n=1&last=a>; rel="next""#)
    });
    let authority = format!("127.0.0.1:{}", stuck.port);
    let stuck_client = client(&format!("{authority}/app:1"), &settings(&authority, None));
    let error = list_tags(&stuck_client, 1, 100).unwrap_err().to_string();
    assert!(error.contains("no new tag"), "{error}");
}
