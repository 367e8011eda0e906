//! Rendered answers kept ready for the hottest read, GetAwsOpportunitySummary.
//!
//! In one process, correctness rests on one invariant: every committed write reports what it
//! changed as typed [`crate::domain::changes::Change`]s, and `Service::write` evicts the entry
//! of each changed opportunity once the write committed; reset and import clear everything. A
//! generation counter stops a reader that raced a write from caching what it read before the
//! write.
//!
//! Replicas sharing a store cannot see each other's evictions. Their cache is *validated*
//! ([`ResponseCache::validated`]): each entry is tagged with the store's write count
//! (`Store::generation`) read before it was rendered, and is answered only while the store's
//! count is still that value, i.e. no write by any replica committed since. That costs one
//! round trip per hit, and any write empties it in effect; it pays on read-mostly loads.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// Entries kept at most; past that the cache starts over (simple and bounded).
const CAPACITY: usize = 100_000;

type Key = (String, String, String);

#[derive(Default)]
struct Inner {
    generation: u64,
    /// The answer and, in a validated cache, the store's write count it was rendered at.
    entries: HashMap<Key, (Bytes, i64)>,
}

/// Serialized responses by (account, catalog, opportunity id).
#[derive(Default)]
pub struct ResponseCache {
    inner: Mutex<Inner>,
    validated: bool,
}

fn key(account: &str, catalog: &str, id: &str) -> Key {
    (account.to_string(), catalog.to_string(), id.to_string())
}

impl ResponseCache {
    /// A cache whose entries are answered only at the store write count they were rendered at
    /// ([`ResponseCache::get_at`], [`ResponseCache::put_at`]).
    pub fn validated() -> Self {
        Self {
            validated: true,
            ..Self::default()
        }
    }

    /// Whether entries are validated against the store's write count.
    pub fn is_validated(&self) -> bool {
        self.validated
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached answer, or the generation to pass to [`ResponseCache::put`]. A validated
    /// cache answers only through [`ResponseCache::get_at`].
    pub fn get(&self, account: &str, catalog: &str, id: &str) -> Result<Bytes, u64> {
        let inner = self.lock();
        match inner.entries.get(&key(account, catalog, id)) {
            Some((bytes, _)) if !self.validated => Ok(bytes.clone()),
            _ => Err(inner.generation),
        }
    }

    /// Keeps an answer computed when the cache was at `generation`, unless a write came since.
    pub fn put(&self, account: &str, catalog: &str, id: &str, generation: u64, bytes: Bytes) {
        let mut inner = self.lock();
        if self.validated || inner.generation != generation {
            return;
        }
        insert(&mut inner, key(account, catalog, id), bytes, 0);
    }

    /// The answer rendered when the store's write count was `written`, if one is kept.
    pub fn get_at(&self, account: &str, catalog: &str, id: &str, written: i64) -> Option<Bytes> {
        match self.lock().entries.get(&key(account, catalog, id)) {
            Some((bytes, at)) if *at == written => Some(bytes.clone()),
            _ => None,
        }
    }

    /// Keeps an answer rendered after the store's write count was read as `written`.
    pub fn put_at(&self, account: &str, catalog: &str, id: &str, written: i64, bytes: Bytes) {
        insert(&mut self.lock(), key(account, catalog, id), bytes, written);
    }

    /// Evicts the answer of one opportunity, after a committed change to it.
    pub fn evict(&self, account: &str, catalog: &str, id: &str) {
        let mut inner = self.lock();
        inner.entries.remove(&key(account, catalog, id));
        inner.generation += 1;
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.generation += 1;
    }
}

fn insert(inner: &mut Inner, key: Key, bytes: Bytes, written: i64) {
    if inner.entries.len() >= CAPACITY {
        inner.entries.clear();
    }
    inner.entries.insert(key, (bytes, written));
}
