//! The operating system an image carries, identified from its own files: `os-release` (the
//! freedesktop.org format every current distribution writes) and the older release files
//! (`/etc/alpine-release`, `/etc/debian_version`, `/etc/redhat-release`, `/etc/system-release`).
//! No I/O: reads the contents the loader kept because [`OS_FILES`] asked for them. The EOL
//! table is in [`crate::model::eol`].

use crate::model::image::{ContentRequest, FileTree, Image};

/// Every file identification reads. `/etc/os-release` is usually a symlink to
/// `../usr/lib/os-release`, and the loader keeps contents by the path a tar member is written
/// at, so both paths are asked for and the link is resolved inside the image.
pub const OS_FILES: &[ContentRequest] = &[
    ContentRequest::Path("/etc/os-release"),
    ContentRequest::Path("/usr/lib/os-release"),
    ContentRequest::Path("/etc/alpine-release"),
    ContentRequest::Path("/etc/debian_version"),
    ContentRequest::Path("/etc/redhat-release"),
    ContentRequest::Path("/etc/system-release"),
];

/// An os-release or release file larger than this is not one (real ones are under 1 KiB); only
/// this much is read, so a hostile file costs nothing.
const MAX_RELEASE_FILE: usize = 64 * 1024;
/// At most this many characters of any one value are kept (they are shown in reports).
const MAX_VALUE_CHARS: usize = 256;

/// The distributions harden knows the release cycles of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Distribution {
    Alpine,
    Debian,
    Ubuntu,
    /// Red Hat Enterprise Linux, and the Universal Base Images built from it.
    Rhel,
    Rocky,
    Alma,
    /// CentOS Linux (5 to 8).
    CentOS,
    CentOSStream,
    AmazonLinux,
    Fedora,
    OpenSuseLeap,
    OpenSuseTumbleweed,
    /// SUSE Linux Enterprise Server, and the SLE Base Container Images.
    Sles,
    Wolfi,
    Chainguard,
}

impl Distribution {
    /// The name endoflife.date and people use (`Alpine Linux`).
    pub fn display_name(self) -> &'static str {
        match self {
            Distribution::Alpine => "Alpine Linux",
            Distribution::Debian => "Debian",
            Distribution::Ubuntu => "Ubuntu",
            Distribution::Rhel => "Red Hat Enterprise Linux",
            Distribution::Rocky => "Rocky Linux",
            Distribution::Alma => "AlmaLinux",
            Distribution::CentOS => "CentOS Linux",
            Distribution::CentOSStream => "CentOS Stream",
            Distribution::AmazonLinux => "Amazon Linux",
            Distribution::Fedora => "Fedora",
            Distribution::OpenSuseLeap => "openSUSE Leap",
            Distribution::OpenSuseTumbleweed => "openSUSE Tumbleweed",
            Distribution::Sles => "SUSE Linux Enterprise Server",
            Distribution::Wolfi => "Wolfi",
            Distribution::Chainguard => "Chainguard OS",
        }
    }

    /// A rolling release has no end of life: it is current as long as it is updated.
    pub fn is_rolling(self) -> bool {
        matches!(
            self,
            Distribution::Wolfi | Distribution::Chainguard | Distribution::OpenSuseTumbleweed
        )
    }
}

/// The operating system of an image, as its files name it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatingSystem {
    /// The distribution, when it is one harden has release cycles for.
    pub distribution: Option<Distribution>,
    /// os-release `ID` (`debian`, `alpine`, `rhel`), lower case.
    pub id: String,
    /// os-release `ID_LIKE`.
    pub id_like: Vec<String>,
    /// os-release `NAME`, or the release file's product name.
    pub name: String,
    /// os-release `VERSION_ID` (`12`, `3.19.1`, `9.4`), or the release file's version.
    pub version_id: Option<String>,
    /// os-release `PRETTY_NAME`.
    pub pretty_name: Option<String>,
    /// os-release `VERSION_CODENAME` (`bookworm`).
    pub codename: Option<String>,
    /// Google's distroless images: Debian packages without a package manager; their os-release
    /// says `PRETTY_NAME="Distroless"` and their dpkg database is `var/lib/dpkg/status.d/`.
    pub distroless: bool,
    /// The development branch of a distribution that has releases (Alpine edge, Debian
    /// testing/sid): no release cycle, so no end of life to report.
    pub development: bool,
    /// The file it was read from (`/usr/lib/os-release` when `/etc/os-release` links there).
    pub source: String,
}

