//! Benchmark driver for `benches/dockerfile_bench.sh`: parses, resolves and checks every
//! Dockerfile given (files or directories) in one process, as hadolint does with many files, and
//! prints how many files, findings and failures it saw. Not part of the CLI.

use std::path::{Path, PathBuf};

use harden::load::dockerfile::{DockerfileOptions, load};

fn main() {
    let mut files: Vec<PathBuf> = Vec::new();
    for argument in std::env::args_os().skip(1) {
        let path = PathBuf::from(argument);
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
                .expect("readable directory")
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(path);
        }
    }
    let (mut findings_total, mut errors) = (0usize, 0usize);
    for file in &files {
        match load(Path::new(file), &DockerfileOptions::default()) {
            Ok(dockerfile) => {
                let mut findings = Vec::new();
                harden::scan::run_checks(
                    None,
                    Some(&dockerfile),
                    None,
                    &mut findings,
                    &mut Vec::new(),
                );
                findings_total += findings.len();
            }
            Err(error) => {
                errors += 1;
                eprintln!("{error}");
            }
        }
    }
    println!(
        "{} Dockerfiles, {findings_total} findings, {errors} not parsed",
        files.len()
    );
}
