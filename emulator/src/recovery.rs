//! Recovery codes: how they are made (10 codes of 16 letters and digits from a cryptographic
//! RNG) and how a code a client sends is turned into the hash the emulator keeps.
//!
//! The emulator shows the codes once, in the enroll answer, and keeps only their SHA-256
//! hashes; checking them (single use, rate limit) is the state's (`state/recovery.rs`).

use rand::{CryptoRng, Rng};

use crate::hash::sha256;

/// Codes in one set.
pub(crate) const CODES_PER_SET: usize = 10;

/// Characters in one code.
pub(crate) const CODE_CHARS: usize = 16;

/// What a code is made of: ASCII letters (both cases) and digits.
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// One fresh code: [`CODE_CHARS`] characters, each drawn uniformly from [`ALPHABET`].
pub(crate) fn new_code<R: CryptoRng + ?Sized>(rng: &mut R) -> String {
    (0..CODE_CHARS).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// A fresh set of [`CODES_PER_SET`] codes.
pub(crate) fn new_codes<R: CryptoRng + ?Sized>(rng: &mut R) -> Vec<String> {
    (0..CODES_PER_SET).map(|_| new_code(rng)).collect()
}

/// The hash a code is kept and compared as. A code typed in dash-separated groups
/// (`AbCd-3F5h-…`, a form the vendor's reference shows) is the same code: dashes between
/// non-empty groups are dropped first; any other dash stays (and so matches nothing).
/// Letters keep their case.
pub(crate) fn hash(code: &str) -> [u8; 32] {
    let grouped = code.contains('-') && code.split('-').all(|group| !group.is_empty());
    if grouped { sha256(code.replace('-', "").as_bytes()) } else { sha256(code.as_bytes()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn codes_are_sixteen_letters_and_digits() {
        let codes = new_codes(&mut rand::rng());
        assert_eq!(codes.len(), CODES_PER_SET);
        for code in &codes {
            assert_eq!(code.len(), CODE_CHARS);
            assert!(code.chars().all(|c| c.is_ascii_alphanumeric()), "{code}");
        }
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), CODES_PER_SET);
    }

    #[test]
    fn every_character_class_turns_up() {
        let mut rng = StdRng::seed_from_u64(21);
        let all: String = (0..200).map(|_| new_code(&mut rng)).collect();
        assert!(all.chars().any(|c| c.is_ascii_uppercase()));
        assert!(all.chars().any(|c| c.is_ascii_lowercase()));
        assert!(all.chars().any(|c| c.is_ascii_digit()));
        // 3,200 draws from 62 characters: each shows up (expected ~52 times each).
        assert!(ALPHABET.iter().all(|b| all.as_bytes().contains(b)));
    }

    #[test]
    fn hashing_is_case_sensitive_and_ignores_group_dashes() {
        let code = "Ab3dEf6hIj9kLm0p";
        assert_eq!(hash(code), sha256(code.as_bytes()));
        assert_eq!(hash("Ab3d-Ef6h-Ij9k-Lm0p"), hash(code));
        assert_ne!(hash("ab3dEf6hIj9kLm0p"), hash(code));
        for odd in ["-Ab3dEf6hIj9kLm0p", "Ab3dEf6hIj9kLm0p-", "Ab3d--Ef6hIj9kLm0p"] {
            assert_ne!(hash(odd), hash(code), "{odd}");
        }
    }
}
