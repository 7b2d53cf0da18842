//! A bounded tar reader for layer streams: the framing (512-byte headers, GNU long names and
//! links, PAX extended headers, GNU sparse extension blocks) read with every attacker-chosen size
//! checked against [`Limits`] before anything is buffered. Field parsing is the `tar` crate's
//! ([`tar::Header`]); what does not live here is what a member means (whiteouts, kinds), which is
//! `decode.rs`'s.
//!
//! Why not `tar::Archive::entries()`: it reads GNU long-name and PAX headers whole into memory
//! with no bound (a 20 GB "file name" is read into RAM), and its PAX record iterator splits on
//! newlines rather than by the records' length prefixes, so a legitimate xattr whose value holds
//! a `\n` byte is a "malformed pax extension". In raw mode it would lose the PAX `size` override
//! (files over 8 GiB), so the framing is done here, in one pass, with the crate's header type.

use std::io::{self, Read, Seek, SeekFrom};

use crate::limits::{LimitExceeded, Limits};

const BLOCK: u64 = 512;

/// One member's metadata, with every extension header applied.
#[derive(Debug)]
pub struct TarMember {
    pub header: tar::Header,
    /// The path: GNU long name, else PAX `path`, else the header's (ustar prefix joined).
    pub path: Vec<u8>,
    /// The link target, same precedence (`K`, PAX `linkpath`, header), for links.
    pub link: Option<Vec<u8>>,
    /// PAX `uid`/`gid` when present (ids past the octal field), else the header's.
    pub uid: Option<u64>,
    pub gid: Option<u64>,
    /// The file's size: PAX `size`, else the header's (the real size of a GNU sparse file).
    pub size: u64,
    /// `SCHILY.xattr.NAME` records, values as raw bytes (PAX allows any byte, `\n` included).
    pub xattrs: Vec<(String, Vec<u8>)>,
    /// A GNU sparse file: its data in the stream is the stored fragments, not the file.
    pub sparse: bool,
}

/// Reads members one after the other; [`TarStream::data`] reads the current member's bytes, and
/// whatever is left unread is skipped by the next [`TarStream::next_member`].
pub struct TarStream<'l, R> {
    reader: R,
    limits: &'l Limits,
    /// Bytes of the stream consumed so far (read or skipped).
    position: u64,
    /// How data nobody read is passed over: read and dropped, or seeked over in a file.
    skipper: fn(&mut R, u64) -> io::Result<u64>,
    /// Unread data bytes of the current member.
    remaining: u64,
    /// Padding after them, to the next block.
    padding: u64,
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// An I/O error carrying a [`LimitExceeded`], so the loader can tell it from corruption.
pub fn limit_error(error: LimitExceeded) -> io::Error {
    io::Error::other(error)
}

/// The [`LimitExceeded`] inside an I/O error made by [`limit_error`].
pub fn as_limit(error: &io::Error) -> Option<&LimitExceeded> {
    error.get_ref()?.downcast_ref::<LimitExceeded>()
}

