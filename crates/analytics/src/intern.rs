//! String interning for case ids and activity names.
//!
//! A log of 10 million events in global time order looks up a different case
//! on almost every event, in a table of millions of cases that does not fit
//! in cache. A `HashMap<Box<str>, u32>` then costs two cache misses per event
//! (the bucket, then the boxed key to compare). This open-addressing table
//! keeps the full hash and keys of up to 16 bytes inline in 32-byte slots, so
//! a lookup usually touches one cache line; all keys live once in a `String`
//! arena that also serves as the final id column.

use crate::hash::hash_bytes;

const INLINE: usize = 16;

/// One 32-byte slot: `[hash, (code + 1) | len << 32, inline key bytes ×2]`.
/// All zeros means empty, so a new table is `calloc`ed memory that the OS
/// maps lazily instead of memory the process has to fill.
type Slot = [u64; 4];

#[inline]
fn slot_code(s: &Slot) -> Option<u32> {
    (s[1] as u32).checked_sub(1)
}

#[inline]
fn slot_len(s: &Slot) -> usize {
    (s[1] >> 32) as usize
}

#[inline]
fn pad(bytes: &[u8]) -> [u64; 2] {
    let mut padded = [0u8; INLINE];
    if let Some(dst) = padded.get_mut(..bytes.len()) {
        dst.copy_from_slice(bytes);
    }
    let (lo, hi) = padded.split_at(8);
    let word = |b: &[u8]| {
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        u64::from_le_bytes(w)
    };
    [word(lo), word(hi)]
}

/// Interns strings to dense `u32` codes in order of first appearance.
#[derive(Clone)]
pub struct Interner {
    slots: Vec<Slot>,
    mask: usize,
    arena: String,
    /// `offsets[c]..offsets[c + 1]` is key `c` in `arena`.
    offsets: Vec<usize>,
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Interner")
            .field("len", &self.len())
            .finish()
    }
}

impl Default for Interner {
    fn default() -> Self {
        Self::with_capacity(16)
    }
}

