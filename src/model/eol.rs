//! End of life of operating-system releases: an embedded table (generated into
//! [`eol_table`](super::eol_table) by `scripts/eol_table.py` from endoflife.date) and the status
//! of an identified OS on a given date. Offline by design: a scan never fetches it.
//!
//! What "end" means per distribution (the date after which the image gets no free security
//! updates from the archive it already uses): endoflife.date's `eol` for every distribution
//! except Debian, whose LTS (`eoes`) is free and published to the same security archive every
//! `debian` image reads. Paid extensions (Ubuntu Pro ESM, RHEL ELS, SLES LTSS) are kept as
//! `extended` and only shown.

use crate::dates::Date;
use crate::model::os::{Distribution, OperatingSystem};

/// Where the table comes from, for the code, the README and the report.
pub const EOL_TABLE_SOURCE: &str = "endoflife.date (https://github.com/endoflife-date/endoflife.date, products/*.md at commit a70eca337600e7d721dc48112c271f98661d208b)";
/// The date of the endoflife.date commit the table was generated from.
pub const EOL_TABLE_AS_OF: &str = "2026-08-22";
/// A release this many days or fewer from its end is reported as ending soon.
pub const ENDING_SOON_DAYS: i64 = 90;

/// One release cycle of the table. Dates are `YYYY-MM-DD` (a unit test parses every one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EolEntry {
    pub distribution: Distribution,
    /// The cycle as endoflife.date names it and [`OperatingSystem::release_cycle`] derives it.
    pub cycle: &'static str,
    /// The end of free security updates.
    pub end: &'static str,
    /// The end of paid extended support, where there is one.
    pub extended: Option<&'static str>,
}

/// Where a release stands on the scan date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EolState {
    Supported,
    /// Within [`ENDING_SOON_DAYS`] of its end.
    EndingSoon,
    Ended,
    /// A rolling distribution (Wolfi, Chainguard, Tumbleweed): no end of life.
    Rolling,
    /// A development branch (Alpine edge, Debian testing/sid): no release, no end of life.
    Development,
    /// A distribution the table covers, but not this release (newer than the table, or no
    /// version written).
    NotInTable,
    /// A distribution the table does not cover.
    UnknownDistribution,
}

/// The EOL status of one identified OS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EolStatus {
    pub state: EolState,
    pub cycle: Option<String>,
    pub end: Option<Date>,
    pub extended: Option<Date>,
    /// Days from the scan date to `end` (negative once past).
    pub days_left: Option<i64>,
}

/// The table's entry for a distribution's release cycle.
pub fn lookup(distribution: Distribution, cycle: &str) -> Option<&'static EolEntry> {
    super::eol_table::EOL_TABLE
        .iter()
        .find(|entry| entry.distribution == distribution && entry.cycle == cycle)
}

/// The status of `os` on `today`.
pub fn status(os: &OperatingSystem, today: Date) -> EolStatus {
    let mut status = EolStatus {
        state: EolState::UnknownDistribution,
        cycle: os.release_cycle(),
        end: None,
        extended: None,
        days_left: None,
    };
    let Some(distribution) = os.distribution else {
        return status;
    };
    if distribution.is_rolling() {
        status.state = EolState::Rolling;
        return status;
    }
    if os.development {
        status.state = EolState::Development;
        return status;
    }
    let Some(entry) = status
        .cycle
        .as_deref()
        .and_then(|c| lookup(distribution, c))
    else {
        status.state = EolState::NotInTable;
        return status;
    };
    let end = Date::parse(entry.end).expect("the EOL table's dates are valid (unit-tested)");
    let days_left = days_between(today, end);
    status.end = Some(end);
    status.extended = entry.extended.and_then(Date::parse);
    status.days_left = Some(days_left);
    status.state = if days_left <= 0 {
        EolState::Ended
    } else if days_left <= ENDING_SOON_DAYS {
        EolState::EndingSoon
    } else {
        EolState::Supported
    };
    status
}

/// The table's "as of" date.
pub fn table_as_of() -> Date {
    Date::parse(EOL_TABLE_AS_OF).expect("EOL_TABLE_AS_OF is a date (unit-tested)")
}

/// True when the table is more than a year older than `today`: its newest releases and changed
/// dates are missing, which the report says in a note.
pub fn table_is_stale(today: Date) -> bool {
    days_between(table_as_of(), today) > 365
}

/// Days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    unix_days(to) - unix_days(from)
}

