//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP: HMAC-SHA1, 30-second steps,
//! 6 digits — what every authenticator app reads from an `otpauth://` URI), and recovery codes.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const DIGITS: u32 = 6;
/// A code of the step before or after is accepted too (clocks drift).
pub const DRIFT_STEPS: i64 = 1;
pub const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODES: usize = 10;

/// The HOTP value of `counter` (RFC 4226 §5.3).
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    binary % 10u32.pow(DIGITS)
}

/// The time step of a Unix time.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The 6-digit code at a time step, zero-padded.
pub fn code_at(secret: &[u8], step: i64) -> String {
    format!("{:06}", hotp(secret, step.max(0) as u64))
}

/// The step whose code `typed` is (the current step ± [`DRIFT_STEPS`]), if any and if it is
/// later than the last step already used: a code works once.
pub fn verify(
    secret: &[u8],
    typed: &str,
    unix_seconds: i64,
    last_used: Option<i64>,
) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix_seconds);
    (now - DRIFT_STEPS..=now + DRIFT_STEPS)
        .filter(|step| last_used.is_none_or(|last| *step > last))
        .find(|step| {
            crate::tokens::constant_time_eq(code_at(secret, *step).as_bytes(), typed.as_bytes())
        })
}

/// RFC 4648 base32 without padding: how authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(ALPHABET[((bits >> (35 - i * 5)) & 31) as usize] as char);
        }
    }
    out
}

/// `otpauth://totp/Issuer:account?secret=…&issuer=…` (Google Authenticator's key URI format).
/// The label's one `:` is its separator: neither part may hold one (Key URI Format), so an issuer's
/// colons are left out ("Acme: EU" is "Acme EU").
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let issuer = issuer.replace(':', "");
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent(&issuer),
        percent(account),
        base32(secret),
        percent(&issuer)
    )
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A recovery code as people see it: `abcd-efgh-jk` (10 characters of an alphabet without look-alikes).
pub fn recovery_code(random: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz234567890";
    let chars: String = random
        .iter()
        .take(10)
        .map(|b| ALPHABET[(*b & 31) as usize] as char)
        .collect();
    format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..])
}

/// What a typed recovery code is compared as: lower case, without spaces or dashes.
pub fn normalize_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret, and its test vectors (8 digits there; the last 6 here).
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn matches_the_rfc_6238_test_vectors() {
        for (time, eight_digits) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(
                code_at(RFC_SECRET, step_of(time)),
                eight_digits[2..],
                "{time}"
            );
        }
    }

    #[test]
    fn matches_rfc_4226_hotp_values() {
        let expected = [755224, 287082, 359152, 969429, 338314];
        for (counter, value) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64), *value);
        }
    }

    #[test]
    fn accepts_one_step_of_drift_and_each_code_once() {
        let now = 1_234_567_890;
        let step = step_of(now);
        let before = code_at(RFC_SECRET, step - 1);
        assert_eq!(verify(RFC_SECRET, &before, now, None), Some(step - 1));
        assert_eq!(
            verify(RFC_SECRET, &code_at(RFC_SECRET, step + 1), now, None),
            Some(step + 1)
        );
        assert_eq!(
            verify(RFC_SECRET, &code_at(RFC_SECRET, step - 2), now, None),
            None
        );
        // Used once: not again, nor an earlier one.
        assert_eq!(verify(RFC_SECRET, &before, now, Some(step - 1)), None);
        assert_eq!(
            verify(RFC_SECRET, &code_at(RFC_SECRET, step), now, Some(step)),
            None
        );
        // Spaces are forgiven; anything else is not a code.
        let spaced = format!("{} {}", &before[..3], &before[3..]);
        assert_eq!(verify(RFC_SECRET, &spaced, now, None), Some(step - 1));
        assert_eq!(verify(RFC_SECRET, "12345", now, None), None);
        assert_eq!(verify(RFC_SECRET, "12345a", now, None), None);
    }

    #[test]
    fn encodes_base32_like_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }

    #[test]
    fn builds_the_key_uri() {
        assert_eq!(
            otpauth_uri("Acme Corp", "ada@example.com", RFC_SECRET),
            "otpauth://totp/Acme%20Corp:ada@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30"
        );
        // An issuer with a colon keeps the label's one separator.
        assert!(
            otpauth_uri("Acme: EU", "ada@example.com", RFC_SECRET)
                .starts_with("otpauth://totp/Acme%20EU:ada@example.com?secret=")
        );
    }

    #[test]
    fn recovery_codes_read_well_and_compare_loosely() {
        let code = recovery_code(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(code, "abcd-efgh-jk");
        assert_eq!(normalize_recovery_code(" ABCD efgh-JK "), "abcdefghjk");
    }
}
