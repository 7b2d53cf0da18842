//! The `harden` command line: thin over the library. `args` holds clap's types and how flags pair,
//! `scan` runs a scan and writes its reports, `rules` renders the check reference.

mod args;
mod fix;
mod many;
mod rules;
mod scan;

use std::io::Write;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use harden::checks;

use args::{FixArgs, RulesFormat, indexed, pair_destinations};
use many::ScanCommand;

/// Exit code: no finding at or above --fail-on.
pub(crate) const EXIT_CLEAN: i32 = 0;
/// Exit code: at least one finding at or above --fail-on.
pub(crate) const EXIT_FINDINGS: i32 = 1;
/// Exit code: usage or input error.
pub(crate) const EXIT_ERROR: i32 = 2;

#[derive(Parser)]
#[command(
    name = "harden",
    version,
    about = "Is this container safe to run? One hardening report for the image, its Dockerfile and its ECS task definition."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan an image, a Dockerfile and/or ECS task definitions (`--task-def`).
    Scan(Box<ScanCommand>),
    /// Fix what can be fixed: print a unified diff of the task definitions and Dockerfile
    /// (`--write` edits them in place, `--output-dir` writes elsewhere).
    Fix(Box<FixArgs>),
    /// List every check.
    Rules {
        #[arg(long, value_enum, default_value = "table")]
        format: RulesFormat,
    },
    /// Print one check's documentation.
    Explain {
        /// A check ID (IM001, ECS.5) or name (root-user).
        id: String,
    },
    /// Print a shell completion script: `harden completions bash > /etc/bash_completion.d/harden`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `harden man > /usr/local/share/man/man1/harden.1`.
    Man,
    /// List every bound on untrusted input, its default and what it bounds (`--limit NAME=VALUE`
    /// or `[limits]` in harden.toml raises one).
    Limits,
}

pub fn main() -> i32 {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            let code = if error.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_CLEAN
            };
            let _ = error.print();
            return code;
        }
    };
    match run(cli, &matches) {
        Ok(code) => code,
        Err(error) => {
            // Errors quote their inputs (tags, member names, stage names, registry bodies): one
            // sanitizer here, on the whole chain, whatever the source forgot.
            eprintln!(
                "harden: error: {}",
                harden::excerpt::for_terminal(&format!("{error:#}"))
            );
            EXIT_ERROR
        }
    }
}

fn run(cli: Cli, matches: &ArgMatches) -> anyhow::Result<i32> {
    match cli.command {
        Command::Scan(args) => {
            let scan_matches = matches
                .subcommand_matches("scan")
                .expect("the scan subcommand was parsed");
            let destinations = match pair_destinations(
                &indexed(scan_matches, "format"),
                &indexed(scan_matches, "output"),
            ) {
                Ok(destinations) => destinations,
                Err(message) => {
                    eprintln!("harden: error: {}", harden::excerpt::for_terminal(&message));
                    return Ok(EXIT_ERROR);
                }
            };
            let ScanCommand { scan, many } = *args;
            if many.applies(&scan) {
                many::scan_many_command(scan, many, &destinations)
            } else {
                scan::scan_command(scan, &destinations)
            }
        }
        Command::Fix(args) => fix::fix_command(*args),
        Command::Rules { format } => {
            print_stdout(&rules::rules(format))?;
            Ok(EXIT_CLEAN)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "harden", &mut script);
            print_stdout(&String::from_utf8_lossy(&script))?;
            Ok(EXIT_CLEAN)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page)?;
            print_stdout(&String::from_utf8_lossy(&page))?;
            Ok(EXIT_CLEAN)
        }
        Command::Limits => {
            print_stdout(&harden::limits::table())?;
            Ok(EXIT_CLEAN)
        }
        Command::Explain { id } => match checks::find(&id) {
            Some(check) => {
                print_stdout(&rules::explain(check))?;
                Ok(EXIT_CLEAN)
            }
            None => {
                eprintln!(
                    "harden: error: no check has the ID or name {id:?}; `harden rules` lists them"
                );
                Ok(EXIT_ERROR)
            }
        },
    }
}

/// Writes to stdout, treating a closed pipe (`harden rules | head`) as success.
pub(crate) fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
