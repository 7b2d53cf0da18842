//! dpkg's database (`var/lib/dpkg/status`, and distroless's one-stanza-per-file
//! `var/lib/dpkg/status.d/`): deb822 paragraphs (deb-control(5), dpkg-query(1) `Status`).

use super::{Record, clip, manager_package, paragraphs};
use crate::model::packages::PackageManager;

/// Every installed package of one copy of the database. A paragraph without `Package` or
/// `Version` is skipped; one whose `Status` is not `… installed` (removed, config-files only,
/// half-installed) is not installed. status.d stanzas carry no `Status`: installed.
pub(crate) fn parse(text: &str, database: &str) -> Vec<Record> {
    let mut records = Vec::new();
    for paragraph in paragraphs(text) {
        let mut package = manager_package(PackageManager::Dpkg, database);
        let mut installed = true;
        let mut source = None;
        for line in paragraph.lines() {
            // Continuation lines (descriptions, conffiles) start with a space or a tab.
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let Some((field, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match field.to_ascii_lowercase().as_str() {
                "package" => package.name = clip(value),
                "version" => package.version = clip(value),
                "architecture" => package.architecture = Some(clip(value)),
                "source" => source = Some(value.to_string()),
                "status" => {
                    installed = value.split_whitespace().nth(2) == Some("installed");
                }
                _ => {}
            }
        }
        if !installed || package.name.is_empty() || package.version.is_empty() {
            continue;
        }
        // `Source: glibc (2.36-9)`: the source's own version when it differs from the binary's.
        if let Some(source) = source {
            let (name, version) = match source.split_once('(') {
                Some((name, rest)) => (name.trim(), Some(rest.trim_end_matches(')').trim())),
                None => (source.trim(), None),
            };
            if !name.is_empty() {
                package.source_name = Some(clip(name));
            }
            package.source_version = version.filter(|v| !v.is_empty()).map(clip);
        }
        records.push(Record::by_name_and_arch(package, paragraph));
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_packages_with_source_and_multiline_fields() {
        let status = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc (2.36-9)\nVersion: 2.36-9+deb12u4\nDescription: GNU C Library\n Contains the standard libraries.\n .\n Package: fake\n\nPackage: curl\nStatus: deinstall ok config-files\nVersion: 7.88.1-10\nArchitecture: amd64\n\nPackage: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\nPackage: no-version\nStatus: install ok installed\n";
        let records = parse(status, "/var/lib/dpkg/status");
        let names: Vec<&str> = records.iter().map(|r| r.package.name.as_str()).collect();
        assert_eq!(names, ["libc6", "base-files"]);
        let libc = &records[0].package;
        assert_eq!(libc.version, "2.36-9+deb12u4");
        assert_eq!(libc.source_name.as_deref(), Some("glibc"));
        assert_eq!(libc.source_version.as_deref(), Some("2.36-9"));
        assert_eq!(records[1].package.source_name, None);
    }

    #[test]
    fn hostile_text_never_panics() {
        for text in [
            "",
            ":",
            "\n\n\n",
            "Package:\nVersion:",
            "Source: (\nPackage: a\nVersion: 1",
            "\u{0}\u{ffff}",
        ] {
            let _ = parse(text, "x");
        }
        let huge = format!("Package: {}\nVersion: 1\n", "a".repeat(100_000));
        assert!(parse(&huge, "x")[0].package.name.len() <= super::super::MAX_FIELD_CHARS);
    }
}
