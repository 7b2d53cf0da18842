//! Fuzzing on the stable toolchain (nightly, and so cargo-fuzz, is not installable here): a
//! structure-aware mutation loop with a fixed seed, run by `cargo test` for a bounded number of
//! iterations per target. Targets: the Dockerfile lexer/parser/resolver, the ECS loaders (JSON,
//! YAML, CloudFormation, Terraform plan, by content), and the image loader from index.json through
//! manifest and config to the tar layer walker (digests recomputed after each mutation, so the
//! mutated bytes reach the parsers rather than the digest check).
//!
//! Seeds are the test fixtures. A panic fails the test and writes the input to
//! `target/fuzz-crashes/`; an input that runs for over a minute (a hang) does the same and aborts.
//! Every crash found becomes a file under `tests/fuzz_regressions/<target>/`, run by
//! `regressions_still_pass` on every test run.
//!
//! `HARDEN_FUZZ_ITERATIONS=N` sets the iterations per target (default 1,500 for text, 150 for
//! images: a few seconds each in CI); `HARDEN_FUZZ_SEED=N` changes the seed for a longer local run.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use harden::load::dockerfile::{DockerfileOptions, from_text};
use harden::load::ecs::load_text_inventory;
use harden::load::image::ImageOptions;
use harden::testkit::{LayerSpec, layer_tar, sha256_digest};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn iterations(default: usize) -> usize {
    std::env::var("HARDEN_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift64*: small, fixed, reproducible.
struct Rng(u64);

impl Rng {
    fn new(salt: u64) -> Rng {
        let seed = std::env::var("HARDEN_FUZZ_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0x5eed_f00d_dead_beef_u64);
        Rng((seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One mutation of `input`: insert a dictionary token, flip a byte, delete, duplicate or repeat a
/// range, or splice in part of another seed. Dictionary tokens make the mutations structural
/// (quotes, brackets, `${`, continuations, YAML anchors and tags).
fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>], dictionary: &[&[u8]]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 | 1 => {
                let token = dictionary[rng.below(dictionary.len())];
                out.splice(at..at, token.iter().copied());
            }
            2 if !out.is_empty() => {
                let at = at.min(out.len() - 1);
                out[at] ^= 1 << rng.below(8);
            }
            3 => {
                let end = (at + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            4 => {
                let end = (at + rng.below(64)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
            5 => {
                // A range repeated many times: deep nesting and long runs.
                let end = (at + 1 + rng.below(6)).min(out.len());
                let copy = out[at..end].to_vec();
                let times = 1 + rng.below(300);
                let repeated: Vec<u8> = copy.repeat(times);
                out.splice(at..at, repeated);
            }
            _ => {
                let other = &seeds[rng.below(seeds.len())];
                let start = rng.below(other.len());
                let end = (start + rng.below(256)).min(other.len());
                out.splice(at..at, other[start..end].iter().copied());
            }
        }
    }
    out
}

/// The input being run now, and when it started: the watchdog writes it out if it hangs.
static CURRENT: Mutex<Option<(String, Vec<u8>)>> = Mutex::new(None);
static STARTED: AtomicU64 = AtomicU64::new(0);
static WATCHDOG: std::sync::Once = std::sync::Once::new();

fn epoch() -> u64 {
    static ZERO: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    ZERO.get_or_init(Instant::now).elapsed().as_secs()
}

fn crash_path(target: &str, input: &[u8]) -> PathBuf {
    let dir = root().join("target/fuzz-crashes").join(target);
    let _ = std::fs::create_dir_all(&dir);
    dir.join(&sha256_digest(input)[7..23])
}

fn start_watchdog() {
    WATCHDOG.call_once(|| {
        epoch();
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(Duration::from_secs(5));
                let started = STARTED.load(Ordering::SeqCst);
                if started > 0 && epoch().saturating_sub(started) > 60 {
                    if let Some((target, input)) = CURRENT.lock().unwrap().clone() {
                        let path = crash_path(&target, &input);
                        let _ = std::fs::write(&path, &input);
                        eprintln!("fuzz: {target} hangs on {}", path.display());
                    }
                    std::process::abort();
                }
            }
        });
    });
}

/// Runs `run` on `input`, turning a panic into a test failure that names the saved input.
fn run_one(target: &str, input: &[u8], run: &dyn Fn(&[u8])) {
    *CURRENT.lock().unwrap() = Some((target.to_string(), input.to_vec()));
    STARTED.store(epoch().max(1), Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(input)));
    STARTED.store(0, Ordering::SeqCst);
    if result.is_err() {
        let path = crash_path(target, input);
        std::fs::write(&path, input).unwrap();
        panic!(
            "fuzz: {target} panicked; input saved to {} (add it under tests/fuzz_regressions/{target}/)",
            path.display()
        );
    }
}

fn fuzz(
    target: &str,
    seeds: Vec<Vec<u8>>,
    dictionary: &[&[u8]],
    count: usize,
    run: &dyn Fn(&[u8]),
) {
    start_watchdog();
    assert!(!seeds.is_empty(), "{target}: no seeds");
    let mut rng = Rng::new(target.len() as u64 * 7919 + target.as_bytes()[0] as u64);
    for seed in &seeds {
        run_one(target, seed, run);
    }
    for _ in 0..count {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed, &seeds, dictionary);
        run_one(target, &input, run);
    }
}

fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_under(&path, keep, out);
        } else if keep(&path) {
            out.push(path);
        }
    }
}

