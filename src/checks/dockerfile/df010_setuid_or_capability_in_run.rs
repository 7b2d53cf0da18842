//! DF010 setuid-or-capability-in-run: a RUN of the built chain sets setuid/setgid bits or file
//! capabilities.

use super::support::{location, run_commands, runs};
use crate::checks::Emitter;
use crate::model::dockerfile::Dockerfile;

/// Whether a chmod mode adds setuid or setgid: symbolic `u+s`, `g+s`, `+s`, `a=rwxs`, or an
/// octal mode of four or more digits whose special digit has the 4 or 2 bit (`4755`, `02755`).
pub fn adds_set_id(mode: &str) -> bool {
    if !mode.is_empty() && mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        if mode.len() < 4 {
            return false;
        }
        let special = mode.as_bytes()[mode.len() - 4] - b'0';
        return special & 0b110 != 0;
    }
    mode.split(',').any(|clause| {
        let Some(op) = clause.find(['+', '=']) else {
            return false;
        };
        clause[op + 1..].contains('s')
    })
}

crate::declare_check! {
    /// ## What it does
    /// Reports RUN instructions in the target stage and its stage ancestry (what ships) that add
    /// setuid or setgid bits (`chmod u+s`, `chmod g+s`, `chmod +s`, `chmod 4755`, `chmod 2755`,
    /// `install -m 4755`) or file capabilities (`setcap`, except `setcap -r`, which removes them).
    /// Also RUNs of a stage whose files a shipped stage takes with `COPY --from` (directly or
    /// through another copied stage), when the COPY's source paths may include the marked file:
    /// COPY keeps the mode bits (a file capability is an xattr, which COPY keeps too).
    ///
    /// ## Why is this bad?
    /// A setuid/setgid file runs with its owner's or group's rights: a privilege-escalation path
    /// for anything that gets code execution in the container. File capabilities grant kernel
    /// privileges the same way. AWS's ECS guidance is to remove setuid and setgid bits from images.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN chmod u+s /usr/local/bin/helper
    /// ```
    /// Fix: do not set the bit; grant the one capability at run time (`linuxParameters.capabilities.add`)
    /// if the process needs it.
    SetuidOrCapabilityInRun {
        id: "DF010",
        name: "setuid-or-capability-in-run",
        severity: High,
        target: Dockerfile,
        references: {
            cis: ["4.8"],
            dockle: ["CIS-DI-0008 (on the image)"],
            see_also: ["AWS ECS best practices (remove setuid/setgid)"],
        },
        run: check,
    }
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    let copied = dockerfile.copied_into_target();
    let stages = dockerfile.target_chain().map(|stage| (stage, None)).chain(
        copied
            .iter()
            .map(|(&index, how)| (&dockerfile.stages[index], Some(how))),
    );
    for (stage, copied) in stages {
        for run in runs(stage) {
            for command in run_commands(run) {
                let words = command.unwrapped();
                let Some(program) = words.first().map(|w| super::support::base_name(w)) else {
                    continue;
                };
                let what = match program {
                    "chmod" => words[1..]
                        .iter()
                        .position(|w| !w.starts_with('-') && adds_set_id(w))
                        .map(|at| {
                            (
                                format!("chmod {} adds a setuid/setgid bit", words[1 + at]),
                                &words[2 + at..],
                            )
                        }),
                    "install" => words
                        .windows(2)
                        .position(|pair| pair[0] == "-m" && adds_set_id(&pair[1]))
                        .map(|at| {
                            (
                                format!("install -m {} adds a setuid/setgid bit", words[at + 1]),
                                &words[at + 2..],
                            )
                        }),
                    "setcap" if !words.iter().any(|w| w == "-r") => {
                        Some(("setcap gives a file capabilities".to_string(), &words[1..]))
                    }
                    _ => None,
                };
                let Some((what, files)) = what else {
                    continue;
                };
                let message = match copied {
                    None => format!("RUN in {}: {what}", stage.label()),
                    Some(how) => {
                        if !may_copy(files, &how.sources) {
                            continue;
                        }
                        format!(
                            "RUN in {}: {what}, and COPY --from at line {} copies it into the image (COPY keeps the mode bits)",
                            stage.label(),
                            how.copy.start
                        )
                    }
                };
                out.finding(message, location(dockerfile, run))
                    .with_evidence("command", words.join(" "));
            }
        }
    }
}

/// Whether a COPY of `sources` may take one of `files` (the command's arguments after its mode):
/// a relative path or a glob cannot be ruled out; an absolute path is taken when a source is it,
/// one of its directories, or the root.
fn may_copy(files: &[String], sources: &[String]) -> bool {
    let absolute: Vec<&str> = files
        .iter()
        .map(String::as_str)
        .filter(|f| !f.starts_with('-'))
        .collect();
    if absolute.iter().any(|f| !f.starts_with('/')) {
        return true;
    }
    sources.iter().any(|source| {
        // `COPY --from` sources are paths from the stage's root, written with or without `/`.
        let mut source = source.as_str();
        while let Some(rest) = source
            .strip_prefix("./")
            .or_else(|| source.strip_prefix('/'))
        {
            source = rest;
        }
        if source == "." {
            source = "";
        }
        let source = format!("/{}", source.trim_end_matches('/'));
        let source = source.trim_end_matches('/');
        let plain: &str = source
            .find(['*', '?', '['])
            .map_or(source, |glob| &source[..glob]);
        let plain = plain.trim_end_matches('/');
        plain.is_empty()
            || absolute.iter().any(|file| {
                let file = file.trim_end_matches('/');
                file == plain
                    || file.starts_with(&format!("{plain}/"))
                    || (plain.len() < source.len() && file.starts_with(plain))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::{adds_set_id, may_copy};

    #[test]
    fn copied_paths() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(may_copy(&s(&["/app/bin/x"]), &s(&["/app"])));
        assert!(may_copy(&s(&["/app/bin/x"]), &s(&["/app/bin/*"])));
        assert!(may_copy(&s(&["/app/bin/x"]), &s(&["/"])));
        assert!(
            may_copy(&s(&["/app/bin/x"]), &s(&["app/bin"])),
            "from the stage's root"
        );
        assert!(may_copy(&s(&["/app/bin/x"]), &s(&["."])));
        assert!(
            may_copy(&s(&["x"]), &s(&["/other"])),
            "relative: cannot tell"
        );
        assert!(!may_copy(&s(&["/usr/bin/su"]), &s(&["/app"])));
        assert!(!may_copy(&s(&["/application"]), &s(&["/app"])));
        assert!(
            !may_copy(&s(&["/app/x"]), &[]),
            "a heredoc COPY copies no stage file"
        );
    }

    #[test]
    fn modes() {
        for mode in [
            "u+s", "g+s", "+s", "a=rwxs", "4755", "2755", "6755", "04755", "u+x,g+s",
        ] {
            assert!(adds_set_id(mode), "{mode}");
        }
        for mode in ["755", "0755", "a-s", "u-s", "+x", "1777", "01777", "go-w"] {
            assert!(!adds_set_id(mode), "{mode}");
        }
    }
}
