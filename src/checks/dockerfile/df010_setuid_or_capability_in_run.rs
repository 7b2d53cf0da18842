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
    for stage in dockerfile.target_chain() {
        for run in runs(stage) {
            for command in run_commands(run) {
                let words = command.unwrapped();
                let Some(program) = words.first().map(|w| super::support::base_name(w)) else {
                    continue;
                };
                let what = match program {
                    "chmod" => words[1..]
                        .iter()
                        .find(|w| !w.starts_with('-') && adds_set_id(w))
                        .map(|mode| format!("chmod {mode} adds a setuid/setgid bit")),
                    "install" => words
                        .windows(2)
                        .find(|pair| pair[0] == "-m" && adds_set_id(&pair[1]))
                        .map(|pair| format!("install -m {} adds a setuid/setgid bit", pair[1])),
                    "setcap" if !words.iter().any(|w| w == "-r") => {
                        Some("setcap gives a file capabilities".to_string())
                    }
                    _ => None,
                };
                if let Some(what) = what {
                    out.finding(
                        format!("RUN in {}: {what}", stage.label()),
                        location(dockerfile, run),
                    )
                    .with_evidence("command", words.join(" "));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::adds_set_id;

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
