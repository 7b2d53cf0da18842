//! Generates the check registry: every `src/checks/<target>/<name>.rs` becomes a module, and its
//! `CHECK` static joins `ALL_CHECKS`. Adding a check touches only its own file (DESIGN.md).

use std::fmt::Write as _;
use std::path::Path;

const TARGETS: &[&str] = &[
    "image",
    "dockerfile",
    "ecs",
    "td",
    "cross",
    "exposure",
    "tool",
];

fn main() {
    // Read at run time: `env!` would bake in the directory the build script was compiled in, and a
    // build script reused from another checkout (a copied target/) would register its checks.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("src/checks");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut modules = String::new();
    let mut registry = String::from(
        "/// Every check, in ID order.\npub static ALL_CHECKS: &[&crate::checks::Check] = &[\n",
    );
    let mut entries: Vec<(String, String)> = Vec::new();
    for target in TARGETS {
        let dir = root.join(target);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = match std::fs::read_dir(&dir) {
            Ok(read) => read.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(_) => continue,
        };
        files.sort();
        writeln!(modules, "pub mod {target} {{").unwrap();
        for file in files {
            let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if file.extension().and_then(|e| e.to_str()) != Some("rs") || stem == "mod" {
                continue;
            }
            println!("cargo:rerun-if-changed={}", file.display());
            writeln!(
                modules,
                "    #[path = {:?}]\n    pub mod {stem};",
                file.display().to_string()
            )
            .unwrap();
            // `support.rs` holds code shared by a target's checks; it is a module, not a check.
            if stem != "support" {
                entries.push((format!("{target}::{stem}"), stem.to_string()));
            }
        }
        writeln!(modules, "}}").unwrap();
    }
    for (path, _) in &entries {
        writeln!(registry, "    &{path}::CHECK,").unwrap();
    }
    registry.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("check_registry.rs");
    std::fs::write(out, modules + &registry).unwrap();
}
