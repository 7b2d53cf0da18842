//! Meta-tests over the check registry: IDs unique and well-formed, every check documented in every
//! section, every check with pass and fail fixtures.

use std::collections::HashSet;
use std::path::Path;

use harden::checks::{self, Target};

const SECTIONS: &[&str] = &[
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## References",
];

fn well_formed(id: &str, target: Target) -> bool {
    let numbered = |prefix: &str| {
        id.strip_prefix(prefix)
            .is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match target {
        Target::Image => numbered("IM"),
        Target::Dockerfile => numbered("DF"),
        Target::Cross => numbered("XC"),
        Target::Tool => numbered("HD"),
        Target::Td => numbered("TD"),
        Target::Exposure => numbered("EX"),
        Target::Ecs => id
            .strip_prefix("ECS.")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
    }
}

#[test]
fn ids_and_names_are_unique_and_well_formed() {
    let mut ids = HashSet::new();
    let mut names = HashSet::new();
    for check in checks::all() {
        assert!(
            well_formed(check.id, check.target),
            "{} is not a well-formed {:?} id",
            check.id,
            check.target
        );
        assert!(ids.insert(check.id), "duplicate id {}", check.id);
        assert!(names.insert(check.name), "duplicate name {}", check.name);
        assert!(
            check
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{}: name {:?} is not kebab-case",
            check.id,
            check.name
        );
    }
    assert!(!ids.is_empty(), "the registry is empty");
}

#[test]
fn every_check_is_documented_in_every_section() {
    for check in checks::all() {
        let docs = check.documentation();
        for section in SECTIONS {
            assert!(
                docs.contains(section),
                "{} lacks the section {section:?}",
                check.id
            );
        }
        assert!(!check.summary().is_empty(), "{} has no summary", check.id);
        let references = check.section("References").unwrap_or_default();
        assert!(!references.is_empty(), "{} names no references", check.id);
    }
}

#[test]
fn every_check_has_pass_and_fail_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut missing = Vec::new();
    for check in checks::all() {
        let dir = root.join(target_dir(check.target)).join(check.id);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .map(|read| {
                read.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        for kind in ["pass", "fail"] {
            if !names.iter().any(|n| n.starts_with(kind)) {
                missing.push(format!("{}/{kind}*", dir.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fixtures missing:\n{}",
        missing.join("\n")
    );
}

/// The fixture directory of a target: `fixtures/image/IM001/`.
pub fn target_dir(target: Target) -> &'static str {
    match target {
        Target::Image => "image",
        Target::Dockerfile => "dockerfile",
        Target::Ecs => "ecs",
        Target::Td => "td",
        Target::Cross => "cross",
        Target::Exposure => "exposure",
        Target::Tool => "tool",
    }
}
