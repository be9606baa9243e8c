//! Counters by a small key, for the counts that every field note bumps.
//!
//! Nested ordered maps (per author, per place, per month) cost a cache miss per level and per
//! string comparison once the state is large, and field notes are three quarters of a log. A
//! tally counts by the whole key (small indexes into a [`Names`](crate::names::Names) and a
//! month), hashed, in one map per month: notes arrive roughly in time order, so the counts a
//! catch-up bumps are in the few small maps of recent months, which stay in the cache, and not
//! scattered over one map as large as the log's history. Views sort what they show; the
//! checkpoint stores a tally sorted by key, so the same state gives the same bytes.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::names::FxHasher;

type Counts<K> = HashMap<K, u64, BuildHasherDefault<FxHasher>>;

/// A key that names the month it counts in.
pub trait Monthly {
    fn month(&self) -> NaiveDate;
}

impl<A> Monthly for (A, NaiveDate) {
    fn month(&self) -> NaiveDate {
        self.1
    }
}

impl<A, B> Monthly for (A, B, NaiveDate) {
    fn month(&self) -> NaiveDate {
        self.2
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(
    from = "Vec<(K, u64)>",
    into = "Vec<(K, u64)>",
    bound(
        serialize = "K: Serialize + Clone + Ord + Hash + Monthly",
        deserialize = "K: Deserialize<'de> + Eq + Hash + Monthly"
    )
)]
pub struct Tally<K: Eq + Hash> {
    /// Sorted by month; no map is empty.
    months: Vec<(NaiveDate, Counts<K>)>,
}

impl<K: Eq + Hash> Default for Tally<K> {
    fn default() -> Self {
        Tally { months: Vec::new() }
    }
}

impl<K: Eq + Hash> PartialEq for Tally<K> {
    fn eq(&self, other: &Self) -> bool {
        self.months == other.months
    }
}

impl<K: Eq + Hash + Monthly> From<Vec<(K, u64)>> for Tally<K> {
    fn from(v: Vec<(K, u64)>) -> Self {
        let mut t = Tally::default();
        for (k, n) in v {
            if n > 0 {
                *t.counts_mut(k.month()).entry(k).or_default() += n;
            }
        }
        t
    }
}

impl<K: Eq + Hash + Ord> From<Tally<K>> for Vec<(K, u64)> {
    fn from(t: Tally<K>) -> Self {
        let mut v: Vec<(K, u64)> = t.months.into_iter().flat_map(|(_, m)| m).collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

impl<K: Eq + Hash + Monthly> Tally<K> {
    /// Adds one (`up`) or takes one away; a count that reaches zero is dropped, so that adding
    /// and then removing the same fact leaves the tally as it was.
    pub fn bump(&mut self, key: K, up: bool) {
        let month = key.month();
        if up {
            *self.counts_mut(month).entry(key).or_default() += 1;
            return;
        }
        let Ok(i) = self.months.binary_search_by_key(&month, |(m, _)| *m) else { return };
        let counts = &mut self.months[i].1;
        if let Some(n) = counts.get_mut(&key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&key);
                if counts.is_empty() {
                    self.months.remove(i);
                }
            }
        }
    }

    /// The counts of a month, the map added if it has none yet. The latest month is checked
    /// first: that is where nearly every new note counts.
    fn counts_mut(&mut self, month: NaiveDate) -> &mut Counts<K> {
        let i = match self.months.last() {
            Some((m, _)) if *m == month => self.months.len() - 1,
            _ => match self.months.binary_search_by_key(&month, |(m, _)| *m) {
                Ok(i) => i,
                Err(i) => {
                    self.months.insert(i, (month, Counts::default()));
                    i
                }
            },
        };
        &mut self.months[i].1
    }
}

impl<K: Eq + Hash> Tally<K> {
    /// The counts, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &u64)> {
        self.months.iter().flat_map(|(_, m)| m.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumping_down_undoes_bumping_up_and_the_stored_form_is_sorted() {
        let m = |n: u32| NaiveDate::from_ymd_opt(2020, n, 1).unwrap();
        let mut t: Tally<(u32, NaiveDate)> = Tally::default();
        for k in [(2, m(1)), (1, m(5)), (2, m(1)), (0, m(9))] {
            t.bump(k, true);
        }
        let stored: Vec<((u32, NaiveDate), u64)> = t.clone().into();
        assert_eq!(stored, vec![((0, m(9)), 1), ((1, m(5)), 1), ((2, m(1)), 2)]);
        t.bump((0, m(9)), false);
        t.bump((2, m(1)), false);
        t.bump((7, m(7)), false);
        t.bump((7, m(1)), false);
        let stored: Vec<((u32, NaiveDate), u64)> = t.clone().into();
        assert_eq!(stored, vec![((1, m(5)), 1), ((2, m(1)), 1)]);
        assert_eq!(Tally::from(stored), t, "the stored form reads back as the same tally");
        assert_eq!(t.months.len(), 2, "a month whose counts all went is dropped");
    }
}