fn seeds_from(dirs: &[&str], keep: &dyn Fn(&Path) -> bool) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    for dir in dirs {
        files_under(&root().join(dir), keep, &mut paths);
    }
    paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|bytes| bytes.len() < 64 * 1024)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Targets

fn dockerfile_target(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    if let Err(error) = from_text(&text, "D", &DockerfileOptions::default()) {
        let message = error.to_string();
        assert!(message.starts_with("D:"), "{message}");
    }
}

fn ecs_target(input: &[u8]) {
    // The first byte picks the file name, as names steer the JSON/YAML choice.
    let (name, body) = match input.split_first() {
        Some((b, rest)) if b % 2 == 0 => ("td.json", rest),
        Some((_, rest)) => ("stack.yaml", rest),
        None => ("td.json", input),
    };
    let text = String::from_utf8_lossy(body);
    if let Err(error) = load_text_inventory(name, &text) {
        let message = error.to_string();
        assert!(message.starts_with(name), "{message}");
    }
}

/// An image input: the fuzzer's bytes are split at `\0\0\0` into (index.json, manifest, config,
/// layer tar); missing parts come from the seed image. Each part is written with its real
/// digest, and the descriptors that point at it are rewritten when they parse as JSON.
fn image_target(input: &[u8]) {
    load_image_input(input);
}

/// Writes and loads the image input; true when it loaded (the checks then ran on it).
fn load_image_input(input: &[u8]) -> bool {
    let parts: Vec<&[u8]> = split_parts(input);
    let dir = tempfile::tempdir().unwrap();
    let blobs = dir.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> (String, usize) {
        let digest = sha256_digest(bytes);
        std::fs::write(blobs.join(&digest[7..]), bytes).unwrap();
        (digest, bytes.len())
    };
    let (layer_digest, layer_size) = put(parts[3]);
    let config = relink(parts[2], |value| {
        set(value, "/rootfs/diff_ids", serde_json::json!([layer_digest]));
    });
    let (config_digest, config_size) = put(&config);
    let manifest = relink(parts[1], |value| {
        set(value, "/config/digest", config_digest.clone().into());
        set(value, "/config/size", config_size.into());
        set(value, "/layers/0/digest", layer_digest.clone().into());
        set(value, "/layers/0/size", layer_size.into());
    });
    let (manifest_digest, manifest_size) = put(&manifest);
    let index = relink(parts[0], |value| {
        set(value, "/manifests/0/digest", manifest_digest.clone().into());
        set(value, "/manifests/0/size", manifest_size.into());
    });
    std::fs::write(dir.path().join("index.json"), index).unwrap();
    std::fs::write(
        dir.path().join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let spec = format!("oci:{}", dir.path().display());
    let options = ImageOptions {
        wants: harden::checks::content_requests(),
        ..ImageOptions::default()
    };
    match harden::load::image::load(&spec, &options) {
        Ok(image) => {
            let mut findings = Vec::new();
            let mut controls = Vec::new();
            harden::scan::run_checks(Some(&image), None, None, &mut findings, &mut controls);
            true
        }
        Err(_) => false,
    }
}

const PART_SEPARATOR: &[u8] = b"\0\0\0PART\0\0\0";

fn split_parts(input: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = input;
    while parts.len() < 3 {
        match rest
            .windows(PART_SEPARATOR.len())
            .position(|w| w == PART_SEPARATOR)
        {
            Some(at) => {
                parts.push(&rest[..at]);
                rest = &rest[at + PART_SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    while parts.len() < 4 {
        parts.insert(0, b"{}");
    }
    parts
}

/// Sets a descriptor field where the mutated document still has it.
fn set(value: &mut serde_json::Value, pointer: &str, new: serde_json::Value) {
    if let Some(slot) = value.pointer_mut(pointer) {
        *slot = new;
    }
}

/// Rewrites a JSON document's descriptors (when it still parses as an object); otherwise the
/// mutated bytes go as they are, for the parser to refuse.
fn relink(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(mut value) if value.is_object() => {
            edit(&mut value);
            serde_json::to_vec(&value).unwrap()
        }
        _ => bytes.to_vec(),
    }
}

fn image_seed() -> Vec<u8> {
    let layer = layer_tar(
        &LayerSpec::plain()
            .dir("/etc", 0o755)
            .file(
                "/etc/passwd",
                0o644,
                "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
            )
            .file("/etc/shadow", 0o640, "root:*:19000:0:99999:7:::\n")
            .file("/usr/bin/su", 0o4755, "binary")
            .symlink("/bin", "usr/bin")
            .file(
                "/root/.ssh/id_rsa",
                0o600,
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
            ),
    )
    .unwrap();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "app", "Env": ["PATH=/usr/bin", "DB_PASSWORD=hunter2hunter2"],
                   "Cmd": ["/bin/sh"], "Labels": {"a": "b"},
                   "Healthcheck": {"Test": ["CMD", "true"]}},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [{"created_by": "RUN echo TOKEN=abcdefghijklmnop"}]
    });
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "", "size": 0},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "", "size": 0}]
    });
    let index = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "", "size": 0,
                       "platform": {"architecture": "amd64", "os": "linux"},
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}]
    });
    let mut seed = Vec::new();
    for (i, part) in [
        serde_json::to_vec_pretty(&index).unwrap(),
        serde_json::to_vec_pretty(&manifest).unwrap(),
        serde_json::to_vec_pretty(&config).unwrap(),
        layer,
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            seed.extend_from_slice(PART_SEPARATOR);
        }
        seed.extend(part);
    }
    seed
}

