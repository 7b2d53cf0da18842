//! rpm's ndb database `Packages.db` (SLES 15 and openSUSE Leap 15.x): rpm's own "new database"
//! format, one file of slots naming where each installed package's header is stored.
//!
//! Hand-written because no well-kept Rust crate reads it (crates.io `rpmdb` 0.1.0 is a small port
//! with old dependencies) and reading it is a few bounds-checked lookups. Format sources: rpm's
//! `lib/backend/ndb/rpmpkg.c` (4.17) and go-rpmdb's reader (`pkg/ndb/ndb.go`, MIT, by SUSE;
//! what syft and trivy use).
//!
//! Layout read here, all little-endian (rpm writes it so on every machine): a 32-byte header
//! (magic `RpmP`, version 0, generation, slot page count); the slot pages follow from byte 0 (the
//! header takes the first two slots), 4096 bytes each, 256 16-byte slots per page (magic `Slot`,
//! package index, block offset, block count; index 0 is a free slot). A used slot's blocks (16
//! bytes each, counted from the file's start) begin with a blob header (magic `BlbS`, package
//! index, checksum, length) followed by the blob: the package's rpm header. The blob's Adler-32
//! checksum is not verified (go-rpmdb does not either); the header parser checks every bound.
//!
//! Hostile input: the file is at most the loader's kept-content cap; the slot pages must be in
//! the file; each blob must lie inside its slot's blocks and the file (every blob is a slice of
//! the file), one package index has one slot, and the blobs together are at most the file's size
//! (overlapping blobs could otherwise make the header parser's linear work quadratic). A problem in one
//! slot is that slot's error (a "not read" header in the inventory's note); a bad file header is
//! the whole file's.

const HEADER_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const SLOT_PAGE: usize = 4096;
const SLOT: usize = 16;
const BLOCK: usize = 16;
const BLOB_HEADER: usize = 16;

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    let word: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(word))
}

/// Whether these bytes start like an ndb database.
pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    bytes.starts_with(HEADER_MAGIC)
}

/// Every used slot's blob: `Ok` with its bytes, or `Err` saying why that slot could not be read.
/// `Err` when the file itself is not readable.
pub(crate) fn blobs(bytes: &[u8]) -> Result<Vec<Result<&[u8], String>>, String> {
    if !looks_like(bytes) {
        return Err("not an ndb database (no RpmP magic)".to_string());
    }
    let (Some(version), Some(slot_pages)) = (le32(bytes, 4), le32(bytes, 12)) else {
        return Err("truncated ndb header".to_string());
    };
    if version != 0 {
        return Err(format!("ndb version {version} (rpm writes 0)"));
    }
    let slots_end = (slot_pages as usize).checked_mul(SLOT_PAGE);
    let Some(slots_end) = slots_end.filter(|&end| slot_pages > 0 && end <= bytes.len()) else {
        return Err(format!(
            "truncated: {slot_pages} slot page(s) of 4096 bytes declared, the file has {} bytes",
            bytes.len()
        ));
    };
    let mut blobs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Blob bytes still allowed: together no more than the file.
    let mut budget = bytes.len();
    // The header fills the first two slots.
    for (number, slot) in bytes[..slots_end].chunks_exact(SLOT).enumerate().skip(2) {
        if &slot[..4] != SLOT_MAGIC {
            return Err(format!("ndb slot {number} has no Slot magic"));
        }
        let word =
            |at: usize| u32::from_le_bytes([slot[at], slot[at + 1], slot[at + 2], slot[at + 3]]);
        let (package, offset, count) = (word(4), word(8) as usize, word(12) as usize);
        if package == 0 {
            continue;
        }
        let read = blob(bytes, package, offset, count, &mut seen).and_then(|blob| {
            budget = budget
                .checked_sub(blob.len())
                .ok_or("the blobs together are longer than the file")?;
            Ok(blob)
        });
        blobs.push(read.map_err(|e| format!("ndb slot {number} (package {package}): {e}")));
    }
    Ok(blobs)
}

