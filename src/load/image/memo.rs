//! Applied prefixes shared by the images of one run (`harden scan IMAGE...`). Images of one base
//! start with the same layers; the tree those layers build is built once and shared. An image
//! whose first k layers (same diff ids, same blobs, same requests and limits) another image of the
//! run has applied starts from that image's tree (an O(1) clone of a persistent map,
//! [`crate::model::image::FileTree`]) and reads and applies only its own layers. With the layer
//! cache ([`super::cache`]), a layer is decoded once across runs; with this, a base is applied once
//! per run, which is what a warm run of many images of one base costs.
//!
//! One image computes a prefix; others wait for it rather than decode the same layers at the same
//! time. Waiting is safe because an image waits only before it claims anything, and a claimant never
//! waits: the waits form no cycle. They block the calling thread, so callers run images on threads of
//! their own, not on rayon's pool (a rayon thread that waits could hold the very job it waits for).

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use sha2::{Digest as _, Sha256};

use super::decode::Compression;
use crate::model::image::{FileTree, LayerChange};

/// Entries the run holds in applied prefixes, counted as the entries each prefix's last layer
/// added (the rest of a prefix's tree is shared with the prefix below it). About 250 bytes each:
/// tens of MiB, then the least recently used prefix goes.
const HELD_ENTRIES: u64 = 250_000;

/// What a held prefix counts beyond its last layer's entries: so the run holds at most a few
/// thousand prefixes whatever their layers (an image of a thousand empty layers publishes a
/// thousand), and finding the least recently used one stays cheap.
pub const PREFIX_OVERHEAD: u64 = 64;

/// One layer of an applied prefix: what its image's `Layer` record and its limits need.
#[derive(Debug)]
pub struct AppliedLayer {
    pub digest: String,
    pub diff_id: String,
    pub compression: Compression,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    /// Tar entries walked (the `entries` limit counts them).
    pub entries: u64,
    /// Bytes of file contents kept (the `kept-bytes` limit counts them).
    pub kept_bytes: u64,
    pub changes: Arc<Vec<LayerChange>>,
}

/// The first layers of an image, applied.
#[derive(Debug)]
pub struct AppliedPrefix {
    pub tree: FileTree,
    /// What the applier counted against `implied-dir-bytes` so far.
    pub implied_bytes: u64,
    pub layers: Vec<Arc<AppliedLayer>>,
}

/// What identifies a prefix: a hash over its layers' identities in order
/// ([`layer_identity`]).
pub type ChainKey = [u8; 32];

/// A layer as the memo tells layers apart: the layer cache's key (diff id, requests, limits) and
/// the blob the source names (its digest and size, when it names them). Two copies of a layer
/// with different compressed blobs are different layers here: each is read from its own source.
pub fn layer_identity(cache_key: &[u8; 32], digest: Option<&str>, size: Option<u64>) -> Vec<u8> {
    let mut identity = cache_key.to_vec();
    identity.extend_from_slice(digest.unwrap_or("-").as_bytes());
    identity.push(0);
    identity.extend_from_slice(size.map_or(u64::MAX, |s| s).to_le_bytes().as_slice());
    identity
}

/// The key of every prefix of a layer list: `chain[i]` names layers `0..=i`.
pub fn chain(identities: impl IntoIterator<Item = Vec<u8>>) -> Vec<ChainKey> {
    let mut previous = [0u8; 32];
    identities
        .into_iter()
        .map(|identity| {
            let mut hasher = Sha256::new();
            hasher.update(previous);
            hasher.update((identity.len() as u64).to_le_bytes());
            hasher.update(&identity);
            previous = hasher.finalize().into();
            previous
        })
        .collect()
}

enum Slot {
    /// An image is applying this prefix and will publish it (or give it up).
    Pending,
    Ready {
        prefix: Arc<AppliedPrefix>,
        weight: u64,
        used: u64,
    },
}

#[derive(Default)]
struct Slots {
    slots: HashMap<ChainKey, Slot>,
    clock: u64,
    held: u64,
}

/// The applied prefixes of one run.
#[derive(Default)]
pub struct RunMemo {
    slots: Mutex<Slots>,
    changed: Condvar,
}

impl std::fmt::Debug for RunMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunMemo").finish_non_exhaustive()
    }
}

