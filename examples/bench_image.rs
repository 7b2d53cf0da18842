//! Generates the large image `benches/image_scan.sh` scans: an OCI layout under the given
//! directory, once with gzip layers (`<out>/gzip`) and once with zstd layers (`<out>/zstd`), the
//! same tar streams in both. Layers are streamed to disk (tar → hash → compress → hash → file),
//! so generating a multi-GiB image needs little memory.
//!
//! `cargo run --release --example bench_image -- /tmp/harden-bench [layers] [files-per-layer] [MiB-per-layer]`

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use harden::testkit::{BuiltLayer, ImageSpec};
use rayon::prelude::*;
use serde_json::json;
use sha2::{Digest as _, Sha256};

/// A writer that hashes and counts what passes into it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buffer)?;
        self.hasher.update(&buffer[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn hashing<W>(inner: W) -> HashingWriter<W> {
    HashingWriter {
        inner,
        hasher: Sha256::new(),
        count: 0,
    }
}

impl<W> HashingWriter<W> {
    fn digest(self) -> (String, u64, W) {
        let digest = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        (digest, self.count, self.inner)
    }
}

/// The uncompressed tar goes to both compressors at once.
struct Tee {
    gzip: flate2::write::GzEncoder<HashingWriter<BufWriter<File>>>,
    zstd: zstd::stream::write::Encoder<'static, HashingWriter<BufWriter<File>>>,
}

impl Write for Tee {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        self.gzip.write_all(buffer)?;
        self.zstd.write_all(buffer)?;
        Ok(buffer.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.gzip.flush()?;
        self.zstd.flush()
    }
}

/// xorshift64*: fast, deterministic, good enough for filler.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// Text-like filler (words from a 4096-word vocabulary): compresses about as well as real
/// package contents, neither trivially nor not at all.
fn vocabulary(rng: &mut Rng) -> Vec<Vec<u8>> {
    (0..4096)
        .map(|_| {
            let length = 2 + (rng.next() % 9) as usize;
            let mut word: Vec<u8> = (0..length)
                .map(|_| b'a' + (rng.next() % 26) as u8)
                .collect();
            word.push(if rng.next() % 12 == 0 { b'\n' } else { b' ' });
            word
        })
        .collect()
}

fn filler(rng: &mut Rng, words: &[Vec<u8>], size: usize, out: &mut Vec<u8>) {
    out.clear();
    while out.len() < size {
        out.extend_from_slice(&words[(rng.next() % words.len() as u64) as usize]);
    }
    out.truncate(size);
}

struct WrittenLayer {
    diff_id: String,
    gzip: (String, u64),
    zstd: (String, u64),
}

fn write_layer(out: &Path, index: usize, files: usize, bytes: u64) -> io::Result<WrittenLayer> {
    let gzip_tmp = out.join(format!("gzip/blobs/sha256/layer{index}.tmp"));
    let zstd_tmp = out.join(format!("zstd/blobs/sha256/layer{index}.tmp"));
    let tee = Tee {
        gzip: flate2::write::GzEncoder::new(
            hashing(BufWriter::new(File::create(&gzip_tmp)?)),
            flate2::Compression::default(),
        ),
        zstd: zstd::stream::write::Encoder::new(
            hashing(BufWriter::new(File::create(&zstd_tmp)?)),
            3,
        )?,
    };
    let mut tar = tar::Builder::new(hashing(tee));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (index as u64 + 1));
    let words = vocabulary(&mut rng);
    let average = (bytes / files as u64).max(1);
    let mut content = Vec::new();
    let directory = |tar: &mut tar::Builder<_>, path: &str| -> io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o755);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        header.set_size(0);
        tar.append_data(&mut header, path, io::empty())
    };
    directory(&mut tar, &format!("layer{index}/"))?;
    for file in 0..files {
        if file % 100 == 0 {
            directory(&mut tar, &format!("layer{index}/d{:04}/", file / 100))?;
        }
        let size = (rng.next() % (2 * average)) as usize;
        filler(&mut rng, &words, size, &mut content);
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        // A few setuid files so the checks have something to report.
        header.set_mode(if file % 10_000 == 7 { 0o4755 } else { 0o644 });
        header.set_size(size as u64);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        let path = format!("layer{index}/d{:04}/file{file:06}.txt", file / 100);
        tar.append_data(&mut header, &path, &content[..])?;
    }
    let (diff_id, _, tee) = tar.into_inner()?.digest();
    let (gzip_digest, gzip_size, mut gzip_file) = tee.gzip.finish()?.digest();
    let (zstd_digest, zstd_size, mut zstd_file) = tee.zstd.finish()?.digest();
    gzip_file.flush()?;
    zstd_file.flush()?;
    std::fs::rename(
        &gzip_tmp,
        out.join(format!("gzip/blobs/sha256/{}", &gzip_digest[7..])),
    )?;
    std::fs::rename(
        &zstd_tmp,
        out.join(format!("zstd/blobs/sha256/{}", &zstd_digest[7..])),
    )?;
    Ok(WrittenLayer {
        diff_id,
        gzip: (gzip_digest, gzip_size),
        zstd: (zstd_digest, zstd_size),
    })
}

fn write_blob(dir: &Path, bytes: &[u8]) -> io::Result<(String, u64)> {
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
    std::fs::write(dir.join(format!("blobs/sha256/{}", &digest[7..])), bytes)?;
    Ok((digest, bytes.len() as u64))
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(args.first().map_or("/tmp/harden-bench", String::as_str));
    let number = |i: usize, default: u64| -> u64 {
        args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
    };
    let layers = number(1, 4) as usize;
    let files = number(2, 30_000) as usize;
    let mib = number(3, 300);
    for variant in ["gzip", "zstd"] {
        std::fs::create_dir_all(out.join(variant).join("blobs/sha256"))?;
    }
    let written = (0..layers)
        .into_par_iter()
        .map(|i| write_layer(&out, i, files, mib * 1024 * 1024))
        .collect::<io::Result<Vec<_>>>()?;
    let spec = ImageSpec::new().user("1000");
    let built: Vec<BuiltLayer> = written
        .iter()
        .map(|l| BuiltLayer {
            blob: Vec::new(),
            digest: String::new(),
            diff_id: l.diff_id.clone(),
            media_type: "",
        })
        .collect();
    let config = spec.config_json(&built);
    for variant in ["gzip", "zstd"] {
        let dir = out.join(variant);
        let (config_digest, config_size) = write_blob(&dir, &config)?;
        let layer_descriptors: Vec<_> = written
            .iter()
            .map(|l| {
                let (digest, size) = if variant == "gzip" { &l.gzip } else { &l.zstd };
                json!({
                    "mediaType": format!("application/vnd.oci.image.layer.v1.tar+{variant}"),
                    "digest": digest,
                    "size": size,
                })
            })
            .collect();
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size },
            "layers": layer_descriptors,
        });
        let (digest, size) = write_blob(&dir, &serde_json::to_vec(&manifest)?)?;
        let index = json!({
            "schemaVersion": 2,
            "manifests": [{ "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest, "size": size }],
        });
        std::fs::write(dir.join("index.json"), serde_json::to_vec(&index)?)?;
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        let total: u64 = written
            .iter()
            .map(|l| {
                if variant == "gzip" {
                    l.gzip.1
                } else {
                    l.zstd.1
                }
            })
            .sum();
        println!(
            "{}: {layers} layers, {} files, {total} bytes compressed",
            dir.display(),
            layers * files
        );
    }
    Ok(())
}
