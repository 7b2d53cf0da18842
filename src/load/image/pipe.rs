//! A bounded pipe of byte chunks between two threads of one layer's decode: the blob reader
//! hands the compressed bytes to the inflater, the inflater hands the tar to the walk. Each
//! stage runs on its own core, so one big layer (most of an image's time) is not bound to one.
//!
//! Why not a crate: crossbeam/flume channels move the chunks as well as std's `sync_channel`
//! does; what is ours is the framing (an explicit end, an error passed on to the reader) and
//! the reuse of the chunk buffers, which keeps a layer at about a megabyte whatever its size.

use std::io::{self, BufRead, Read};
use std::sync::mpsc;

use sha2::{Digest as _, Sha256};

/// Bytes per chunk: large enough that hand-offs cost nothing next to inflating or hashing a
/// chunk, small enough to stay in a core's cache between the two stages.
pub const CHUNK: usize = 256 * 1024;

/// Chunks in flight: enough that neither side waits on the other's jitter.
const IN_FLIGHT: usize = 2;

enum Piece {
    Bytes(Vec<u8>),
    End,
    Failed(io::Error),
}

/// The writing end.
pub struct ChunkSender {
    full: mpsc::SyncSender<Piece>,
    empty: mpsc::Receiver<Vec<u8>>,
}

/// The reading end: the chunks in order, as one stream. With `hashed`, each chunk is hashed whole
/// as it arrives (the diff id of the tar the walk reads).
pub struct Chunks {
    full: mpsc::Receiver<Piece>,
    empty: mpsc::SyncSender<Vec<u8>>,
    current: Vec<u8>,
    position: usize,
    ended: bool,
    hasher: Option<Sha256>,
    count: u64,
}

pub fn pipe(hashed: bool) -> (ChunkSender, Chunks) {
    let (full_sender, full_receiver) = mpsc::sync_channel(IN_FLIGHT);
    let (empty_sender, empty_receiver) = mpsc::sync_channel(IN_FLIGHT + 2);
    (
        ChunkSender {
            full: full_sender,
            empty: empty_receiver,
        },
        Chunks {
            full: full_receiver,
            empty: empty_sender,
            current: Vec::new(),
            position: 0,
            ended: false,
            hasher: hashed.then(Sha256::new),
            count: 0,
        },
    )
}

/// How feeding the pipe ended when it did not fail.
#[derive(Debug, PartialEq, Eq)]
pub enum Fed {
    /// The source reached its end; every byte was sent.
    All,
    /// The reading end was dropped (its stage stopped on an error of its own).
    Abandoned,
}

impl ChunkSender {
    /// Reads `source` to its end, sending full chunks. An error of `source` is returned, not
    /// sent: the caller decides what goes down the pipe ([`ChunkSender::end`]/[`ChunkSender::fail`]).
    pub fn feed(&self, source: &mut dyn Read) -> io::Result<Fed> {
        loop {
            let mut buffer = self.empty.try_recv().unwrap_or_default();
            buffer.resize(CHUNK, 0);
            let mut filled = 0;
            while filled < CHUNK {
                match source.read(&mut buffer[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // The bytes before the error go first, as a reader of `source` saw them.
                        buffer.truncate(filled);
                        if filled > 0 {
                            let _ = self.full.send(Piece::Bytes(buffer));
                        }
                        return Err(e);
                    }
                }
            }
            let last = filled < CHUNK;
            buffer.truncate(filled);
            if filled > 0 && self.full.send(Piece::Bytes(buffer)).is_err() {
                return Ok(Fed::Abandoned);
            }
            if last {
                return Ok(Fed::All);
            }
        }
    }

    /// The stream ended whole.
    pub fn end(self) {
        let _ = self.full.send(Piece::End);
    }

    /// The stream failed: the reader gets `error` after the bytes sent before it.
    pub fn fail(self, error: io::Error) {
        let _ = self.full.send(Piece::Failed(error));
    }
}

impl Chunks {
    /// The SHA-256 (`sha256:<hex>`, when hashed) and the number of bytes received.
    pub fn finish(self) -> (Option<String>, u64) {
        let digest = self
            .hasher
            .map(|hasher| format!("sha256:{}", hex::encode(hasher.finalize())));
        (digest, self.count)
    }
}

