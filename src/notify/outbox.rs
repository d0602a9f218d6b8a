//! The transactional outbox: a message row is written in the transaction of the change that
//! causes it, so a crash loses none and a rolled-back change sends none. The delivery worker
//! (in the background job) claims each due row with a conditional update — and on PostgreSQL
//! `FOR UPDATE SKIP LOCKED` — so that with several instances each message is sent by one of
//! them, retries failures with exponential back-off, and gives up after `mail.max_attempts`.

use chrono::{DateTime, Duration, Utc};
use entity::notification;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::transport;
use crate::app::AppState;
use crate::error::AppResult;
use crate::time;

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// How long a claimed message belongs to the instance sending it. SMTP sends time out after
/// 30 s, so a claim still held after this means its instance died mid-send.
const CLAIM: i64 = 600;
const BATCH: u64 = 100;

/// A rendered message for one recipient.
pub struct Outgoing {
    pub case_id: Option<Uuid>,
    pub inspection_id: Option<Uuid>,
    pub kind: &'static str,
    pub email: String,
    pub name: Option<String>,
    pub role: &'static str,
    pub user_id: Option<Uuid>,
    pub locale: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub async fn insert(db: &impl ConnectionTrait, m: Outgoing) -> AppResult<()> {
    let now = time::now();
    notification::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(m.case_id),
        inspection_id: Set(m.inspection_id),
        kind: Set(m.kind.into()),
        recipient_email: Set(m.email),
        recipient_name: Set(m.name),
        recipient_role: Set(m.role.into()),
        recipient_user_id: Set(m.user_id),
        locale: Set(m.locale),
        subject: Set(m.subject.chars().take(300).collect()),
        body_text: Set(m.text),
        body_html: Set(m.html),
        status: Set(PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        last_error: Set(None),
        sent_at: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

fn due(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(notification::Column::Status.eq(PENDING))
                .add(notification::Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(notification::Column::Status.eq(SENDING))
                .add(notification::Column::ClaimedUntil.lt(now)),
        )
}

/// The wait before attempt `attempts + 1`: base × 2^(attempts − 1), at most a day.
pub fn backoff(base_seconds: u64, attempts: i32) -> Duration {
    let factor = 2i64.saturating_pow(attempts.saturating_sub(1).clamp(0, 30) as u32);
    Duration::seconds(Ord::min((base_seconds as i64).saturating_mul(factor), 86_400))
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
}

/// Sends every message that is due.
pub async fn deliver_due(state: &AppState) -> AppResult<Delivered> {
    let now = time::now();
    let ids: Vec<Uuid> = notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .filter(due(now))
        .order_by_asc(notification::Column::NextAttemptAt)
        .limit(BATCH)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut report = Delivered::default();
    if ids.is_empty() {
        return Ok(report);
    }
    let from = transport::sender(&state.settings)?;
    for id in ids {
        let Some(message) = claim(state, id, now).await? else { continue };
        let outcome = state.mailer.send(&from, &message).await;
        let mut row: notification::ActiveModel = message.clone().into();
        row.claimed_until = Set(None);
        match outcome {
            Ok(()) => {
                row.status = Set(SENT.into());
                row.sent_at = Set(Some(time::now()));
                row.last_error = Set(None);
                report.sent += 1;
            }
            Err(error) => {
                tracing::warn!(notification_id = %message.id, kind = %message.kind, attempt = message.attempts, %error, "mail delivery failed");
                row.last_error = Set(Some(error));
                if message.attempts >= state.settings.mail.max_attempts as i32 {
                    row.status = Set(FAILED.into());
                    report.failed += 1;
                } else {
                    row.status = Set(PENDING.into());
                    row.next_attempt_at =
                        Set(time::now() + backoff(state.settings.mail.retry_base_seconds, message.attempts));
                    report.retrying += 1;
                }
            }
        }
        row.update(&state.db).await?;
    }
    Ok(report)
}

/// Takes one due message for this instance, counting the attempt; `None` if another
/// instance has it.
async fn claim(state: &AppState, id: Uuid, now: DateTime<Utc>) -> AppResult<Option<notification::Model>> {
    let txn = crate::db::begin_write(&state.db).await?;
    let mut query = notification::Entity::find_by_id(id).filter(due(now));
    if state.db.get_database_backend() == DbBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(row) = query.one(&txn).await? else {
        txn.rollback().await?;
        return Ok(None);
    };
    let claimed = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(SENDING))
        .col_expr(notification::Column::ClaimedUntil, Expr::value(now + Duration::seconds(CLAIM)))
        .col_expr(notification::Column::Attempts, Expr::col(notification::Column::Attempts).add(1))
        .filter(notification::Column::Id.eq(row.id))
        .filter(due(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(None);
    }
    let claimed = notification::Entity::find_by_id(id).one(&txn).await?;
    txn.commit().await?;
    Ok(claimed)
}

/// Puts a failed message back in the queue (admin).
pub async fn retry(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<notification::Model>> {
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(PENDING))
        .col_expr(notification::Column::Attempts, Expr::value(0))
        .col_expr(notification::Column::NextAttemptAt, Expr::value(time::now()))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::Status.eq(FAILED))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Ok(None);
    }
    Ok(notification::Entity::find_by_id(id).one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_a_day() {
        assert_eq!(backoff(30, 1), Duration::seconds(30));
        assert_eq!(backoff(30, 2), Duration::seconds(60));
        assert_eq!(backoff(30, 5), Duration::seconds(480));
        assert_eq!(backoff(30, 40), Duration::seconds(86_400));
    }
}
