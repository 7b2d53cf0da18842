//! rpm's BerkeleyDB database `Packages` (RHEL/CentOS 5 to 8, UBI 8, Rocky/Alma/Oracle 8, Amazon
//! Linux 2): a BerkeleyDB hash database whose values are the installed packages' rpm headers,
//! keyed by a 4-byte header number (key 0 holds rpm's instance counter, not a header).
//!
//! Hand-written because no well-kept Rust crate reads BerkeleyDB files (crates.io `rpmdb` 0.1.0 is
//! a small port with old dependencies), and only the values are needed: a walk over the file's
//! pages, no hashing, no locking, no log. Format sources: BerkeleyDB 5.3's `src/dbinc/db_page.h`
//! (metadata page, page header, `HOFFPAGE` items, overflow pages, `LEN_HITEM` in `hash.h`) and
//! go-rpmdb's reader (`pkg/bdb/*.go`, MIT; what syft and trivy use).
//!
//! Layout read here: page 0 is the hash metadata page (magic `0x061561` at byte 12, in the file's
//! byte order, which is either; page size at 20; encryption at 24; page type 8 at 25; last page
//! number at 32). Every page starts with a 26-byte header (next page at 16, entry count at 20,
//! `hf_offset` at 22, type at 25). Hash pages (type 13, or 2 before BerkeleyDB 4.6) hold an index
//! of 2-byte item offsets after the header, alternately key and value; an item's length runs to
//! the previous item's offset (the page end for the first). An item is `H_KEYDATA` (type 1, its
//! bytes inline) or `H_OFFPAGE` (type 3: first overflow page at 4, total length at 8); an overflow
//! page (type 7) holds `hf_offset` bytes of the value after its header and names the next page.
//!
//! Hostile input: the file is at most the loader's kept-content cap; the page size must be one
//! BerkeleyDB allows (512 to 64 KiB, a power of two) and the declared pages must be in the file;
//! every offset and length is checked against its page; one overflow chain may take at most as
//! many steps as the file has pages (a loop is an error), and all chains together too, so the
//! blobs' total size is at most the file's size. No recursion. A problem in one item is that
//! item's error (a "not read" header in the inventory's note); a problem in the file's metadata
//! is the whole file's.

/// BerkeleyDB's hash magic number and the page types read here (`db_page.h`).
const HASH_MAGIC: u32 = 0x0006_1561;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
/// Item types on a hash page.
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// Every page's header (`PAGE` in `db_page.h`).
const PAGE_HEADER: usize = 26;
/// An `HOFFPAGE` item: type, 3 unused bytes, first page, total length.
const OFFPAGE_ITEM: usize = 12;

/// The byte order of one database file.
#[derive(Clone, Copy)]
struct Order {
    big: bool,
}

impl Order {
    fn u32(self, bytes: &[u8], at: usize) -> Option<u32> {
        let word: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(word)
        } else {
            u32::from_le_bytes(word)
        })
    }

    fn u16(self, bytes: &[u8], at: usize) -> Option<u16> {
        let word: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big {
            u16::from_be_bytes(word)
        } else {
            u16::from_le_bytes(word)
        })
    }
}

/// Whether these bytes start like a BerkeleyDB hash database (either byte order).
pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    let magic = bytes.get(12..16);
    magic == Some(&HASH_MAGIC.to_le_bytes()[..]) || magic == Some(&HASH_MAGIC.to_be_bytes()[..])
}

/// The database's pages, checked against the metadata page.
struct Pages<'a> {
    bytes: &'a [u8],
    size: usize,
    count: usize,
    order: Order,
}

impl<'a> Pages<'a> {
    fn open(bytes: &'a [u8]) -> Result<Pages<'a>, String> {
        let order = match bytes.get(12..16) {
            Some(m) if m == HASH_MAGIC.to_le_bytes() => Order { big: false },
            Some(m) if m == HASH_MAGIC.to_be_bytes() => Order { big: true },
            _ => return Err("not a BerkeleyDB hash database (no hash magic)".to_string()),
        };
        let truncated = || "truncated BerkeleyDB metadata page".to_string();
        let size = order.u32(bytes, 20).ok_or_else(truncated)?;
        if !(512..=65536).contains(&size) || !size.is_power_of_two() {
            return Err(format!(
                "BerkeleyDB page size {size} (512 to 65536, a power of two)"
            ));
        }
        let (encryption, kind) = (bytes.get(24), bytes.get(25));
        if encryption != Some(&0) {
            return Err("an encrypted BerkeleyDB database".to_string());
        }
        if kind != Some(&P_HASHMETA) {
            return Err("BerkeleyDB page 0 is not a hash metadata page".to_string());
        }
        let last = order.u32(bytes, 32).ok_or_else(truncated)?;
        let size = size as usize;
        let held = bytes.len() / size;
        let count = (last as usize).checked_add(1).filter(|&n| n <= held);
        let Some(count) = count else {
            return Err(format!(
                "truncated: the metadata names page {last}, the file holds {held} page(s) of {size} bytes"
            ));
        };
        Ok(Pages {
            bytes,
            size,
            count,
            order,
        })
    }

    /// Page `number` (checked against the page count).
    fn page(&self, number: usize) -> Option<&'a [u8]> {
        if number >= self.count {
            return None;
        }
        self.bytes.get(number * self.size..(number + 1) * self.size)
    }
}

