//! Argument parsing and exit codes. Thin: everything else is in the library.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use harden::checks;
use harden::config::Config;
use harden::load::registry::{Credential, CredentialStore, RegistrySettings, Secret};
use harden::report::{AwsTarget, FailOn, Format, RenderOptions};
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
    /// Report format: text, json, sarif, asff or junit. Repeatable: each --output takes the nearest
    /// --format before it that no other --output took; a format left without an output goes to
    /// standard output (at most one may).
    #[arg(long, short = 'f', value_enum, action = clap::ArgAction::Append)]
    format: Vec<Format>,
    /// Write a report to this file. Repeatable. With no --format before it, the format comes from
    /// the file name: .sarif, .sarif.json, .asff, .asff.json, .xml (JUnit), .json, .txt.
    #[arg(long, short = 'o', action = clap::ArgAction::Append)]
    output: Vec<PathBuf>,
    /// Exit 1 when an unsuppressed finding is at or above this severity: info, low, medium, high,
    /// critical, or never. Default: the config's `fail-on`, else high.
    #[arg(long, value_parser = FailOn::parse)]
    fail_on: Option<FailOn>,
    /// The policy file (severity overrides, ignores). Default: ./harden.toml when it exists.
    #[arg(long)]
    config: Option<PathBuf>,
    /// AWS account ID written into ASFF findings (default 000000000000, a placeholder).
    #[arg(long, value_parser = parse_account_id)]
    aws_account_id: Option<String>,
    /// AWS Region written into ASFF findings (default us-east-1).
    #[arg(long, value_parser = parse_region)]
    aws_region: Option<String>,
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
    /// Trust the CA certificates in this PEM file for registry TLS instead of the public roots
    /// (a registry behind a private CA; as curl's --cacert). Repeatable.
    #[arg(long = "registry-ca", value_name = "PEM_FILE")]
    registry_ca: Vec<PathBuf>,
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
    /// The container definition that runs the scanned image (default: the one whose `image`
    /// names it, or the only one).
    #[arg(long, value_name = "NAME", requires = "task_def")]
    container: Option<String>,
    /// Tag keys every ECS service, cluster and task definition must carry (ECS.13-15
    /// requiredTagKeys), comma-separated. Default: any tag key.
    #[arg(long, value_delimiter = ',', value_name = "KEY,...")]
    required_tags: Vec<String>,
    /// Evaluate every task-definition revision given, also INACTIVE and older ACTIVE ones (Security
    /// Hub evaluates only the latest ACTIVE revision of each family).
    #[arg(long)]
    evaluate_inactive: bool,
    /// Raise or lower a bound on untrusted input (repeatable), e.g. `--limit layer-bytes=128GiB`.
    /// `harden limits` lists every limit with its default.
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    limits: Vec<String>,
}

fn parse_account_id(text: &str) -> Result<String, String> {
    if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(format!("an AWS account ID is 12 digits, not {text:?}"))
    }
}

fn parse_region(text: &str) -> Result<String, String> {
    let well_formed = text.split('-').count() >= 3
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if well_formed {
        Ok(text.to_string())
    } else {
        Err(format!(
            "expected an AWS Region such as us-east-1, not {text:?}"
        ))
    }
}

/// One report to write: a format and a file, or standard output.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Destination {
    format: Format,
    file: Option<PathBuf>,
}

/// Pairs `--format` and `--output` flags by their order on the command line (see `ScanArgs`).
fn pair_destinations(
    formats: &[(usize, Format)],
    outputs: &[(usize, PathBuf)],
) -> Result<Vec<Destination>, String> {
    enum Flag<'a> {
        Format(Format),
        Output(&'a PathBuf),
    }
    let mut flags: Vec<(usize, Flag)> = formats
        .iter()
        .map(|(i, f)| (*i, Flag::Format(*f)))
        .chain(outputs.iter().map(|(i, o)| (*i, Flag::Output(o))))
        .collect();
    flags.sort_by_key(|(index, _)| *index);
    let mut pending: Vec<Format> = Vec::new();
    let mut destinations = Vec::new();
    for (_, flag) in flags {
        match flag {
            Flag::Format(format) => pending.push(format),
            Flag::Output(file) => {
                let format = match pending.pop() {
                    Some(format) => format,
                    None => Format::from_file_name(file).ok_or_else(|| {
                        format!(
                            "cannot tell the format of {} from its name: put --format before --output",
                            file.display()
                        )
                    })?,
                };
                destinations.push(Destination {
                    format,
                    file: Some(file.clone()),
                });
            }
        }
    }
    if pending.len() > 1 {
        let names: Vec<&str> = pending.iter().map(|f| f.as_str()).collect();
        return Err(format!(
            "only one report can go to standard output, but {} have no --output",
            names.join(", ")
        ));
    }
    if let Some(format) = pending.pop() {
        destinations.push(Destination { format, file: None });
    }
    if destinations.is_empty() {
        destinations.push(Destination {
            format: Format::Text,
            file: None,
        });
    }
    Ok(destinations)
}

