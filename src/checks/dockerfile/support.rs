//! Shared by the Dockerfile checks: finding locations, and a light reading of RUN shell text into
//! simple commands (split on `;`, `&&`, `||`, `|`, `&`, newlines, parentheses), which is enough to
//! see which programs run with which arguments. It is not a shell: it never expands or executes.

use crate::findings::Location;
use crate::model::dockerfile::{Dockerfile, Instruction, Keyword, Stage};

/// The instruction's whole line range in the Dockerfile.
pub fn location(dockerfile: &Dockerfile, instruction: &Instruction) -> Location {
    Location::dockerfile(&dockerfile.path, instruction.lines)
}

/// One simple command of a shell script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Words with quotes removed, leading `VAR=value` assignments dropped.
    pub words: Vec<String>,
    /// The command reads the previous command's output through a single `|`.
    pub piped: bool,
}

impl Command {
    /// The program's base name (`/usr/bin/curl` → `curl`), after `sudo`/`env`/`exec`/... wrappers
    /// when `through_wrappers`.
    pub fn program(&self) -> Option<&str> {
        self.words.first().map(|w| base_name(w))
    }

    /// The words after wrappers like `sudo`, `env`, `exec`, `nohup`, `time`, `command`.
    pub fn unwrapped(&self) -> &[String] {
        let mut words = self.words.as_slice();
        while let Some(first) = words.first() {
            let name = base_name(first);
            if !matches!(
                name,
                "sudo" | "env" | "exec" | "nohup" | "time" | "command" | "doas"
            ) {
                break;
            }
            words = &words[1..];
            // Skip the wrapper's own options and env's assignments.
            while let Some(next) = words.first() {
                if next.starts_with('-') || (name == "env" && next.contains('=')) {
                    words = &words[1..];
                } else {
                    break;
                }
            }
        }
        words
    }

    /// The program after wrappers.
    pub fn unwrapped_program(&self) -> Option<&str> {
        self.unwrapped().first().map(|w| base_name(w))
    }
}

pub fn base_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Splits shell text into simple commands.
pub fn commands(text: &str) -> Vec<Command> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut piped_next = false;
    let mut piped = false;
    let mut chars = text.chars().peekable();
    let finish_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    let mut finish_command = |words: &mut Vec<String>, piped: bool| {
        let mut taken = std::mem::take(words);
        let assignments = taken.iter().take_while(|w| is_assignment(w)).count();
        taken.drain(..assignments);
        if !taken.is_empty() {
            commands.push(Command {
                words: taken,
                piped,
            });
        }
    };
    while let Some(ch) = chars.next() {
        match ch {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    word.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => {
                            if let Some(n) = chars.next() {
                                word.push(n);
                            }
                        }
                        _ => word.push(c),
                    }
                }
            }
            '\\' => {
                if let Some(n) = chars.next()
                    && n != '\n'
                {
                    word.push(n);
                    in_word = true;
                }
            }
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' => {
                finish_word(&mut words, &mut word, &mut in_word);
                finish_command(&mut words, piped);
                piped = false;
                if ch == '|' {
                    if chars.peek() == Some(&'|') {
                        chars.next();
                    } else {
                        piped_next = true;
                    }
                } else if ch == '&' && chars.peek() == Some(&'&') {
                    chars.next();
                }
                if piped_next {
                    piped = true;
                    piped_next = false;
                }
            }
            '#' if !in_word => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                finish_command(&mut words, piped);
                piped = false;
            }
            c if c.is_whitespace() => finish_word(&mut words, &mut word, &mut in_word),
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    finish_word(&mut words, &mut word, &mut in_word);
    finish_command(&mut words, piped);
    commands
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// Every RUN of a stage (including RUN wrapped in ONBUILD? no: ONBUILD runs in child builds).
pub fn runs(stage: &Stage) -> impl Iterator<Item = &Instruction> {
    stage
        .instructions
        .iter()
        .filter(|i| i.keyword == Keyword::Run)
}

/// The commands a RUN executes: its shell form or JSON form, and its heredoc scripts.
pub fn run_commands(run: &Instruction) -> Vec<Command> {
    if run.json {
        // Exec form: one command; `["sh", "-c", "script"]` runs the script.
        let mut found = vec![Command {
            words: run.arguments.clone(),
            piped: false,
        }];
        if let [shell, flag, script, ..] = run.arguments.as_slice()
            && matches!(base_name(shell), "sh" | "bash" | "ash" | "dash" | "zsh")
            && flag == "-c"
        {
            found.extend(commands(script));
        }
        return found;
    }
    commands(&run.command_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_pipelines_and_lists() {
        let found = commands(
            "A=1 curl -fsSL 'https://x' | sudo -E bash -s && echo \"a b\" || true; x\n# c\ny",
        );
        let words: Vec<_> = found.iter().map(|c| c.words.join(" ")).collect();
        assert_eq!(
            words,
            [
                "curl -fsSL https://x",
                "sudo -E bash -s",
                "echo a b",
                "true",
                "x",
                "y"
            ]
        );
        assert!(found[1].piped && !found[2].piped);
        assert_eq!(found[1].unwrapped_program(), Some("bash"));
    }
}
