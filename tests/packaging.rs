//! The files CI users install harden with: the GitHub Action (`action.yml`) and the pre-commit
//! hooks (`.pre-commit-hooks.yaml`), parsed and checked against the CLI they call.

use std::path::Path;
use std::process::Command;

use serde_norway::Value;

fn read_yaml(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    serde_norway::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn scan_help() -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["scan", "--help"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

/// Every `--flag` a command line names.
fn flags(command: &str) -> Vec<String> {
    command
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '"' || c == '\'')
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(['=', ';']).to_string())
        .collect()
}

#[test]
fn the_action_is_a_composite_that_scans_uploads_sarif_and_gates_after_the_upload() {
    let action = read_yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let inputs = action["inputs"].as_mapping().unwrap();
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let help = scan_help();
    let mut upload_at = None;
    let mut gate_at = None;
    for (index, step) in steps.iter().enumerate() {
        let text = serde_norway::to_string(step).unwrap();
        // Every input the step reads is declared.
        for part in text.split("inputs.").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            assert!(
                inputs.contains_key(Value::String(name.clone())),
                "step {index} reads undeclared input {name}"
            );
        }
        if let Some(run) = step["run"].as_str() {
            // A composite action's run steps must say their shell.
            assert!(step["shell"].is_string(), "step {index} has no shell");
            if run.contains("harden scan") {
                for flag in flags(run) {
                    assert!(help.contains(&flag), "harden scan has no {flag}");
                }
            }
        }
        if step["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        {
            assert!(step["if"].as_str().unwrap().contains("always()"));
            upload_at = Some(index);
        }
        if step["run"].as_str().is_some_and(|r| r.contains("exit 1")) {
            gate_at = Some(index);
        }
    }
    assert!(
        upload_at.unwrap() < gate_at.unwrap(),
        "the gate fails the job after the upload"
    );
    // Every declared input is used.
    let whole =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    for name in inputs.keys() {
        let name = name.as_str().unwrap();
        assert!(
            whole.contains(&format!("inputs.{name}")),
            "input {name} is unused"
        );
    }
}

#[test]
fn the_pre_commit_hooks_match_the_files_they_are_for_and_call_real_flags() {
    let hooks = read_yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_sequence().unwrap();
    let help = scan_help();
    let hook = |id: &str| {
        hooks
            .iter()
            .find(|h| h["id"] == id)
            .unwrap_or_else(|| panic!("no hook {id}"))
    };
    for h in hooks {
        for key in ["id", "name", "entry", "language", "files"] {
            assert!(h[key].is_string(), "{key} in {h:?}");
        }
        for flag in flags(h["entry"].as_str().unwrap()) {
            assert!(help.contains(&flag), "harden scan has no {flag}");
        }
    }
    // `files` is a Python regex pre-commit searches in each path: test it with Python's `re`.
    let cases = [
        ("harden-dockerfile", "Dockerfile", true),
        ("harden-dockerfile", "app/Dockerfile.prod", true),
        ("harden-dockerfile", "build/api.dockerfile", true),
        ("harden-dockerfile", "Containerfile", true),
        (
            "harden-dockerfile",
            "docs/Dockerfile-notes/README.md",
            false,
        ),
        ("harden-dockerfile", "src/main.rs", false),
        (
            "harden-task-definition",
            "deploy/task-definition.json",
            true,
        ),
        ("harden-task-definition", "ecs/web.taskdef.yaml", true),
        ("harden-task-definition", "package.json", false),
    ];
    for (id, path, expected) in cases {
        let pattern = hook(id)["files"].as_str().unwrap();
        let output = Command::new("python3")
            .args([
                "-c",
                "import re,sys; sys.exit(0 if re.search(sys.argv[1], sys.argv[2]) else 1)",
                pattern,
                path,
            ])
            .output()
            .expect("python3 runs");
        assert_eq!(output.status.success(), expected, "{id} on {path}");
    }
}

#[test]
fn completions_and_the_man_page_cover_the_scan_flags() {
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_harden"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = run(&["completions", shell]);
        // Flags without their dashes: fish writes `-l fail-on`.
        for word in [
            "fail-on",
            "baseline",
            "dockerfile",
            "write-baseline",
            "rules",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_harden"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let page = run(&["man"]);
    assert!(page.contains(".TH harden 1"));
    for subcommand in ["scan", "rules", "explain"] {
        assert!(page.contains(subcommand), "man page lacks {subcommand}");
    }
}
