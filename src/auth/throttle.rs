//! Failed sign-in throttling, per account and per client address, kept in the database so
//! that every instance behind the load balancer counts the same failures.
//!
//! A key reaching its limit within the window is locked for `auth.lockout_seconds`. Attempts
//! during a lock are refused without being counted, so an attacker cannot extend a lock: a
//! real user is kept out for at most one lockout period per burst of failures. Unknown
//! e-mail addresses are counted too, so that a 429 reveals nothing about who has an account.

use chrono::{DateTime, Duration, Utc};
use entity::login_throttle as throttle;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use sha2::{Digest, Sha256};

use crate::config::AuthSettings;
use crate::error::{AppError, AppResult};

/// A throttle key: hashed, so the table holds no e-mail addresses or IP addresses.
#[derive(Debug, Clone)]
pub struct Key {
    hash: String,
    limit: u32,
}

impl Key {
    pub fn account(email: &str, settings: &AuthSettings) -> Self {
        Self { hash: digest("account", &email.trim().to_lowercase()), limit: settings.max_failed_logins }
    }

    pub fn address(address: &str, settings: &AuthSettings) -> Self {
        Self { hash: digest("address", address), limit: settings.max_failed_logins.saturating_mul(4) }
    }
}

fn digest(kind: &str, value: &str) -> String {
    hex::encode(Sha256::new().chain_update(kind).chain_update([0u8]).chain_update(value).finalize())
}

/// Refuses with 429 while any of the keys is locked.
pub async fn ensure_not_locked(db: &impl ConnectionTrait, keys: &[&Key], now: DateTime<Utc>) -> AppResult<()> {
    let mut wait = 0i64;
    for key in keys {
        if let Some(row) = throttle::Entity::find_by_id(key.hash.clone()).one(db).await?
            && let Some(until) = row.locked_until
            && until > now
        {
            wait = wait.max((until - now).num_seconds() + 1);
        }
    }
    if wait > 0 { Err(AppError::TooManyRequests { retry_after_seconds: wait as u64 }) } else { Ok(()) }
}

/// Counts one failure against the key, locking it when it reaches its limit.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    key: &Key,
    settings: &AuthSettings,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let window = Duration::seconds(settings.lockout_seconds as i64);
    match throttle::Entity::find_by_id(key.hash.clone()).one(db).await? {
        None => {
            let (failures, locked_until) = if key.limit <= 1 { (0, Some(now + window)) } else { (1, None) };
            throttle::ActiveModel {
                key: Set(key.hash.clone()),
                failures: Set(failures),
                window_started_at: Set(now),
                locked_until: Set(locked_until),
            }
            .insert(db)
            .await?;
        }
        Some(row) => {
            if row.locked_until.is_some_and(|until| until > now) {
                return Ok(());
            }
            let fresh_window = now - row.window_started_at > window;
            let failures = if fresh_window { 1 } else { row.failures + 1 };
            let mut active: throttle::ActiveModel = row.into();
            if failures >= key.limit as i32 {
                active.failures = Set(0);
                active.window_started_at = Set(now);
                active.locked_until = Set(Some(now + window));
            } else {
                active.failures = Set(failures);
                if fresh_window {
                    active.window_started_at = Set(now);
                }
                active.locked_until = Set(None);
            }
            active.update(db).await?;
        }
    }
    Ok(())
}

/// A successful sign-in clears the account's count (never the address's: one good account
/// must not reset an address that is guessing at others).
pub async fn clear(db: &impl ConnectionTrait, key: &Key) -> AppResult<()> {
    throttle::Entity::delete_by_id(key.hash.clone()).exec(db).await?;
    Ok(())
}
