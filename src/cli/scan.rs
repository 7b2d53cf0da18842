//! `harden scan`: builds the request from the arguments, runs the library's scan, writes every
//! report and maps the gate to the exit code.

use std::io::IsTerminal;
use std::path::PathBuf;

use harden::load::image::cache::{self, LayerCache};
use harden::load::image::registry::{Credential, CredentialStore, RegistrySettings, Secret};
use harden::policy::baseline::Baseline;
use harden::policy::config::Config;
use harden::policy::select::Selection;
use harden::report::{AwsTarget, Format, RenderOptions};
use harden::scan::{self, ScanRequest};

use super::args::{Destination, ScanArgs};
use super::{EXIT_CLEAN, EXIT_FINDINGS, print_stdout};

pub(crate) fn scan_command(
    mut args: ScanArgs,
    destinations: &[Destination],
) -> anyhow::Result<i32> {
    let (request, fail_on) = build_request(&mut args)?;
    let report = scan::scan(&request)?;
    deliver(report, &args, destinations, fail_on)
}

/// Writes every report (`destinations`), prints the baseline and gate lines, and gives the exit
/// code: 2 when an image of the run could not be scanned (each is named on standard error), else
/// 1 when the gate fails, else 0.
pub(crate) fn deliver(
    mut report: harden::report::Report,
    args: &ScanArgs,
    destinations: &[Destination],
    fail_on: harden::report::FailOn,
) -> anyhow::Result<i32> {
    if let Some(path) = &args.write_baseline {
        Baseline::of(&report.findings).write(path)?;
    }
    let gate_line = report.gate_line(fail_on);
    let exit_code = if !report.errors.is_empty() {
        super::EXIT_ERROR
    } else if gate_line.is_none() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    };
    if let Some(severity) = args.severity {
        report.show_at_or_above(severity);
    }

    let aws = AwsTarget {
        account_id: args
            .aws_account_id
            .clone()
            .unwrap_or_else(|| harden::report::DEFAULT_AWS_ACCOUNT_ID.to_string()),
        region: args
            .aws_region
            .clone()
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
    if !args.quiet {
        if let Some(outcome) = &report.baseline {
            if let Some(path) = &args.baseline {
                eprintln!("harden: {}", outcome.describe(&path.display().to_string()));
            }
        }
        // Whatever the outputs are (files only, or a format that is not text), a failing run
        // says why on standard error.
        if let Some(line) = gate_line {
            eprintln!("{line}");
        }
    }
    // Errors are printed whatever --quiet says: the report is incomplete.
    for failure in &report.errors {
        eprintln!(
            "harden: error: {}",
            harden::excerpt::for_terminal(&failure.describe())
        );
    }
    if !report.errors.is_empty() {
        eprintln!(
            "harden: error: {} of {} images could not be scanned; the report is incomplete",
            report.errors.len(),
            report.errors.len() + report.inputs.images.len()
        );
    }
    Ok(exit_code)
}

/// The scan request the flags describe (taking the input fields out of `args`), and the gate
/// (`--fail-on`, else the config's). Shared by `harden scan` and `harden fix`.
pub(crate) fn build_request(
    args: &mut ScanArgs,
) -> anyhow::Result<(ScanRequest, harden::report::FailOn)> {
    let mut config = Config::discover(args.config.as_deref())?;
    if let Some(profile) = args.profile {
        config.profile = Some(profile);
    }
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or_default();
    let request_reads_stdin = args.images.iter().any(|image| image == "-");
    let from_registry = args
        .images
        .iter()
        .any(|image| image.starts_with(harden::load::image::registry::TRANSPORT_PREFIX));
    let mut limits = config.limits;
    for pair in &args.limits {
        limits.set_pair(pair)?;
    }
    let request = ScanRequest {
        // Several images are the caller's (`cli::many`); the request holds one.
        image: match args.images.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        },
        platform: std::mem::take(&mut args.platform),
        progress: !args.no_progress && !args.quiet && std::io::stderr().is_terminal(),
        dockerfile: args.dockerfile.first().cloned(),
        more_dockerfiles: args.dockerfile.iter().skip(1).cloned().collect(),
        target: std::mem::take(&mut args.target),
        build_args: args
            .build_args
            .iter()
            .map(|arg| match arg.split_once('=') {
                Some((key, value)) => (key.to_string(), value.to_string()),
                None => (arg.clone(), std::env::var(arg).unwrap_or_default()),
            })
            .collect(),
        context: std::mem::take(&mut args.context),
        registry: RegistrySettings {
            connect_timeout: args.registry_connect_timeout,
            read_timeout: args.registry_read_timeout,
            total_timeout: args.registry_timeout,
            ..registry_settings(
                std::mem::take(&mut args.insecure_registries),
                std::mem::take(&mut args.registry_ca),
                std::mem::take(&mut args.username),
                args.password_stdin,
                request_reads_stdin,
                from_registry,
            )?
        },
        task_definitions: std::mem::take(&mut args.task_def),
        vulns: std::mem::take(&mut args.vulns),
        required_tags: std::mem::take(&mut args.required_tags)
            .into_iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect(),
        evaluate_inactive: args.evaluate_inactive,
        limits,
        fix: config.fix.clone(),
        config,
        container: std::mem::take(&mut args.container),
        selection: Selection::new(&args.only, &args.skip)?,
        baseline: match &args.baseline {
            Some(path) => Some((Baseline::load(path, &limits)?, path.display().to_string())),
            None => None,
        },
        layer_cache: layer_cache(args)?,
    };
    Ok((request, fail_on))
}

/// The layer cache the flags ask for: `--cache-dir` (an error when it cannot be created), else the
/// user's cache directory, created with the first entry (none when there is no home directory;
/// when it cannot be written, layers are read as without a cache).
fn layer_cache(args: &ScanArgs) -> anyhow::Result<Option<LayerCache>> {
    if args.no_cache {
        return Ok(None);
    }
    let max_size = args.cache_max_size.unwrap_or(cache::DEFAULT_MAX_SIZE);
    match &args.cache_dir {
        Some(dir) if !dir.as_os_str().is_empty() => LayerCache::open(dir, max_size)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("cannot use the cache directory {}: {e}", dir.display())),
        _ => Ok(LayerCache::default_dir().map(|dir| LayerCache::new(&dir, max_size))),
    }
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
