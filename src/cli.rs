//! Argument parsing and exit codes. Thin: everything else is in the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use harden::checks;
use harden::findings::Severity;
use harden::load::registry::{Credential, CredentialStore, RegistrySettings, Secret};
use harden::report::Format;
use harden::scan::{self, ScanRequest};

/// Exit code: no finding at or above --fail-on.
const EXIT_CLEAN: i32 = 0;
/// Exit code: at least one finding at or above --fail-on.
const EXIT_FINDINGS: i32 = 1;
/// Exit code: usage or input error.
const EXIT_ERROR: i32 = 2;

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
    Scan(Box<ScanArgs>),
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
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// The image: a `docker save` tarball (plain or gzip), an OCI layout directory or archive,
    /// `-` for standard input, or `docker-archive:PATH[:ref]`, `oci:DIR[:ref]`, `oci-archive:PATH[:ref]`,
    /// or `docker://REF` to pull it from a registry (`docker://nginx:1.27`).
    image: Option<String>,
    /// Platform to pick from a multi-platform image, `os/arch[/variant]` (default linux/amd64, or the only one).
    #[arg(long)]
    platform: Option<String>,
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity: info, low, medium, high, critical, or never.
    #[arg(long, default_value = "high", value_parser = parse_fail_on)]
    fail_on: FailOn,
    /// Never draw progress bars.
    #[arg(long)]
    no_progress: bool,
    /// A Dockerfile to analyse, alone or beside the image.
    #[arg(long, value_name = "PATH")]
    dockerfile: Option<PathBuf>,
    /// The Dockerfile stage that is built (default: the last stage).
    #[arg(long, value_name = "STAGE", requires = "dockerfile")]
    target: Option<String>,
    /// A build argument, `KEY=VALUE` (or `KEY` to take the value from the environment, as
    /// `docker build` does). Repeatable.
    #[arg(long = "build-arg", value_name = "KEY=VALUE", requires = "dockerfile")]
    build_args: Vec<String>,
    /// The Dockerfile's build context directory (default: the Dockerfile's directory), where
    /// `.dockerignore` is looked for.
    #[arg(long, value_name = "DIR", requires = "dockerfile")]
    context: Option<PathBuf>,
    /// Reach this registry (`host[:port]`, as in the image reference) over plain HTTP instead of
    /// TLS. Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    insecure_registries: Vec<String>,
    /// User name for the image's registry (`docker://` images); the password is read from
    /// standard input with --password-stdin.
    #[arg(long, requires = "password_stdin")]
    username: Option<String>,
    /// Read the registry password (or token) for --username from standard input.
    #[arg(long, requires = "username")]
    password_stdin: bool,
    /// An ECS task definition to check (repeatable): register-task-definition input or the deploy
    /// Action's task-definition.json (JSON/YAML), describe-task-definition output, a
    /// CloudFormation/CDK template, `terraform show -json` output, or a directory of them.
    #[arg(long = "task-def", value_name = "FILE_OR_DIR")]
    task_def: Vec<PathBuf>,
    /// Tag keys every ECS service, cluster and task definition must carry (ECS.13-15
    /// requiredTagKeys), comma-separated. Default: any tag key.
    #[arg(long, value_delimiter = ',', value_name = "KEY,...")]
    required_tags: Vec<String>,
    /// Evaluate every task-definition revision given, also INACTIVE and older ACTIVE ones (Security
    /// Hub evaluates only the latest ACTIVE revision of each family).
    #[arg(long)]
    evaluate_inactive: bool,
}

