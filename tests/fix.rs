//! `harden fix`: the demo bundle fixed (diff, --output-dir, --write), the result re-scanned and
//! validated against botocore's RegisterTaskDefinition input shape, the Dockerfile patch applied
//! with `git apply`, fixes idempotent, and every JSON task-definition fixture fixed without a
//! crash into valid JSON.

mod common;

use common::buildah;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::manifest_dir;

fn harden(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the harden binary runs")
}

/// A copy of the demo bundle in a temporary directory (fixes never touch the repository).
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["demo.tar", "Dockerfile", "taskdef.json"] {
        std::fs::copy(
            manifest_dir().join("images/demo").join(name),
            dir.path().join(name),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("harden.toml"),
        "[fix]\nlog-group = \"/ecs/demo\"\nregion = \"us-east-1\"\n\n[fix.secrets]\nAPI_TOKEN = \"arn:aws:secretsmanager:us-east-1:123456789012:secret:api-token\"\nAWS_ACCESS_KEY_ID = \"arn:aws:ssm:us-east-1:123456789012:parameter/aws-key\"\n",
    )
    .unwrap();
    dir
}

const DEMO: &[&str] = &[
    "demo.tar",
    "--dockerfile",
    "Dockerfile",
    "--task-def",
    "taskdef.json",
    "--no-progress",
];

fn args<'a>(command: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec![command];
    all.extend_from_slice(DEMO);
    all.extend_from_slice(extra);
    all
}

/// `(id, pointer or line)` of every unsuppressed finding of a JSON report.
fn findings(report: &str) -> Vec<(String, String)> {
    let report: serde_json::Value = serde_json::from_str(report).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("suppressed").is_none())
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["location"]["file"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Every check an unsuppressed finding stands for: its ID and, for a finding that groups one
/// problem seen by several checks, the IDs in its `checks` evidence.
fn checks_reported(report: &str) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(report).unwrap();
    let mut ids = Vec::new();
    for finding in report["findings"].as_array().unwrap() {
        if finding.get("suppressed").is_some() {
            continue;
        }
        ids.push(finding["id"].as_str().unwrap().to_string());
        if let Some(checks) = finding["evidence"]["checks"].as_str() {
            ids.extend(checks.split(", ").map(str::to_string));
        }
    }
    ids
}