/// The values of a repeatable flag with their positions on the command line.
fn indexed<T: Clone + Send + Sync + 'static>(matches: &ArgMatches, id: &str) -> Vec<(usize, T)> {
    match (matches.indices_of(id), matches.get_many::<T>(id)) {
        (Some(indices), Some(values)) => indices.zip(values.cloned()).collect(),
        _ => Vec::new(),
    }
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
            scan_command(*args, &destinations)
        }
        Command::Rules { format } => {
            print_stdout(&rules(format))?;
            Ok(EXIT_CLEAN)
        }
        Command::Explain { id } => match checks::find(&id) {
            Some(check) => {
                print_stdout(&explain(check))?;
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

/// The " · honours `# hadolint ignore=DL3002`" suffix for a check with hadolint equivalents.
fn hadolint_note(check: &checks::Check) -> String {
    let hadolint = check.hadolint_equivalents();
    if hadolint.is_empty() {
        String::new()
    } else {
        format!(" · honours `# hadolint ignore={}`", hadolint.join(","))
    }
}

/// `harden explain ID`: a header line, the facts, then the check's documentation.
fn explain(check: &checks::Check) -> String {
    let mut facts = format!(
        "severity: {} · target: {}",
        check.severity,
        check.target.as_str()
    );
    facts.push_str(&hadolint_note(check));
    format!(
        "{} {}\n{facts}\n\n{}",
        check.id,
        check.name,
        check.documentation()
    )
}

fn scan_command(args: ScanArgs, destinations: &[Destination]) -> anyhow::Result<i32> {
    let config = Config::discover(args.config.as_deref())?;
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or_default();
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
            args.registry_ca,
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
        limits: {
            let mut limits = config.limits;
            for pair in &args.limits {
                limits.set_pair(pair)?;
            }
            limits
        },
        config,
        container: args.container,
    };
    let mut report = scan::scan(&request)?;

    let aws = AwsTarget {
        account_id: args
            .aws_account_id
            .unwrap_or_else(|| harden::report::DEFAULT_AWS_ACCOUNT_ID.to_string()),
        region: args
            .aws_region
            .unwrap_or_else(|| harden::report::DEFAULT_AWS_REGION.to_string()),
    };
    if destinations.iter().any(|d| d.format == Format::Asff)
        && aws.account_id == harden::report::DEFAULT_AWS_ACCOUNT_ID
    {
        report.notes.push(format!(
            "ASFF findings name the placeholder AWS account {} in {}: Security Hub accepts findings only for the importing account, so pass --aws-account-id (and --aws-region)",
            aws.account_id, aws.region
        ));
    }

    for destination in destinations {
        let to_terminal = destination.file.is_none() && std::io::stdout().is_terminal();
        let options = RenderOptions {
            color: to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            fail_on,
            aws: aws.clone(),
            working_dir: std::env::current_dir().ok(),
            ..RenderOptions::default()
        };
        let rendered = report.render_with(destination.format, &options);
        match &destination.file {
            Some(path) => std::fs::write(path, rendered).map_err(|e| {
                anyhow::anyhow!("cannot write the report to {}: {e}", path.display())
            })?,
            None => print_stdout(&rendered)?,
        }
    }
    Ok(if report.exit_code(fail_on) == 0 {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    })
}

/// Registry settings from the flags: insecure hosts, `--username` with the password read from
/// standard input (never from an argument, where `ps` would show it), and Docker's config file.
fn registry_settings(
    insecure_registries: Vec<String>,
    ca_files: Vec<PathBuf>,
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
            ca_files,
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
        ca_files,
        credentials: CredentialStore::from_environment(command_line)?,
        ..RegistrySettings::default()
    })
}

