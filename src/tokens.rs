//! Random secrets and their stored form: tokens leave the server once, only their SHA-256 stays.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    // The OS generator failing leaves no safe way to go on.
    getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
    bytes
}

/// 32 random bytes (256 bits), base64url without padding: for links, cookies and CSRF tokens.
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(32))
}

/// The hex SHA-256 of a token: what the database keeps.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The first run's setup code, `abcd-efgh-jkmn` (60 bits): derived from the session key, so every
/// instance sharing it prints and accepts the same one, and nothing is stored. `/setup` asks for it:
/// only whoever sees the server's output sets the install up.
pub fn setup_code(session_key: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz234567890";
    let mut mac =
        Hmac::<Sha256>::new_from_slice(session_key).expect("HMAC takes a key of any length");
    mac.update(b"admin-console first-run setup code");
    let digest = mac.finalize().into_bytes();
    let chars: Vec<char> = digest
        .iter()
        .take(12)
        .map(|b| ALPHABET[(*b & 31) as usize] as char)
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether `typed` is `code`, read loosely (case, spaces and dashes aside), in constant time.
pub fn setup_code_matches(typed: &str, code: &str) -> bool {
    let loose = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    constant_time_eq(loose(typed).as_bytes(), loose(code).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_url_safe() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn hashes_are_stable_hex() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn compares_exactly() {
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sama"));
        assert!(!constant_time_eq(b"same", b"same+"));
    }

    #[test]
    fn a_setup_code_comes_from_the_session_key_and_reads_loosely() {
        let code = setup_code(&[7u8; 64]);
        assert_eq!(code.len(), 14);
        assert_eq!(code, setup_code(&[7u8; 64]), "the same on every instance");
        assert_ne!(code, setup_code(&[8u8; 64]));
        assert!(setup_code_matches(
            &code.to_uppercase().replace('-', " "),
            &code
        ));
        assert!(!setup_code_matches("", &code));
        assert!(!setup_code_matches(&code[..9], &code));
    }
}