/// Days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms",
/// days_from_civil; the inverse of `Date::from_unix_days`).
fn unix_days(date: Date) -> i64 {
    let year = i64::from(date.year) - i64::from(date.month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(date.month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(date.day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::eol_table::EOL_TABLE;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn os(id: &str, name: &str, version: &str) -> OperatingSystem {
        let text = format!("ID={id}\nNAME=\"{name}\"\nVERSION_ID=\"{version}\"\n");
        let mut tree = crate::model::image::FileTree::default();
        tree.entries.insert(
            "/etc/os-release".into(),
            crate::model::image::Entry {
                kind: crate::model::image::EntryKind::File,
                mode: 0o644,
                uid: 0,
                gid: 0,
                size: text.len() as u64,
                xattrs: Default::default(),
                hardlink_to: None,
                layer: 0,
                content: Some(std::sync::Arc::from(text.as_bytes())),
            },
        );
        crate::model::os::identify(&tree).unwrap()
    }

    #[test]
    fn every_table_date_parses_and_cycles_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for entry in EOL_TABLE {
            assert!(Date::parse(entry.end).is_some(), "{entry:?}");
            assert!(
                entry.extended.is_none_or(|e| Date::parse(e).is_some()),
                "{entry:?}"
            );
            assert!(seen.insert((entry.distribution, entry.cycle)), "{entry:?}");
        }
        assert!(Date::parse(EOL_TABLE_AS_OF).is_some());
        // The list of distributions with releases is covered.
        for distribution in [
            Distribution::Alpine,
            Distribution::Debian,
            Distribution::Ubuntu,
            Distribution::Rhel,
            Distribution::Rocky,
            Distribution::Alma,
            Distribution::CentOS,
            Distribution::CentOSStream,
            Distribution::AmazonLinux,
            Distribution::Fedora,
            Distribution::OpenSuseLeap,
            Distribution::Sles,
        ] {
            assert!(
                EOL_TABLE.iter().any(|e| e.distribution == distribution),
                "{distribution:?}"
            );
        }
    }

    #[test]
    fn day_arithmetic_inverts_from_unix_days() {
        for days in [-800_000, -1, 0, 1, 59, 60, 365, 11_016, 20_000, 2_932_896] {
            assert_eq!(unix_days(Date::from_unix_days(days)), days);
        }
        assert_eq!(days_between(date("2024-02-28"), date("2024-03-01")), 2);
        assert_eq!(days_between(date("2021-05-01"), date("2021-04-30")), -1);
    }

    #[test]
    fn states_around_the_end_date() {
        let alpine = os("alpine", "Alpine Linux", "3.10.9");
        let at = |today: &str| status(&alpine, date(today));
        assert_eq!(at("2021-05-01").state, EolState::Ended);
        assert_eq!(at("2021-04-30").state, EolState::EndingSoon);
        assert_eq!(at("2021-01-31").state, EolState::EndingSoon);
        assert_eq!(at("2021-01-30").state, EolState::Supported);
        assert_eq!(at("2026-12-04").days_left, Some(-2043));
        assert_eq!(at("2026-12-04").end, Some(date("2021-05-01")));
        // Debian's end is its LTS end; Ubuntu keeps ESM as the extension.
        let debian = status(&os("debian", "Debian GNU/Linux", "11"), date("2026-08-01"));
        assert_eq!(debian.end, Some(date("2026-08-31")));
        let ubuntu = status(&os("ubuntu", "Ubuntu", "20.04"), date("2026-01-01"));
        assert_eq!(ubuntu.state, EolState::Ended);
        assert_eq!(ubuntu.extended, Some(date("2030-04-02")));
        let wolfi = status(&os("wolfi", "Wolfi", "20230201"), date("2026-01-01"));
        assert_eq!(wolfi.state, EolState::Rolling);
        let future = status(&os("alpine", "Alpine Linux", "3.99.0"), date("2026-01-01"));
        assert_eq!(future.state, EolState::NotInTable);
        let unknown = status(&os("gentoo", "Gentoo", "2.17"), date("2026-01-01"));
        assert_eq!(unknown.state, EolState::UnknownDistribution);
    }

    #[test]
    fn staleness_is_one_year_after_the_as_of_date() {
        let as_of = table_as_of();
        assert!(!table_is_stale(as_of));
        assert!(!table_is_stale(Date::from_unix_days(
            unix_days(as_of) + 365
        )));
        assert!(table_is_stale(Date::from_unix_days(unix_days(as_of) + 366)));
    }
}
