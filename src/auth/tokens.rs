//! Access tokens (short-lived JWTs, HS256 only, no leeway) and refresh tokens (opaque random
//! strings, stored only as their SHA-256).

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Settings;

const ISSUER: &str = "consumer-protection";
const SECRET_FILE: &str = "jwt_secret";

/// Keys and validation rules, built once at start-up.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_token_seconds: u64,
    /// Signs the pages' CSRF tokens (derived from the same secret, never used for tokens).
    csrf_key: [u8; 32],
    /// Seals the TOTP secrets kept in the database (derived from the same secret).
    pub totp_key: [u8; 32],
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: Uuid,
    /// The sign-in session (refresh-token family) this token was issued from.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_token_seconds: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        // jsonwebtoken's default leeway is 60 s: an expired token would live on for a minute.
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_token_seconds,
            csrf_key: Sha256::new().chain_update(b"consumer-protection csrf").chain_update(secret).finalize().into(),
            totp_key: Sha256::new().chain_update(b"consumer-protection totp").chain_update(secret).finalize().into(),
        }
    }

    /// The CSRF token of a page form: the cookie's nonce signed together with what it is bound
    /// to (the sign-in session, or `anonymous`), so a cookie planted by someone else is useless.
    pub fn csrf_token(&self, nonce: &str, binding: &str) -> String {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&self.csrf_key).expect("HMAC takes a key of any length");
        mac.update(binding.as_bytes());
        mac.update(&[0]);
        mac.update(nonce.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn issue(&self, user_id: Uuid, session_id: Uuid, now: DateTime<Utc>) -> anyhow::Result<String> {
        let claims = AccessClaims {
            sub: user_id,
            sid: session_id,
            iat: now.timestamp(),
            exp: now.timestamp() + self.access_token_seconds as i64,
            iss: ISSUER.into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).context("signing a token")
    }

    /// Verifies signature, algorithm, issuer and expiry. Any failure is just "not signed in".
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation).ok().map(|data| data.claims)
    }
}

/// The configured secret, or in the embedded default one generated once and kept under
/// `data/`, so that tokens survive restarts. (Production refuses to start without one:
/// see `Settings::validate`.)
pub fn load_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &settings.auth.jwt_secret {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let path = settings.data_dir().join(SECRET_FILE);
    read_or_create_secret(&path)
}

fn read_or_create_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
        anyhow::bail!("{} holds a secret shorter than 32 bytes; delete it to generate a new one", path.display());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    write_private(path, &secret).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a JWT secret");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

/// A new opaque refresh token and the hash under which it is stored.
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef", 900)
    }

    #[test]
    fn a_token_round_trips() {
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let token = keys().issue(user, session, Utc::now()).unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!((claims.sub, claims.sid), (user, session));
    }

    #[test]
    fn expired_by_one_second_is_refused() {
        let issued = Utc::now() - chrono::Duration::seconds(901);
        let token = keys().issue(Uuid::new_v4(), Uuid::new_v4(), issued).unwrap();
        assert!(keys().verify(&token).is_none());
    }

    #[test]
    fn other_secret_and_alg_none_are_refused() {
        let token = JwtKeys::new(b"another-secret-another-secret-xx", 900)
            .issue(Uuid::new_v4(), Uuid::new_v4(), Utc::now())
            .unwrap();
        assert!(keys().verify(&token).is_none());

        let payload = token.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(keys().verify(&format!("{header}.{payload}.")).is_none());
    }

    #[test]
    fn secret_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(SECRET_FILE);
        let first = read_or_create_secret(&path).unwrap();
        let second = read_or_create_secret(&path).unwrap();
        assert_eq!(first, second);
        assert!(first.len() >= 32);
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, ha) = new_refresh_token();
        let (b, _) = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(ha, hash_token(&a));
        assert_eq!(ha.len(), 64);
    }
}