/// Every value of the database that is an rpm header candidate: `Ok` with its bytes, or `Err`
/// saying why that one item could not be read. `Err` when the file itself is not readable.
pub(crate) fn blobs(bytes: &[u8]) -> Result<Vec<Result<Vec<u8>, String>>, String> {
    let pages = Pages::open(bytes)?;
    let order = pages.order;
    let mut blobs = Vec::new();
    // Overflow pages visited by all chains together: at most the page count.
    let mut budget = pages.count;
    for number in 1..pages.count {
        let Some(page) = pages.page(number) else {
            break;
        };
        if !matches!(page[25], P_HASH | P_HASH_UNSORTED) {
            continue;
        }
        let entries = order.u16(page, 20).unwrap_or(0) as usize;
        let index_end = PAGE_HEADER + entries * 2;
        if entries % 2 != 0 || index_end > pages.size {
            blobs.push(Err(format!(
                "BerkeleyDB page {number}: {entries} index entries do not fit the page in pairs"
            )));
            continue;
        }
        let offset = |i: usize| order.u16(page, PAGE_HEADER + i * 2).unwrap_or(0) as usize;
        // Item i runs from its offset to the previous item's (the page end for the first).
        let item = |i: usize| -> Result<&[u8], String> {
            let (start, end) = (offset(i), if i == 0 { pages.size } else { offset(i - 1) });
            if start < index_end || start >= end || end > pages.size {
                return Err(format!(
                    "BerkeleyDB page {number}: item {i} at {start}..{end} is outside the page's data"
                ));
            }
            Ok(&page[start..end])
        };
        for pair in 0..entries / 2 {
            let key = match item(pair * 2) {
                Ok(key) => key,
                Err(error) => {
                    blobs.push(Err(error));
                    continue;
                }
            };
            // Key 0 holds rpm's instance counter, not a header.
            if key == [H_KEYDATA, 0, 0, 0, 0] {
                continue;
            }
            let value = match item(pair * 2 + 1) {
                Ok(value) => value,
                Err(error) => {
                    blobs.push(Err(error));
                    continue;
                }
            };
            match value[0] {
                H_KEYDATA => blobs.push(Ok(value[1..].to_vec())),
                H_OFFPAGE => {
                    let blob = overflow(&pages, value, &mut budget).map_err(|e| {
                        format!("BerkeleyDB page {number}: item {}: {e}", pair * 2 + 1)
                    });
                    let exhausted = budget == 0 && blob.is_err();
                    blobs.push(blob);
                    if exhausted {
                        return Err(
                            "BerkeleyDB overflow chains visit more pages than the file holds"
                                .to_string(),
                        );
                    }
                }
                other => blobs.push(Err(format!(
                    "BerkeleyDB page {number}: item {} has type {other} (rpm stores no duplicates)",
                    pair * 2 + 1
                ))),
            }
        }
    }
    Ok(blobs)
}

