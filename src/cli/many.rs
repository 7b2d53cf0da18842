//! `harden scan` over several images: the image list (arguments, `--images-from`, `--all-tags`),
//! `--shard`, and `-f jsonl` written line by line as each image is done. The scan itself is the
//! library's (`harden::scan::many`); the other formats are written at the end as for one image.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use harden::report::{Format, Report};
use harden::scan::many::{self, ManyRequest, Shard};

use super::args::{Destination, ScanArgs};

/// `harden scan`'s arguments: the ones `harden fix` shares, and those for several images.
#[derive(clap::Args)]
pub(crate) struct ScanCommand {
    #[command(flatten)]
    pub(crate) scan: ScanArgs,
    #[command(flatten)]
    pub(crate) many: ManyArgs,
}

#[derive(clap::Args)]
pub(crate) struct ManyArgs {
    /// Read images to scan from this file, one per line as IMAGE takes them (`-`: standard
    /// input); blank lines and lines starting with `#` are skipped. Adds to the IMAGE arguments.
    #[arg(long, value_name = "FILE")]
    pub(crate) images_from: Option<PathBuf>,
    /// Scan only the images of shard I of N (0-based, as Kubernetes' JOB_COMPLETION_INDEX): an
    /// image's shard is the SHA-256 of its normalized name modulo N, so N workers given the same
    /// list, in any order, split it with no coordination.
    #[arg(long, env = "HARDEN_SHARD", value_name = "I/N", value_parser = Shard::parse)]
    pub(crate) shard: Option<Shard>,
    /// Each `docker://HOST/REPO` image names a repository: list its tags through the registry
    /// API (every page) and scan each.
    #[arg(long)]
    pub(crate) all_tags: bool,
    /// Images loaded at once (default 2); each holds the file contents the checks read in memory.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) jobs: Option<u16>,
}

impl ManyArgs {
    /// Whether this run goes through the several-images path: more than one IMAGE, or any of
    /// this struct's flags. One plain IMAGE keeps the one-image report (`inputs.image`).
    pub(crate) fn applies(&self, scan: &ScanArgs) -> bool {
        scan.images.len() > 1 || self.images_from.is_some() || self.shard.is_some() || self.all_tags
    }
}

