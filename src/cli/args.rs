//! The `scan` arguments (clap's types) and how repeated `--format`/`--output` flags pair up.

use std::path::PathBuf;

use clap::{ArgMatches, ValueEnum};
use harden::findings::Severity;
use harden::report::{FailOn, Format};

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum RulesFormat {
    Table,
    Json,
    Markdown,
}

#[derive(clap::Args)]
pub(crate) struct ScanArgs {
    /// The image: a `docker save` tarball (plain or gzip), an OCI layout directory or archive,
    /// `-` for standard input, or `docker-archive:PATH[:ref]`, `oci:DIR[:ref]`, `oci-archive:PATH[:ref]`,
    /// or `docker://REF` to pull it from a registry (`docker://nginx:1.27`). `harden scan` takes
    /// several (each reported on its own; see --images-from); `harden fix` one.
    #[arg(value_name = "IMAGE")]
    pub(crate) images: Vec<String>,
    /// Platform to pick from a multi-platform image, `os/arch[/variant]` (default linux/amd64, or the only one).
    #[arg(long)]
    pub(crate) platform: Option<String>,
    /// Report format: text, json, jsonl, sarif, asff, junit, markdown or cyclonedx. Repeatable: each --output takes the nearest
    /// --format before it that no other --output took; a format left without an output goes to
    /// standard output (at most one may).
    #[arg(long, short = 'f', value_enum, action = clap::ArgAction::Append)]
    pub(crate) format: Vec<Format>,
    /// Write a report to this file (`-`: standard output). Repeatable. With no --format before
    /// it, the format comes from the file name: .sarif, .sarif.json, .asff, .asff.json, .xml
    /// (JUnit), .json, .jsonl, .txt, .md.
    #[arg(long, short = 'o', action = clap::ArgAction::Append)]
    pub(crate) output: Vec<PathBuf>,
    /// Exit 1 when an unsuppressed finding is at or above this severity: info, low, medium, high,
    /// critical, or never. Default: the config's `fail-on`, else high.
    #[arg(long, env = "HARDEN_FAIL_ON", value_parser = FailOn::parse)]
    pub(crate) fail_on: Option<FailOn>,
    /// Show only findings at or above this severity (info, low, medium, high, critical). What is
    /// shown only: the gate is --fail-on.
    #[arg(long, env = "HARDEN_SEVERITY", value_name = "LEVEL", value_parser = parse_severity)]
    pub(crate) severity: Option<Severity>,
    /// What the image is for: app (default) or base-image (checks that only matter for the
    /// final application image, root user and missing HEALTHCHECK, at most info; the text report
    /// lists the OS with its end of life and every package). Default: the config's `profile`.
    #[arg(long, env = "HARDEN_PROFILE", value_enum)]
    pub(crate) profile: Option<harden::policy::profile::Profile>,
    /// Report only these checks: an ID (DF001), a name (root-user) or a family (DF, IM, ECS, TD,
    /// XC, EX, HD). Repeatable or comma-separated.
    #[arg(long, env = "HARDEN_ONLY", value_name = "ID", value_delimiter = ',')]
    pub(crate) only: Vec<String>,
    /// Leave out these checks (ID, name or family, as --only): they neither show nor fail the run.
    /// Repeatable or comma-separated.
    #[arg(long, env = "HARDEN_SKIP", value_name = "ID", value_delimiter = ',')]
    pub(crate) skip: Vec<String>,
    /// Report and gate only findings not recorded in this baseline file (see --write-baseline),
    /// and say how many recorded ones are gone.
    #[arg(long, env = "HARDEN_BASELINE", value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Record every finding of this run in a baseline file, for --baseline.
    #[arg(long, value_name = "FILE")]
    pub(crate) write_baseline: Option<PathBuf>,
    /// Print nothing on standard error but errors: no gate line, notes or progress bars.
    #[arg(long, short = 'q', env = "HARDEN_QUIET", value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) quiet: bool,
    /// The policy file (severity overrides, ignores). Default: harden.toml or .harden.toml in the
    /// current directory or the nearest parent, up to the repository root (a directory with .git).
    #[arg(long, env = "HARDEN_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// AWS account ID written into ASFF findings (default 000000000000, a placeholder).
    #[arg(long, value_parser = parse_account_id)]
    pub(crate) aws_account_id: Option<String>,
    /// AWS Region written into ASFF findings (default us-east-1).
    #[arg(long, value_parser = parse_region)]
    pub(crate) aws_region: Option<String>,
    /// Never draw progress bars.
    #[arg(long)]
    pub(crate) no_progress: bool,
    /// A Dockerfile to analyse, alone or beside the image (`-`: standard input). Repeatable: each
    /// is reported on its own; the first is the one matched with the image. With several images,
    /// each goes with the image whose build history matches it.
    #[arg(long, value_name = "PATH")]
    pub(crate) dockerfile: Vec<PathBuf>,
    /// The Dockerfile stage that is built (default: the last stage).
    #[arg(long, value_name = "STAGE", requires = "dockerfile")]
    pub(crate) target: Option<String>,
    /// A build argument, `KEY=VALUE` (or `KEY` to take the value from the environment, as
    /// `docker build` does). Repeatable.
    #[arg(long = "build-arg", value_name = "KEY=VALUE", requires = "dockerfile")]
    pub(crate) build_args: Vec<String>,
    /// The Dockerfile's build context directory (default: the Dockerfile's directory), where
    /// `.dockerignore` is looked for.
    #[arg(long, value_name = "DIR", requires = "dockerfile")]
    pub(crate) context: Option<PathBuf>,
    /// Reach this registry (`host[:port]`, as in the image reference) over plain HTTP instead of
    /// TLS. Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub(crate) insecure_registries: Vec<String>,
    /// Trust the CA certificates in this PEM file for registry TLS instead of the public roots
    /// (a registry behind a private CA; as curl's --cacert). Repeatable.
    #[arg(long = "registry-ca", value_name = "PEM_FILE")]
    pub(crate) registry_ca: Vec<PathBuf>,
    /// Seconds to wait for a registry's TCP connection and TLS handshake (default 30).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub(crate) registry_connect_timeout: Option<std::time::Duration>,
    /// Seconds a registry may stay silent while sending a reply (default 60).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub(crate) registry_read_timeout: Option<std::time::Duration>,
    /// Seconds one registry request may take in all, the body included (default 1800): a
    /// registry sending a byte a second is cut off here.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub(crate) registry_timeout: Option<std::time::Duration>,
    /// User name for the image's registry (`docker://` images); the password is read from
    /// standard input with --password-stdin.
    #[arg(long, requires = "password_stdin")]
    pub(crate) username: Option<String>,
    /// Read the registry password (or token) for --username from standard input.
    #[arg(long, requires = "username")]
    pub(crate) password_stdin: bool,
    /// An ECS task definition to check (repeatable): register-task-definition input or the deploy
    /// Action's task-definition.json (JSON/YAML), describe-task-definition output, a
    /// CloudFormation/CDK template, `terraform show -json` output, or a directory of them.
    #[arg(long = "task-def", value_name = "FILE_OR_DIR")]
    pub(crate) task_def: Vec<PathBuf>,
    /// The container definition that runs the scanned image (default: the one whose `image`
    /// names it, or the only one).
    #[arg(long, value_name = "NAME", requires = "task_def")]
    pub(crate) container: Option<String>,
    /// Tag keys every ECS service, cluster and task definition must carry (ECS.13-15
    /// requiredTagKeys), comma-separated. Default: any tag key.
    #[arg(long, value_delimiter = ',', value_name = "KEY,...")]
    pub(crate) required_tags: Vec<String>,
    /// Evaluate every task-definition revision given, also INACTIVE and older ACTIVE ones (Security
    /// Hub evaluates only the latest ACTIVE revision of each family).
    #[arg(long)]
    pub(crate) evaluate_inactive: bool,
    /// A vulnerability scanner's report on the image (repeatable): trivy JSON (`trivy image -f
    /// json`), grype JSON (`grype -o json`) or `aws ecr describe-image-scan-findings` output. It
    /// must be for the scanned image (checked by digest; with several images, each report goes
    /// with the image whose digest it names); its vulnerable packages are reported
    /// at the layer that installed them (IM015) and joined with the task definition (XC009, EX001).
    #[arg(long = "vulns", value_name = "FILE")]
    pub(crate) vulns: Vec<PathBuf>,
    /// Raise or lower a bound on untrusted input (repeatable), e.g. `--limit layer-bytes=128GiB`.
    /// `harden limits` lists every limit with its default.
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    pub(crate) limits: Vec<String>,
    /// Keep decoded layers here, so a layer scanned before is not read again (default:
    /// $XDG_CACHE_HOME/harden or ~/.cache/harden).
    #[arg(long, env = "HARDEN_CACHE_DIR", value_name = "DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// Read and verify every layer; neither read nor write the layer cache.
    #[arg(long, env = "HARDEN_NO_CACHE", value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) no_cache: bool,
    /// The most the layer cache may hold (least recently used layers go first), e.g. 10GiB.
    #[arg(long, env = "HARDEN_CACHE_MAX_SIZE", value_name = "SIZE", value_parser = parse_size)]
    pub(crate) cache_max_size: Option<u64>,
}