fn padding_of(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

/// Reads one whole block; `Ok(false)` on a clean end of stream before its first byte.
fn read_block(reader: &mut impl Read, block: &mut [u8; 512]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < block.len() {
        match reader.read(&mut block[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// PAX records (POSIX pax "extended header"): `LEN KEY=VALUE\n`, where LEN counts the whole
/// record, so a value may hold any byte, newlines included.
pub fn pax_records(mut data: &[u8]) -> io::Result<Vec<(&[u8], &[u8])>> {
    let mut records = Vec::new();
    while !data.is_empty() {
        // GNU tar pads the header's data with NULs; nothing follows them.
        if data.iter().all(|b| *b == 0) {
            break;
        }
        let space = data
            .iter()
            .take(20)
            .position(|b| *b == b' ')
            .ok_or_else(|| invalid("malformed PAX record: no length"))?;
        let length: usize = std::str::from_utf8(&data[..space])
            .ok()
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(|| invalid("malformed PAX record: bad length"))?;
        if length <= space + 1 || length > data.len() || data[length - 1] != b'\n' {
            return Err(invalid("malformed PAX record: length does not match"));
        }
        let record = &data[space + 1..length - 1];
        let equals = record
            .iter()
            .position(|b| *b == b'=')
            .ok_or_else(|| invalid("malformed PAX record: no `=`"))?;
        records.push((&record[..equals], &record[equals + 1..]));
        data = &data[length..];
    }
    Ok(records)
}

fn pax_number(value: &[u8], key: &str) -> io::Result<u64> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| invalid(format!("PAX record {key}: not a number")))
}

/// Strips the NUL terminator GNU tar writes after long names.
fn strip_nul(mut bytes: Vec<u8>) -> Vec<u8> {
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    bytes
}

impl<'l, R: Read> TarStream<'l, R> {
    pub fn new(reader: R, limits: &'l Limits) -> TarStream<'l, R> {
        TarStream {
            reader,
            limits,
            position: 0,
            skipper: |reader, count| io::copy(&mut reader.take(count), &mut io::sink()),
            remaining: 0,
            padding: 0,
        }
    }

    /// Where the current member's data starts in the stream (after [`TarStream::next_member`]).
    pub fn data_position(&self) -> u64 {
        self.position
    }

    fn read_block(&mut self, block: &mut [u8; 512]) -> io::Result<bool> {
        let read = read_block(&mut self.reader, block)?;
        if read {
            self.position += BLOCK;
        }
        Ok(read)
    }

    /// The reader, positioned after the last member read (for draining what follows).
    pub fn into_inner(self) -> R {
        self.reader
    }

    fn skip(&mut self, count: u64) -> io::Result<()> {
        if count == 0 {
            return Ok(());
        }
        let skipped = (self.skipper)(&mut self.reader, count)?;
        self.position += skipped;
        if skipped != count {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    /// Reads an extension header's data (a long name, PAX records), refused past `header-bytes`
    /// before a byte of it is buffered.
    fn read_extension(&mut self, size: u64, what: &str) -> io::Result<Vec<u8>> {
        self.limits
            .check("header-bytes", size, || {
                format!("a tar {what} header of {size} bytes")
            })
            .map_err(limit_error)?;
        let mut data = Vec::with_capacity(size as usize);
        (&mut self.reader).take(size).read_to_end(&mut data)?;
        self.position += data.len() as u64;
        if data.len() as u64 != size {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.skip(padding_of(size))?;
        Ok(data)
    }

    fn check_path(&self, path: &[u8], what: &str) -> io::Result<()> {
        let shown = || {
            let text = String::from_utf8_lossy(&path[..path.len().min(60)]);
            format!("{what} {}...", text.escape_debug())
        };
        self.limits
            .check("path-bytes", path.len() as u64, shown)
            .map_err(limit_error)?;
        let depth = path
            .split(|b| *b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .count();
        self.limits
            .check("path-depth", depth as u64, shown)
            .map_err(limit_error)
    }

    /// The next member, after its extension headers; `None` at the end of the archive.
    pub fn next_member(&mut self) -> io::Result<Option<TarMember>> {
        self.skip(self.remaining + self.padding)?;
        self.remaining = 0;
        self.padding = 0;
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut pax: Option<Vec<u8>> = None;
        let mut block = [0u8; 512];
        loop {
            let pending = long_name.is_some() || long_link.is_some() || pax.is_some();
            if !self.read_block(&mut block)? || block.iter().all(|b| *b == 0) {
                if pending {
                    return Err(invalid(
                        "an extension header describes a member that never comes",
                    ));
                }
                return Ok(None);
            }
            let header = tar::Header::from_byte_slice(&block).clone();
            // The header checksum (POSIX ustar): the bytes summed with the field as spaces.
            let sum = block[..148]
                .iter()
                .chain(&block[156..])
                .fold(0u32, |a, b| a + u32::from(*b))
                + 8 * 32;
            if header.cksum()? != sum {
                return Err(invalid("tar header checksum mismatch"));
            }
            let entry_type = header.entry_type();
            let stored = header.entry_size()?;
            let twice = || invalid("two extension headers of one kind for the same member");
            if entry_type.is_gnu_longname() {
                if long_name.is_some() {
                    return Err(twice());
                }
                long_name = Some(strip_nul(self.read_extension(stored, "GNU long name")?));
                continue;
            }
            if entry_type.is_gnu_longlink() {
                if long_link.is_some() {
                    return Err(twice());
                }
                long_link = Some(strip_nul(self.read_extension(stored, "GNU long link")?));
                continue;
            }
            if entry_type.is_pax_local_extensions() {
                if pax.is_some() {
                    return Err(twice());
                }
                pax = Some(self.read_extension(stored, "PAX extended")?);
                continue;
            }
            if entry_type.is_pax_global_extensions() {
                // Global defaults (mtime, comments in `git archive` output): no object, and
                // nothing the checks read; bounded like the others.
                self.read_extension(stored, "PAX global")?;
                continue;
            }

            let mut member = TarMember {
                path: header.path_bytes().into_owned(),
                link: header.link_name_bytes().map(|l| l.into_owned()),
                uid: None,
                gid: None,
                size: header.size()?,
                xattrs: Vec::new(),
                sparse: entry_type.is_gnu_sparse(),
                header,
            };
            let mut data_size = stored;
            if let Some(pax) = &pax {
                for (key, value) in pax_records(pax)? {
                    match key {
                        b"path" => member.path = value.to_vec(),
                        b"linkpath" => member.link = Some(value.to_vec()),
                        b"size" => {
                            // As in Go's archive/tar and the tar crate: PAX size overrides the
                            // header's, for the framing too.
                            member.size = pax_number(value, "size")?;
                            data_size = member.size;
                        }
                        b"uid" => member.uid = Some(pax_number(value, "uid")?),
                        b"gid" => member.gid = Some(pax_number(value, "gid")?),
                        _ => {
                            if let Some(name) = key.strip_prefix(b"SCHILY.xattr.") {
                                member.xattrs.push((
                                    String::from_utf8_lossy(name).into_owned(),
                                    value.to_vec(),
                                ));
                            }
                        }
                    }
                }
            }
            // GNU long names win over PAX ones, as in Go's archive/tar and the tar crate.
            if let Some(name) = long_name {
                member.path = name;
            }
            if let Some(link) = long_link {
                member.link = Some(link);
            }
            self.check_path(&member.path, "path")?;
            if let Some(link) = &member.link {
                self.check_path(link, "link target")?;
            }
            if member.sparse
                && let Some(gnu) = member.header.as_gnu()
                && gnu.is_extended()
            {
                // Old GNU sparse: more sparse maps follow in 512-byte blocks, each saying whether
                // another follows. Read and dropped (the map is not needed), bounded like a header.
                let mut extension_bytes = 0u64;
                loop {
                    extension_bytes += BLOCK;
                    self.limits
                        .check("header-bytes", extension_bytes, || {
                            "a GNU sparse map".to_string()
                        })
                        .map_err(limit_error)?;
                    if !self.read_block(&mut block)? {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                    if block[504] == 0 {
                        break;
                    }
                }
            }
            self.remaining = data_size;
            self.padding = padding_of(data_size);
            return Ok(Some(member));
        }
    }

    /// The current member's data (at most what is left of it).
    pub fn data(&mut self) -> MemberData<'_, 'l, R> {
        MemberData { stream: self }
    }
}

impl<'l, R: Read + Seek> TarStream<'l, R> {
    /// A stream over a file: data nobody reads is seeked over, not read (indexing a docker save
    /// archive reads its headers only). A seek past the end is found by the next read.
    pub fn seekable(reader: R, limits: &'l Limits) -> TarStream<'l, R> {
        TarStream {
            skipper: |reader, count| {
                let offset = i64::try_from(count).map_err(|_| invalid("member size overflows"))?;
                reader.seek(SeekFrom::Current(offset))?;
                Ok(count)
            },
            ..TarStream::new(reader, limits)
        }
    }
}

/// The current member's bytes.
pub struct MemberData<'s, 'l, R> {
    stream: &'s mut TarStream<'l, R>,
}

impl<R: Read> Read for MemberData<'_, '_, R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let wanted = buffer.len().min(self.stream.remaining as usize);
        if wanted == 0 {
            return Ok(0);
        }
        let n = self.stream.reader.read(&mut buffer[..wanted])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.stream.remaining -= n as u64;
        self.stream.position += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_are_split_by_length_not_newlines() {
        let value = b"a\nb=c";
        let body = b"SCHILY.xattr.user.x=a\nb=c\n";
        // LEN counts its own digits and the space.
        let total = body.len() + 3;
        let data = [format!("{total} ").as_bytes(), body].concat();
        let records = pax_records(&data).unwrap();
        assert_eq!(records, vec![(&b"SCHILY.xattr.user.x"[..], &value[..])]);
        assert!(pax_records(b"99 path=x\n").is_err());
        assert!(pax_records(b"x path=x\n").is_err());
    }

    #[test]
    fn long_names_past_header_bytes_are_refused_before_reading() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(0);
        header.set_entry_type(tar::EntryType::Regular);
        let long = "d/".repeat(500) + "f";
        builder.append_data(&mut header, &long, &[][..]).unwrap();
        let bytes = builder.into_inner().unwrap();
        let limits = Limits {
            header_bytes: 512,
            ..Limits::default()
        };
        let error = TarStream::new(&bytes[..], &limits)
            .next_member()
            .unwrap_err();
        assert_eq!(as_limit(&error).unwrap().limit, "header-bytes");
        let limits = Limits {
            path_depth: 100,
            ..Limits::default()
        };
        let error = TarStream::new(&bytes[..], &limits)
            .next_member()
            .unwrap_err();
        assert_eq!(as_limit(&error).unwrap().limit, "path-depth");
        let member = TarStream::new(&bytes[..], &Limits::default())
            .next_member()
            .unwrap()
            .unwrap();
        assert_eq!(member.path, long.as_bytes());
    }
}
