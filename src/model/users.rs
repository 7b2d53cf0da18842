//! Users and groups of an image: tolerant parsers for `/etc/passwd` and `/etc/group`, and the
//! resolution of a Docker/OCI user spec (`USER app`, task definition `user: "1000:0"`) into a uid
//! and gid the way the container runtime does it.
//!
//! The resolution mirrors runc's `libcontainer/user.GetExecUser` (also vendored by moby as
//! `github.com/moby/sys/user`), which both Docker and containerd-based runtimes use:
//! - the spec is `user[:group]`; an empty user means uid 0 (the runtime's default);
//! - a part that parses as an integer (Go `strconv.Atoi`: `00`, `+0`, `-1`) is an id and is only
//!   ever matched against ids, never against names; anything else is a name;
//! - the first matching passwd/group line wins;
//! - a name missing from the file (or with no file at all) is an error: the container fails to
//!   start (`unable to find user app: no matching entries in passwd file`);
//! - a numeric uid missing from passwd is fine and keeps gid 0 unless a group is given;
//! - ids outside `0..=2^31-1` that match no line are an error (`ErrRange`);
//! - numeric passwd/group fields that do not parse count as 0 (runc ignores `Atoi` errors), which
//!   makes a malformed line map to root: we mirror that and flag the line as malformed.
//!
//! Not modelled: supplementary groups (they do not change the uid/gid a check reports).

use std::fmt;

use crate::model::image::Image;

/// runc's `maxID`: `1<<31 - 1`, for 32-bit systems.
const MAX_ID: i64 = (1 << 31) - 1;

/// One line of `/etc/passwd` (`name:password:uid:gid:gecos:home:shell`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: i64,
    pub gid: i64,
    pub home: String,
    pub shell: String,
    /// 1-based line number in the file.
    pub line: usize,
    /// The uid or gid field is missing or not a number (the runtime reads it as 0).
    pub malformed: bool,
}

/// One line of `/etc/group` (`name:password:gid:member,member`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    pub name: String,
    pub gid: i64,
    pub members: Vec<String>,
    /// 1-based line number in the file.
    pub line: usize,
    /// The gid field is missing or not a number (the runtime reads it as 0).
    pub malformed: bool,
}

/// Parses a Go-`Atoi`-style integer; `None` when it is not one (then the part is a name).
fn parse_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok()
}

/// Reads a numeric field the way runc does: errors count as 0. Returns (value, malformed).
fn lenient_id(field: Option<&str>) -> (i64, bool) {
    match field.map(parse_id) {
        Some(Some(id)) => (id, false),
        _ => (0, true),
    }
}

/// The meaningful lines of a passwd/group file: (1-based line number, trimmed text). Blank lines
/// and `#` comments are skipped (runc keeps comment lines as bogus entries; no real name starts
/// with `#`, so skipping them changes nothing a user spec can match).
fn meaningful_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

/// Parses `/etc/passwd`. Never fails: short lines get empty or zero fields, like runc.
pub fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    meaningful_lines(text)
        .map(|(line, text)| {
            let mut fields = text.split(':');
            let name = fields.next().unwrap_or_default().to_string();
            let _password = fields.next();
            let (uid, bad_uid) = lenient_id(fields.next());
            let (gid, bad_gid) = lenient_id(fields.next());
            let _gecos = fields.next();
            let home = fields.next().unwrap_or_default().to_string();
            let shell = fields.next().unwrap_or_default().to_string();
            PasswdEntry {
                name,
                uid,
                gid,
                home,
                shell,
                line,
                malformed: bad_uid || bad_gid,
            }
        })
        .collect()
}

/// Parses `/etc/group`. Never fails: short lines get empty or zero fields, like runc.
pub fn parse_group(text: &str) -> Vec<GroupEntry> {
    meaningful_lines(text)
        .map(|(line, text)| {
            let mut fields = text.split(':');
            let name = fields.next().unwrap_or_default().to_string();
            let _password = fields.next();
            let (gid, malformed) = lenient_id(fields.next());
            let members = fields
                .next()
                .filter(|list| !list.is_empty())
                .map(|list| list.split(',').map(str::to_string).collect())
                .unwrap_or_default();
            GroupEntry {
                name,
                gid,
                members,
                line,
                malformed,
            }
        })
        .collect()
}