fn register_input_problems(python: &Path, file: &Path) -> Option<String> {
    let output = Command::new(python)
        .arg("-c")
        .arg(
            "import sys, json, botocore.session\nfrom botocore.validate import ParamValidator\nshape = botocore.session.get_session().get_service_model('ecs').operation_model('RegisterTaskDefinition').input_shape\nreport = ParamValidator().validate(json.load(open(sys.argv[1])), shape)\nif report.has_errors():\n    print(report.generate_report())\n    sys.exit(1)",
        )
        .arg(file)
        .output()
        .unwrap();
    (!output.status.success()).then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn the_default_prints_a_diff_and_touches_nothing() {
    let dir = demo_copy();
    let before = std::fs::read(dir.path().join("taskdef.json")).unwrap();
    let output = harden(&args("fix", &[]), dir.path());
    assert!(output.status.success(), "{output:?}");
    let diff = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("taskdef.json")).unwrap(),
        before
    );
    // Safe fixes only: the user from the image, the digest pin; no awsvpc (review).
    assert!(diff.contains("+      \"user\": \"1000:1000\","), "{diff}");
    assert!(diff.contains("-      \"privileged\": true,"), "{diff}");
    assert!(diff.contains("ECS.4 (safe)"), "{diff}");
    assert!(!diff.contains("awsvpc"), "{diff}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--unsafe-fixes"), "{stderr}");

    // The diff is a patch git applies where it shows no secret: the Dockerfile's hunks. The task
    // definition's show API_TOKEN's value redacted (a context line), so git refuses that part,
    // and the summary says why.
    assert!(stderr.contains("hides secret values"), "{stderr}");
    let dockerfile_part = &diff[..diff
        .find("--- a/taskdef.json")
        .expect("a taskdef.json part")];
    assert!(!dockerfile_part.contains("ghp_"), "{dockerfile_part}");
    assert!(
        !diff.contains("a1B2c3D4e5F6"),
        "the demo's token shows: {diff}"
    );
    if Command::new("git").arg("--version").output().is_ok() {
        std::fs::write(dir.path().join("fix.patch"), dockerfile_part).unwrap();
        let applied = Command::new("git")
            .args(["apply", "--unsafe-paths", "-p1", "fix.patch"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(applied.status.success(), "{applied:?}\n{diff}");
        let after = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
        assert!(after.contains("RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +"));
        assert!(!after.contains("EXPOSE 8080 22"));
    }
}

#[test]
fn fixed_files_register_rescan_clean_and_fix_again_to_nothing() {
    let dir = demo_copy();
    let out = tempfile::tempdir().unwrap();
    let before = harden(
        &args("scan", &["-f", "json", "--fail-on", "never"]),
        dir.path(),
    );
    let before = findings(&String::from_utf8(before.stdout).unwrap());
    let output = harden(
        &args(
            "fix",
            &[
                "--unsafe-fixes",
                "--output-dir",
                out.path().to_str().unwrap(),
            ],
        ),
        dir.path(),
    );
    assert!(output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty(), "--output-dir prints no diff");
    // The inputs are untouched; the fixed copies are under --output-dir.
    let fixed_td = out.path().join("taskdef.json");
    let fixed_dockerfile = out.path().join("Dockerfile");
    assert!(fixed_td.is_file() && fixed_dockerfile.is_file());
    std::fs::copy(dir.path().join("demo.tar"), out.path().join("demo.tar")).unwrap();
    std::fs::copy(
        dir.path().join("harden.toml"),
        out.path().join("harden.toml"),
    )
    .unwrap();

    // Still a valid RegisterTaskDefinition request.
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fixed_td).unwrap()).unwrap();
    assert_eq!(value["networkMode"], "awsvpc");
    if let Some(python) = common::python_with(&["botocore"]) {
        let problems = register_input_problems(&python, &fixed_td);
        assert!(problems.is_none(), "{}", problems.unwrap_or_default());
    }

    // Re-scanned, the addressed controls pass.
    let after = harden(
        &args("scan", &["-f", "json", "--fail-on", "never"]),
        out.path(),
    );
    let after = findings(&String::from_utf8(after.stdout).unwrap());
    for id in [
        "ECS.4", "ECS.17", "ECS.20", "ECS.1", "ECS.5", "ECS.8", "ECS.9", "TD001", "TD002", "TD007",
        "XC001", "XC003", "XC004", "XC008", "DF013",
    ] {
        assert!(
            before.iter().any(|(i, _)| i == id),
            "{id} is in the demo before the fix"
        );
        assert!(
            !after.iter().any(|(i, _)| i == id),
            "{id} still reported after the fix: {after:?}"
        );
    }

    // A second run changes nothing.
    let again = harden(&args("fix", &["--unsafe-fixes"]), out.path());
    assert!(again.status.success(), "{again:?}");
    assert_eq!(
        String::from_utf8(again.stdout).unwrap(),
        "",
        "fixes are idempotent"
    );
}

#[test]
fn write_edits_in_place_and_missing_values_are_named() {
    let dir = demo_copy();
    std::fs::remove_file(dir.path().join("harden.toml")).unwrap();
    let output = harden(&args("fix", &["--write"]), dir.path());
    assert!(output.status.success(), "{output:?}");
    let td = std::fs::read_to_string(dir.path().join("taskdef.json")).unwrap();
    assert!(td.contains("\"user\": \"1000:1000\""));
    assert!(!td.contains("\"privileged\": true"));
    // No values, no logConfiguration or secrets: the output says what is missing.
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("--log-group"), "{stderr}");
    assert!(stderr.contains("[fix.secrets]"), "{stderr}");
    assert!(td.contains("\"AWS_ACCESS_KEY_ID\", \"value\""));
}

