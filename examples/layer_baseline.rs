//! The floor for reading a layer: what `harden scan` must do to each gzip or zstd layer blob and
//! nothing more — hash the blob as stored (its digest), inflate it, hash the tar (its diff id) and
//! walk the tar headers, skipping member data. One blob after another on one thread, with the same
//! crates harden uses (flate2 on zlib-rs, zstd, sha2, tar), so `benches/image_scan.sh` can compare
//! CPU seconds: harden's against this sum.
//!
//! Usage: `cargo run --release --example layer_baseline -- BLOB...`

use std::io::{self, BufRead, BufReader, Read};

use sha2::{Digest, Sha256};

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..n]);
        Ok(n)
    }
}

fn walk(reader: impl Read) -> io::Result<(u64, String)> {
    let mut tar = Hashing {
        inner: BufReader::with_capacity(256 * 1024, reader),
        hasher: Sha256::new(),
    };
    let mut entries = 0u64;
    {
        let mut archive = tar::Archive::new(&mut tar);
        for entry in archive.entries()? {
            let entry = entry?;
            std::hint::black_box(entry.path_bytes());
            entries += 1;
        }
    }
    io::copy(&mut tar, &mut io::sink())?;
    Ok((entries, hex::encode(tar.hasher.finalize())))
}

fn main() -> io::Result<()> {
    for path in std::env::args().skip(1) {
        let file = std::fs::File::open(&path)?;
        let mut blob = BufReader::with_capacity(
            256 * 1024,
            Hashing {
                inner: file,
                hasher: Sha256::new(),
            },
        );
        let head = blob.fill_buf()?.to_vec();
        let (entries, diff_id) = match head.as_slice() {
            [0x1f, 0x8b, ..] => walk(flate2::bufread::MultiGzDecoder::new(&mut blob))?,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => {
                walk(zstd::stream::read::Decoder::with_buffer(&mut blob)?)?
            }
            _ => walk(&mut blob)?,
        };
        io::copy(&mut blob, &mut io::sink())?;
        let digest = hex::encode(blob.into_inner().hasher.finalize());
        println!("{path}: {entries} entries, digest sha256:{digest}, diff id sha256:{diff_id}");
    }
    Ok(())
}