pub(crate) fn scan_many_command(
    mut args: ScanArgs,
    many: ManyArgs,
    destinations: &[Destination],
) -> anyhow::Result<i32> {
    if destinations.iter().any(|d| d.format == Format::Cyclonedx) {
        anyhow::bail!(
            "-f cyclonedx describes one image; with several, scan each on its own (the JSON and JSON Lines reports carry every image's packages)"
        );
    }
    if args.container.is_some() {
        anyhow::bail!(
            "--container pairs one image with one container; with several images each container pairs with the image its `image` names"
        );
    }
    let list_from_stdin = many.images_from.as_deref() == Some(std::path::Path::new("-"));
    if list_from_stdin && (args.password_stdin || args.images.iter().any(|i| i == "-")) {
        anyhow::bail!(
            "--images-from - reads standard input, which --password-stdin or an image `-` also wants"
        );
    }
    if let Some(path) = &many.images_from {
        let listed = read_list(path, list_from_stdin)?;
        args.images.extend(listed);
    }
    if args.images.iter().any(|i| i == "-") && args.images.len() > 1 {
        anyhow::bail!("an image read from standard input (`-`) is scanned alone");
    }
    let (mut request, fail_on) = super::scan::build_request(&mut args)?;
    request.image = None;
    // One progress bar per layer of several images at once would be noise.
    request.progress = false;
    let mut images = std::mem::take(&mut args.images);
    if many.all_tags {
        let mut expanded = Vec::new();
        for spec in &images {
            if !spec.starts_with(harden::load::image::registry::TRANSPORT_PREFIX) {
                anyhow::bail!(
                    "--all-tags lists the tags of docker://HOST/REPO repositories; {spec} is not one"
                );
            }
            expanded.extend(harden::load::image::registry::tags::tag_specs(
                spec,
                &request.registry,
                request.limits.tags,
            )?);
        }
        images = expanded;
    }
    if images.len() as u64 > request.limits.images {
        anyhow::bail!(
            "{} images to scan, more than the limit `images` ({}); split the list with --shard, or raise it with --limit images=N",
            images.len(),
            request.limits.images
        );
    }
    let listed = images.len();
    let mut images = many::dedupe(images);
    if let Some(shard) = many.shard {
        images = shard.select(images);
        if !args.quiet {
            eprintln!(
                "harden: shard {}/{}: {} of {listed} images",
                shard.index,
                shard.count,
                images.len()
            );
        }
    }

    // `-f jsonl` destinations get each section as soon as it is done.
    let mut streams: Vec<Box<dyn Write + Send>> = Vec::new();
    for destination in destinations.iter().filter(|d| d.format == Format::Jsonl) {
        streams.push(match &destination.file {
            Some(path) => Box::new(std::fs::File::create(path).map_err(|e| {
                anyhow::anyhow!("cannot write the report to {}: {e}", path.display())
            })?),
            None => Box::new(std::io::stdout()),
        });
    }
    let streams = Mutex::new(streams);
    let stream_error: Mutex<Option<String>> = Mutex::new(None);
    let severity = args.severity;
    // One line per finished image on a terminal (a registry-wide run takes a while).
    let progress = !args.quiet && !args.no_progress && std::io::stderr().is_terminal();
    let total = images.len();
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let on_section = |section: &Report| {
        if progress && let Some(what) = progress_line(section) {
            let n = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            eprintln!(
                "harden: [{n}/{total}] {}",
                harden::excerpt::for_terminal(&what)
            );
        }
        let line = match severity {
            Some(severity) => {
                let mut shown = section.clone();
                shown.show_at_or_above(severity);
                harden::report::many::line(&shown)
            }
            None => harden::report::many::line(section),
        };
        if let Ok(mut streams) = streams.lock() {
            for stream in streams.iter_mut() {
                let written = stream
                    .write_all(line.as_bytes())
                    .and_then(|()| stream.flush());
                if let Err(error) = written
                    && error.kind() != std::io::ErrorKind::BrokenPipe
                    && let Ok(mut slot) = stream_error.lock()
                {
                    slot.get_or_insert_with(|| {
                        format!("cannot write a JSON Lines report: {error}")
                    });
                }
            }
        }
    };
    let nothing_else = request.dockerfile.is_none() && request.task_definitions.is_empty();
    let report = if images.is_empty() && nothing_else {
        // An empty shard (or list) is a clean, empty run: the shards together still cover it.
        many::combine(Vec::new())
    } else {
        many::scan_many(
            &ManyRequest {
                images,
                base: request,
                jobs: usize::from(many.jobs.unwrap_or(2)),
                // Only JSON Lines (already written) and the gate: keep findings, not reports.
                keep_sections: destinations.iter().any(|d| d.format != Format::Jsonl),
            },
            &on_section,
        )?
    };
    if let Some(error) = stream_error.into_inner().ok().flatten() {
        anyhow::bail!(error);
    }
    let rest: Vec<Destination> = destinations
        .iter()
        .filter(|d| d.format != Format::Jsonl)
        .cloned()
        .collect();
    super::scan::deliver(report, &args, &rest, fail_on)
}

/// `IMAGE: 3 findings` or `IMAGE: not scanned: ERROR` for an image's section; `None` for the
/// shared section.
fn progress_line(section: &Report) -> Option<String> {
    if let Some(failure) = section.errors.first() {
        return Some(format!("not scanned: {}", failure.describe()));
    }
    let image = section.inputs.image.as_ref()?;
    let open = section
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .count();
    Some(format!(
        "{}: {open} finding{}",
        image.source,
        if open == 1 { "" } else { "s" }
    ))
}

/// The lines of `--images-from` (a file, or standard input), bounded like any input file.
fn read_list(path: &std::path::Path, from_stdin: bool) -> anyhow::Result<Vec<String>> {
    let limit = harden::limits::Limits::default().input_bytes;
    let mut bytes = Vec::new();
    let origin = if from_stdin {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    let read = if from_stdin {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|file| file.take(limit + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| anyhow::anyhow!("--images-from {origin}: {e}"))?;
    if bytes.len() as u64 > limit {
        anyhow::bail!("--images-from {origin}: larger than {limit} bytes (limit `input-bytes`)");
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("--images-from {origin}: not UTF-8 text"))?;
    many::parse_image_list(&text, &format!("--images-from {origin}")).map_err(anyhow::Error::msg)
}
