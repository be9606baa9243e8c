//! Counters by a small key, for the counts that every field note bumps.
//!
//! Nested ordered maps (per author, per place, per month) cost a cache miss per level and per
//! string comparison once the state is large, and field notes are three quarters of a log. A
//! tally is one hashed map by the whole key (small indexes into a [`Names`](crate::names::Names)
//! and a month), so a count is one look-up. Views sort what they show; the checkpoint stores a
//! tally sorted by key, so the same state gives the same bytes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash};

use serde::{Deserialize, Serialize};

use crate::names::FxHasher;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    from = "Vec<(K, u64)>",
    into = "Vec<(K, u64)>",
    bound(serialize = "K: Serialize + Clone + Ord + Hash", deserialize = "K: Deserialize<'de> + Eq + Hash")
)]
pub struct Tally<K: Eq + Hash>(HashMap<K, u64, BuildHasherDefault<FxHasher>>);

impl<K: Eq + Hash> Default for Tally<K> {
    fn default() -> Self {
        Tally(HashMap::default())
    }
}

impl<K: Eq + Hash> From<Vec<(K, u64)>> for Tally<K> {
    fn from(v: Vec<(K, u64)>) -> Self {
        Tally(v.into_iter().collect())
    }
}

impl<K: Eq + Hash + Ord> From<Tally<K>> for Vec<(K, u64)> {
    fn from(t: Tally<K>) -> Self {
        let mut v: Vec<(K, u64)> = t.0.into_iter().collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

impl<K: Eq + Hash> Tally<K> {
    /// Adds one (`up`) or takes one away; a count that reaches zero is dropped, so that adding
    /// and then removing the same fact leaves the tally as it was.
    pub fn bump(&mut self, key: K, up: bool) {
        if up {
            *self.0.entry(key).or_default() += 1;
        } else if let Some(n) = self.0.get_mut(&key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.0.remove(&key);
            }
        }
    }

    /// The counts, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &u64)> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumping_down_undoes_bumping_up_and_the_stored_form_is_sorted() {
        let mut t: Tally<(u32, u32)> = Tally::default();
        for k in [(2, 1), (1, 5), (2, 1), (0, 9)] {
            t.bump(k, true);
        }
        let stored: Vec<((u32, u32), u64)> = t.clone().into();
        assert_eq!(stored, vec![((0, 9), 1), ((1, 5), 1), ((2, 1), 2)]);
        t.bump((0, 9), false);
        t.bump((2, 1), false);
        t.bump((7, 7), false);
        let stored: Vec<((u32, u32), u64)> = t.clone().into();
        assert_eq!(stored, vec![((1, 5), 1), ((2, 1), 1)]);
        assert_eq!(Tally::from(stored), t);
    }
}