/// One half of a user spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdPart {
    /// Nothing given (`""`, or the group of `"app"`).
    Unset,
    /// A number: only ever matched against ids.
    Id(i64),
    /// A name: must be found in the file.
    Name(String),
}

impl IdPart {
    fn parse(text: &str) -> IdPart {
        if text.is_empty() {
            IdPart::Unset
        } else if let Some(id) = parse_id(text) {
            IdPart::Id(id)
        } else {
            IdPart::Name(text.to_string())
        }
    }
}

/// A parsed `user[:group]` spec. Like runc's `parseLine`, parts after the second `:` are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    pub user: IdPart,
    pub group: IdPart,
}

impl UserSpec {
    pub fn parse(spec: &str) -> UserSpec {
        let mut parts = spec.split(':');
        UserSpec {
            user: IdPart::parse(parts.next().unwrap_or_default()),
            group: IdPart::parse(parts.next().unwrap_or_default()),
        }
    }
}

/// Where a resolved uid or gid came from, for evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSource {
    /// Nothing set it: the runtime's default (uid 0, gid 0).
    Default,
    /// Written as a number in the spec and not found in the file (that is allowed).
    Numeric,
    /// Written as a number in the spec and found on this line of the file.
    NumericInFile { line: usize },
    /// A name found on this line of /etc/passwd (or /etc/group).
    Name { line: usize },
    /// The primary gid of the passwd line that matched the user.
    PasswdPrimaryGroup { line: usize },
}

impl fmt::Display for IdSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdSource::Default => f.write_str("runtime default"),
            IdSource::Numeric => f.write_str("numeric, not listed in the file"),
            IdSource::NumericInFile { line } => write!(f, "numeric, listed on line {line}"),
            IdSource::Name { line } => write!(f, "name, line {line}"),
            IdSource::PasswdPrimaryGroup { line } => {
                write!(f, "primary group of /etc/passwd line {line}")
            }
        }
    }
}

/// The uid and gid a user spec runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUser {
    pub uid: i64,
    pub gid: i64,
    /// The passwd name of the uid, when a passwd line matched.
    pub user_name: Option<String>,
    pub uid_source: IdSource,
    pub gid_source: IdSource,
    /// The passwd line that matched was malformed (a missing or non-numeric id read as 0).
    pub malformed_line: bool,
}

impl ResolvedUser {
    pub fn is_root(&self) -> bool {
        self.uid == 0
    }

    /// `0:0`, as `id -u`:`id -g` would print.
    pub fn uid_gid(&self) -> String {
        format!("{}:{}", self.uid, self.gid)
    }

    /// One line saying how the ids were found: `uid from name, line 1; gid from primary group...`.
    pub fn explanation(&self) -> String {
        let mut text = format!(
            "uid {} ({}), gid {} ({})",
            self.uid, self.uid_source, self.gid, self.gid_source
        );
        if self.malformed_line {
            text.push_str("; the matching /etc/passwd line is malformed and its ids read as 0");
        }
        text
    }
}

/// Why a user spec cannot be resolved: the runtime refuses to start the container.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnresolvedUser {
    #[error("user {name:?} is not in the image's /etc/passwd")]
    UserNotInPasswd { name: String },
    #[error("user {name:?} cannot be looked up: the image has no /etc/passwd")]
    NoPasswd { name: String },
    #[error("group {name:?} is not in the image's /etc/group")]
    GroupNotInGroupFile { name: String },
    #[error("group {name:?} cannot be looked up: the image has no /etc/group")]
    NoGroupFile { name: String },
    #[error("id {id} is outside the range 0-{MAX_ID} the runtime accepts")]
    OutOfRange { id: i64 },
}