impl RunMemo {
    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The longest applied prefix of `chain` there is, after waiting for any longer one another
    /// image is applying; the prefixes beyond it that no image has are claimed: the caller
    /// publishes them as it applies its layers ([`Claim::publish`]) or gives them up when dropped.
    pub fn claim(&self, chain: &[ChainKey]) -> Claim<'_> {
        let mut slots = self.lock();
        loop {
            let ready = chain
                .iter()
                .rposition(|key| matches!(slots.slots.get(key), Some(Slot::Ready { .. })));
            let pending = chain
                .iter()
                .rposition(|key| matches!(slots.slots.get(key), Some(Slot::Pending)));
            if pending.is_some() && pending > ready {
                slots = self
                    .changed
                    .wait(slots)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            slots.clock += 1;
            let now = slots.clock;
            let start = ready.and_then(|i| match slots.slots.get_mut(&chain[i]) {
                Some(Slot::Ready { prefix, used, .. }) => {
                    *used = now;
                    Some((i + 1, Arc::clone(prefix)))
                }
                _ => None,
            });
            let from = start.as_ref().map_or(0, |(len, _)| *len);
            let mut owned = Vec::new();
            for (i, key) in chain.iter().enumerate().skip(from) {
                if !slots.slots.contains_key(key) {
                    slots.slots.insert(*key, Slot::Pending);
                    owned.push(i + 1);
                }
            }
            return Claim {
                memo: self,
                chain: chain.to_vec(),
                owned,
                start,
            };
        }
    }
}

/// An image's hold on the memo while it loads.
pub struct Claim<'m> {
    memo: &'m RunMemo,
    chain: Vec<ChainKey>,
    /// Lengths of the prefixes this image is to publish.
    owned: Vec<usize>,
    start: Option<(usize, Arc<AppliedPrefix>)>,
}

impl Claim<'_> {
    /// The applied prefix to start from and its length in layers, once.
    pub fn take_start(&mut self) -> Option<(usize, Arc<AppliedPrefix>)> {
        self.start.take()
    }

    /// Whether the prefix of `len` layers is this image's to publish.
    pub fn owns(&self, len: usize) -> bool {
        self.owned.contains(&len)
    }

    /// Publishes the prefix of `len` layers; `weight` is the entries its last layer added plus
    /// [`PREFIX_OVERHEAD`].
    pub fn publish(&mut self, len: usize, prefix: AppliedPrefix, weight: u64) {
        let Some(position) = self.owned.iter().position(|&l| l == len) else {
            return;
        };
        self.owned.swap_remove(position);
        let key = self.chain[len - 1];
        let mut slots = self.memo.lock();
        if weight > HELD_ENTRIES {
            slots.slots.remove(&key);
        } else {
            slots.clock += 1;
            let used = slots.clock;
            slots.held += weight;
            slots.slots.insert(
                key,
                Slot::Ready {
                    prefix: Arc::new(prefix),
                    weight,
                    used,
                },
            );
            evict(&mut slots, &key);
        }
        drop(slots);
        self.memo.changed.notify_all();
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if self.owned.is_empty() {
            return;
        }
        let mut slots = self.memo.lock();
        for len in self.owned.drain(..) {
            if matches!(slots.slots.get(&self.chain[len - 1]), Some(Slot::Pending)) {
                slots.slots.remove(&self.chain[len - 1]);
            }
        }
        drop(slots);
        self.memo.changed.notify_all();
    }
}