fn parse_size(text: &str) -> Result<u64, String> {
    harden::limits::parse_quantity(text)
        .ok_or_else(|| format!("expected a size such as 2GiB or 500MiB, not {text:?}"))
}

#[derive(clap::Args)]
pub(crate) struct FixArgs {
    #[command(flatten)]
    pub(crate) scan: ScanArgs,
    /// Edit the input files in place (default: print a unified diff and touch nothing).
    #[arg(long, conflicts_with = "output_dir")]
    pub(crate) write: bool,
    /// Write the fixed files under this directory (at their paths as given) instead of printing
    /// a diff; the inputs stay as they are.
    #[arg(long, value_name = "DIR")]
    pub(crate) output_dir: Option<PathBuf>,
    /// Also apply fixes that need review (they change behaviour: a user chosen for an image that
    /// has none, read-only root filesystem, capabilities dropped, awsvpc).
    #[arg(long)]
    pub(crate) unsafe_fixes: bool,
    /// The CloudWatch Logs group for the `awslogs` logConfiguration ECS.9 asks for (default:
    /// `[fix] log-group` in harden.toml).
    #[arg(long, value_name = "NAME")]
    pub(crate) log_group: Option<String>,
    /// The Region of --log-group (default: `[fix] region` in harden.toml).
    #[arg(long, value_parser = parse_region)]
    pub(crate) region: Option<String>,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::parse(text)
        .ok_or_else(|| format!("expected info, low, medium, high or critical, not {text:?}"))
}