impl OperatingSystem {
    /// The release cycle the EOL table is keyed by (`3.19` for Alpine 3.19.1, `12` for Debian
    /// 12.5, `22.04` for Ubuntu, `9` for RHEL 9.4, `15.6` for SLES), or `None` when there is none
    /// (a rolling or development release, or no version).
    pub fn release_cycle(&self) -> Option<String> {
        let distribution = self.distribution?;
        if distribution.is_rolling() || self.development {
            return None;
        }
        let version = self.version_id.as_deref()?.trim();
        let mut parts = version.split(['.', '-', '_']);
        let major = parts.next().filter(|p| !p.is_empty())?;
        let minor = parts.next();
        let cycle = match distribution {
            Distribution::Alpine => format!("{major}.{}", minor?),
            // SLES 15 GA wrote VERSION_ID="15"; its cycle is 15.0.
            Distribution::OpenSuseLeap | Distribution::Sles => {
                format!("{major}.{}", minor.unwrap_or("0"))
            }
            // Debian's releases before 4.0 were numbered x.y; "3.1" is its own cycle.
            Distribution::Debian if major.len() == 1 && major < "4" => {
                format!("{major}.{}", minor?)
            }
            Distribution::Ubuntu => format!("{major}.{}", minor?),
            // Amazon Linux 1 was versioned by date (2018.03); 2 and 2023 by one number.
            Distribution::AmazonLinux => match minor {
                Some(minor) if major.len() == 4 && major != "2023" => format!("{major}.{minor}"),
                _ => major.to_string(),
            },
            _ => major.to_string(),
        };
        Some(cycle)
    }

    /// `Debian 12 (distroless)`, `Alpine Linux 3.19.1`: for messages.
    pub fn describe(&self) -> String {
        let name = self
            .distribution
            .map(Distribution::display_name)
            .unwrap_or(self.name.as_str());
        let mut text = name.to_string();
        if let Some(version) = &self.version_id {
            text.push(' ');
            text.push_str(version);
        } else if self.development {
            text.push_str(" (development branch)");
        }
        if self.distroless {
            text.push_str(" (distroless)");
        }
        text
    }
}

impl Image {
    /// The image's operating system, from the files [`OS_FILES`] kept ([`identify`]).
    pub fn operating_system(&self) -> Option<OperatingSystem> {
        identify(&self.filesystem)
    }
}

/// Identifies the operating system from the image's merged filesystem: os-release first
/// (`/etc/os-release`, then `/usr/lib/os-release`, as os-release(5) says), else the older release
/// files. `None` when nothing names one (`FROM scratch`, a static binary).
pub fn identify(tree: &FileTree) -> Option<OperatingSystem> {
    let mut os = ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|path| {
            let content = tree.content(path)?;
            let source = tree.resolve(path).unwrap_or_else(|| path.to_string());
            from_os_release(&parse_os_release(bounded(content)), source)
        })
        .or_else(|| from_release_files(tree))?;
    let debian_version = tree
        .content("/etc/debian_version")
        .map(|c| first_line(bounded(c)));
    if os.distribution == Some(Distribution::Debian) && os.version_id.is_none() {
        // Debian testing and sid write no VERSION_ID; debian_version says `trixie/sid`.
        match debian_version.as_deref() {
            Some(v) if v.starts_with(|c: char| c.is_ascii_digit()) => {
                os.version_id = Some(v.to_string())
            }
            _ => os.development = true,
        }
    }
    if os.distribution == Some(Distribution::Debian) || os.id_like.iter().any(|i| i == "debian") {
        // Distroless keeps its dpkg database as one file per package under status.d/, and has
        // no dpkg to keep a status file.
        let has_status_d = tree
            .starting_with("/var/lib/dpkg/status.d/")
            .next()
            .is_some();
        if has_status_d && tree.get("/var/lib/dpkg/status").is_none() {
            os.distroless = true;
        }
    }
    Some(os)
}

