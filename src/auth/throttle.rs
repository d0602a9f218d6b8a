//! Sign-in and registration throttling, kept in the database so that every instance behind
//! the load balancer counts the same attempts.
//!
//! **Per account**: at most `auth.max_failed_logins` password checks may fail within
//! `auth.lockout_seconds`; a check takes its slot *before* the password is compared, in a
//! write transaction on the key's row, so however many requests arrive at once no more than
//! that many are compared. The last failing one locks the account for `auth.lockout_seconds`;
//! a success frees the count. Attempts during a lock are refused without being counted, so an
//! attacker cannot extend a lock. Unknown e-mail addresses are counted too, so that a 429
//! reveals nothing about who has an account.
//!
//! **Per client address**: 4× that, counted only for accounts that have not signed in from
//! that address in the last `TRUST_DAYS` days. An attacker behind a shared address (a school,
//! an office's NAT) who sprays passwords locks the address for accounts new to it, but the
//! people who have signed in from there before still get in — bounded, as always, by their
//! own account's limit.
//!
//! **Registrations**: at most `auth.max_registrations_per_address` per client address per
//! `auth.registration_window_seconds` (each costs a password hash).

use chrono::{DateTime, Duration, Utc};
use entity::{login_throttle as throttle, login_trust as trust};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait, QuerySelect,
    Set,
};
use sha2::{Digest, Sha256};

use crate::config::AuthSettings;
use crate::db;
use crate::error::{AppError, AppResult};

/// How long a successful sign-in from an address keeps that account trusted there.
pub const TRUST_DAYS: i64 = 30;

/// A throttle key: hashed, so the tables hold no e-mail addresses or IP addresses.
#[derive(Debug, Clone)]
pub struct Key {
    hash: String,
    limit: u32,
    window: Duration,
}

impl Key {
    pub fn account(email: &str, settings: &AuthSettings) -> Self {
        Self {
            hash: digest("account", &[&email.trim().to_lowercase()]),
            limit: settings.max_failed_logins,
            window: Duration::seconds(settings.lockout_seconds as i64),
        }
    }

    pub fn address(address: &str, settings: &AuthSettings) -> Self {
        Self {
            hash: digest("address", &[address]),
            limit: settings.max_failed_logins.saturating_mul(4),
            window: Duration::seconds(settings.lockout_seconds as i64),
        }
    }

    pub fn registrations(address: &str, settings: &AuthSettings) -> Self {
        Self {
            hash: digest("register", &[address]),
            limit: settings.max_registrations_per_address,
            window: Duration::seconds(settings.registration_window_seconds as i64),
        }
    }

    /// Password-reset requests from one client address.
    pub fn reset_requests(address: &str, settings: &AuthSettings) -> Self {
        Self {
            hash: digest("reset-address", &[address]),
            limit: settings.max_reset_requests,
            window: Duration::seconds(settings.registration_window_seconds as i64),
        }
    }

    /// Mail with a link (reset, verification) to one account: nobody can flood a mailbox.
    pub fn link_mails(kind: &str, user_id: uuid::Uuid, settings: &AuthSettings) -> Self {
        Self {
            hash: digest("link-mail", &[kind, &user_id.to_string()]),
            limit: settings.max_reset_requests,
            window: Duration::seconds(settings.registration_window_seconds as i64),
        }
    }

    /// Second-factor codes tried for one account: like its passwords.
    pub fn second_factor(user_id: uuid::Uuid, settings: &AuthSettings) -> Self {
        Self {
            hash: digest("second-factor", &[&user_id.to_string()]),
            limit: settings.max_failed_logins,
            window: Duration::seconds(settings.lockout_seconds as i64),
        }
    }
}