/// Drops the least recently used prefixes (never `keep`, the one just published) until the run
/// holds at most [`HELD_ENTRIES`].
fn evict(slots: &mut Slots, keep: &ChainKey) {
    while slots.held > HELD_ENTRIES {
        let oldest = slots
            .slots
            .iter()
            .filter(|(key, _)| *key != keep)
            .filter_map(|(key, slot)| match slot {
                Slot::Ready { used, weight, .. } => Some((*used, *key, *weight)),
                Slot::Pending => None,
            })
            .min();
        let Some((_, key, weight)) = oldest else {
            return;
        };
        slots.slots.remove(&key);
        slots.held -= weight;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(layers: usize) -> AppliedPrefix {
        AppliedPrefix {
            tree: FileTree::default(),
            implied_bytes: 0,
            layers: (0..layers)
                .map(|i| {
                    Arc::new(AppliedLayer {
                        digest: format!("d{i}"),
                        diff_id: format!("i{i}"),
                        compression: Compression::None,
                        compressed_size: 0,
                        uncompressed_size: 0,
                        entries: 0,
                        kept_bytes: 0,
                        changes: Arc::new(Vec::new()),
                    })
                })
                .collect(),
        }
    }

    fn keys(ids: &[&str]) -> Vec<ChainKey> {
        chain(ids.iter().map(|id| id.as_bytes().to_vec()))
    }

    #[test]
    fn a_prefix_key_depends_on_every_layer_below_it_and_their_order() {
        let ab = keys(&["a", "b"]);
        let ba = keys(&["b", "a"]);
        let abc = keys(&["a", "b", "c"]);
        assert_eq!(ab[..], abc[..2]);
        assert_ne!(ab[1], ba[1]);
        assert_ne!(ab[0], ba[0]);
        // Identities are length-prefixed: ["ab"] and ["a", "b"] differ.
        assert_ne!(keys(&["ab"])[0], ab[1]);
    }

    #[test]
    fn the_second_image_starts_from_the_longest_prefix_the_first_published() {
        let memo = RunMemo::default();
        let first = keys(&["base1", "base2", "app1"]);
        let mut claim = memo.claim(&first);
        assert!(claim.take_start().is_none());
        assert!(claim.owns(1) && claim.owns(2) && claim.owns(3));
        claim.publish(1, prefix(1), 1);
        claim.publish(2, prefix(2), 1);
        drop(claim); // gives up the 3-layer prefix it did not publish
        let second = keys(&["base1", "base2", "app2"]);
        let mut claim = memo.claim(&second);
        let (len, start) = claim.take_start().expect("a prefix");
        assert_eq!((len, start.layers.len()), (2, 2));
        assert!(!claim.owns(2) && claim.owns(3));
        drop(claim);
        // The abandoned 3-layer prefix of the first image is claimable again.
        let mut again = memo.claim(&first);
        assert_eq!(again.take_start().map(|(len, _)| len), Some(2));
        assert!(again.owns(3));
    }

    #[test]
    fn an_image_waits_for_a_longer_prefix_another_image_is_applying() {
        let memo = RunMemo::default();
        let base = keys(&["base1", "base2"]);
        let app = keys(&["base1", "base2", "app"]);
        let mut owner = memo.claim(&base);
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let mut claim = memo.claim(&app);
                claim.take_start().map(|(len, _)| len)
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            owner.publish(1, prefix(1), 1);
            owner.publish(2, prefix(2), 1);
            assert_eq!(waiter.join().ok().flatten(), Some(2));
        });
    }

    #[test]
    fn a_waiter_goes_on_alone_when_the_owner_gives_up() {
        let memo = RunMemo::default();
        let base = keys(&["base1", "base2"]);
        let owner = memo.claim(&base);
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let mut claim = memo.claim(&base);
                (claim.take_start().is_none(), claim.owns(1), claim.owns(2))
            });
            std::thread::sleep(std::time::Duration::from_millis(50));
            drop(owner); // an error: nothing published
            assert_eq!(waiter.join().ok(), Some((true, true, true)));
        });
    }

    #[test]
    fn least_recently_used_prefixes_go_past_the_bound() {
        let memo = RunMemo::default();
        let a = keys(&["a"]);
        let b = keys(&["b"]);
        let c = keys(&["c"]);
        let third = HELD_ENTRIES / 3 + 1;
        for chain in [&a, &b] {
            let mut claim = memo.claim(chain);
            claim.publish(1, prefix(1), third);
        }
        // `a` is used again, so `b` is the least recently used when `c` passes the bound.
        assert!(memo.claim(&a).take_start().is_some());
        let mut claim = memo.claim(&c);
        claim.publish(1, prefix(1), third);
        drop(claim);
        assert!(memo.claim(&a).take_start().is_some());
        assert!(memo.claim(&b).take_start().is_none());
        assert!(memo.claim(&c).take_start().is_some());
    }

    #[test]
    fn a_prefix_heavier_than_the_bound_is_not_held() {
        let memo = RunMemo::default();
        let a = keys(&["a"]);
        let mut claim = memo.claim(&a);
        claim.publish(1, prefix(1), HELD_ENTRIES + 1);
        drop(claim);
        assert!(memo.claim(&a).take_start().is_none());
    }
}
