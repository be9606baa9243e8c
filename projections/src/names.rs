//! Strings that many records repeat (authors, places, topics), kept once and referred to by a
//! small index, and the fast hash their lookup uses.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

/// An index into [`Names`].
pub type Sym = u32;

/// Strings kept once, by index. The index a string gets depends only on the order strings were
/// first seen, so the same log prefix gives the same indexes. Names are never dropped: a string
/// that nothing uses any more costs a few bytes. Views never show an index, only its string.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct Names {
    list: Vec<String>,
    index: HashMap<String, Sym, BuildHasherDefault<FxHasher>>,
}

impl PartialEq for Names {
    fn eq(&self, other: &Self) -> bool {
        self.list == other.list
    }
}

impl From<Vec<String>> for Names {
    fn from(list: Vec<String>) -> Self {
        let index = list.iter().enumerate().map(|(i, s)| (s.clone(), i as Sym)).collect();
        Names { list, index }
    }
}

impl From<Names> for Vec<String> {
    fn from(n: Names) -> Self {
        n.list
    }
}

impl Names {
    /// The index of a string, added if new.
    pub fn sym(&mut self, s: &str) -> Sym {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = Sym::try_from(self.list.len()).expect("fewer than 2^32 distinct names");
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
    /// The index of a string, if it has one.
    pub fn find(&self, s: &str) -> Option<Sym> {
        self.index.get(s).copied()
    }
    pub fn get(&self, i: Sym) -> &str {
        &self.list[i as usize]
    }
}

/// The hash of rustc's hash maps (FxHash): a multiply and a rotate per word, several times
/// faster than the standard SipHash on short keys. It is not resistant to chosen collisions;
/// the keys here are ids from the project's own log, written by its authenticated members.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.hash
    }
}