fn bounded(content: &[u8]) -> &str {
    let content = &content[..content.len().min(MAX_RELEASE_FILE)];
    match std::str::from_utf8(content) {
        Ok(text) => text,
        // Cut at the last valid character: a truncated or binary file still yields its valid head.
        Err(error) => std::str::from_utf8(&content[..error.valid_up_to()]).unwrap_or_default(),
    }
}

fn first_line(text: &str) -> String {
    clip(text.lines().next().unwrap_or_default().trim())
}

fn clip(value: &str) -> String {
    value.chars().take(MAX_VALUE_CHARS).collect()
}

/// os-release's variables, in file order (the last assignment of a name wins, as in a shell).
/// The format is a subset of shell: `NAME=value`, `NAME="value"` with `\"`, `\\`, `` \` `` and
/// `\$` escapes, `NAME='value'`; `#` starts a comment line (os-release(5)).
pub fn parse_os_release(text: &str) -> Vec<(String, String)> {
    let mut variables: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, raw)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let value = clip(&unquote(raw.trim()));
        variables.retain(|(existing, _)| existing != name);
        variables.push((name.to_string(), value));
    }
    variables
}

fn unquote(raw: &str) -> String {
    let mut chars = raw.chars();
    match chars.next() {
        Some('"') => {
            let mut value = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some(escaped @ ('"' | '\\' | '`' | '$')) => value.push(escaped),
                        Some(other) => {
                            value.push('\\');
                            value.push(other);
                        }
                        None => break,
                    },
                    other => value.push(other),
                }
            }
            value
        }
        Some('\'') => chars.take_while(|&c| c != '\'').collect(),
        _ => raw.to_string(),
    }
}

fn variable<'a>(variables: &'a [(String, String)], name: &str) -> Option<&'a str> {
    variables
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn from_os_release(variables: &[(String, String)], source: String) -> Option<OperatingSystem> {
    let id = variable(variables, "ID")?.to_ascii_lowercase();
    let name = variable(variables, "NAME").unwrap_or(&id).to_string();
    let pretty_name = variable(variables, "PRETTY_NAME").map(str::to_string);
    let version_id = variable(variables, "VERSION_ID").map(str::to_string);
    let distribution = distribution_of(&id, &name);
    let home = variable(variables, "HOME_URL").unwrap_or_default();
    let distroless = pretty_name
        .as_deref()
        .is_some_and(|p| p.to_ascii_lowercase().starts_with("distroless"))
        || home.contains("distroless");
    let development = match distribution {
        // Alpine edge: `PRETTY_NAME="Alpine Linux edge"`, VERSION_ID `3.20.0_alpha20240329`.
        Some(Distribution::Alpine) => {
            version_id.as_deref().is_some_and(|v| v.contains("_alpha"))
                || pretty_name.as_deref().is_some_and(|p| p.ends_with(" edge"))
        }
        _ => false,
    };
    Some(OperatingSystem {
        distribution,
        id_like: variable(variables, "ID_LIKE")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect(),
        id,
        name,
        version_id,
        pretty_name,
        codename: variable(variables, "VERSION_CODENAME").map(str::to_string),
        distroless,
        development,
        source,
    })
}

/// os-release `ID` to distribution. CentOS Stream shares `ID=centos` with CentOS Linux and
/// differs by `NAME`; openSUSE Leap 42 wrote `ID=opensuse`.
fn distribution_of(id: &str, name: &str) -> Option<Distribution> {
    Some(match id {
        "alpine" => Distribution::Alpine,
        "debian" => Distribution::Debian,
        "ubuntu" => Distribution::Ubuntu,
        "rhel" => Distribution::Rhel,
        "rocky" => Distribution::Rocky,
        "almalinux" => Distribution::Alma,
        "centos" if name.contains("Stream") => Distribution::CentOSStream,
        "centos" => Distribution::CentOS,
        "amzn" => Distribution::AmazonLinux,
        "fedora" => Distribution::Fedora,
        "opensuse-leap" | "opensuse" => Distribution::OpenSuseLeap,
        "opensuse-tumbleweed" => Distribution::OpenSuseTumbleweed,
        "sles" | "sles_sap" => Distribution::Sles,
        "wolfi" => Distribution::Wolfi,
        "chainguard" => Distribution::Chainguard,
        _ => return None,
    })
}