#[derive(Clone, Copy)]
enum FailOn {
    Never,
    AtLeast(Severity),
}

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    if text.eq_ignore_ascii_case("never") {
        return Ok(FailOn::Never);
    }
    Severity::parse(text)
        .map(FailOn::AtLeast)
        .ok_or_else(|| format!("expected info, low, medium, high, critical or never, not {text:?}"))
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
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
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("harden: error: {error:#}");
            EXIT_ERROR
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Scan(args) => scan_command(*args),
        Command::Rules { format } => {
            print_stdout(&rules(format))?;
            Ok(EXIT_CLEAN)
        }
        Command::Explain { id } => match checks::find(&id) {
            Some(check) => {
                print_stdout(&format!(
                    "{} {} ({}, {:?})\n\n{}",
                    check.id,
                    check.name,
                    check.severity,
                    check.target,
                    check.documentation()
                ))?;
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

fn scan_command(args: ScanArgs) -> anyhow::Result<i32> {
    let request_reads_stdin = args.image.as_deref() == Some("-");
    let from_registry = args
        .image
        .as_deref()
        .is_some_and(|image| image.starts_with(harden::load::registry::TRANSPORT_PREFIX));
    let request = ScanRequest {
        image: args.image,
        platform: args.platform,
        progress: !args.no_progress && std::io::stderr().is_terminal(),
        dockerfile: args.dockerfile,
        target: args.target,
        build_args: args
            .build_args
            .iter()
            .map(|arg| match arg.split_once('=') {
                Some((key, value)) => (key.to_string(), value.to_string()),
                None => (arg.clone(), std::env::var(arg).unwrap_or_default()),
            })
            .collect(),
        context: args.context,
        registry: registry_settings(
            args.insecure_registries,
            args.username,
            args.password_stdin,
            request_reads_stdin,
            from_registry,
        )?,
        task_definitions: args.task_def,
        required_tags: args
            .required_tags
            .into_iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect(),
        evaluate_inactive: args.evaluate_inactive,
    };
    let report = scan::scan(&request)?;
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let rendered = report.render(args.format, color);
    match &args.output {
        Some(path) => std::fs::write(path, rendered)
            .map_err(|e| anyhow::anyhow!("cannot write the report to {}: {e}", path.display()))?,
        None => print_stdout(&rendered)?,
    }
    let failing = match args.fail_on {
        FailOn::Never => false,
        FailOn::AtLeast(threshold) => report.worst().is_some_and(|worst| worst >= threshold),
    };
    Ok(if failing { EXIT_FINDINGS } else { EXIT_CLEAN })
}

/// Registry settings from the flags: insecure hosts, `--username` with the password read from
/// standard input (never from an argument, where `ps` would show it), and Docker's config file.
fn registry_settings(
    insecure_registries: Vec<String>,
    username: Option<String>,
    password_stdin: bool,
    image_from_stdin: bool,
    from_registry: bool,
) -> anyhow::Result<RegistrySettings> {
    if !from_registry {
        // Docker's config file is only read for docker:// images: a broken one must not break
        // the scan of an archive.
        if username.is_some() {
            anyhow::bail!("--username and --password-stdin apply to docker:// images only");
        }
        return Ok(RegistrySettings {
            insecure_hosts: insecure_registries,
            ..RegistrySettings::default()
        });
    }
    let command_line = match (username, password_stdin) {
        (Some(username), true) => {
            if image_from_stdin {
                anyhow::bail!(
                    "--password-stdin and an image read from standard input (`-`) cannot share it"
                );
            }
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).map_err(|e| {
                anyhow::anyhow!("cannot read the password from standard input: {e}")
            })?;
            let password = password.trim_end_matches(['\n', '\r']);
            if password.is_empty() {
                anyhow::bail!("--password-stdin: standard input held no password");
            }
            Some(Credential::Basic {
                username,
                password: Secret::new(password),
            })
        }
        _ => None,
    };
    Ok(RegistrySettings {
        insecure_hosts: insecure_registries,
        credentials: CredentialStore::from_environment(command_line)?,
        ..RegistrySettings::default()
    })
}

fn rules(format: RulesFormat) -> String {
    let checks = checks::all();
    match format {
        RulesFormat::Table => {
            let mut out = String::new();
            for check in checks {
                out.push_str(&format!(
                    "{:<8} {:<9} {:<34} {}\n",
                    check.id,
                    check.severity.as_str(),
                    check.name,
                    check.summary()
                ));
            }
            out
        }
        RulesFormat::Json => {
            let list: Vec<serde_json::Value> = checks
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.id,
                        "name": c.name,
                        "severity": c.severity,
                        "target": c.target,
                        "summary": c.summary(),
                        "documentation": c.documentation(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&list).expect("serializes") + "\n"
        }
        RulesFormat::Markdown => {
            let mut out = String::from(
                "# harden rules\n\nGenerated by `harden rules --format markdown`.\n\n| ID | Name | Severity | Summary |\n|---|---|---|---|\n",
            );
            for check in &checks {
                out.push_str(&format!(
                    "| [{}](#{}) | {} | {} | {} |\n",
                    check.id,
                    anchor(check.id),
                    check.name,
                    check.severity,
                    check.summary().replace('|', "\\|")
                ));
            }
            for check in &checks {
                let body = check.documentation().replace("\n## ", "\n#### ");
                let body = body
                    .strip_prefix("## ")
                    .map(|b| format!("#### {b}"))
                    .unwrap_or(body);
                out.push_str(&format!(
                    "\n## {}\n\n`{}` · {} · {:?}\n\n{}",
                    check.id, check.name, check.severity, check.target, body
                ));
            }
            out
        }
    }
}

fn anchor(id: &str) -> String {
    id.to_lowercase().replace('.', "")
}

/// Writes to stdout, treating a closed pipe (`harden rules | head`) as success.
fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
