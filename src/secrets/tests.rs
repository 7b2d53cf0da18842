//! Tests of the secret detectors and redaction.

use super::*;

// Test values are built from parts so no literal token sits in the source.
fn aws_key_id() -> String {
    format!("AKIA{}", "IOSFODNN7EXAMPLE")
}
fn aws_secret() -> String {
    format!("wJalrXUtnFEMI/K7MDENG/{}", "bPxRfiCYEXAMPLEKEY")
}
fn github_token() -> String {
    format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8")
}

#[test]
fn redact_never_shows_the_whole_value() {
    assert_eq!(redact(&aws_key_id()), "AKIA… (20 chars)");
    assert_eq!(redact("hunter2"), "[redacted, 7 chars]");
    assert_eq!(redact(""), "[redacted, 0 chars]");
    let long = aws_secret();
    assert!(!redact(&long).contains(&long[4..]));
    assert!(redact("ééééééééééééééé").starts_with("éééé…"));
}

#[test]
fn names_are_matched_per_token() {
    for name in [
        "PASSWORD",
        "DB_PASSWORD",
        "MYSQL_ROOT_PASSWORD",
        "db-passwd",
        "githubToken",
        "GITHUB_TOKEN",
        "API_KEY",
        "apiKey",
        "APIKEY",
        "STRIPE_SECRET_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "ECS_ENGINE_AUTH_DATA",
        "NPM_AUTH",
        "DB_PASS",
        "GOOGLE_CREDENTIALS",
        "PRIVATE_KEY",
        "APP_KEY",
        "SECRET_KEY_BASE",
        "clientSecret",
    ] {
        assert!(credential_name(name).is_some(), "{name} should match");
    }
    for name in [
        "TOKENIZER_PARALLELISM",
        "PASSWORD_FILE",
        "MYSQL_ROOT_PASSWORD_FILE",
        "TOKEN_URL",
        "SECRET_NAME",
        "SECRETS_MANAGER_ARN",
        "AWS_ACCESS_KEY_ID",
        "GPG_KEY",
        "GPG_KEYS",
        "SORT_KEY",
        "AUTH_TYPE",
        "OAUTH_ENABLED",
        "PWD",
        "OLDPWD",
        "BYPASS_PROXY",
        "PASS_THROUGH",
        "PASSWORD_MIN_LENGTH",
        "PATH",
        "HOME",
        "PYTHON_SHA256",
        "KEYCLOAK_VERSION",
    ] {
        assert!(credential_name(name).is_none(), "{name} should not match");
    }
    assert_eq!(name_tokens("githubAPIToken"), ["GITHUB", "API", "TOKEN"]);
}

#[test]
fn values_of_known_formats_are_found() {
    let cases = [
        (aws_key_id(), SecretKind::AwsAccessKeyId),
        (github_token(), SecretKind::GitHubToken),
        (
            format!(
                "github_pat_{}",
                "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
            ),
            SecretKind::GitHubToken,
        ),
        (
            format!("xoxb-{}", "123456789012-abcdefghij"),
            SecretKind::SlackToken,
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE".to_string(),
            SecretKind::PrivateKey,
        ),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----".to_string(),
            SecretKind::PrivateKey,
        ),
        (
            format!(
                "{}.{}.{}",
                "eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "abcDEF123_-x"
            ),
            SecretKind::Jwt,
        ),
    ];
    for (value, kind) in cases {
        let found = find_known_formats(&value);
        assert_eq!(found.len(), 1, "{value}");
        assert_eq!(found[0].kind, kind, "{value}");
    }
    for value in [
        "AKIA123",                               // too short
        "XAKIAIOSFODNN7EXAMPLE",                 // not at a word start
        "AKIAIOSFODNN7EXAMPLEXX",                // too long
        "ghp_short",                             // too short
        "-----BEGIN CERTIFICATE-----",           // public
        "-----BEGIN PUBLIC KEY-----",            // public
        "eyJhbGciOiJIUzI1NiJ9",                  // one segment only
        "xoxz-123456789012",                     // not a Slack prefix
        "sha256:0123456789abcdef0123456789abcd", // a digest
    ] {
        assert!(find_known_formats(value).is_empty(), "{value}");
    }
}