fn rules(format: RulesFormat) -> String {
    let checks = checks::all();
    match format {
        RulesFormat::Table => {
            let name_width = checks.iter().map(|c| c.name.len()).max().unwrap_or(4);
            let mut out = format!(
                "{:<8} {:<9} {:<11} {:<name_width$} {}\n",
                "ID", "SEVERITY", "TARGET", "NAME", "SUMMARY"
            );
            for check in checks {
                out.push_str(&format!(
                    "{:<8} {:<9} {:<11} {:<name_width$} {}\n",
                    check.id,
                    check.severity.as_str(),
                    check.target.as_str(),
                    check.name,
                    first_sentence(&check.summary())
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
                        "references": c.section("References").unwrap_or_default(),
                        "hadolint": c.hadolint_equivalents(),
                        "documentation": c.documentation(),
                    })
                })
                .collect();
            serde_json::to_string_pretty(&list).expect("serializes") + "\n"
        }
        RulesFormat::Markdown => {
            let mut out = String::from(
                "# harden rules\n\n<!-- Generated by `harden rules --format markdown`; do not edit. Regenerate with\n     `cargo run --quiet -- rules --format markdown > docs/rules.md`. -->\n\nEvery check harden runs, from the documentation in its source file. `harden explain ID` prints one.\nFamilies: `DF` Dockerfile, `IM` image, `ECS.n` the AWS Security Hub control of that number, `TD`\nother task-definition checks, `XC` cross-source, `HD` harden itself (ignores and config).\n\n| ID | Name | Severity | Target | Summary |\n|---|---|---|---|---|\n",
            );
            for check in &checks {
                out.push_str(&format!(
                    "| [{}](#{}) | `{}` | {} | {} | {} |\n",
                    check.id,
                    anchor(check.id),
                    check.name,
                    check.severity,
                    check.target.as_str(),
                    check.summary().replace('|', "\\|")
                ));
            }
            for check in &checks {
                let body = check.documentation().replace("\n## ", "\n#### ");
                let body = body
                    .strip_prefix("## ")
                    .map(|b| format!("#### {b}"))
                    .unwrap_or(body);
                let mut facts = format!(
                    "`{}` · severity {} · target {}",
                    check.name,
                    check.severity,
                    check.target.as_str()
                );
                facts.push_str(&hadolint_note(check));
                out.push_str(&format!("\n## {}\n\n{facts}\n\n{body}", check.id));
            }
            out
        }
    }
}

/// The summary's first sentence, for the one-line table (`harden explain` has the rest).
fn first_sentence(summary: &str) -> &str {
    match summary.find(". ") {
        Some(end) => &summary[..=end],
        None => summary,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(
        formats: &[(usize, Format)],
        outputs: &[(usize, &str)],
    ) -> Result<Vec<Destination>, String> {
        let outputs: Vec<(usize, PathBuf)> = outputs
            .iter()
            .map(|(i, o)| (*i, PathBuf::from(o)))
            .collect();
        pair_destinations(formats, &outputs)
    }

    fn to(format: Format, file: Option<&str>) -> Destination {
        Destination {
            format,
            file: file.map(PathBuf::from),
        }
    }

    #[test]
    fn formats_pair_with_the_next_output_in_order() {
        let got = pair(
            &[(1, Format::Sarif), (5, Format::Json)],
            &[(3, "a.out"), (7, "b.out")],
        );
        assert_eq!(
            got.unwrap(),
            [
                to(Format::Sarif, Some("a.out")),
                to(Format::Json, Some("b.out"))
            ]
        );
    }

    #[test]
    fn outputs_without_a_format_use_the_extension_and_a_lone_format_goes_to_stdout() {
        let got = pair(&[(5, Format::Junit)], &[(1, "r.sarif"), (3, "r.asff.json")]).unwrap();
        assert_eq!(
            got,
            [
                to(Format::Sarif, Some("r.sarif")),
                to(Format::Asff, Some("r.asff.json")),
                to(Format::Junit, None)
            ]
        );
        assert_eq!(pair(&[], &[]).unwrap(), [to(Format::Text, None)]);
        assert_eq!(
            pair(&[(1, Format::Json)], &[]).unwrap(),
            [to(Format::Json, None)]
        );
    }

    #[test]
    fn ambiguous_pairings_are_errors() {
        assert!(pair(&[], &[(1, "report.out")]).is_err());
        assert!(pair(&[(1, Format::Json), (2, Format::Sarif)], &[]).is_err());
    }
}
