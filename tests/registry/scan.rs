//! End to end: `harden scan docker://127.0.0.1:PORT/app:1` against the real registry gives the
//! same report as `harden scan oci-archive:app.tar` of the same image (modulo the `source` and
//! `reference` that name the input), anonymous and with each kind of authentication; plus
//! multi-platform indexes, error messages, digest verification of registry bytes, and no
//! credential in any output.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine;
use harden::testkit::{ImageSpec, LayerSpec, Layout, write_oci_images};

use super::harness::{self, Registry, RegistryAuth, TokenField, TokenServer};
use super::{PASSWORD, USER};

/// An image with findings in several checks: root user, a setuid file, a secret in a layer
/// deleted by a later one, an exposed port.
fn sample_image(platform: &str, marker: &str) -> ImageSpec {
    ImageSpec::new()
        .reference("1")
        .platform(platform)
        .env("PATH=/usr/local/bin:/usr/bin:/bin")
        .expose("22/tcp")
        .layer(
            LayerSpec::gzip()
                .dir("/etc", 0o755)
                .file("/etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/sh\n")
                .dir("/usr/bin", 0o755)
                .file("/usr/bin/passwd", 0o4755, "#!/bin/true\n")
                .file("/usr/bin/marker", 0o755, marker)
                .file("/root/.aws/credentials", 0o600, "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
        )
        .layer(LayerSpec::zstd().whiteout("/root/.aws/credentials").dir("/tmp", 0o777))
}

fn harden(args: &[&str], docker_config: &Path, stdin: Option<&str>) -> Output {
    harden_with_path(args, docker_config, stdin, None)
}

/// Runs harden; `helpers` is put first on its PATH (fake `docker-credential-*` programs).
fn harden_with_path(
    args: &[&str],
    docker_config: &Path,
    stdin: Option<&str>,
    helpers: Option<&Path>,
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harden"));
    if let Some(helpers) = helpers {
        let mut paths = vec![helpers.to_path_buf()];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        command.env("PATH", std::env::join_paths(paths).unwrap());
    }
    let mut child = command
        .args(args)
        .env("DOCKER_CONFIG", docker_config)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run harden");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

/// The JSON report with what names the input (the `source`, wherever findings repeat it, and the
/// `reference`) taken out.
fn report_without_source(output: &Output) -> serde_json::Value {
    assert!(
        output.status.code() == Some(0) || output.status.code() == Some(1),
        "harden failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let source = serde_json::to_string(&report["inputs"]["image"]["source"]).unwrap();
    let mut report: serde_json::Value =
        serde_json::from_str(&text.replace(&source, "\"<the image>\"")).unwrap();
    let image = report["inputs"]["image"].as_object_mut().unwrap();
    image.remove("source");
    image.remove("reference");
    report
}

/// Writes the image as an OCI layout (pushed) and an OCI archive (scanned locally).
fn write_both(
    images: &[ImageSpec],
    nested: bool,
    directory: &Path,
) -> (std::path::PathBuf, String) {
    let layout = directory.join("layout");
    let archive = directory.join("app.tar");
    write_oci_images(images, nested, Layout::OciDir, &layout).unwrap();
    write_oci_images(images, nested, Layout::OciArchive, &archive).unwrap();
    (layout, format!("oci-archive:{}", archive.display()))
}

fn all_outputs(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn registry_scan_equals_archive_scan_anonymous_and_with_every_kind_of_auth() {
    if !harness::require_tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (layout, archive) = write_both(&[sample_image("linux/amd64", "one")], false, work.path());
    let empty_config = work.path().join("no-docker-config");
    std::fs::create_dir(&empty_config).unwrap();
    let expected = report_without_source(&harden(
        &["scan", &archive, "-f", "json", "--fail-on", "never"],
        &empty_config,
        None,
    ));
    assert!(
        expected["findings"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        "the sample image should have findings: {expected}"
    );

    let token_server = TokenServer::start(USER, PASSWORD, TokenField::AccessToken);
    let setups = [
        ("anonymous", RegistryAuth::Anonymous),
        (
            "htpasswd",
            RegistryAuth::Htpasswd {
                user: USER,
                password: PASSWORD,
            },
        ),
        ("token", RegistryAuth::Token(&token_server)),
    ];
    for (name, auth) in setups {
        let needs_credentials = !matches!(auth, RegistryAuth::Anonymous);
        let registry = Registry::start(auth);
        registry.push(&layout, "1", "app:1", &[]);
        let spec = format!("docker://{}/app:1", registry.authority());
        let authority = registry.authority();
        let scan = |extra: &[&str], config: &Path, stdin: Option<&str>| {
            let mut args = vec!["scan", spec.as_str(), "-f", "json", "--fail-on", "never"];
            args.extend(["--insecure-registry", authority.as_str()]);
            args.extend(extra);
            harden(&args, config, stdin)
        };

        // Credentials from Docker's config file (base64 `auth`), or none.
        let config_dir = work.path().join(format!("docker-config-{name}"));
        std::fs::create_dir_all(&config_dir).unwrap();
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
        std::fs::write(
            config_dir.join("config.json"),
            format!(
                r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#,
                registry.authority()
            ),
        )
        .unwrap();
        let from_config = scan(&[], &config_dir, None);
        assert!(!all_outputs(&from_config).contains(PASSWORD), "{name}");
        assert!(!all_outputs(&from_config).contains(&auth), "{name}");
        let report = report_without_source(&from_config);
        assert_eq!(
            report, expected,
            "{name}: registry report differs from the archive's"
        );
        let full: serde_json::Value = serde_json::from_slice(&from_config.stdout).unwrap();
        assert_eq!(full["inputs"]["image"]["source"], spec.as_str());
        assert_eq!(
            full["inputs"]["image"]["reference"],
            format!("{}/app:1", registry.authority())
        );

        // --username with --password-stdin.
        let from_stdin = scan(
            &["--username", USER, "--password-stdin"],
            &empty_config,
            Some(&format!("{PASSWORD}\n")),
        );
        assert!(!all_outputs(&from_stdin).contains(PASSWORD), "{name}");
        assert_eq!(report_without_source(&from_stdin), expected, "{name}");

        if needs_credentials {
            let anonymous = scan(&[], &empty_config, None);
            assert_eq!(anonymous.status.code(), Some(2), "{name}");
            let message = String::from_utf8_lossy(&anonymous.stderr);
            assert!(message.contains(&spec), "{name}: {message}");
            assert!(message.contains("401"), "{name}: {message}");

            let wrong = "not-the-password-at-all";
            let refused = scan(
                &["--username", USER, "--password-stdin"],
                &empty_config,
                Some(wrong),
            );
            assert_eq!(refused.status.code(), Some(2), "{name}");
            let message = all_outputs(&refused);
            assert!(message.contains("401"), "{name}: {message}");
            assert!(
                message.contains("--username/--password-stdin"),
                "{name}: {message}"
            );
            assert!(!message.contains(wrong), "{name}: {message}");
        }
    }
}

#[test]
fn multi_platform_index_pushed_with_all_platforms() {
    if !harness::require_tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let images = [
        sample_image("linux/amd64", "amd64 build"),
        sample_image("linux/arm64/v8", "arm64 build"),
    ];
    let (layout, archive) = write_both(&images, true, work.path());
    let registry = Registry::start(RegistryAuth::Anonymous);
    registry.push(&layout, "1", "multi:1", &["--all"]);
    let spec = format!("docker://{}/multi:1", registry.authority());
    let authority = registry.authority();
    for platform in [None, Some("linux/arm64")] {
        let mut args = vec!["scan", "-f", "json", "--fail-on", "never"];
        if let Some(platform) = platform {
            args.extend(["--platform", platform]);
        }
        let from_registry = harden(
            &[
                &args[..],
                &[spec.as_str(), "--insecure-registry", &authority],
            ]
            .concat(),
            work.path(),
            None,
        );
        let from_archive = harden(
            &[&args[..], &[archive.as_str()]].concat(),
            work.path(),
            None,
        );
        let report = report_without_source(&from_registry);
        assert_eq!(report, report_without_source(&from_archive), "{platform:?}");
        let chosen = report["inputs"]["image"]["platform"].as_str().unwrap();
        assert_eq!(
            chosen,
            if platform.is_some() {
                "linux/arm64/v8"
            } else {
                "linux/amd64"
            }
        );
    }
    let missing = harden(
        &[
            "scan",
            &spec,
            "--insecure-registry",
            &authority,
            "--platform",
            "linux/s390x",
        ],
        work.path(),
        None,
    );
    assert_eq!(missing.status.code(), Some(2));
    let message = String::from_utf8_lossy(&missing.stderr);
    assert!(
        message.contains("linux/s390x") && message.contains("linux/arm64"),
        "{message}"
    );
}

#[test]
fn registry_errors_name_the_reference_and_tampered_blobs_are_caught() {
    if !harness::require_tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let image = sample_image("linux/amd64", "one");
    let (layout, _) = write_both(std::slice::from_ref(&image), false, work.path());
    let registry = Registry::start(RegistryAuth::Anonymous);
    registry.push(&layout, "1", "app:1", &[]);
    let authority = registry.authority();

    let missing_tag = format!("docker://{authority}/app:nope");
    let output = harden(
        &["scan", &missing_tag, "--insecure-registry", &authority],
        work.path(),
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains(&missing_tag), "{message}");
    assert!(
        message.contains("not found") && message.contains("MANIFEST_UNKNOWN"),
        "{message}"
    );

    let missing_repository = format!("docker://{authority}/nothing/here:1");
    let output = harden(
        &[
            "scan",
            &missing_repository,
            "--insecure-registry",
            &authority,
        ],
        work.path(),
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains(&missing_repository));

    // Without --insecure-registry, harden speaks TLS to the plain-HTTP registry and fails at
    // once (one attempt, no retries) with the flag that fixes it.
    let output = harden(
        &["scan", &format!("docker://{authority}/app:1")],
        work.path(),
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("plain HTTP") && error.contains(&format!("--insecure-registry {authority}")),
        "{error}"
    );
    assert!(error.contains("after 1 attempt(s)"), "{error}");

    let invalid = harden(&["scan", "docker://Bad/Ref:x:y"], work.path(), None);
    assert_eq!(invalid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("invalid image reference"));

    // Flip a bit of the gzip header's MTIME in the first layer as the registry stores it: still
    // valid gzip with the same contents and size (the CRC covers the data, not the header), so
    // only the digest check can tell. skopeo pushed the gzip layer unchanged.
    let built = image.built_layers().unwrap();
    let layer_digest = &built[0].digest;
    let hex = layer_digest.trim_start_matches("sha256:");
    let stored = registry
        .directory
        .path()
        .join("data/docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    let mut bytes = std::fs::read(&stored).unwrap();
    assert_eq!(&bytes[..2], b"\x1f\x8b", "a gzip layer");
    bytes[4] ^= 0x01;
    std::fs::write(&stored, bytes).unwrap();
    let output = harden(
        &[
            "scan",
            &format!("docker://{authority}/app:1"),
            "--insecure-registry",
            &authority,
        ],
        work.path(),
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains(layer_digest.as_str()), "{message}");
    assert!(message.contains("digest mismatch"), "{message}");
}

/// `credHelpers` in Docker's config runs `docker-credential-<name> get` (a fake one here, first on
/// the PATH of the harden process only), which answers with the user and secret.
#[cfg(unix)]
#[test]
fn credential_helper_from_docker_config_is_used() {
    use std::os::unix::fs::PermissionsExt;
    if !harness::require_tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (layout, archive) = write_both(&[sample_image("linux/amd64", "one")], false, work.path());
    let registry = Registry::start(RegistryAuth::Htpasswd {
        user: USER,
        password: PASSWORD,
    });
    registry.push(&layout, "1", "app:1", &[]);
    let authority = registry.authority();

    let helpers = work.path().join("bin");
    std::fs::create_dir(&helpers).unwrap();
    let helper = helpers.join("docker-credential-harden-test");
    // Records the server URL it was asked about, answers with the credentials.
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread -r server\necho \"$server\" > {}\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\n",
            work.path().join("asked").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = work.path().join("docker-config");
    std::fs::create_dir(&config).unwrap();
    std::fs::write(
        config.join("config.json"),
        format!(r#"{{"credHelpers": {{"{authority}": "harden-test"}}}}"#),
    )
    .unwrap();

    let spec = format!("docker://{authority}/app:1");
    let args = [
        "scan",
        &spec,
        "--insecure-registry",
        &authority,
        "-f",
        "json",
        "--fail-on",
        "never",
    ];
    let output = harden_with_path(&args, &config, None, Some(&helpers));
    assert!(!all_outputs(&output).contains(PASSWORD));
    let expected = report_without_source(&harden(
        &["scan", &archive, "-f", "json", "--fail-on", "never"],
        &config,
        None,
    ));
    assert_eq!(report_without_source(&output), expected);
    assert_eq!(
        std::fs::read_to_string(work.path().join("asked"))
            .unwrap()
            .trim(),
        authority
    );

    // Without the helper program, the error names it.
    let output = harden(&args, &config, None);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("docker-credential-harden-test"),
        "{message}"
    );
}

/// Pushed with Docker's media types (v2 schema 2 manifest, `rootfs.diff.tar.gzip` layers), the
/// image gives the same findings; only the manifest, and so its digest, differs.
#[test]
fn docker_schema2_manifests_give_the_same_report() {
    if !harness::require_tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    // gzip layers only: Docker's media types have no zstd in schema 2.
    let image = ImageSpec::new().reference("1").expose("22/tcp").layer(
        LayerSpec::gzip()
            .dir("/usr/bin", 0o755)
            .file("/usr/bin/passwd", 0o4755, "#!/bin/true\n"),
    );
    let (layout, archive) = write_both(std::slice::from_ref(&image), false, work.path());
    let registry = Registry::start(RegistryAuth::Anonymous);
    registry.push(&layout, "1", "docker:1", &["--format", "v2s2"]);
    let authority = registry.authority();
    let spec = format!("docker://{authority}/docker:1");
    let args = ["-f", "json", "--fail-on", "never"];
    let from_registry = harden(
        &[
            &["scan", spec.as_str(), "--insecure-registry", &authority],
            &args[..],
        ]
        .concat(),
        work.path(),
        None,
    );
    let from_archive = harden(
        &[&["scan", archive.as_str()], &args[..]].concat(),
        work.path(),
        None,
    );
    let mut registry_report = report_without_source(&from_registry);
    let mut archive_report = report_without_source(&from_archive);
    let registry_manifest = registry_report["inputs"]["image"]
        .as_object_mut()
        .unwrap()
        .remove("manifest_digest");
    let archive_manifest = archive_report["inputs"]["image"]
        .as_object_mut()
        .unwrap()
        .remove("manifest_digest");
    assert_ne!(
        registry_manifest, archive_manifest,
        "skopeo converted the manifest"
    );
    // Each manifest names its layers in its own media types; the rest is the same image.
    let layer_media_types = |report: &mut serde_json::Value| -> Vec<String> {
        report["inputs"]["image"]["details"]["layers"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .map(|layer| {
                let media_type = layer.as_object_mut().unwrap().remove("media_type");
                media_type.unwrap().as_str().unwrap().to_string()
            })
            .collect()
    };
    let registry_types = layer_media_types(&mut registry_report);
    assert!(
        registry_types
            .iter()
            .all(|t| t == "application/vnd.docker.image.rootfs.diff.tar.gzip"),
        "{registry_types:?}"
    );
    assert_ne!(registry_types, layer_media_types(&mut archive_report));
    assert_eq!(registry_report, archive_report);
}

#[test]
fn a_registry_behind_a_private_ca_is_trusted_with_registry_ca_only() {
    if !harness::require_tools() || !harness::require_tool("openssl") {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (ca, certificate, key) = harness::private_ca(work.path());
    let registry = Registry::start_with(
        RegistryAuth::Anonymous,
        Some(harness::Tls {
            certificate: &certificate,
            key: &key,
        }),
    );
    let (layout, archive) = write_both(&[sample_image("linux/amd64", "tls")], false, work.path());
    registry.push(&layout, "1", "team/app:1", &[]);
    let empty_config = work.path().join("no-docker-config");
    std::fs::create_dir(&empty_config).unwrap();
    let reference = format!("docker://{}/team/app:1", registry.authority());
    let json = ["-f", "json", "--fail-on", "never"];

    // The public roots do not know the private CA: a TLS error, exit 2, naming the registry.
    let untrusted = harden(
        &[&["scan", reference.as_str()][..], &json].concat(),
        &empty_config,
        None,
    );
    assert_eq!(
        untrusted.status.code(),
        Some(2),
        "{}",
        all_outputs(&untrusted)
    );
    let message = String::from_utf8_lossy(&untrusted.stderr).to_lowercase();
    assert!(
        message.contains(&registry.authority())
            && message.contains("certificate")
            && message.contains("--registry-ca")
            && message.contains("after 1 attempt"),
        "{message}"
    );

    // Trusting it: the same report as the archive.
    let ca_arg = ca.display().to_string();
    let trusted = harden(
        &[
            &["scan", reference.as_str(), "--registry-ca", ca_arg.as_str()][..],
            &json,
        ]
        .concat(),
        &empty_config,
        None,
    );
    let expected = report_without_source(&harden(
        &[&["scan", archive.as_str()][..], &json].concat(),
        &empty_config,
        None,
    ));
    assert_eq!(report_without_source(&trusted), expected);

    // A file without a certificate is an error naming it, not a fall back to the public roots.
    let not_pem = work.path().join("not-a-ca.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let not_pem_arg = not_pem.display().to_string();
    let bad = harden(
        &[
            &[
                "scan",
                reference.as_str(),
                "--registry-ca",
                not_pem_arg.as_str(),
            ][..],
            &json,
        ]
        .concat(),
        &empty_config,
        None,
    );
    assert_eq!(bad.status.code(), Some(2), "{}", all_outputs(&bad));
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(
        message.contains("not-a-ca.pem") && message.contains("no PEM certificate"),
        "{message}"
    );
}

/// With the layer cache, a layer scanned before is not downloaded again: once the registry has
/// lost the layer blobs, a cached scan still gives the first report, and one without the cache
/// fails on the missing blob (so the first fetched it).
#[test]
fn cached_layers_are_not_downloaded_again() {
    if !harness::require_tools() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let image = sample_image("linux/amd64", "one");
    let (layout, _) = write_both(std::slice::from_ref(&image), false, work.path());
    let registry = Registry::start(RegistryAuth::Anonymous);
    registry.push(&layout, "1", "app:1", &[]);
    let authority = registry.authority();
    let reference = format!("docker://{authority}/app:1");
    let cache = work.path().join("cache");
    let scan = |cache: Option<&Path>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_harden"));
        command
            .env_remove("HARDEN_NO_CACHE")
            .env("DOCKER_CONFIG", work.path())
            .args(["scan", &reference, "--insecure-registry", &authority])
            .args(["-f", "json", "--fail-on", "never", "--no-progress"]);
        match cache {
            Some(dir) => command.arg("--cache-dir").arg(dir),
            None => command.arg("--no-cache"),
        };
        command.output().unwrap()
    };
    let first = scan(Some(&cache));
    assert_eq!(first.status.code(), Some(0), "{}", all_outputs(&first));
    for layer in image.built_layers().unwrap() {
        let hex = layer.digest.trim_start_matches("sha256:");
        let stored = registry
            .directory
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex);
        std::fs::remove_dir_all(&stored).unwrap();
    }
    let cached = scan(Some(&cache));
    assert_eq!(cached.status.code(), Some(0), "{}", all_outputs(&cached));
    assert_eq!(cached.stdout, first.stdout);
    let uncached = scan(None);
    assert_eq!(
        uncached.status.code(),
        Some(2),
        "{}",
        all_outputs(&uncached)
    );
}
