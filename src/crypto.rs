//! Secrets the server must read back (two-factor keys) are stored sealed with AES-256-GCM under
//! the encryption key (`ENCRYPTION_KEY` or DATA_DIR/encryption.key): a copy of the database alone
//! does not give them away. Each value has its own random 96-bit nonce.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// base64(nonce ‖ ciphertext ‖ tag).
pub fn seal(key: &[u8], plaintext: &[u8]) -> String {
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key[..32]));
    let nonce_bytes = crate::tokens::random_bytes(12);
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce_bytes), plaintext)
        .expect("AES-GCM encrypts any length the server stores");
    let mut out = nonce_bytes;
    out.extend_from_slice(&sealed);
    STANDARD.encode(out)
}

/// The plaintext, or `None` when the value was not sealed with this key (or was altered).
pub fn open(key: &[u8], sealed: &str) -> Option<Vec<u8>> {
    let bytes = STANDARD.decode(sealed).ok()?;
    if bytes.len() < 12 + 16 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key[..32]))
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .ok()
}

/// A sealed text (a token), or `None` when it was not sealed with this key.
pub fn open_text(key: &[u8], sealed: &str) -> Option<String> {
    open(key, sealed).and_then(|t| String::from_utf8(t).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_what_it_sealed_and_nothing_else() {
        let key = crate::tokens::random_bytes(32);
        let sealed = seal(&key, b"the secret");
        assert_ne!(sealed, seal(&key, b"the secret"), "a fresh nonce each time");
        assert_eq!(open(&key, &sealed).as_deref(), Some(&b"the secret"[..]));
        assert_eq!(open(&crate::tokens::random_bytes(32), &sealed), None);
        let mut altered = STANDARD.decode(&sealed).unwrap();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, &STANDARD.encode(altered)), None);
        assert_eq!(open(&key, "not base64!"), None);
    }
}