const SHELL_TOKENS: &[&[u8]] = &[
    b"${",
    b"}",
    b"${A:-",
    b"${A:+",
    b"$A",
    b"\"",
    b"'",
    b"\\",
    b"\\\n",
    b"`",
    b"\n",
    b"\r\n",
    b"<<EOF\n",
    b"\nEOF\n",
    b"<<-\"X\"\n",
    b"[",
    b"]",
    b"\"]",
    b"FROM scratch AS a\n",
    b"FROM a\n",
    b"ARG A=1\n",
    b"ENV A=$A$A\n",
    b"# escape=`\n",
    b"# syntax=x\n",
    b"ONBUILD ",
    b"--mount=type=secret ",
    b"USER 0\n",
    b"\t",
    b"\xef\xbb\xbf",
    b"\x1b",
    b"=",
    b" AS ",
];

const DATA_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"'",
    b":",
    b",",
    b": ",
    b"- ",
    b"\n",
    b"\n  ",
    b"#",
    b"&a ",
    b"*a",
    b"!Ref ",
    b"!Sub ",
    b"<<: ",
    b"null",
    b"true",
    b"1e999",
    b"-1",
    b"\\u0000",
    b"\\ud800",
    b"{\"Ref\": \"X\"}",
    b"\"Fn::GetAtt\"",
    b"\"containerDefinitions\"",
    b"\"Resources\"",
    b"\"format_version\"",
    b"\"taskDefinition\"",
    b"'}'",
    b"---\n",
    b"|\n",
    b">-\n",
    b"\t",
];

const IMAGE_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b"null",
    b"0",
    b"-1",
    b"18446744073709551616",
    b"\"sha256:\"",
    b"\"../\"",
    b"\"/\"",
    b"\"application/vnd.oci.image.index.v1+json\"",
    b"\"application/vnd.docker.distribution.manifest.list.v2+json\"",
    b".wh.",
    b".wh..wh..opq",
    b"../",
    b"\0",
    b"\xff",
    b"ustar\0",
    b"ustar  \0",
    b"././@LongLink",
    b"PaxHeader",
    b"path=",
    b"linkpath=",
    b"SCHILY.xattr.",
    b"12 path=/a\n",
];

#[test]
fn fuzz_dockerfile() {
    let seeds = seeds_from(
        &["tests/dockerfile_conformance", "fixtures/dockerfile"],
        &|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains("Dockerfile") || n.ends_with(".dockerfile"))
        },
    );
    fuzz(
        "dockerfile",
        seeds,
        SHELL_TOKENS,
        iterations(1_500),
        &dockerfile_target,
    );
}

#[test]
fn fuzz_ecs() {
    let seeds: Vec<Vec<u8>> =
        seeds_from(&["fixtures/ecs", "fixtures/td", "fixtures/cross"], &|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ["json", "yaml", "yml", "template"].contains(&e))
        })
        .into_iter()
        .map(|bytes| {
            // The leading byte picks the file name (see `ecs_target`): `.json` for JSON seeds.
            let mut seed = vec![if bytes.first() == Some(&b'{') { 0 } else { 1 }];
            seed.extend(bytes);
            seed
        })
        .collect();
    fuzz("ecs", seeds, DATA_TOKENS, iterations(1_500), &ecs_target);
}

#[test]
fn fuzz_image() {
    // The seed itself loads: mutations start from an image that reaches the tar walker.
    assert!(load_image_input(&image_seed()));
    let seeds = vec![image_seed()];
    fuzz("image", seeds, IMAGE_TOKENS, iterations(150), &image_target);
}

type Target = dyn Fn(&[u8]);

/// Every input the fuzzers (or the issue's reports) found, run on every test run.
#[test]
fn regressions_still_pass() {
    let targets: [(&str, &Target); 3] = [
        ("dockerfile", &dockerfile_target),
        ("ecs", &ecs_target),
        ("image", &image_target),
    ];
    let mut ran = 0;
    for (target, run) in targets {
        let mut paths = Vec::new();
        files_under(
            &root().join("tests/fuzz_regressions").join(target),
            &|_| true,
            &mut paths,
        );
        for path in paths {
            start_watchdog();
            run_one(target, &std::fs::read(&path).unwrap(), run);
            ran += 1;
        }
    }
    assert!(ran > 0, "no regression inputs found");
}
