//! [`BoundedMap`]: the per-node maps of limits, locks and scores, with a fixed number of keys.
//!
//! A flood of distinct keys (every address of an IPv6 /48, a stream of forged session ids)
//! must not grow memory, nor make an insert walk every key: these maps evict their coldest
//! entries (quick_cache's CLOCK-Pro, O(1) per insert) once they are full. An evicted entry is
//! only forgotten by this node: a limit starts its window again, a score is read again from the
//! store's shared counters, and a login lock is made again.

use std::hash::Hash;
use std::sync::Mutex;

use quick_cache::Equivalent;
use quick_cache::unsync::Cache;

/// A map of at most `capacity` keys under one lock; the lock is held for one lookup or insert.
pub struct BoundedMap<K, V> {
    inner: Mutex<Cache<K, V>>,
}

impl<K: Eq + Hash, V> BoundedMap<K, V> {
    /// An empty map that keeps at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Cache::new(capacity.max(1))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache<K, V>> {
        // A poisoned lock only means another request panicked mid-update; the map is usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the value of `key`, made by `make` when there is none.
    pub fn with<Q, R>(&self, key: &Q, make: impl FnOnce() -> V, f: impl FnOnce(&mut V) -> R) -> R
    where
        Q: Hash + Equivalent<K> + ToOwned<Owned = K> + ?Sized,
    {
        let mut cache = self.lock();
        if let Some(mut value) = cache.get_mut(key) {
            return f(&mut value);
        }
        let mut value = make();
        let result = f(&mut value);
        cache.insert(key.to_owned(), value);
        result
    }

    /// Sets `key` to `value`.
    pub fn insert(&self, key: K, value: V) {
        self.lock().insert(key, value);
    }

    /// The value of `key`, if it is kept.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        Q: Hash + Equivalent<K> + ?Sized,
        V: Clone,
    {
        self.lock().get(key).cloned()
    }

    /// How many keys it keeps now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it keeps none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_of_keys_stays_within_the_capacity_and_hot_keys_stay() {
        let map: BoundedMap<String, u32> = BoundedMap::new(100);
        for i in 0..100_000 {
            map.with("hot", || 0, |v| *v += 1);
            map.with(format!("k{i}").as_str(), || 0, |v| *v += 1);
        }
        assert!(map.len() <= 100, "{}", map.len());
        assert_eq!(map.get("hot"), Some(100_000), "a hot key is kept");
    }
}