/// Resolves a user spec against the contents of `/etc/passwd` and `/etc/group` (`None`: the file
/// does not exist). See the module docs for the exact rules.
pub fn resolve_user(
    spec: &str,
    passwd: Option<&str>,
    group: Option<&str>,
) -> Result<ResolvedUser, UnresolvedUser> {
    let spec = UserSpec::parse(spec);
    let users = passwd.map(parse_passwd).unwrap_or_default();
    let groups = group.map(parse_group).unwrap_or_default();

    let matched = match &spec.user {
        // runc matches the default uid (0) against the file to fill in the gid.
        IdPart::Unset => users.iter().find(|u| u.uid == 0),
        IdPart::Id(uid) => users.iter().find(|u| u.uid == *uid),
        IdPart::Name(name) => users.iter().find(|u| &u.name == name),
    };
    let mut resolved = match (matched, &spec.user) {
        (Some(entry), part) => ResolvedUser {
            uid: entry.uid,
            gid: entry.gid,
            user_name: Some(entry.name.clone()),
            uid_source: match part {
                IdPart::Name(_) => IdSource::Name { line: entry.line },
                IdPart::Id(_) => IdSource::NumericInFile { line: entry.line },
                IdPart::Unset => IdSource::Default,
            },
            gid_source: IdSource::PasswdPrimaryGroup { line: entry.line },
            malformed_line: entry.malformed,
        },
        (None, IdPart::Name(name)) => {
            return Err(match passwd {
                Some(_) => UnresolvedUser::UserNotInPasswd { name: name.clone() },
                None => UnresolvedUser::NoPasswd { name: name.clone() },
            });
        }
        (None, IdPart::Id(uid)) => {
            if !(0..=MAX_ID).contains(uid) {
                return Err(UnresolvedUser::OutOfRange { id: *uid });
            }
            ResolvedUser {
                uid: *uid,
                gid: 0,
                user_name: None,
                uid_source: IdSource::Numeric,
                gid_source: IdSource::Default,
                malformed_line: false,
            }
        }
        (None, IdPart::Unset) => ResolvedUser {
            uid: 0,
            gid: 0,
            user_name: None,
            uid_source: IdSource::Default,
            gid_source: IdSource::Default,
            malformed_line: false,
        },
    };

    match &spec.group {
        IdPart::Unset => {}
        IdPart::Id(gid) => match groups.iter().find(|g| g.gid == *gid) {
            Some(entry) => {
                resolved.gid = entry.gid;
                resolved.gid_source = IdSource::NumericInFile { line: entry.line };
            }
            None if (0..=MAX_ID).contains(gid) => {
                resolved.gid = *gid;
                resolved.gid_source = IdSource::Numeric;
            }
            None => return Err(UnresolvedUser::OutOfRange { id: *gid }),
        },
        IdPart::Name(name) => match groups.iter().find(|g| &g.name == name) {
            Some(entry) => {
                resolved.gid = entry.gid;
                resolved.gid_source = IdSource::Name { line: entry.line };
            }
            None => {
                return Err(match group {
                    Some(_) => UnresolvedUser::GroupNotInGroupFile { name: name.clone() },
                    None => UnresolvedUser::NoGroupFile { name: name.clone() },
                });
            }
        },
    }
    Ok(resolved)
}

/// The text of a file in the final filesystem, when the image has it and the loader kept it.
fn file_text(image: &Image, path: &str) -> Option<String> {
    image
        .filesystem
        .content(path)
        .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
}

impl Image {
    /// The config's `User`, `""` when absent (both mean root).
    pub fn config_user(&self) -> &str {
        self.config.user.as_deref().unwrap_or_default()
    }

    /// Whether the final filesystem has this path at all (following symlinks).
    fn has_path(&self, path: &str) -> bool {
        self.filesystem
            .resolve(path)
            .is_some_and(|resolved| self.filesystem.get(&resolved).is_some())
    }

