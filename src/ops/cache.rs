//! Rendered answers kept ready for the hottest read, GetAwsOpportunitySummary.
//!
//! Correctness rests on one invariant: every committed write reports what it changed as
//! typed [`crate::domain::changes::Change`]s, and `Service::write` evicts the entry of each
//! changed opportunity once the write committed; reset and import clear everything. A
//! generation counter stops a reader that raced a write from caching what it read before the
//! write.
//!
//! A cache that is off ([`ResponseCache::off`]) keeps nothing: replicas sharing a store do not
//! cache, as another replica's write could not evict their entries.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// Entries kept at most; past that the cache starts over (simple and bounded).
const CAPACITY: usize = 100_000;

type Key = (String, String, String);

#[derive(Default)]
struct Inner {
    generation: u64,
    entries: HashMap<Key, Bytes>,
}

/// Serialized responses by (account, catalog, opportunity id).
#[derive(Default)]
pub struct ResponseCache {
    inner: Mutex<Inner>,
    off: bool,
}

impl ResponseCache {
    /// A cache that keeps nothing.
    pub fn off() -> Self {
        Self {
            off: true,
            ..Self::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached answer, or the generation to pass to [`ResponseCache::put`].
    pub fn get(&self, account: &str, catalog: &str, id: &str) -> Result<Bytes, u64> {
        let inner = self.lock();
        let key = (account.to_string(), catalog.to_string(), id.to_string());
        inner.entries.get(&key).cloned().ok_or(inner.generation)
    }

    /// Keeps an answer computed when the cache was at `generation`, unless a write came since.
    pub fn put(&self, account: &str, catalog: &str, id: &str, generation: u64, bytes: Bytes) {
        let mut inner = self.lock();
        if self.off || inner.generation != generation {
            return;
        }
        if inner.entries.len() >= CAPACITY {
            inner.entries.clear();
        }
        inner.entries.insert(
            (account.to_string(), catalog.to_string(), id.to_string()),
            bytes,
        );
    }

    /// Evicts the answer of one opportunity, after a committed change to it.
    pub fn evict(&self, account: &str, catalog: &str, id: &str) {
        let mut inner = self.lock();
        inner
            .entries
            .remove(&(account.to_string(), catalog.to_string(), id.to_string()));
        inner.generation += 1;
    }

    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.generation += 1;
    }
}