fn blob<'a>(
    bytes: &'a [u8],
    package: u32,
    offset: usize,
    count: usize,
    seen: &mut std::collections::HashSet<u32>,
) -> Result<&'a [u8], String> {
    if !seen.insert(package) {
        return Err("a second slot for the same package".to_string());
    }
    let start = offset.checked_mul(BLOCK);
    let end = count
        .checked_mul(BLOCK)
        .zip(start)
        .and_then(|(n, s)| n.checked_add(s));
    let (Some(start), Some(end)) = (start, end) else {
        return Err("blocks past the end of the file".to_string());
    };
    let blocks = bytes
        .get(start..end)
        .ok_or_else(|| "blocks past the end of the file".to_string())?;
    if blocks.get(..4) != Some(&BLOB_MAGIC[..]) {
        return Err("no BlbS magic where its blocks start".to_string());
    }
    let (Some(index), Some(length)) = (le32(blocks, 4), le32(blocks, 12)) else {
        return Err("a blob header past its blocks".to_string());
    };
    if index != package {
        return Err(format!("its blob is package {index}'s"));
    }
    let length = length as usize;
    blocks
        .get(BLOB_HEADER..BLOB_HEADER.saturating_add(length))
        .ok_or_else(|| format!("a blob of {length} bytes longer than its {count} blocks"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ndb file with one slot page holding the given blobs, as rpm lays it out.
    fn database(blobs: &[&[u8]]) -> Vec<u8> {
        let mut bytes = vec![0u8; SLOT_PAGE];
        bytes[..4].copy_from_slice(HEADER_MAGIC);
        bytes[12..16].copy_from_slice(&1u32.to_le_bytes());
        for slot in 2..SLOT_PAGE / SLOT {
            bytes[slot * SLOT..slot * SLOT + 4].copy_from_slice(SLOT_MAGIC);
        }
        for (i, blob) in blobs.iter().enumerate() {
            let package = i as u32 + 1;
            let offset = bytes.len() / BLOCK;
            let mut block = BLOB_MAGIC.to_vec();
            block.extend(package.to_le_bytes());
            block.extend(0u32.to_le_bytes());
            block.extend((blob.len() as u32).to_le_bytes());
            block.extend_from_slice(blob);
            block.extend([0u8; 12]);
            while block.len() % BLOCK != 0 {
                block.push(0);
            }
            let slot = (2 + i) * SLOT;
            bytes[slot + 4..slot + 8].copy_from_slice(&package.to_le_bytes());
            bytes[slot + 8..slot + 12].copy_from_slice(&(offset as u32).to_le_bytes());
            bytes[slot + 12..slot + 16]
                .copy_from_slice(&((block.len() / BLOCK) as u32).to_le_bytes());
            bytes.extend(block);
        }
        bytes
    }

    #[test]
    fn reads_each_used_slots_blob() {
        let bytes = database(&[b"first header", b"second"]);
        assert_eq!(
            blobs(&bytes).unwrap(),
            vec![Ok(&b"first header"[..]), Ok(&b"second"[..])]
        );
    }

    #[test]
    fn truncations_and_bad_headers_are_errors_never_panics() {
        let bytes = database(&[b"first header", b"second"]);
        for cut in 0..bytes.len() {
            let _ = blobs(&bytes[..cut]);
        }
        assert!(blobs(&bytes[..4000]).unwrap_err().starts_with("truncated"));
        // The last blob cut: that slot's error.
        let read = blobs(&bytes[..bytes.len() - 20]).unwrap();
        assert!(read[0].is_ok());
        assert!(
            read[1].as_ref().unwrap_err().contains("past the end"),
            "{read:?}"
        );
        for pages in [0u32, 2, u32::MAX] {
            let mut bad = bytes.clone();
            bad[12..16].copy_from_slice(&pages.to_le_bytes());
            assert!(blobs(&bad).unwrap_err().starts_with("truncated"), "{pages}");
        }
        let mut version = bytes.clone();
        version[4] = 1;
        assert!(blobs(&version).unwrap_err().contains("version"));
        let mut slot = bytes.clone();
        slot[5 * SLOT] = b'X';
        assert!(blobs(&slot).unwrap_err().contains("no Slot magic"));
    }

    #[test]
    fn hostile_slots_are_slot_errors() {
        let bytes = database(&[b"first header", b"second"]);
        let (first, second) = (2 * SLOT, 3 * SLOT);
        // Offsets and counts that overflow or run past the file.
        for (offset, count) in [(u32::MAX, 1u32), (0, u32::MAX), (1 << 30, 1)] {
            let mut bad = bytes.clone();
            bad[first + 8..first + 12].copy_from_slice(&offset.to_le_bytes());
            bad[first + 12..first + 16].copy_from_slice(&count.to_le_bytes());
            let read = blobs(&bad).unwrap();
            assert!(
                read[0].as_ref().unwrap_err().contains("past the end"),
                "{read:?}"
            );
        }
        // A blob longer than its blocks; a slot pointing at another package's blob; two slots
        // for one package (both pointing at one blob).
        let mut long = bytes.clone();
        let block = le32(&bytes, first + 8).unwrap() as usize * BLOCK;
        long[block + 12..block + 16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(
            blobs(&long).unwrap()[0]
                .as_ref()
                .unwrap_err()
                .contains("longer than")
        );
        let mut other = bytes.clone();
        other[second + 8..second + 16].copy_from_slice(&bytes[first + 8..first + 16]);
        assert!(
            blobs(&other).unwrap()[1]
                .as_ref()
                .unwrap_err()
                .contains("package 1's")
        );
        let mut twice = other.clone();
        twice[second + 4..second + 8].copy_from_slice(&1u32.to_le_bytes());
        assert!(
            blobs(&twice).unwrap()[1]
                .as_ref()
                .unwrap_err()
                .contains("second slot")
        );
        // Overlapping blobs: each slot's blob nested in the previous one's, ever longer.
        let mut nested = vec![0u8; SLOT_PAGE];
        nested[..4].copy_from_slice(HEADER_MAGIC);
        nested[12..16].copy_from_slice(&1u32.to_le_bytes());
        let blobs_start = SLOT_PAGE / BLOCK;
        let total_blocks = 200;
        for i in 0..(SLOT_PAGE / SLOT - 2) {
            let slot = (2 + i) * SLOT;
            nested[slot..slot + 4].copy_from_slice(SLOT_MAGIC);
        }
        nested.resize(SLOT_PAGE + total_blocks * BLOCK, 0);
        for i in 0..total_blocks - 1 {
            let package = i as u32 + 1;
            let slot = (2 + i) * SLOT;
            let offset = (blobs_start + i) as u32;
            nested[slot + 4..slot + 8].copy_from_slice(&package.to_le_bytes());
            nested[slot + 8..slot + 12].copy_from_slice(&offset.to_le_bytes());
            let count = (total_blocks - i) as u32;
            nested[slot + 12..slot + 16].copy_from_slice(&count.to_le_bytes());
            let at = offset as usize * BLOCK;
            nested[at..at + 4].copy_from_slice(BLOB_MAGIC);
            nested[at + 4..at + 8].copy_from_slice(&package.to_le_bytes());
            let length = (count as usize - 1) * BLOCK;
            nested[at + 12..at + 16].copy_from_slice(&(length as u32).to_le_bytes());
        }
        let read = blobs(&nested).unwrap();
        let total: usize = read.iter().flatten().map(|b| b.len()).sum();
        assert!(total <= nested.len(), "{total}");
        assert!(
            read.iter()
                .any(|r| r.as_ref().is_err_and(|e| e.contains("together")))
        );
        let mut magic = bytes.clone();
        magic[block] = b'X';
        assert!(
            blobs(&magic).unwrap()[0]
                .as_ref()
                .unwrap_err()
                .contains("BlbS")
        );
    }
}