#[test]
fn named_values_skip_placeholders_and_detect_formats() {
    let secret = check_named_value("DB_PASSWORD", "hunter2hunter2").unwrap();
    assert_eq!(secret.kind, SecretKind::CredentialName);
    assert!(!secret.redacted.contains("hunter2hunter2"));
    assert_eq!(
        check_named_value("AWS_SECRET_ACCESS_KEY", &aws_secret())
            .unwrap()
            .kind,
        SecretKind::AwsSecretAccessKey
    );
    assert_eq!(
        check_named_value("AWS_ACCESS_KEY_ID", &aws_key_id())
            .unwrap()
            .kind,
        SecretKind::AwsAccessKeyId
    );
    assert_eq!(
        check_named_value("SOME_SETTING", &github_token())
            .unwrap()
            .kind,
        SecretKind::GitHubToken
    );
    assert_eq!(
        check_named_value("DATABASE_URL", "postgres://app:s3cretpw@db:5432/app")
            .unwrap()
            .kind,
        SecretKind::UrlCredentials
    );
    for (name, value) in [
        ("DB_PASSWORD", ""),
        ("DB_PASSWORD", "  "),
        ("DB_PASSWORD", "$DB_PASSWORD"),
        ("DB_PASSWORD", "${DB_PASSWORD}"),
        (
            "GOOGLE_APPLICATION_CREDENTIALS",
            "/var/secrets/google/key.json",
        ),
        ("DB_SECRET", "arn:aws:secretsmanager:us-east-1:1:secret:db"),
        ("AUTH", "false"),
        ("API_TOKEN", "<your token here>"),
        ("DB_PASSWORD", "********"),
        (
            "PYTHON_SHA256",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ),
        ("GPG_KEY", "E3FF2839C048B25C084DEBE9B26995E310250568"),
        ("DATABASE_URL", "postgres://db:5432/app"),
        ("TOKENIZER_PARALLELISM", "false"),
    ] {
        assert!(check_named_value(name, value).is_none(), "{name}={value}");
    }
    let (name, _) = check_env_entry("API_KEY=abc123def456ghi").unwrap();
    assert_eq!(name, "API_KEY");
    assert!(check_env_entry("NOT_AN_ASSIGNMENT").is_none());
}

#[test]
fn random_looking_values_are_only_supporting_evidence() {
    assert!(looks_random(&aws_secret()));
    assert!(!looks_random("passwordpassword1234"));
    let secret = check_named_value("API_TOKEN", &aws_secret()).unwrap();
    assert!(secret.reason.contains("looks random"));
    assert!(check_named_value("RANDOM_SETTING", &aws_secret()).is_none());
}

#[test]
fn text_scanning_finds_build_args_env_urls_and_headers() {
    let history = "|2 NPM_TOKEN=npm_abcdefghijkl VERSION=1.2 /bin/sh -c npm ci";
    let found = find_secrets_in_text(history);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].name.as_deref(), Some("NPM_TOKEN"));
    assert!(!found[0].redacted.contains("abcdefghijkl"));

    let legacy = "/bin/sh -c #(nop)  ENV DB_PASSWORD s3cr3t-value";
    assert_eq!(
        find_secrets_in_text(legacy)[0].name.as_deref(),
        Some("DB_PASSWORD")
    );

    let curl = "RUN curl -u admin:Passw0rd123 https://example.com/x";
    let found = find_secrets_in_text(curl);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, SecretKind::UrlCredentials);

    let header = "curl -H \"Authorization: Bearer abcdefghijklmnop\" https://x";
    assert_eq!(
        find_secrets_in_text(header)[0].kind,
        SecretKind::AuthorizationHeader
    );
    let url = "git clone https://user:tok3nvalue@github.com/org/repo";
    assert_eq!(
        find_secrets_in_text(url)[0].kind,
        SecretKind::UrlCredentials
    );

    let key = format!("ENV AWS_ACCESS_KEY_ID={}", aws_key_id());
    let found = find_secrets_in_text(&key);
    assert_eq!(found.len(), 1, "reported once: {found:?}");
    assert_eq!(found[0].kind, SecretKind::AwsAccessKeyId);

    let aws = format!("aws configure set aws_secret_access_key {}", aws_secret());
    let found = find_secrets_in_text(&aws);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, SecretKind::AwsSecretAccessKey);
    assert!(find_secrets_in_text("aws configure set region eu-west-1").is_empty());

    let redacted = redact_text(curl);
    assert!(!redacted.contains("Passw0rd123"), "{redacted}");
    assert!(
        redacted.starts_with("RUN curl -u admin:[redacted"),
        "{redacted}"
    );

    for clean in [
        "/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:/usr/bin",
        "|1 NPM_TOKEN=${NPM_TOKEN} /bin/sh -c npm ci",
        "ENV TOKENIZER_PARALLELISM=false",
        "RUN apt-get install -y curl && curl -fsSL https://example.com/install.sh | sh",
        "ARG PASSWORD_FILE=/run/secrets/pw",
        "/bin/sh -c #(nop) ADD file:abc123 in / ",
    ] {
        assert!(find_secrets_in_text(clean).is_empty(), "{clean}");
    }
}