/// Images older than os-release (Alpine before 3.4, CentOS 6, Amazon Linux 1, Debian 7).
fn from_release_files(tree: &FileTree) -> Option<OperatingSystem> {
    let read = |path: &str| tree.content(path).map(|c| first_line(bounded(c)));
    if let Some(version) = read("/etc/alpine-release").filter(|v| !v.is_empty()) {
        return Some(OperatingSystem {
            distribution: Some(Distribution::Alpine),
            id: "alpine".into(),
            name: "Alpine Linux".into(),
            version_id: Some(version),
            source: "/etc/alpine-release".into(),
            ..OperatingSystem::default()
        });
    }
    for path in ["/etc/redhat-release", "/etc/system-release"] {
        let Some(line) = read(path).filter(|v| !v.is_empty()) else {
            continue;
        };
        // `CentOS release 6.10 (Final)`, `Red Hat Enterprise Linux Server release 7.9 (Maipo)`,
        // `Amazon Linux AMI release 2018.03`, `Fedora release 20 (Heisenbug)`.
        let Some((product, rest)) = line.split_once(" release ") else {
            continue;
        };
        let version = rest
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let (id, distribution) = if product.starts_with("CentOS Stream") {
            ("centos", Distribution::CentOSStream)
        } else if product.starts_with("CentOS") {
            ("centos", Distribution::CentOS)
        } else if product.starts_with("Red Hat Enterprise Linux") {
            ("rhel", Distribution::Rhel)
        } else if product.starts_with("Amazon Linux") {
            ("amzn", Distribution::AmazonLinux)
        } else if product.starts_with("Fedora") {
            ("fedora", Distribution::Fedora)
        } else if product.starts_with("Rocky Linux") {
            ("rocky", Distribution::Rocky)
        } else if product.starts_with("AlmaLinux") {
            ("almalinux", Distribution::Alma)
        } else {
            continue;
        };
        return Some(OperatingSystem {
            distribution: Some(distribution),
            id: id.into(),
            name: clip(product),
            version_id: (!version.is_empty()).then_some(version),
            source: path.into(),
            ..OperatingSystem::default()
        });
    }
    let version = read("/etc/debian_version").filter(|v| !v.is_empty())?;
    let numbered = version.starts_with(|c: char| c.is_ascii_digit());
    Some(OperatingSystem {
        distribution: Some(Distribution::Debian),
        id: "debian".into(),
        name: "Debian GNU/Linux".into(),
        development: !numbered,
        version_id: numbered.then_some(version),
        source: "/etc/debian_version".into(),
        ..OperatingSystem::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::image::{Entry, EntryKind};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn entry(kind: EntryKind, content: Option<&str>) -> Entry {
        Entry {
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: content.map_or(0, |c| c.len() as u64),
            xattrs: BTreeMap::new(),
            hardlink_to: None,
            layer: 0,
            content: content.map(|c| Arc::from(c.as_bytes())),
        }
    }

    fn tree(files: &[(&str, &str)]) -> FileTree {
        let mut tree = FileTree::default();
        for (path, content) in files {
            let kind = match content.strip_prefix("->") {
                Some(target) => EntryKind::Symlink {
                    target: target.to_string(),
                },
                None => EntryKind::File,
            };
            let content = (kind == EntryKind::File).then_some(*content);
            tree.entries.insert(path.to_string(), entry(kind, content));
        }
        tree
    }

    #[test]
    fn os_release_quoting_follows_the_shell_subset() {
        let vars = parse_os_release(
            "# comment\nNAME=\"Debian \\\"GNU\\\"/Linux\"\nID=debian\nPRETTY_NAME='single $x'\nBAD LINE\nID=ubuntu\nX=\"unterminated\n",
        );
        assert_eq!(variable(&vars, "NAME"), Some("Debian \"GNU\"/Linux"));
        assert_eq!(variable(&vars, "ID"), Some("ubuntu"));
        assert_eq!(variable(&vars, "PRETTY_NAME"), Some("single $x"));
        assert_eq!(variable(&vars, "X"), Some("unterminated"));
    }

    #[test]
    fn etc_os_release_symlink_is_resolved_inside_the_image() {
        let tree = tree(&[
            ("/etc/os-release", "->../usr/lib/os-release"),
            (
                "/usr/lib/os-release",
                "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n",
            ),
        ]);
        let os = identify(&tree).unwrap();
        assert_eq!(os.distribution, Some(Distribution::Ubuntu));
        assert_eq!(os.source, "/usr/lib/os-release");
        assert_eq!(os.release_cycle().as_deref(), Some("22.04"));
        assert_eq!(os.codename.as_deref(), Some("jammy"));
    }

    #[test]
    fn release_cycles_per_distribution() {
        let cases = [
            ("alpine", "Alpine Linux", "3.19.1", Some("3.19")),
            ("debian", "Debian GNU/Linux", "12", Some("12")),
            ("rhel", "Red Hat Enterprise Linux", "9.4", Some("9")),
            ("rocky", "Rocky Linux", "8.10", Some("8")),
            ("almalinux", "AlmaLinux", "9.5", Some("9")),
            ("centos", "CentOS Stream", "9", Some("9")),
            ("amzn", "Amazon Linux", "2023", Some("2023")),
            ("amzn", "Amazon Linux", "2", Some("2")),
            ("fedora", "Fedora Linux", "40", Some("40")),
            ("opensuse-leap", "openSUSE Leap", "15.6", Some("15.6")),
            ("sles", "SLES", "15.6", Some("15.6")),
            ("wolfi", "Wolfi", "20230201", None),
            ("alpine", "Alpine Linux", "3.20.0_alpha20240329", None),
        ];
        for (id, name, version, cycle) in cases {
            let text = format!("ID={id}\nNAME=\"{name}\"\nVERSION_ID={version}\n");
            let os = identify(&tree(&[("/etc/os-release", &text)])).unwrap();
            assert!(os.distribution.is_some(), "{id}");
            assert_eq!(os.release_cycle().as_deref(), cycle, "{id} {version}");
        }
        let stream = identify(&tree(&[(
            "/etc/os-release",
            "ID=centos\nNAME=\"CentOS Stream\"\nVERSION_ID=9\n",
        )]))
        .unwrap();
        assert_eq!(stream.distribution, Some(Distribution::CentOSStream));
    }

    #[test]
    fn old_release_files_and_distroless() {
        let centos6 = identify(&tree(&[(
            "/etc/redhat-release",
            "CentOS release 6.10 (Final)\n",
        )]))
        .unwrap();
        assert_eq!(centos6.distribution, Some(Distribution::CentOS));
        assert_eq!(centos6.release_cycle().as_deref(), Some("6"));
        let amazon1 = identify(&tree(&[(
            "/etc/system-release",
            "Amazon Linux AMI release 2018.03\n",
        )]))
        .unwrap();
        assert_eq!(amazon1.release_cycle().as_deref(), Some("2018.03"));
        let alpine = identify(&tree(&[("/etc/alpine-release", "3.10.3\n")])).unwrap();
        assert_eq!(alpine.release_cycle().as_deref(), Some("3.10"));
        let sid = identify(&tree(&[
            ("/etc/os-release", "ID=debian\nNAME=\"Debian GNU/Linux\"\n"),
            ("/etc/debian_version", "trixie/sid\n"),
        ]))
        .unwrap();
        assert!(sid.development);
        assert_eq!(sid.release_cycle(), None);
        let distroless = identify(&tree(&[
            (
                "/etc/os-release",
                "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\nHOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n",
            ),
            ("/var/lib/dpkg/status.d/base", "Package: base-files\n"),
        ]))
        .unwrap();
        assert!(distroless.distroless);
        assert_eq!(distroless.release_cycle().as_deref(), Some("12"));
        assert_eq!(identify(&tree(&[("/app", "x")])), None);
    }

    #[test]
    fn hostile_release_files_are_bounded_and_never_panic() {
        let long = format!("ID=alpine\nVERSION_ID={}\n", "9".repeat(1_000_000));
        let os = identify(&tree(&[("/etc/os-release", &long)])).unwrap();
        assert!(os.version_id.unwrap().len() <= MAX_VALUE_CHARS);
        for text in [
            "",
            "=",
            "ID=",
            "ID=\"\\",
            "\u{0}\u{ff}ID=x",
            "ID=alpine\nVERSION_ID=.",
        ] {
            let _ = identify(&tree(&[("/etc/os-release", text)]));
        }
        let os = identify(&tree(&[("/etc/os-release", "ID=alpine\nVERSION_ID=.\n")])).unwrap();
        assert_eq!(os.release_cycle(), None);
    }
}
