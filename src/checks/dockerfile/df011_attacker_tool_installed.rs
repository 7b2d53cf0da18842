//! DF011 attacker-tool-installed: the built chain installs a tool an attacker would use (curl,
//! wget, netcat, socat, an SSH server, sudo...) and does not remove it.

use super::support::{location, run_commands};
use crate::checks::Emitter;
use crate::model::dockerfile::{Dockerfile, Instruction, Keyword};

/// Package names (Debian, Alpine, Fedora/RHEL) of tools AWS and CIS name as attacker aids.
const TOOLS: &[&str] = &[
    "curl",
    "wget",
    "netcat",
    "netcat-openbsd",
    "netcat-traditional",
    "nc",
    "ncat",
    "nmap",
    "nmap-ncat",
    "socat",
    "openssh-server",
    "ssh-server",
    "dropbear",
    "telnet",
    "sudo",
    "tcpdump",
];

/// (package manager, install subcommands, removal subcommands).
const MANAGERS: &[(&str, &[&str], &[&str])] = &[
    ("apt-get", &["install"], &["remove", "purge", "autoremove"]),
    ("apt", &["install"], &["remove", "purge", "autoremove"]),
    ("apk", &["add"], &["del"]),
    ("yum", &["install"], &["remove", "erase"]),
    ("dnf", &["install"], &["remove", "erase"]),
    ("microdnf", &["install"], &["remove"]),
    ("tdnf", &["install"], &["remove", "erase"]),
    ("zypper", &["install", "in"], &["remove", "rm"]),
];

/// Strips a version pin (`curl=7.88.1-10`, `curl>=8`, `curl-7.76.1`is kept: ambiguous).
fn package_name(word: &str) -> &str {
    word.split(['=', '<', '>', '~']).next().unwrap_or(word)
}

struct Install<'a> {
    package: String,
    /// apk's `--virtual NAME`: `apk del NAME` removes the group.
    group: Option<String>,
    run: &'a Instruction,
    stage: String,
}

crate::declare_check! {
    /// ## What it does
    /// Reports tools an attacker would use (curl, wget, netcat, socat, sshd, sudo...) installed in
    /// the built image.
    ///
    /// It reads packages installed by `apt-get`/`apt install`, `apk add`, `yum`/`dnf`/`microdnf`/
    /// `tdnf`/`zypper install` in the target stage or its stage ancestry that an attacker would
    /// use: curl, wget, netcat (any flavour), ncat, nmap, socat, an SSH server (openssh-server,
    /// dropbear), telnet, sudo, tcpdump. A package removed later in the chain (`apt-get purge`,
    /// `apk del` of the package or of its `--virtual` group) is not reported; builder stages are
    /// not reported.
    ///
    /// ## Why is this bad?
    /// After a compromise, download tools fetch the next stage of an attack, netcat and socat open
    /// reverse shells, an SSH server or sudo give persistence and escalation. AWS's ECS guidance:
    /// remove shells and tools an attacker would use, such as `nc` and `curl`.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12-slim
    /// RUN apt-get update && apt-get install -y curl netcat-openbsd
    /// ```
    /// Fix: fetch what the build needs in a builder stage, or remove the tools in the same RUN;
    /// use an HTTP client library or a dedicated binary for health checks.
    AttackerToolInstalled {
        id: "DF011",
        name: "attacker-tool-installed",
        severity: Medium,
        target: Dockerfile,
        references: {
            cis: ["4.3"],
            see_also: ["AWS ECS best practices (remove attacker tools)"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    let mut installs: Vec<Install> = Vec::new();
    for stage in dockerfile.target_chain() {
        for run in stage
            .instructions
            .iter()
            .filter(|i| i.keyword == Keyword::Run)
        {
            for command in run_commands(run) {
                let words = command.unwrapped();
                let Some(manager) = words.first().map(|w| super::support::base_name(w)) else {
                    continue;
                };
                let Some((_, install, remove)) = MANAGERS.iter().find(|(m, ..)| *m == manager)
                else {
                    continue;
                };
                let Some(position) = words
                    .iter()
                    .position(|w| !w.starts_with('-') && w != manager)
                else {
                    continue;
                };
                let subcommand = words[position].as_str();
                let mut group = None;
                let mut packages = Vec::new();
                let mut rest = words[position + 1..].iter();
                while let Some(word) = rest.next() {
                    if word == "--virtual" || word == "-t" {
                        group = rest.next().cloned();
                    } else if let Some(name) = word.strip_prefix("--virtual=") {
                        group = Some(name.to_string());
                    } else if !word.starts_with('-') {
                        packages.push(package_name(word).to_string());
                    }
                }
                if install.contains(&subcommand) {
                    for package in packages.into_iter().filter(|p| TOOLS.contains(&p.as_str())) {
                        installs.push(Install {
                            package,
                            group: group.clone(),
                            run,
                            stage: stage.label(),
                        });
                    }
                } else if remove.contains(&subcommand) {
                    installs.retain(|i| {
                        !packages.contains(&i.package)
                            && !i.group.as_ref().is_some_and(|g| packages.contains(g))
                    });
                }
            }
        }
    }
    for install in installs {
        out.finding(
            format!(
                "RUN in {} installs {}, which stays in the built image",
                install.stage, install.package
            ),
            location(dockerfile, install.run),
        )
        .with_evidence("package", install.package);
    }
}
