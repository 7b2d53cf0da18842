//! No secret printed whole: known secret values are planted in every input kind (image ENV,
//! labels, HEALTHCHECK, CMD, history, a `.netrc` file; a Dockerfile's URL password, `curl -u`,
//! `Authorization:` header and ADD URL credentials; a task definition's environment and
//! healthCheck), and every output format (all of `harden::report::Format`), standard output and
//! standard error are searched for them.

use std::process::Command;

use clap::ValueEnum;
use harden::report::Format;
use harden::testkit::{ImageSpec, LayerSpec, Layout};

/// A distinct, random-looking secret per place, so a leak names its source.
fn secret(place: &str) -> String {
    let digest = harden::testkit::sha256_digest(place.as_bytes());
    format!("Zx{}Q9", &digest[7..25])
}

const PLACES: &[&str] = &[
    "image-env",
    "image-label",
    "image-healthcheck",
    "image-cmd",
    "image-history",
    "image-netrc",
    "dockerfile-url-password",
    "dockerfile-curl-user",
    "dockerfile-authorization",
    "dockerfile-add-url",
    "dockerfile-env",
    "task-environment",
    "task-healthcheck",
];

#[test]
fn no_format_prints_a_planted_secret() {
    let dir = tempfile::tempdir().unwrap();
    let s = |place: &str| secret(place);
    let mut image = ImageSpec::new()
        .user("root")
        .env(&format!("DB_PASSWORD={}", s("image-env")))
        .healthcheck(&[
            "CMD-SHELL",
            &format!(
                "curl -fsS -u admin:{} http://localhost/health",
                s("image-healthcheck")
            ),
        ])
        .history(
            &format!("/bin/sh -c export API_TOKEN={} && make", s("image-history")),
            false,
        )
        .layer(LayerSpec::gzip().dir("/root", 0o700).file(
            "/root/.netrc",
            0o600,
            format!(
                "machine example.com login me password {}\n",
                s("image-netrc")
            ),
        ));
    image
        .config
        .labels
        .push(("com.example.api-token".into(), s("image-label")));
    image.config.cmd = Some(vec![
        "sh".into(),
        "-c".into(),
        format!(
            "curl -H 'Authorization: Bearer {}' https://example.com",
            s("image-cmd")
        ),
    ]);
    let image_path = dir.path().join("oci");
    image.write(Layout::OciDir, &image_path).unwrap();

    let dockerfile = format!(
        "FROM alpine:3.20\n\
         ENV DB_PASSWORD={env}\n\
         ADD https://deploy:{add}@example.com/app.tar.gz /app.tar.gz\n\
         RUN git clone https://ci:{url}@github.com/example/app.git\n\
         RUN curl -u bob:{curl} https://example.com/artifact\n\
         RUN curl -H \"Authorization: Basic {auth}\" https://example.com/artifact\n\
         HEALTHCHECK CMD curl -u admin:{curl} http://localhost/\n",
        env = s("dockerfile-env"),
        add = s("dockerfile-add-url"),
        url = s("dockerfile-url-password"),
        curl = s("dockerfile-curl-user"),
        auth = s("dockerfile-authorization"),
    );
    let dockerfile_path = dir.path().join("Dockerfile");
    std::fs::write(&dockerfile_path, dockerfile).unwrap();

    let task = serde_json::json!({
        "family": "web",
        "containerDefinitions": [{
            "name": "app",
            "image": "nginx:1.27",
            "environment": [{"name": "DB_PASSWORD", "value": s("task-environment")}],
            "healthCheck": {"command": ["CMD-SHELL",
                format!("curl -u admin:{} http://localhost/", s("task-healthcheck"))]}
        }]
    });
    let task_path = dir.path().join("td.json");
    std::fs::write(&task_path, serde_json::to_string_pretty(&task).unwrap()).unwrap();

    let mut command = Command::new(env!("CARGO_BIN_EXE_harden"));
    command
        .args(["scan", "--no-progress", "--fail-on", "never"])
        .arg(&image_path)
        .arg("--dockerfile")
        .arg(&dockerfile_path)
        .arg("--task-def")
        .arg(&task_path);
    let mut outputs = Vec::new();
    for format in Format::value_variants() {
        let path = dir.path().join(format!("report.{}", format.as_str()));
        command
            .args(["--format", format.as_str(), "--output"])
            .arg(&path);
        outputs.push((format.as_str(), path));
    }
    let output = command.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut texts = vec![
        (
            "stdout",
            String::from_utf8_lossy(&output.stdout).into_owned(),
        ),
        (
            "stderr",
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
    ];
    for (format, path) in &outputs {
        texts.push((format, std::fs::read_to_string(path).unwrap()));
    }
    // The report did find them (a test that finds nothing would pass vacuously).
    let json = &texts.iter().find(|(f, _)| *f == "json").unwrap().1;
    for id in ["IM", "DF"] {
        assert!(
            json.contains(&format!("\"id\": \"{id}")),
            "no {id} finding: {json}"
        );
    }
    let mut leaks = Vec::new();
    for place in PLACES {
        let value = secret(place);
        // A secret is printed whole if its value, or any 12-character part of it, shows.
        let parts: Vec<&str> = (0..=value.len() - 12).map(|i| &value[i..i + 12]).collect();
        for (format, text) in &texts {
            if parts.iter().any(|part| text.contains(part)) {
                leaks.push(format!("{place} in {format}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets printed: {leaks:#?}");
}
