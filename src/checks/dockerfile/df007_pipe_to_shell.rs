//! DF007 pipe-to-shell: a RUN pipes a download (`curl`, `wget`) into a shell or interpreter.

use super::support::{Command, location, run_commands, runs};
use crate::checks::Emitter;
use crate::model::dockerfile::Dockerfile;

const DOWNLOADERS: &[&str] = &["curl", "wget", "fetch"];
const INTERPRETERS: &[&str] = &[
    "sh", "bash", "ash", "dash", "zsh", "ksh", "python", "python3", "perl", "ruby", "node", "php",
];

crate::declare_check! {
    /// ## What it does
    /// Reports RUN instructions (any stage, heredoc scripts and `sh -c` exec forms included) that
    /// pipe `curl`/`wget` output into a shell or interpreter (`curl ... | sh`, `wget -O- ... |
    /// sudo bash`, `... | python3 -`), or run a shell on a download's output
    /// (`sh -c "$(curl ...)"`, `bash <(curl ...)`).
    ///
    /// ## Why is this bad?
    /// The script is executed as it is served at build time, with no integrity check, by the
    /// build's user (often root). A compromised or hijacked server owns the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSL https://example.com/install.sh | sh
    /// ```
    /// Fix: download to a file, verify its checksum or signature, then run it:
    /// `ADD --checksum=sha256:<digest> https://example.com/install.sh /tmp/` and `RUN sh /tmp/install.sh`.
    PipeToShell {
        id: "DF007",
        name: "pipe-to-shell",
        severity: High,
        target: Dockerfile,
        references: {
            cis: ["4.2 / 4.3"],
            see_also: ["hadolint DL4006 (only asks for `pipefail`)", "semgrep `curl-pipe-bash`"],
        },
        run: check,
    }
}

fn is_downloader(command: &Command) -> bool {
    command
        .unwrapped_program()
        .is_some_and(|p| DOWNLOADERS.contains(&p))
}

fn is_interpreter(command: &Command) -> bool {
    command
        .unwrapped_program()
        .is_some_and(|p| INTERPRETERS.contains(&p))
}

fn check(dockerfile: &Dockerfile, out: &mut Emitter) {
    for stage in &dockerfile.stages {
        for run in runs(stage) {
            let commands = run_commands(run);
            let mut found = None;
            for (index, command) in commands.iter().enumerate() {
                if !is_interpreter(command) {
                    continue;
                }
                let program = command.unwrapped_program().unwrap_or_default();
                // A pipeline `download | ... | interpreter`: walk back through the pipe.
                let mut upstream = index;
                while upstream > 0 && commands[upstream].piped {
                    upstream -= 1;
                    if is_downloader(&commands[upstream]) {
                        found = Some(format!("pipes a download into {program}"));
                    }
                }
                // `sh -c "$(curl ...)"` (one quoted word), and unquoted `bash <(curl ...)` /
                // `sh -c $(curl ...)`, which the splitter ends at `(`.
                let substituted = command.words.iter().any(|w| {
                    DOWNLOADERS
                        .iter()
                        .any(|d| w.contains(&format!("$({d} ")) || w.contains(&format!("`{d} ")))
                });
                let process_substituted = command
                    .words
                    .last()
                    .is_some_and(|w| w.ends_with('$') || w.ends_with('<'))
                    && commands.get(index + 1).is_some_and(is_downloader);
                if substituted || process_substituted {
                    found = Some(format!("runs {program} on a download's output"));
                }
                if found.is_some() {
                    break;
                }
            }
            if let Some(what) = found {
                out.finding(
                    format!("RUN in {} {what} without checking it", stage.label()),
                    location(dockerfile, run),
                );
            }
        }
    }
}
