//! The second factor's arithmetic (RFC 6238 TOTP: HMAC-SHA-1, 6 digits, 30-second steps, as
//! every authenticator app expects) and recovery codes. Pure: no database, no clock of its own.

use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

pub const DIGITS: usize = 6;
pub const STEP_SECONDS: u64 = 30;
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> Option<TOTP> {
    // otpauth URIs use `:` between issuer and account; neither may hold one.
    let clean = |s: &str| s.replace(':', " ");
    TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP_SECONDS, secret, Some(clean(issuer)), clean(account)).ok()
}

/// A new random 160-bit secret (RFC 4226 recommends 160 bits), in base32.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn secret_bytes(base32: &str) -> Option<Vec<u8>> {
    Secret::Encoded(base32.to_string()).to_bytes().ok()
}

/// The `otpauth://totp/…` address an authenticator app reads (typed in, or from a QR code).
pub fn otpauth_uri(secret: &str, issuer: &str, account: &str) -> Option<String> {
    Some(totp(secret_bytes(secret)?, issuer, account)?.get_url())
}

/// The code of `secret` for the step holding `unix_seconds` (what an app shows then).
pub fn code_at(secret: &str, unix_seconds: u64) -> Option<String> {
    Some(totp(secret_bytes(secret)?, "x", "x")?.generate(unix_seconds))
}

/// The step whose code `code` is, among the current one and its two neighbours (a clock a
/// little off, a code typed as it changed), provided it comes after `last_used`: a code
/// accepted once is never accepted again (RFC 6238 §5.2).
pub fn matching_step(secret: &str, code: &str, unix_seconds: u64, last_used: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret_bytes(secret)?, "x", "x")?;
    let now = (unix_seconds / STEP_SECONDS) as i64;
    [now - 1, now, now + 1].into_iter().filter(|step| *step >= 0 && last_used.is_none_or(|last| *step > last)).find(
        |step| {
            let expected = totp.generate(*step as u64 * STEP_SECONDS);
            // Constant time: the comparison must not tell how many digits were right.
            expected.bytes().zip(code.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        },
    )
}

/// `secret` sealed for the database (XChaCha20-Poly1305 under `key`, a fresh nonce each time):
/// `v1:` and the base64 of nonce and ciphertext. Whoever reads the database alone cannot
/// compute anyone's codes.
pub fn seal(key: &[u8; 32], secret: &str) -> String {
    use base64::Engine;
    use chacha20poly1305::aead::{Aead, KeyInit};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let cipher = XChaCha20Poly1305::new(key.into());
    let sealed = cipher.encrypt(&XNonce::from(nonce), secret.as_bytes()).expect("sealing a short secret");
    let mut bytes = nonce.to_vec();
    bytes.extend(sealed);
    format!("v1:{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes))
}

/// The secret `seal` stored, or `None` when it was sealed under another key (the JWT secret
/// was changed: an administrator resets the factor) or is damaged.
pub fn open(key: &[u8; 32], stored: &str) -> Option<String> {
    use base64::Engine;
    use chacha20poly1305::aead::{Aead, KeyInit};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD.decode(stored.strip_prefix("v1:")?).ok()?;
    if bytes.len() < 24 {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().ok()?;
    let plain = XChaCha20Poly1305::new(key.into()).decrypt(&XNonce::from(nonce), sealed).ok()?;
    String::from_utf8(plain).ok()
}

/// New recovery codes, `xxxxx-xxxxx` from an unambiguous alphabet (50 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10).map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char).collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// The stored form of a recovery code: its SHA-256 after dropping case, spaces and dashes, so
/// `ABCDE FGHJK` and `abcde-fghjk` are the same code.
pub fn recovery_hash(code: &str) -> String {
    let plain: String = code.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect();
    hex::encode(Sha256::digest(plain.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1, truncated to 6 digits.
    #[test]
    fn the_rfc_test_vectors_hold() {
        let secret = Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(code_at(&secret, 1_111_111_109).unwrap(), "081804");
        assert_eq!(code_at(&secret, 2_000_000_000).unwrap(), "279037");
    }

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_once() {
        let secret = new_secret();
        let now = 1_764_000_000;
        let code = code_at(&secret, now).unwrap();
        let step = matching_step(&secret, &code, now, None).unwrap();
        assert_eq!(step, (now / 30) as i64);
        assert_eq!(matching_step(&secret, &code, now + 30, None), Some(step), "one step late still works");
        assert_eq!(matching_step(&secret, &code, now + 90, None), None, "three steps late does not");
        assert_eq!(matching_step(&secret, &code, now, Some(step)), None, "a used code is refused");
        assert_eq!(matching_step(&secret, "12345", now, None), None);
        assert_eq!(matching_step(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving_to_type() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), RECOVERY_CODES);
        let typed = codes[0].to_uppercase().replace('-', " ");
        assert_eq!(recovery_hash(&typed), recovery_hash(&codes[0]));
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key() {
        let secret = new_secret();
        let sealed = seal(&[7u8; 32], &secret);
        assert!(!sealed.contains(&secret));
        assert_ne!(sealed, seal(&[7u8; 32], &secret), "a fresh nonce each time");
        assert_eq!(open(&[7u8; 32], &sealed).as_deref(), Some(secret.as_str()));
        assert_eq!(open(&[8u8; 32], &sealed), None);
        assert_eq!(open(&[7u8; 32], "v1:AAAA"), None);
        assert!(sealed.len() <= 128, "fits its column");
    }

    #[test]
    fn the_uri_names_issuer_account_and_secret() {
        let secret = new_secret();
        let uri = otpauth_uri(&secret, "Kaohsiung Consumer Protection", "clerk@example.org").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    }
}