#[test]
fn sarif_and_json_carry_the_fixes() {
    let dir = demo_copy();
    let output = harden(
        &args(
            "scan",
            &[
                "-f",
                "sarif",
                "-o",
                "out.sarif",
                "-f",
                "json",
                "-o",
                "out.json",
            ],
        ),
        dir.path(),
    );
    assert!(output.status.code() == Some(1), "{output:?}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap())
            .unwrap();
    let fixes: Vec<&serde_json::Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.get("fixes"))
        .collect();
    assert!(!fixes.is_empty());
    assert!(fixes[0][0]["artifactChanges"][0]["replacements"].is_array());
    if let Some(multitool) = common::sarif_multitool() {
        let errors = common::sarif_errors(&multitool, &dir.path().join("out.sarif"), dir.path());
        assert!(errors.is_empty(), "{errors:?}");
    }
    let json = std::fs::read_to_string(dir.path().join("out.json")).unwrap();
    assert!(json.contains("\"applicability\""));
    if let Some(python) = common::python_with(&["jsonschema"]) {
        let output = Command::new(python)
            .arg("-c")
            .arg("import sys, json, jsonschema\njsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))")
            .arg(dir.path().join("out.json"))
            .arg(manifest_dir().join("schema/report.schema.json"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn json_fixtures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for family in ["fixtures/ecs", "fixtures/td", "fixtures/cross"] {
        let Ok(ids) = std::fs::read_dir(manifest_dir().join(family)) else {
            continue;
        };
        for id in ids.flatten() {
            let Ok(entries) = std::fs::read_dir(id.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path
                    .extension()
                    .is_some_and(|e| e == "json" || e == "yaml" || e == "yml")
                {
                    files.push(path);
                }
            }
        }
    }
    // A console export of describe-task-definition, in the shape real ones have (empty arrays,
    // read-only fields), written for these tests.
    for entry in std::fs::read_dir(manifest_dir().join("tests/fix_inputs"))
        .unwrap()
        .flatten()
    {
        files.push(entry.path());
    }
    files.sort();
    files
}

#[test]
fn every_task_definition_fixture_is_fixed_into_a_valid_file_that_rescans_clean() {
    let files = json_fixtures();
    assert!(files.len() > 20, "{files:?}");
    let mut register_inputs: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut dirs = Vec::new();
    for file in files {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("td.{}", file.extension().unwrap().to_str().unwrap());
        let copy = dir.path().join(&name);
        std::fs::copy(&file, &copy).unwrap();
        let original = std::fs::read_to_string(&copy).unwrap();
        let output = harden(
            &[
                "fix",
                "--task-def",
                &name,
                "--unsafe-fixes",
                "--write",
                "--log-group",
                "/ecs/fixed",
                "--region",
                "us-east-1",
            ],
            dir.path(),
        );
        // An input error (exit 2) is fine for a deliberately broken fixture; a crash is not.
        assert!(
            output.status.code().is_some_and(|c| c == 0 || c == 2),
            "{}: {output:?}",
            file.display()
        );
        let fixed = std::fs::read_to_string(&copy).unwrap();
        if fixed == original {
            continue;
        }
        if name.ends_with(".json") {
            let value: Result<serde_json::Value, _> = serde_json::from_str(&fixed);
            assert!(
                value.is_ok(),
                "{}: not JSON after the fix:\n{fixed}",
                file.display()
            );
        } else {
            let value: Result<serde_norway::Value, _> = serde_norway::from_str(&fixed);
            assert!(
                value.is_ok(),
                "{}: not YAML after the fix:\n{fixed}",
                file.display()
            );
        }
        // A register input is checked against botocore's model below, in one Python run.
        if name.ends_with(".json")
            && serde_json::from_str::<serde_json::Value>(&original)
                .is_ok_and(|v| v.get("containerDefinitions").is_some())
        {
            let before = dir.path().join("before.json");
            std::fs::write(&before, &original).unwrap();
            register_inputs.push((before, copy.clone()));
        }
        // The fixed file still loads, and the fixes hold on a re-scan.
        let rescan = harden(
            &[
                "scan",
                "--task-def",
                &name,
                "-f",
                "json",
                "--fail-on",
                "never",
            ],
            dir.path(),
        );
        assert_eq!(
            rescan.status.code(),
            Some(0),
            "{}: {rescan:?}",
            file.display()
        );
        let after = findings(&String::from_utf8(rescan.stdout).unwrap());
        for id in [
            "ECS.4", "ECS.3", "TD005", "ECS.17", "TD001", "TD002", "ECS.5", "ECS.9",
        ] {
            assert!(
                !after.iter().any(|(i, _)| i == id),
                "{}: {id} still reported after the fix:\n{fixed}",
                file.display()
            );
        }
        // Every line the fix did not touch is still there, in order.
        let diff = similar::TextDiff::from_lines(&original, &fixed);
        let kept = diff
            .iter_all_changes()
            .filter(|c| c.tag() == similar::ChangeTag::Equal)
            .count();
        let removed = diff
            .iter_all_changes()
            .filter(|c| c.tag() == similar::ChangeTag::Delete)
            .count();
        assert!(kept + removed == original.lines().count() || original.lines().count() <= 1);
        // Fixing again changes nothing.
        let again = harden(
            &["fix", "--task-def", "td.json", "--unsafe-fixes"],
            dir.path(),
        );
        assert_eq!(
            String::from_utf8(again.stdout).unwrap(),
            "",
            "{}: not idempotent",
            file.display()
        );
        dirs.push(dir);
    }
    // Every register input that was a valid RegisterTaskDefinition request before the fix is one
    // after it (botocore's model and validator).
    if let Some(python) = common::python_with(&["botocore"]) {
        let mut command = Command::new(python);
        command.arg("-c").arg(
            "import sys, json, botocore.session\nfrom botocore.validate import ParamValidator\nshape = botocore.session.get_session().get_service_model('ecs').operation_model('RegisterTaskDefinition').input_shape\nv = ParamValidator()\nbad = []\nchecked = 0\nfor before, after in zip(sys.argv[1::2], sys.argv[2::2]):\n    if v.validate(json.load(open(before)), shape).has_errors():\n        continue\n    checked += 1\n    report = v.validate(json.load(open(after)), shape)\n    if report.has_errors():\n        bad.append(after + ': ' + report.generate_report())\nprint(checked)\nif bad:\n    print('\\n'.join(bad))\n    sys.exit(1)",
        );
        for (before, after) in &register_inputs {
            command.arg(before).arg(after);
        }
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        let checked: usize = stdout.trim().parse().unwrap();
        assert!(checked >= 5, "only {checked} register inputs validated");
    }
}

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Copies a host program and the shared libraries `ldd` lists into `rootfs` (a base image made
/// here, with no network: the programs a RUN needs).
fn copy_program(rootfs: &Path, program: &str) {
    let real = std::fs::canonicalize(program).unwrap();
    let mut files = vec![(PathBuf::from(program), real.clone())];
    let ldd = Command::new("ldd").arg(&real).output().unwrap();
    for word in String::from_utf8_lossy(&ldd.stdout).split_whitespace() {
        if word.starts_with('/') {
            files.push((PathBuf::from(word), std::fs::canonicalize(word).unwrap()));
        }
    }
    for (at, source) in files {
        let target = rootfs.join(at.strip_prefix("/").unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&source, &target).unwrap();
    }
}

/// The Dockerfile patch, applied with `git apply` and built with buildah from a base made
/// locally, gives an image without the fixed findings: not root, no setuid file.
#[test]
fn a_patched_dockerfile_builds_into_an_image_without_the_fixed_findings() {
    use std::os::unix::fs::PermissionsExt;
    if !available("buildah") || !available("git") || !available("ldd") {
        println!("note: buildah, git or ldd missing; skipping the build test");
        return;
    }
    if !Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
    {
        println!("note: buildah builds need root here; skipping the build test");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let rootfs = root.join("base");
    for program in ["/bin/sh", "/usr/bin/find", "/bin/chmod"] {
        copy_program(&rootfs, program);
    }
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::create_dir_all(rootfs.join("tmp")).unwrap();
    std::fs::write(
        rootfs.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(rootfs.join("etc/group"), "root:x:0:\napp:x:1000:\n").unwrap();
    let base = buildah(root, &["from", "scratch"]);
    buildah(root, &["copy", &base, rootfs.to_str().unwrap(), "/"]);
    buildah(
        root,
        &["commit", "-q", &base, "localhost/harden-fix-base:1"],
    );

    let context = root.join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(context.join("tool"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(context.join("tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        "FROM localhost/harden-fix-base:1\nCOPY tool /usr/local/bin/tool\nRUN chmod u+s /usr/local/bin/tool\nEXPOSE 22\nCMD [\"/usr/local/bin/tool\"]\n",
    )
    .unwrap();
    let build = |tag: &str| {
        buildah(
            root,
            &[
                "bud",
                "-q",
                "--format",
                "docker",
                "-t",
                tag,
                context.to_str().unwrap(),
            ],
        );
        let archive = root.join(format!("{}.tar", tag.replace([':', '/'], "-")));
        buildah(
            root,
            &[
                "push",
                tag,
                &format!("docker-archive:{}:{tag}", archive.display()),
            ],
        );
        archive
    };
    let scan = |archive: &Path| {
        let output = harden(
            &[
                "scan",
                archive.to_str().unwrap(),
                "--dockerfile",
                "context/Dockerfile",
                "-f",
                "json",
                "--fail-on",
                "never",
                "--no-progress",
            ],
            root,
        );
        checks_reported(&String::from_utf8(output.stdout).unwrap())
    };
    let before = build("localhost/harden-fix-app:1");
    let ids: Vec<String> = scan(&before);
    for id in ["IM001", "DF001", "IM003", "IM011"] {
        assert!(ids.iter().any(|i| i == id), "{id} before the fix: {ids:?}");
    }

    let output = harden(
        &[
            "fix",
            before.to_str().unwrap(),
            "--dockerfile",
            "context/Dockerfile",
            "--no-progress",
        ],
        root,
    );
    assert!(output.status.success(), "{output:?}");
    std::fs::write(root.join("fix.patch"), &output.stdout).unwrap();
    let applied = Command::new("git")
        .args(["apply", "fix.patch"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        applied.status.success(),
        "{applied:?}\n{}",
        String::from_utf8_lossy(&output.stdout)
    );

    let after = build("localhost/harden-fix-app:2");
    let ids: Vec<String> = scan(&after);
    for id in ["IM001", "DF001", "IM003", "IM011", "DF013"] {
        assert!(!ids.iter().any(|i| i == id), "{id} after the fix: {ids:?}");
    }
}

#[test]
fn a_terraform_plan_is_never_edited_and_the_change_is_suggested() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    std::fs::copy(
        manifest_dir().join("fixtures/ecs/ECS.5/fail-terraform-plan.json"),
        &plan,
    )
    .unwrap();
    let before = std::fs::read(&plan).unwrap();
    let output = harden(
        &[
            "fix",
            "--task-def",
            "plan.json",
            "--unsafe-fixes",
            "--write",
        ],
        dir.path(),
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(std::fs::read(&plan).unwrap(), before);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("Terraform plans are not edited; in the configuration of aws_ecs_task_definition.web, in container_definitions[0]"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"readonlyRootFilesystem\": true"),
        "{stderr}"
    );
}

#[test]
fn a_dockerfile_without_a_user_gets_one_created_for_its_base_as_a_review_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM alpine:3.20\nRUN apk add --no-cache curl\nADD app.conf /etc/app.conf\nCMD [\"sh\"]\n",
    )
    .unwrap();
    let safe = harden(&["fix", "--dockerfile", "Dockerfile"], dir.path());
    let diff = String::from_utf8(safe.stdout).unwrap();
    // ADD of a local file → COPY is safe; creating a user is not.
    assert!(diff.contains("+COPY app.conf /etc/app.conf"), "{diff}");
    assert!(!diff.contains("USER"), "{diff}");
    let review = harden(
        &[
            "fix",
            "--dockerfile",
            "Dockerfile",
            "--unsafe-fixes",
            "--write",
        ],
        dir.path(),
    );
    assert!(review.status.success(), "{review:?}");
    let fixed = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert!(
        fixed.ends_with(
            "CMD [\"sh\"]\nRUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app\nUSER app\n"
        ),
        "{fixed}"
    );
    let rescan = harden(
        &[
            "scan",
            "--dockerfile",
            "Dockerfile",
            "-f",
            "json",
            "--fail-on",
            "never",
        ],
        dir.path(),
    );
    let after = findings(&String::from_utf8(rescan.stdout).unwrap());
    assert!(
        !after.iter().any(|(id, _)| id == "DF001" || id == "DF006"),
        "{after:?}"
    );
}

/// The printed diff hides the inputs' secrets as the report does: a credential in a context line
/// (the Dockerfile's ENV beside the fixed EXPOSE) and one in a removed line (the task
/// definition's environment entry TD007 moves to `secrets`) never show whole, nor any 12-character
/// part; `--write` still writes the real text.
#[test]
fn the_printed_diff_never_shows_a_secret_and_write_keeps_it() {
    let in_dockerfile = "Zx6c1f0e9b27a4d58e31Q9";
    let in_task = "Zx0b93e77a1c5d24f6a8Q9";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM alpine:3.20\nENV DB_PASSWORD={in_dockerfile}\nEXPOSE 8080 22\nUSER 1000\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("td.json"),
        format!(
            r#"{{
  "family": "app",
  "containerDefinitions": [
    {{
      "name": "app",
      "image": "alpine:3.20",
      "privileged": true,
      "environment": [
        {{"name": "DB_PASSWORD", "value": "{in_task}"}}
      ]
    }}
  ]
}}
"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("harden.toml"),
        "[fix.secrets]\nDB_PASSWORD = \"arn:aws:secretsmanager:us-east-1:123456789012:secret:db\"\n",
    )
    .unwrap();
    let inputs = [
        "--dockerfile",
        "Dockerfile",
        "--task-def",
        "td.json",
        "--no-progress",
    ];
    let mut fix = vec!["fix"];
    fix.extend(inputs);
    let shows_no_secret = |text: &str, what: &str| {
        for secret in [in_dockerfile, in_task] {
            for i in 0..=secret.len() - 12 {
                assert!(
                    !text.contains(&secret[i..i + 12]),
                    "{what} shows {}: {text}",
                    &secret[i..i + 12]
                );
            }
        }
    };
    // Safe fixes: both secrets are context lines.
    let output = harden(&fix, dir.path());
    assert!(output.status.success(), "{output:?}");
    let diff = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(diff.contains("-EXPOSE 8080 22"), "{diff}");
    assert!(diff.contains(" ENV DB_PASSWORD="), "{diff}");
    assert!(diff.contains("-      \"privileged\": true,"), "{diff}");
    assert!(
        diff.contains("         {\"name\": \"DB_PASSWORD\""),
        "{diff}"
    );
    shows_no_secret(&diff, "diff");
    shows_no_secret(&stderr, "stderr");
    assert!(stderr.contains("hides secret values"), "{stderr}");
    // Review fixes too: the secrets are on removed lines (DF004 and TD007 take them out).
    let mut unsafe_fixes = fix.clone();
    unsafe_fixes.push("--unsafe-fixes");
    let output = harden(&unsafe_fixes, dir.path());
    assert!(output.status.success(), "{output:?}");
    let diff = String::from_utf8(output.stdout).unwrap();
    assert!(diff.contains("-ENV DB_PASSWORD="), "{diff}");
    assert!(
        diff.contains("-        {\"name\": \"DB_PASSWORD\""),
        "{diff}"
    );
    assert!(diff.contains("secretsmanager"), "{diff}");
    shows_no_secret(&diff, "diff with --unsafe-fixes");

    // --write writes the real text: the safe fixes keep both secrets, whole.
    let mut write = fix.clone();
    write.push("--write");
    let output = harden(&write, dir.path());
    assert!(output.status.success(), "{output:?}");
    let dockerfile = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains(&format!("ENV DB_PASSWORD={in_dockerfile}\n")),
        "{dockerfile}"
    );
    assert!(!dockerfile.contains("22"), "{dockerfile}");
    let task = std::fs::read_to_string(dir.path().join("td.json")).unwrap();
    assert!(task.contains(in_task), "{task}");
    assert!(!task.contains("privileged"), "{task}");
}

/// A fix whose edit carries a secret of the input (XC003 copies the image's HEALTHCHECK, with its
/// `curl -u admin:...` password, into the task definition): the SARIF and JSON reports do not
/// offer it, since its replacement text would print the secret; the diff's hunk header (the
/// fix's description) and its added line show it redacted; `--write` writes the real command.
#[test]
fn a_fix_carrying_a_secret_is_applied_but_never_printed() {
    use harden::testkit::{ImageSpec, LayerSpec, Layout};
    let secret = "Zx5a4b3c2d1e0f9a8b7cQ9";
    let dir = tempfile::tempdir().unwrap();
    let image = ImageSpec::new()
        .user("1000")
        .reference("app:1")
        .healthcheck(&[
            "CMD-SHELL",
            &format!("curl -fsS -u admin:{secret} http://localhost/health"),
        ])
        .layer(
            LayerSpec::gzip()
                .file("/bin/sh", 0o755, "x")
                .file("/usr/bin/curl", 0o755, "x"),
        );
    image
        .write(Layout::OciDir, &dir.path().join("oci"))
        .unwrap();
    std::fs::write(
        dir.path().join("td.json"),
        "{\"family\": \"web\", \"containerDefinitions\": [{\"name\": \"app\", \"image\": \"app:1\", \"essential\": true}]}\n",
    )
    .unwrap();
    let shows = |text: &str| (0..=secret.len() - 12).any(|i| text.contains(&secret[i..i + 12]));
    let inputs = ["oci", "--task-def", "td.json", "--no-progress"];

    let mut scan = vec!["scan", "--fail-on", "never"];
    scan.extend(inputs);
    scan.extend(["-f", "sarif", "-o", "r.sarif", "-f", "json", "-o", "r.json"]);
    let output = harden(&scan, dir.path());
    assert!(output.status.success(), "{output:?}");
    for report in ["r.sarif", "r.json"] {
        let text = std::fs::read_to_string(dir.path().join(report)).unwrap();
        assert!(text.contains("XC003"), "{report}: XC003 not reported");
        assert!(!shows(&text), "{report} shows the secret: {text}");
    }

    let mut fix = vec!["fix"];
    fix.extend(inputs);
    let output = harden(&fix, dir.path());
    assert!(output.status.success(), "{output:?}");
    let diff = String::from_utf8(output.stdout).unwrap();
    assert!(diff.contains("XC003 (safe)"), "{diff}");
    assert!(diff.contains("\"healthCheck\""), "{diff}");
    assert!(!shows(&diff), "the diff shows the secret: {diff}");
    assert!(!shows(&String::from_utf8(output.stderr).unwrap()));

    fix.push("--write");
    let output = harden(&fix, dir.path());
    assert!(output.status.success(), "{output:?}");
    let task = std::fs::read_to_string(dir.path().join("td.json")).unwrap();
    assert!(
        task.contains(&format!(
            "curl -fsS -u admin:{secret} http://localhost/health"
        )),
        "{task}"
    );
}