    /// Resolves a user spec (the config's `User`, or a task definition's `user` override) through
    /// this image's `/etc/passwd` and `/etc/group`. A file that exists but whose contents the loader
    /// did not keep is treated as empty (the checks request both files, so this does not happen in
    /// a scan).
    pub fn resolve_user(&self, spec: &str) -> Result<ResolvedUser, UnresolvedUser> {
        let passwd = file_text(self, "/etc/passwd")
            .or_else(|| self.has_path("/etc/passwd").then(String::new));
        let group =
            file_text(self, "/etc/group").or_else(|| self.has_path("/etc/group").then(String::new));
        resolve_user(spec, passwd.as_deref(), group.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "\
# comment line
root:x:0:0:root:/root:/bin/sh

daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
toor:x:0:0:second root:/root:/bin/sh
app:x:1000:1000::/home/app:/bin/sh
short
broken:x:abc:10
";
    const GROUP: &str = "\
root:x:0:
wheel:x:10:root,app
app:x:1000:
";

    fn resolve(spec: &str) -> Result<ResolvedUser, UnresolvedUser> {
        resolve_user(spec, Some(PASSWD), Some(GROUP))
    }

    #[test]
    fn parses_passwd_tolerantly() {
        let users = parse_passwd(PASSWD);
        let names: Vec<&str> = users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["root", "daemon", "toor", "app", "short", "broken"]);
        assert_eq!(users[3].uid, 1000);
        assert_eq!(users[3].line, 6);
        assert!(users[4].malformed && users[4].uid == 0);
        assert!(users[5].malformed && users[5].gid == 10);
        let groups = parse_group(GROUP);
        assert_eq!(groups[1].members, ["root", "app"]);
        assert!(groups[0].members.is_empty());
    }

    #[test]
    fn root_forms_resolve_to_uid_zero() {
        for spec in [
            "",
            "root",
            "0",
            "00",
            "+0",
            "0:0",
            "root:root",
            "0:wheel",
            "toor",
        ] {
            let user = resolve(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            assert!(user.is_root(), "{spec} should be root, got {user:?}");
        }
        assert_eq!(resolve("0:wheel").unwrap().uid_gid(), "0:10");
        assert_eq!(
            resolve("toor").unwrap().uid_source,
            IdSource::Name { line: 5 }
        );
    }

    #[test]
    fn names_and_numbers_resolve_like_runc() {
        let app = resolve("app").unwrap();
        assert_eq!(app.uid_gid(), "1000:1000");
        assert_eq!(app.gid_source, IdSource::PasswdPrimaryGroup { line: 6 });
        let numeric = resolve("4242").unwrap();
        assert_eq!(numeric.uid_gid(), "4242:0");
        assert_eq!(numeric.uid_source, IdSource::Numeric);
        assert_eq!(resolve("1000").unwrap().user_name.as_deref(), Some("app"));
        assert_eq!(resolve("app:0").unwrap().uid_gid(), "1000:0");
        assert_eq!(resolve("4242:4343").unwrap().uid_gid(), "4242:4343");
        // Empty user with a group: uid stays the default 0.
        assert_eq!(resolve(":wheel").unwrap().uid_gid(), "0:10");
    }

    #[test]
    fn malformed_lines_read_as_root_like_runc() {
        let user = resolve("short").unwrap();
        assert!(user.is_root() && user.malformed_line);
        assert!(user.explanation().contains("malformed"));
        assert!(!resolve("app").unwrap().malformed_line);
    }

    #[test]
    fn missing_names_and_files_are_errors() {
        assert_eq!(
            resolve("nobody"),
            Err(UnresolvedUser::UserNotInPasswd {
                name: "nobody".into()
            })
        );
        assert_eq!(
            resolve_user("scratch", None, None),
            Err(UnresolvedUser::NoPasswd {
                name: "scratch".into()
            })
        );
        assert_eq!(
            resolve("app:staff"),
            Err(UnresolvedUser::GroupNotInGroupFile {
                name: "staff".into()
            })
        );
        assert_eq!(
            resolve_user("0:staff", Some(PASSWD), None),
            Err(UnresolvedUser::NoGroupFile {
                name: "staff".into()
            })
        );
        assert_eq!(resolve("-1"), Err(UnresolvedUser::OutOfRange { id: -1 }));
        // Numeric ids need no file at all.
        assert_eq!(
            resolve_user("1000:1000", None, None).unwrap().uid_gid(),
            "1000:1000"
        );
        assert!(resolve_user("", None, None).unwrap().is_root());
    }

    #[test]
    fn a_number_is_never_matched_as_a_name() {
        let passwd = "1000:x:0:0::/:/bin/sh\n";
        // runc: a numeric spec only matches uids, so the user named "1000" (uid 0) is not used.
        let user = resolve_user("1000", Some(passwd), None).unwrap();
        assert_eq!(user.uid_gid(), "1000:0");
        assert_eq!(user.uid_source, IdSource::Numeric);
    }
}