/// The value an `HOFFPAGE` item points to: its overflow chain's bytes, which must add up to the
/// item's total length. Each page visited is taken from `budget`.
fn overflow(pages: &Pages, item: &[u8], budget: &mut usize) -> Result<Vec<u8>, String> {
    let order = pages.order;
    if item.len() < OFFPAGE_ITEM {
        return Err("an overflow reference shorter than 12 bytes".to_string());
    }
    let (first, total) = (order.u32(item, 4), order.u32(item, 8));
    let (Some(mut next), Some(total)) = (first, total) else {
        return Err("an overflow reference shorter than 12 bytes".to_string());
    };
    let total = total as usize;
    // A chain holds at most (page size - header) bytes per page of the file.
    if total > pages.count * (pages.size - PAGE_HEADER) {
        return Err(format!(
            "a value of {total} bytes, more than the file holds"
        ));
    }
    let mut value = Vec::with_capacity(total);
    let mut steps = 0usize;
    while next != 0 {
        steps += 1;
        if steps > pages.count || *budget == 0 {
            return Err("an overflow chain that loops or is longer than the file".to_string());
        }
        *budget -= 1;
        let Some(page) = pages.page(next as usize) else {
            return Err(format!("overflow page {next} is past the last page"));
        };
        if page[25] != P_OVERFLOW {
            return Err(format!(
                "page {next} in an overflow chain has type {}",
                page[25]
            ));
        }
        let length = order.u16(page, 22).unwrap_or(0) as usize;
        let data = page
            .get(PAGE_HEADER..PAGE_HEADER + length)
            .ok_or_else(|| format!("overflow page {next} claims {length} bytes"))?;
        if value.len() + data.len() > total {
            return Err(format!("an overflow chain longer than its {total} bytes"));
        }
        value.extend_from_slice(data);
        next = order.u32(page, 16).unwrap_or(0);
    }
    if value.len() != total {
        return Err(format!(
            "an overflow chain of {} bytes, not its {total}",
            value.len()
        ));
    }
    Ok(value)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A hash database with the given page size and byte order: page 0 metadata, page 1 a hash
    /// page holding (key, value) pairs, each value inline or in an overflow chain on the pages
    /// after it, as BerkeleyDB lays them out.
    pub(crate) fn database(page_size: usize, big: bool, values: &[(u32, &[u8])]) -> Vec<u8> {
        let u32b = |v: u32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let u16b = |v: u16| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut pages: Vec<Vec<u8>> = vec![vec![0; page_size], vec![0; page_size]];
        let mut items: Vec<Vec<u8>> = Vec::new();
        for (key, value) in values {
            let mut key_item = vec![H_KEYDATA];
            key_item.extend(u32b(*key));
            items.push(key_item);
            if value.len() < page_size / 4 {
                let mut item = vec![H_KEYDATA];
                item.extend_from_slice(value);
                items.push(item);
                continue;
            }
            let first = pages.len() as u32;
            let chunks: Vec<&[u8]> = value.chunks(page_size - PAGE_HEADER).collect();
            for (i, chunk) in chunks.iter().enumerate() {
                let mut page = vec![0; page_size];
                let number = pages.len() as u32;
                page[8..12].copy_from_slice(&u32b(number));
                let next = if i + 1 < chunks.len() { number + 1 } else { 0 };
                page[16..20].copy_from_slice(&u32b(next));
                page[20..22].copy_from_slice(&u16b(1));
                page[22..24].copy_from_slice(&u16b(chunk.len() as u16));
                page[25] = P_OVERFLOW;
                page[PAGE_HEADER..PAGE_HEADER + chunk.len()].copy_from_slice(chunk);
                pages.push(page);
            }
            let mut item = vec![H_OFFPAGE, 0, 0, 0];
            item.extend(u32b(first));
            item.extend(u32b(value.len() as u32));
            items.push(item);
        }
        let hash = &mut pages[1];
        hash[8..12].copy_from_slice(&u32b(1));
        hash[20..22].copy_from_slice(&u16b(items.len() as u16));
        hash[25] = P_HASH;
        let mut end = page_size;
        for (i, item) in items.iter().enumerate() {
            let start = end - item.len();
            hash[start..end].copy_from_slice(item);
            hash[PAGE_HEADER + i * 2..PAGE_HEADER + i * 2 + 2].copy_from_slice(&u16b(start as u16));
            end = start;
        }
        hash[22..24].copy_from_slice(&u16b(end as u16));
        let last = pages.len() as u32 - 1;
        let meta = &mut pages[0];
        meta[12..16].copy_from_slice(&u32b(HASH_MAGIC));
        meta[16..20].copy_from_slice(&u32b(9));
        meta[20..24].copy_from_slice(&u32b(page_size as u32));
        meta[25] = P_HASHMETA;
        meta[32..36].copy_from_slice(&u32b(last));
        pages.concat()
    }

    fn values(bytes: &[u8]) -> Vec<Result<Vec<u8>, String>> {
        blobs(bytes).unwrap()
    }

    #[test]
    fn reads_inline_and_overflow_values_in_both_byte_orders() {
        let long: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        for big in [false, true] {
            let bytes = database(512, big, &[(0, &[1, 0, 0, 0]), (1, b"short"), (2, &long)]);
            assert!(looks_like(&bytes));
            // Key 0 (rpm's counter) is left out.
            assert_eq!(
                values(&bytes),
                vec![Ok(b"short".to_vec()), Ok(long.clone())]
            );
        }
    }

    /// The offset of the `HOFFPAGE` item of the value of pair `pair` on page 1.
    fn offpage_item(bytes: &[u8], page_size: usize, pair: usize) -> usize {
        let at = page_size + PAGE_HEADER + (pair * 2 + 1) * 2;
        page_size + u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize
    }

    #[test]
    fn a_looping_overflow_chain_is_an_error() {
        let long = vec![7u8; 2000];
        let mut bytes = database(512, false, &[(1, &long)]);
        // The chain is pages 2..=5; page 5 points back to page 2. Found by its length first...
        let last = bytes.len() / 512 - 1;
        bytes[last * 512 + 16..last * 512 + 20].copy_from_slice(&2u32.to_le_bytes());
        let read = values(&bytes);
        assert!(
            read[0]
                .as_ref()
                .unwrap_err()
                .contains("longer than its 2000 bytes")
        );
        // ...or, with a total length as long as the file allows, by its steps, which then use
        // up the budget of the whole file.
        let item = offpage_item(&bytes, 512, 0);
        let most = (last as u32 + 1) * (512 - PAGE_HEADER as u32);
        bytes[item + 8..item + 12].copy_from_slice(&most.to_le_bytes());
        let error = blobs(&bytes).unwrap_err();
        assert!(error.contains("more pages than the file holds"), "{error}");
        // Many items pointing at one chain: the whole budget is the page count.
        let mut bytes = database(512, false, &[(1, &long), (2, &long)]);
        let first = offpage_item(&bytes, 512, 0);
        let second = offpage_item(&bytes, 512, 1);
        let copy = bytes[first..first + 12].to_vec();
        bytes[second..second + 12].copy_from_slice(&copy);
        let read = values(&bytes);
        assert_eq!(read.len(), 2);
        assert!(
            read.iter().all(|r| r.is_ok()),
            "shared pages are read again"
        );
    }

    #[test]
    fn page_sizes_outside_berkeleydbs_are_errors() {
        for size in [0u32, 1, 511, 1000, 131_072, u32::MAX] {
            let mut bytes = database(512, false, &[(1, b"x")]);
            bytes[20..24].copy_from_slice(&size.to_le_bytes());
            let error = blobs(&bytes).unwrap_err();
            assert!(error.contains("page size"), "{size}: {error}");
        }
    }

    #[test]
    fn truncated_files_are_errors_never_panics() {
        let long = vec![7u8; 2000];
        let bytes = database(512, true, &[(1, b"short"), (2, &long)]);
        for cut in 0..bytes.len() {
            let _ = blobs(&bytes[..cut]);
        }
        let error = blobs(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(error.starts_with("truncated"), "{error}");
        // A last page number past the file, and one that would overflow a sum.
        for last in [1000u32, u32::MAX] {
            let mut bytes = database(512, false, &[(1, b"x")]);
            bytes[32..36].copy_from_slice(&last.to_le_bytes());
            assert!(blobs(&bytes).unwrap_err().starts_with("truncated"));
        }
    }

    #[test]
    fn index_entries_past_the_page_are_item_errors() {
        let long = vec![7u8; 2000];
        // An entry count whose index runs past the page end.
        let mut bytes = database(512, false, &[(1, b"short")]);
        bytes[512 + 20..512 + 22].copy_from_slice(&400u16.to_le_bytes());
        let read = values(&bytes);
        assert!(read[0].as_ref().unwrap_err().contains("do not fit"));
        // An offset past the page end, and one inside the index.
        for bad in [600u16, 28] {
            let mut bytes = database(512, false, &[(1, b"short")]);
            bytes[512 + PAGE_HEADER + 2..512 + PAGE_HEADER + 4].copy_from_slice(&bad.to_le_bytes());
            let read = values(&bytes);
            assert!(
                read[0].as_ref().unwrap_err().contains("outside the page"),
                "{read:?}"
            );
        }
        // An overflow reference to a page past the last, and a length that disagrees.
        let mut bytes = database(512, false, &[(1, &long)]);
        let item = offpage_item(&bytes, 512, 0);
        bytes[item + 4..item + 8].copy_from_slice(&9999u32.to_le_bytes());
        assert!(
            values(&bytes)[0]
                .as_ref()
                .unwrap_err()
                .contains("past the last")
        );
        let mut bytes = database(512, false, &[(1, &long)]);
        bytes[item + 8..item + 12].copy_from_slice(&1999u32.to_le_bytes());
        assert!(
            values(&bytes)[0]
                .as_ref()
                .unwrap_err()
                .contains("longer than")
        );
        let mut bytes = database(512, false, &[(1, &long)]);
        bytes[item + 8..item + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(
            values(&bytes)[0]
                .as_ref()
                .unwrap_err()
                .contains("more than the file")
        );
        // An overflow page claiming more bytes than the page has.
        let mut bytes = database(512, false, &[(1, &long)]);
        bytes[2 * 512 + 22..2 * 512 + 24].copy_from_slice(&600u16.to_le_bytes());
        assert!(values(&bytes)[0].as_ref().unwrap_err().contains("claims"));
    }

    #[test]
    fn not_berkeleydb_is_an_error() {
        assert!(blobs(b"").is_err());
        assert!(blobs(&[0u8; 4096]).unwrap_err().contains("no hash magic"));
        let mut encrypted = database(512, false, &[(1, b"x")]);
        encrypted[24] = 1;
        assert!(blobs(&encrypted).unwrap_err().contains("encrypted"));
    }
}
