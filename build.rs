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
    layer_code_stamp(Path::new(&manifest_dir));
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("check_registry.rs");
    std::fs::write(out, modules + &registry).unwrap();
}

/// The files that decide what a decoded layer holds (src/load/image/cache.rs keys its entries by
/// a stamp of them, so a build whose decoder differs never reads another build's entries).
const LAYER_CODE: &[&str] = &[
    "src/load/image/decode.rs",
    "src/load/image/tar_stream.rs",
    "src/load/image/cache.rs",
    "src/model/image.rs",
    "src/limits.rs",
];

/// FNV-1a over the files' bytes: a change detector, not a security boundary (the entries are
/// checked on read whatever their key).
fn layer_code_stamp(root: &Path) {
    let mut stamp: u64 = 0xcbf2_9ce4_8422_2325;
    for file in LAYER_CODE {
        let path = root.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = std::fs::read(&path).unwrap_or_default();
        for byte in file.bytes().chain([0]).chain(bytes) {
            stamp ^= u64::from(byte);
            stamp = stamp.wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=HARDEN_LAYER_CODE={stamp:016x}");
}
