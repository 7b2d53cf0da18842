//! apk's installed database (`lib/apk/db/installed`): one paragraph per package of
//! single-letter fields (`P:` name, `V:` version, `A:` architecture, `o:` origin, the source
//! package), as apk-tools' `apk_db_index_read` reads it.

use super::{Record, clip, manager_package, paragraphs};
use crate::model::packages::PackageManager;

pub(crate) fn parse(text: &str, database: &str) -> Vec<Record> {
    let mut records = Vec::new();
    for paragraph in paragraphs(text) {
        let mut package = manager_package(PackageManager::Apk, database);
        for line in paragraph.lines() {
            let Some((field, value)) = line.split_once(':') else {
                continue;
            };
            match field {
                "P" => package.name = clip(value),
                "V" => package.version = clip(value),
                "A" => package.architecture = Some(clip(value)),
                "o" => package.source_name = Some(clip(value)).filter(|o| !o.is_empty()),
                _ => {}
            }
        }
        if package.name.is_empty() || package.version.is_empty() {
            continue;
        }
        records.push(Record::by_name_and_arch(package, paragraph));
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_with_origin() {
        let db = "C:Q1abc=\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\nS:383152\no:musl\nF:lib\nR:libc.musl-x86_64.so.1\n\nC:Q1def=\nP:ssl_client\nV:1.36.1-r15\nA:x86_64\no:busybox\n\nP:broken\n";
        let records = parse(db, "/lib/apk/db/installed");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].package.version, "1.2.4_git20230717-r4");
        assert_eq!(records[1].package.source_name.as_deref(), Some("busybox"));
        assert_eq!(records[1].package.architecture.as_deref(), Some("x86_64"));
    }
}