fn digest(kind: &str, parts: &[&str]) -> String {
    let mut hasher = Sha256::new().chain_update(kind);
    for part in parts {
        hasher.update([0u8]);
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

fn trust_key(email: &str, address: &str) -> String {
    digest("trust", &[&email.trim().to_lowercase(), address])
}

/// The key's row, created if missing and held for this transaction (on SQLite the write
/// transaction already holds the database's one write lock).
async fn hold(txn: &DatabaseTransaction, key: &Key, now: DateTime<Utc>) -> AppResult<throttle::Model> {
    let row = throttle::ActiveModel {
        key: Set(key.hash.clone()),
        failures: Set(0),
        window_started_at: Set(now),
        locked_until: Set(None),
    };
    throttle::Entity::insert(row)
        .on_conflict(OnConflict::column(throttle::Column::Key).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    let mut query = throttle::Entity::find_by_id(key.hash.clone());
    if txn.get_database_backend() == DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.one(txn).await?.ok_or_else(|| AppError::Internal(anyhow::anyhow!("throttle row vanished")))
}

fn refused(until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    AppError::TooManyRequests { retry_after_seconds: ((until - now).num_seconds() + 1).max(1) as u64 }
}

/// Takes one slot of `key`, or refuses with 429 while it is locked or its slots are taken.
async fn take_slot(txn: &DatabaseTransaction, key: &Key, now: DateTime<Utc>) -> AppResult<()> {
    let row = hold(txn, key, now).await?;
    if let Some(until) = row.locked_until.filter(|until| *until > now) {
        return Err(refused(until, now));
    }
    let fresh_window = now - row.window_started_at > key.window || row.locked_until.is_some();
    let used = if fresh_window { 0 } else { row.failures };
    if used >= key.limit as i32 {
        // Every slot is taken by checks still under way (or spent in this window).
        return Err(refused(row.window_started_at + key.window, now));
    }
    let mut active: throttle::ActiveModel = row.into();
    active.failures = Set(used + 1);
    active.locked_until = Set(None);
    if fresh_window {
        active.window_started_at = Set(now);
    }
    active.update(txn).await?;
    Ok(())
}

/// A password check that holds its slots until it is settled.
#[derive(Debug)]
pub struct Reservation {
    account: Key,
    /// Held only when the account is not trusted at the address.
    address: Option<Key>,
}

/// Reserves one password check for `email` from `address`, before the password is compared.
pub async fn reserve(
    db: &DatabaseConnection,
    email: &str,
    address: &str,
    settings: &AuthSettings,
    now: DateTime<Utc>,
) -> AppResult<Reservation> {
    let trusted =
        trust::Entity::find_by_id(trust_key(email, address)).one(db).await?.is_some_and(|t| t.trusted_until > now);
    let reservation = Reservation {
        account: Key::account(email, settings),
        address: (!trusted).then(|| Key::address(address, settings)),
    };
    let txn = db::begin_write(db).await?;
    let taken = async {
        take_slot(&txn, &reservation.account, now).await?;
        if let Some(key) = &reservation.address {
            take_slot(&txn, key, now).await?;
        }
        Ok::<_, AppError>(())
    }
    .await;
    match taken {
        Ok(()) => {
            txn.commit().await?;
            Ok(reservation)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

/// Reserves one check of `key` alone (a second-factor code), like `reserve`.
pub async fn reserve_key(db: &DatabaseConnection, key: Key, now: DateTime<Utc>) -> AppResult<Reservation> {
    count(db, &key, now).await?;
    Ok(Reservation { account: key, address: None })
}

/// Settles a check reserved with `reserve_key`: a failure keeps its slot (the last one locks
/// the key), a success frees the count.
pub async fn settle_key(
    db: &DatabaseConnection,
    reservation: Reservation,
    succeeded: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let txn = db::begin_write(db).await?;
    settle_slots(&txn, &reservation, succeeded, now).await?;
    txn.commit().await?;
    Ok(())
}

async fn settle_slots(
    txn: &DatabaseTransaction,
    reservation: &Reservation,
    succeeded: bool,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if succeeded {
        throttle::Entity::delete_by_id(reservation.account.hash.clone()).exec(txn).await?;
        if let Some(key) = &reservation.address {
            let row = hold(txn, key, now).await?;
            let failures = (row.failures - 1).max(0);
            let mut active: throttle::ActiveModel = row.into();
            active.failures = Set(failures);
            active.update(txn).await?;
        }
    } else {
        for key in std::iter::once(&reservation.account).chain(reservation.address.as_ref()) {
            let row = hold(txn, key, now).await?;
            if row.locked_until.is_none() && row.failures >= key.limit as i32 {
                let mut active: throttle::ActiveModel = row.into();
                active.failures = Set(0);
                active.window_started_at = Set(now);
                active.locked_until = Set(Some(now + key.window));
                active.update(txn).await?;
            }
        }
    }
    Ok(())
}

/// Forgets the failures counted against an account (a new password was just chosen through
/// its mailbox: the owner is back in control).
pub async fn forgive(db: &impl ConnectionTrait, email: &str, settings: &AuthSettings) -> AppResult<()> {
    throttle::Entity::delete_by_id(Key::account(email, settings).hash).exec(db).await?;
    Ok(())
}

/// Settles a reserved check. A failure keeps its slot and, when it is the last one, locks
/// the key for its window; a success frees the account's count and the address's slot, and
/// trusts the account at this address.
pub async fn settle(
    db: &DatabaseConnection,
    reservation: Reservation,
    succeeded: bool,
    email: &str,
    address: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let txn = db::begin_write(db).await?;
    settle_slots(&txn, &reservation, succeeded, now).await?;
    if succeeded {
        let row = trust::ActiveModel {
            key: Set(trust_key(email, address)),
            trusted_until: Set(now + Duration::days(TRUST_DAYS)),
        };
        trust::Entity::insert(row)
            .on_conflict(OnConflict::column(trust::Column::Key).update_column(trust::Column::TrustedUntil).to_owned())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Counts one use of `key` (a registration, a reset request), refusing with 429 past its limit.
pub async fn count(db: &DatabaseConnection, key: &Key, now: DateTime<Utc>) -> AppResult<()> {
    let txn = db::begin_write(db).await?;
    match take_slot(&txn, key, now).await {
        Ok(()) => {
            txn.commit().await?;
            Ok(())
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

/// Forgets expired trusts (the background job keeps the table small).
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<u64> {
    use sea_orm::{ColumnTrait, QueryFilter};
    Ok(trust::Entity::delete_many().filter(trust::Column::TrustedUntil.lt(now)).exec(db).await?.rows_affected)
}
