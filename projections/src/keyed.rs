//! Maps that are looked up by hash and read in key order.
//!
//! After the engine opens from a checkpoint its state is cold: catching up on new events costs
//! a cache miss for every node an ordered map's look-up walks and every key string it compares,
//! and more of them the larger the log. Field notes find their cycle and initiative by stream,
//! and every signal is filed by id, so those look-ups are hashed: a fixed few misses each,
//! however large the state. Views still read in key order, and the stored form is sorted by key, so
//! the same state gives the same bytes, whatever order it was built in.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::hash::{BuildHasherDefault, Hash};

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::names::FxHasher;

type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// A map by name (a stream, say) whose keys are few and seldom new, and whose values are looked
/// up often: a hashed index for the look-ups, and the entries' order by key for reading, which
/// views do often and in nested loops (so reading costs no hashing). Keys are never removed.
/// It is stored, compared and read exactly as a `BTreeMap<String, V>` with the same entries.
#[derive(Clone)]
pub struct Keyed<V> {
    /// In the order keys were first seen.
    entries: Vec<(String, V)>,
    /// Key to its index in `entries`.
    index: FxHashMap<String, u32>,
    /// Indexes into `entries`, in key order.
    sorted: Vec<u32>,
}

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed { entries: Vec::new(), index: FxHashMap::default(), sorted: Vec::new() }
    }
}

impl<V> Keyed<V> {
    pub fn get(&self, key: &str) -> Option<&V> {
        self.index.get(key).map(|i| &self.entries[*i as usize].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.index.get(key).map(|i| &mut self.entries[*i as usize].1)
    }

    /// The value of a key, a default one added first if the key is new. The key is copied only
    /// when it is new.
    pub fn or_default(&mut self, key: &str) -> &mut V
    where
        V: Default,
    {
        let i = match self.index.get(key) {
            Some(i) => *i,
            None => self.add(key.to_string(), V::default()),
        };
        &mut self.entries[i as usize].1
    }

    /// Adds a new key; returns its index in `entries`.
    fn add(&mut self, key: String, value: V) -> u32 {
        debug_assert!(!self.index.contains_key(key.as_str()), "a new key");
        let i = u32::try_from(self.entries.len()).expect("fewer than 2^32 keys");
        let at = self.sorted.partition_point(|j| self.entries[*j as usize].0 < key);
        self.sorted.insert(at, i);
        self.index.insert(key.clone(), i);
        self.entries.push((key, value));
        i
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &V)> + '_ {
        self.sorted.iter().map(|i| {
            let (k, v) = &self.entries[*i as usize];
            (k, v)
        })
    }

    /// The values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a, V> IntoIterator for &'a Keyed<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = Box<dyn DoubleEndedIterator<Item = (&'a String, &'a V)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<V: PartialEq> PartialEq for Keyed<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<V: fmt::Debug> fmt::Debug for Keyed<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: Serialize> Serialize for Keyed<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Keyed<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut k = Keyed::default();
        for (key, value) in BTreeMap::<String, V>::deserialize(d)? {
            k.add(key, value);
        }
        Ok(k)
    }
}

/// A map that is only looked up, never read in order (signals by event id, say): hashed, and
/// stored sorted by key so that the same entries give the same bytes.
#[derive(Clone)]
pub struct Lookup<K, V>(FxHashMap<K, V>);

impl<K, V> Default for Lookup<K, V> {
    fn default() -> Self {
        Lookup(FxHashMap::default())
    }
}

impl<K: Eq + Hash, V> Lookup<K, V> {
    pub fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.0.get(key)
    }

    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.0.insert(key, value)
    }

    pub fn remove<Q: Eq + Hash + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        self.0.remove(key)
    }
}

impl<K: Eq + Hash, V: PartialEq> PartialEq for Lookup<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<K: Ord + fmt::Debug, V: fmt::Debug> fmt::Debug for Lookup<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v: Vec<_> = self.0.iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        f.debug_map().entries(v).finish()
    }
}

impl<K: Ord + Serialize, V: Serialize> Serialize for Lookup<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v: Vec<_> = self.0.iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(b.0));
        s.collect_map(v)
    }
}

impl<'de, K: Eq + Hash + Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Lookup<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Lookup(FxHashMap::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_reads_and_stores_in_key_order_whatever_the_order_of_insertion() {
        let mut a: Keyed<u32> = Keyed::default();
        for (k, v) in [("cycle:b", 2), ("cycle:a", 1), ("cycle:c", 3)] {
            *a.or_default(k) += v;
        }
        let mut b: Keyed<u32> = Keyed::default();
        for (k, v) in [("cycle:c", 3), ("cycle:a", 1), ("cycle:b", 2)] {
            *b.or_default(k) = v;
        }
        assert_eq!(a, b);
        let keys: Vec<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["cycle:a", "cycle:b", "cycle:c"]);
        let as_btree: BTreeMap<String, u32> = a.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let stored = serde_json::to_string(&a).unwrap();
        assert_eq!(stored, serde_json::to_string(&as_btree).unwrap(), "stored as the ordered map it replaces");
        assert_eq!(serde_json::to_string(&b).unwrap(), stored);
        let back: Keyed<u32> = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, a);
        assert_eq!(back.get("cycle:b"), Some(&2));
        *a.or_default("cycle:b") = 5;
        assert_eq!((a.get("cycle:b"), a.len()), (Some(&5), 3), "a known key adds no entry");
    }

    #[test]
    fn lookup_stores_sorted_by_key() {
        let mut a: Lookup<u64, u64> = Lookup::default();
        let mut b: Lookup<u64, u64> = Lookup::default();
        for k in [9, 1, 5, 1000, 3] {
            a.insert(k, k * 2);
        }
        for k in [3, 1000, 5, 1, 9] {
            b.insert(k, k * 2);
        }
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"1":2,"3":6,"5":10,"9":18,"1000":2000}"#);
        assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        assert_eq!(a.remove(&5), Some(10));
        assert_eq!(a.get(&5), None);
        let back: Lookup<u64, u64> = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }
}