#[test]
fn credential_files_by_path_and_content() {
    assert_eq!(
        secret_file_kind("/root/.aws/credentials"),
        Some(SecretFileKind::AwsCredentials)
    );
    assert_eq!(
        secret_file_kind("/home/a/.ssh/id_ed25519"),
        Some(SecretFileKind::PrivateKey)
    );
    assert_eq!(secret_file_kind("/home/a/.ssh/id_ed25519.pub"), None);
    assert_eq!(secret_file_kind("/etc/aws/credentials"), None);

    let aws = format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        aws_key_id(),
        aws_secret()
    );
    let found = scan_file("/root/.aws/credentials", aws.as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, Some(3));
    assert!(!found[0].redacted.contains(&aws_secret()[4..]));
    assert!(scan_file("/root/.aws/credentials", b"[default]\nregion = eu-west-1\n").is_empty());

    let docker = br#"{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNzd29yZA=="},"empty.io":{"auth":""}}}"#;
    let found = scan_file("/root/.docker/config.json", docker);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].detail, "auths.registry.example.com.auth");
    assert!(
        scan_file(
            "/root/.docker/config.json",
            br#"{"credsStore":"ecr-login","auths":{}}"#
        )
        .is_empty()
    );
    assert!(scan_file("/root/.docker/config.json", b"not json").is_empty());

    let npmrc = "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=npm_abcdefghijklmnop\n";
    assert_eq!(scan_file("/app/.npmrc", npmrc.as_bytes()).len(), 1);
    assert!(
        scan_file(
            "/app/.npmrc",
            b"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"
        )
        .is_empty()
    );

    let pypirc = "[pypi]\nusername = __token__\npassword = pypi-AgEIcHlwaS5vcmcabcdef\n";
    assert_eq!(
        scan_file("/root/.pypirc", pypirc.as_bytes())[0].detail,
        "password in [pypi]"
    );
    assert!(scan_file("/root/.pypirc", b"[pypi]\nusername = __token__\n").is_empty());

    let git = "https://user:ghtokenvalue123@github.com\nhttps://github.com\n";
    let found = scan_file("/root/.git-credentials", git.as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].detail, "credentials for github.com");

    let netrc = "machine example.com login me password s3cretvalue\n";
    assert_eq!(scan_file("/root/.netrc", netrc.as_bytes()).len(), 1);

    let pem =
        b"# comment\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";
    let found = scan_file("/srv/tls/server.key", pem);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, Some(2));
    assert_eq!(found[0].detail, "EC PRIVATE KEY");
    let encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMII\n";
    assert!(
        scan_file("/k.pem", encrypted)[0]
            .detail
            .ends_with("(encrypted)")
    );
    assert!(scan_file("/etc/ssl/cert.pem", b"-----BEGIN CERTIFICATE-----\nMII\n").is_empty());
    assert!(scan_file("/bin/app", &[0, 159, 146, 150, 0xff]).is_empty());
}