fn parse_seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds.is_finite() && seconds < 1e9 => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err(format!("expected a number of seconds, not {text:?}")),
    }
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
pub(crate) struct Destination {
    pub(crate) format: Format,
    pub(crate) file: Option<PathBuf>,
}

/// Pairs `--format` and `--output` flags by their order on the command line (see `ScanArgs`).
pub(crate) fn pair_destinations(
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
                // `-o -` is standard output, as in most CLIs.
                let file = (file.as_os_str() != "-").then(|| file.clone());
                destinations.push(Destination { format, file });
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
    let to_stdout: Vec<&str> = destinations
        .iter()
        .filter(|d| d.file.is_none())
        .map(|d| d.format.as_str())
        .collect();
    if to_stdout.len() > 1 {
        return Err(format!(
            "only one report can go to standard output, but {} would (`-o -` or no --output)",
            to_stdout.join(", ")
        ));
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
pub(crate) fn indexed<T: Clone + Send + Sync + 'static>(
    matches: &ArgMatches,
    id: &str,
) -> Vec<(usize, T)> {
    match (matches.indices_of(id), matches.get_many::<T>(id)) {
        (Some(indices), Some(values)) => indices.zip(values.cloned()).collect(),
        _ => Vec::new(),
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
    fn dash_is_standard_output_and_only_one_report_may_go_there() {
        assert_eq!(
            pair(&[(1, Format::Sarif)], &[(2, "-")]).unwrap(),
            [to(Format::Sarif, None)]
        );
        assert!(pair(&[(1, Format::Sarif), (3, Format::Json)], &[(2, "-")]).is_err());
        assert!(
            pair(
                &[(1, Format::Sarif), (3, Format::Json)],
                &[(2, "-"), (4, "-")]
            )
            .is_err()
        );
    }

    #[test]
    fn ambiguous_pairings_are_errors() {
        assert!(pair(&[], &[(1, "report.out")]).is_err());
        assert!(pair(&[(1, Format::Json), (2, Format::Sarif)], &[]).is_err());
    }
}
