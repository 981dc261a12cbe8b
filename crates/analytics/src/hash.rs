//! A small, fast, non-cryptographic hasher for interning short keys.
//!
//! The standard library's SipHash is DoS-resistant but several times slower on
//! the short strings (case ids, activity names) that dominate log loading. The
//! engine only hashes data the user loads into their own process, so a
//! multiplicative "Fx" hash (as used by rustc) is the right trade-off.

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// The Fx hasher: rotate, xor, multiply per 8-byte word.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Fx leaves the low bits weak; hashbrown uses the top 7 bits for its
        // control bytes and the low bits for the bucket, so mix once more.
        fmix64(self.hash)
    }
}

/// Builds [`FxHasher`]s for `HashMap`.
pub type FxBuild = BuildHasherDefault<FxHasher>;

/// A hasher for keys that already are well-mixed 64-bit hashes.
#[derive(Default, Clone, Copy)]
pub struct IdentityHasher {
    hash: u64,
}

impl Hasher for IdentityHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.hash = (self.hash << 8) ^ u64::from(b);
        }
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.hash = i;
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Builds [`IdentityHasher`]s for `HashMap<u64, _>` keyed by precomputed hashes.
pub type IdentityBuild = BuildHasherDefault<IdentityHasher>;

/// MurmurHash3's 64-bit finaliser: every input bit affects every output bit.
#[inline]
pub fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// Hashes a byte string (a case id or activity name) into one well-mixed word.
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = FxHasher {
        hash: bytes.len() as u64,
    };
    h.write(bytes);
    h.finish()
}

/// Hashes a sequence of activity codes (a trace) into one well-mixed word.
#[inline]
pub fn hash_codes(codes: &[u32]) -> u64 {
    let mut h: u64 = 0x9e37_79b9_7f4a_7c15 ^ (codes.len() as u64);
    for &c in codes {
        h = (h.rotate_left(23) ^ u64::from(c)).wrapping_mul(SEED);
    }
    fmix64(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn equal_strings_hash_equal_and_different_strings_differ() {
        let b = FxBuild::default();
        assert_eq!(b.hash_one("case-1"), b.hash_one("case-1"));
        assert_ne!(b.hash_one("case-1"), b.hash_one("case-2"));
        assert_ne!(b.hash_one("abcdefgh1"), b.hash_one("abcdefgh2"));
    }

    #[test]
    fn code_sequences_hash_by_order_and_length() {
        assert_ne!(hash_codes(&[1, 2]), hash_codes(&[2, 1]));
        assert_ne!(hash_codes(&[0]), hash_codes(&[0, 0]));
        assert_eq!(hash_codes(&[5, 6, 7]), hash_codes(&[5, 6, 7]));
    }
}
