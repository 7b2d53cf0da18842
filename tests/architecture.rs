//! The code's shape, checked (docs/architecture.md): data flows one way through the stages
//! `findings/dates/limits/excerpt → model → secrets → load → join → checks → policy → report → scan`,
//! so no file imports (`crate::…`) a later stage than its own, and no two folders import each
//! other, directly or through others. Test modules (`#[cfg(test)]` to the end of a file) may use
//! any stage to build their inputs and are not read. Also: rustfmt reaches every file, including
//! the check modules the build script declares.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The stages in data-flow order; a file may import its own stage or an earlier one.
const STAGES: &[&[&str]] = &[
    &["dates", "limits", "excerpt"],
    &["findings"],
    &["model"],
    &["secrets"],
    &["load"],
    &["join"],
    &["checks"],
    &["policy"],
    &["report"],
    &["scan"],
    &["testkit"],
];

fn stage_of(module: &str) -> usize {
    STAGES
        .iter()
        .position(|stage| stage.contains(&module))
        .unwrap_or_else(|| {
            panic!("src/{module}: a top-level module of no stage; add it to STAGES and docs/architecture.md")
        })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The library's source files (the binary, `main.rs` and `cli/`, uses the library by its name).
fn library_files() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&src).unwrap().display().to_string();
            if relative == "main.rs" || relative.starts_with("cli/") || relative == "lib.rs" {
                return None;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = match text.find("#[cfg(test)]") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            Some((relative, code))
        })
        .collect()
}

/// The module path segments after each `crate::` in code (comments dropped).
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for line in code.lines() {
        let line = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            // `$crate::` in a macro is the same crate; `harden_crate::` would not match.
            let after = &rest[at + "crate::".len()..];
            let segments: Vec<String> = after
                .split("::")
                .map_while(|segment| {
                    let name: String = segment
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let is_module = !name.is_empty()
                        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
                    is_module.then_some(name)
                })
                .collect();
            // `crate::declare_check!` names a macro, not a module.
            let macro_call = segments.len() == 1 && after[segments[0].len()..].starts_with('!');
            let segments = if macro_call { Vec::new() } else { segments };
            if !segments.is_empty() {
                paths.push(segments);
            }
            rest = after;
        }
    }
    paths
}

/// `checks/image/im003_x.rs` → `checks/image`; `scan.rs` → `scan`; `model/image.rs` → `model`.
fn folder_of_file(relative: &str) -> String {
    let parts: Vec<&str> = relative.trim_end_matches(".rs").split('/').collect();
    match parts.len() {
        1 => parts[0].to_string(),
        2 if parts[1] == "mod" => parts[0].to_string(),
        2 => parts[0].to_string(),
        _ => parts[..parts.len() - 1].join("/"),
    }
}

/// The folder a `crate::a::b::c` path lands in, at most as deep as the source tree has folders.
fn folder_of_path(segments: &[String], folders: &BTreeSet<String>) -> String {
    let mut best = segments[0].clone();
    for depth in 2..=segments.len() {
        let candidate = segments[..depth].join("/");
        if folders.contains(&candidate) {
            best = candidate;
        }
    }
    best
}

#[test]
fn no_file_imports_a_later_stage() {
    let mut violations = Vec::new();
    for (file, code) in library_files() {
        let own = file.split('/').next().unwrap().trim_end_matches(".rs");
        let own_stage = stage_of(own);
        for path in crate_paths(&code) {
            let target = path[0].as_str();
            if target == own {
                continue;
            }
            if stage_of(target) > own_stage {
                violations.push(format!(
                    "src/{file} ({own}) uses crate::{} ({target}, a later stage)",
                    path.join("::")
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn no_import_loop_across_folders() {
    let files = library_files();
    let folders: BTreeSet<String> = files.iter().map(|(f, _)| folder_of_file(f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, code) in &files {
        let from = folder_of_file(file);
        for path in crate_paths(code) {
            let to = folder_of_path(&path, &folders);
            // A folder and its own parent or child are one module tree (`mod.rs` declares its
            // children, which use its items); loops are looked for between other folders.
            let nested = to.starts_with(&format!("{from}/")) || from.starts_with(&format!("{to}/"));
            if to != from && !nested {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // Depth-first search with colours; a grey node reached again closes a loop.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        colour: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        loops: &mut Vec<String>,
    ) {
        colour.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match colour.get(next.as_str()).copied().unwrap_or(0) {
                0 => visit(next, edges, colour, stack, loops),
                1 => {
                    let start = stack.iter().position(|n| n == next).unwrap();
                    loops.push(format!("{} → {next}", stack[start..].join(" → ")));
                }
                _ => {}
            }
        }
        stack.pop();
        colour.insert(node.to_string(), 2);
    }
    let mut colour = BTreeMap::new();
    let mut loops = Vec::new();
    for node in edges.keys() {
        if colour.get(node.as_str()).copied().unwrap_or(0) == 0 {
            visit(node, &edges, &mut colour, &mut Vec::new(), &mut loops);
        }
    }
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

#[test]
fn the_stage_checker_sees_a_backward_import() {
    // The checker itself must be able to fail: a model file naming a check is caught.
    let paths = crate_paths("use crate::checks::Emitter; // crate::report in a comment\n");
    assert_eq!(paths, vec![vec!["checks".to_string()]]);
    assert!(stage_of("checks") > stage_of("model"));
}

#[test]
fn rustfmt_reaches_every_file_under_src() {
    // `cargo fmt` follows `mod` declarations; the check modules are declared by the build script
    // (`#[path]` in OUT_DIR), so it never sees them. rustfmt on each file does.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let output = match Command::new("rustfmt")
        .args(["--edition", "2024", "--check"])
        .args(&files)
        .output()
    {
        Ok(output) => output,
        Err(error) if std::env::var_os("CI").is_none() => {
            eprintln!("rustfmt not found ({error}); skipped");
            return;
        }
        Err(error) => panic!("rustfmt: {error}"),
    };
    assert!(
        output.status.success(),
        "rustfmt --edition 2024 --check src/**/*.rs: run scripts/fmt.sh\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