impl Interner {
    /// An interner with room for about `n` keys before growing.
    pub fn with_capacity(n: usize) -> Self {
        let cap = (n.max(8) * 2).next_power_of_two();
        Interner {
            slots: vec![[0u64; 4]; cap],
            mask: cap - 1,
            arena: String::new(),
            offsets: vec![0],
        }
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when no key was interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key with code `c`.
    pub fn get(&self, c: u32) -> Option<&str> {
        let s = *self.offsets.get(c as usize)?;
        let e = *self.offsets.get(c as usize + 1)?;
        self.arena.get(s..e)
    }

    /// The code of `key`, interning it if new; `None` past `u32::MAX - 1` keys.
    #[inline]
    pub fn intern(&mut self, key: &str) -> Option<u32> {
        self.intern_hashed(key, hash_bytes(key.as_bytes()))
    }

    /// The hash [`Interner::intern_hashed`] expects for `key`.
    #[inline]
    pub fn hash(key: &str) -> u64 {
        hash_bytes(key.as_bytes())
    }

    /// Loads the slot `hash` starts probing at and returns a word of it.
    /// Touching the slots of a batch of keys before interning them lets the
    /// CPU overlap the cache misses (a safe software prefetch).
    #[inline]
    pub fn touch(&self, hash: u64) -> u64 {
        self.slots
            .get(hash as usize & self.mask)
            .map_or(0, |s| s[0])
    }

    /// [`Interner::intern`] with a precomputed [`Interner::hash`].
    #[inline]
    pub fn intern_hashed(&mut self, key: &str, hash: u64) -> Option<u32> {
        self.intern_with(key.as_bytes(), hash, |_| Some(key))
    }

    /// [`Interner::intern`] for bytes, checked to be UTF-8 only when they are
    /// new (`None` also when they are not UTF-8): a key seen before costs no
    /// validation.
    #[inline]
    pub fn intern_bytes(&mut self, key: &[u8]) -> Option<u32> {
        self.intern_with(key, hash_bytes(key), |b| std::str::from_utf8(b).ok())
    }

    #[inline]
    fn intern_with<'k>(
        &mut self,
        bytes: &'k [u8],
        hash: u64,
        as_str: impl FnOnce(&'k [u8]) -> Option<&'k str>,
    ) -> Option<u32> {
        let short = bytes.len() <= INLINE;
        // Short keys compare as two words (no memcmp call).
        let padded = if short { pad(bytes) } else { [0, 0] };
        let mut i = hash as usize & self.mask;
        loop {
            let slot = self.slots.get(i)?;
            let Some(code) = slot_code(slot) else {
                break;
            };
            if slot[0] == hash && slot_len(slot) == bytes.len() {
                let same = if short {
                    slot[2] == padded[0] && slot[3] == padded[1]
                } else {
                    self.get(code).map(str::as_bytes) == Some(bytes)
                };
                if same {
                    return Some(code);
                }
            }
            i = (i + 1) & self.mask;
        }
        let key = as_str(bytes)?;
        let code = u32::try_from(self.len())
            .ok()
            .filter(|&c| c < u32::MAX - 1)?;
        let len = u64::try_from(bytes.len())
            .ok()
            .filter(|&l| l <= u64::from(u32::MAX))?;
        *self.slots.get_mut(i)? = [hash, u64::from(code + 1) | len << 32, padded[0], padded[1]];
        self.arena.push_str(key);
        self.offsets.push(self.arena.len());
        if self.len() * 4 > self.slots.len() * 3 {
            self.grow();
        }
        Some(code)
    }

    fn grow(&mut self) {
        let cap = self.slots.len() * 2;
        let mask = cap - 1;
        let mut slots = vec![[0u64; 4]; cap];
        for s in self.slots.iter().filter(|s| slot_code(s).is_some()) {
            let mut i = s[0] as usize & mask;
            while slots.get(i).is_some_and(|x| slot_code(x).is_some()) {
                i = (i + 1) & mask;
            }
            if let Some(dst) = slots.get_mut(i) {
                *dst = *s;
            }
        }
        self.slots = slots;
        self.mask = mask;
    }

    /// The keys in code order: the arena and the offsets (`len() + 1` of them).
    pub fn into_parts(self) -> (String, Vec<usize>) {
        (self.arena, self.offsets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn codes_are_dense_in_first_appearance_order_and_stable() {
        let mut it = Interner::default();
        let mut reference: HashMap<String, u32> = HashMap::new();
        let keys: Vec<String> = (0..5000)
            .map(|i| match i % 3 {
                0 => format!("c{}", i % 1700),
                1 => format!("a-much-longer-case-identifier-{}", i % 900),
                _ => format!("고객-{}", i % 50),
            })
            .collect();
        for k in &keys {
            let next = reference.len() as u32;
            let want = *reference.entry(k.clone()).or_insert(next);
            assert_eq!(it.intern(k), Some(want));
        }
        assert_eq!(it.len(), reference.len());
        for (k, &c) in &reference {
            assert_eq!(it.get(c), Some(k.as_str()));
        }
        assert_eq!(it.intern(""), Some(reference.len() as u32));
        assert_eq!(it.get(reference.len() as u32), Some(""));
        assert!(it.get(u32::MAX - 1).is_none());
    }

    #[test]
    fn bytes_intern_to_the_same_codes_and_new_non_utf8_keys_are_refused() {
        let mut it = Interner::default();
        let a = it.intern("고객-1").unwrap();
        assert_eq!(it.intern_bytes("고객-1".as_bytes()), Some(a));
        let b = it.intern_bytes(b"c2").unwrap();
        assert_eq!(it.intern("c2"), Some(b));
        assert_eq!(it.intern_bytes(&[0xff, 0xfe]), None);
        assert_eq!(it.len(), 2);
        assert_eq!(it.get(b), Some("c2"));
    }
}