impl Read for Chunks {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buffer.len());
        buffer[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Chunks {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.position == self.current.len() && !self.ended {
            let used = std::mem::take(&mut self.current);
            if used.capacity() > 0 {
                // Best effort: a full return channel only costs the sender an allocation.
                let _ = self.empty.try_send(used);
            }
            self.position = 0;
            match self.full.recv() {
                Ok(Piece::Bytes(chunk)) => {
                    if let Some(hasher) = &mut self.hasher {
                        hasher.update(&chunk);
                    }
                    self.count += chunk.len() as u64;
                    self.current = chunk;
                }
                Ok(Piece::End) => self.ended = true,
                Ok(Piece::Failed(error)) => return Err(error),
                // Only a panic drops the sender without an end; joining its thread reports it.
                Err(mpsc::RecvError) => return Err(io::Error::other("a decoding stage stopped")),
            }
        }
        Ok(&self.current[self.position..])
    }

    fn consume(&mut self, amount: usize) {
        self.position = (self.position + amount).min(self.current.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that yields `data` in reads of at most `step` bytes, then `tail` (an error or
    /// the end).
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
        fails: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            if self.at == self.data.len() {
                return if self.fails {
                    Err(io::Error::new(io::ErrorKind::InvalidData, "bad tail"))
                } else {
                    Ok(0)
                };
            }
            let n = self.step.min(buffer.len()).min(self.data.len() - self.at);
            buffer[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn data(size: usize) -> Vec<u8> {
        (0..size).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn bytes_arrive_whole_and_in_order_and_are_hashed() {
        for size in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 17] {
            for step in [1000, 7919, CHUNK] {
                let bytes = data(size);
                let (sender, mut chunks) = pipe(true);
                let source = bytes.clone();
                std::thread::scope(|scope| {
                    scope.spawn(move || {
                        let mut source = Trickle {
                            data: source,
                            at: 0,
                            step,
                            fails: false,
                        };
                        assert_eq!(sender.feed(&mut source).unwrap(), Fed::All);
                        sender.end();
                    });
                    let mut received = Vec::new();
                    // Small reads, as the tar walk makes them.
                    let mut buffer = [0u8; 512];
                    loop {
                        let n = chunks.read(&mut buffer).unwrap();
                        if n == 0 {
                            break;
                        }
                        received.extend_from_slice(&buffer[..n]);
                    }
                    assert_eq!(received, bytes, "size {size}, step {step}");
                });
                let (digest, count) = chunks.finish();
                let expected = format!("sha256:{}", hex::encode(Sha256::digest(&bytes)));
                assert_eq!((digest.unwrap(), count), (expected, size as u64));
            }
        }
    }

    #[test]
    fn an_error_reaches_the_reader_after_the_bytes_before_it() {
        let bytes = data(3 * CHUNK + 5);
        let (sender, mut chunks) = pipe(false);
        std::thread::scope(|scope| {
            let source = bytes.clone();
            scope.spawn(move || {
                let mut source = Trickle {
                    data: source,
                    at: 0,
                    step: 4096,
                    fails: true,
                };
                let error = sender.feed(&mut source).unwrap_err();
                sender.fail(error);
            });
            let mut received = Vec::new();
            let error = chunks.read_to_end(&mut received).unwrap_err();
            assert_eq!(error.to_string(), "bad tail");
            // Every byte read before the error arrived first.
            assert_eq!(received, bytes);
        });
    }

    #[test]
    fn a_sender_dropped_without_an_end_is_an_error_not_an_end() {
        let (sender, mut chunks) = pipe(false);
        drop(sender);
        assert!(chunks.read_to_end(&mut Vec::new()).is_err());
    }

    #[test]
    fn a_dropped_reader_stops_the_sender() {
        let (sender, chunks) = pipe(false);
        drop(chunks);
        // Endless: the feed must return as soon as a send fails.
        let mut endless = io::repeat(7);
        assert_eq!(sender.feed(&mut endless).unwrap(), Fed::Abandoned);
    }
}
