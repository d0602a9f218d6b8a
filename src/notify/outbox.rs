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
use crate::config::MailSettings;
use crate::error::AppResult;
use crate::time;
use crate::work::Tally;
use sea_orm::DatabaseConnection;

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
    /// An issued document to attach (its PDF is read when the message is sent).
    pub document_id: Option<Uuid>,
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

/// The pending row a message is queued as.
pub fn row(m: Outgoing) -> notification::ActiveModel {
    let now = time::now();
    notification::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(m.case_id),
        inspection_id: Set(m.inspection_id),
        document_id: Set(m.document_id),
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

/// Sends every message that is due. Each message is a unit of its own: one that fails, or
/// cannot even be built, never holds up the others.
/// What delivering needs: the database, the transport and the mail settings.
#[derive(Clone, Copy)]
pub struct Delivery<'a> {
    pub db: &'a DatabaseConnection,
    pub mailer: &'a transport::Mailer,
    pub settings: &'a MailSettings,
    /// When cancelled, the message being sent is finished and no other is claimed.
    pub stopping: &'a tokio_util::sync::CancellationToken,
}

#[tracing::instrument(skip_all)]
pub async fn deliver_due(state: Delivery<'_>) -> AppResult<(Delivered, Tally)> {
    let now = time::now();
    let ids: Vec<Uuid> = notification::Entity::find()
        .select_only()
        .column(notification::Column::Id)
        .filter(due(now))
        .order_by_asc(notification::Column::NextAttemptAt)
        .limit(BATCH)
        .into_tuple()
        .all(state.db)
        .await?;
    let mut report = Delivered::default();
    let mut tally = Tally::default();
    if ids.is_empty() {
        return Ok((report, tally));
    }
    let from = transport::sender(state.settings)?;
    for id in ids {
        if state.stopping.is_cancelled() {
            break;
        }
        let mut outcome = None;
        tally.unit("mail", id, deliver_one(state, &from, id, now, &mut outcome)).await;
        match outcome {
            Some(Outcome::Sent) => report.sent += 1,
            Some(Outcome::Retrying) => report.retrying += 1,
            Some(Outcome::Failed) => report.failed += 1,
            None => {}
        }
    }
    Ok((report, tally))
}

enum Outcome {
    Sent,
    Retrying,
    Failed,
}

async fn deliver_one(
    state: Delivery<'_>,
    from: &lettre::message::Mailbox,
    id: Uuid,
    now: DateTime<Utc>,
    outcome: &mut Option<Outcome>,
) -> AppResult<bool> {
    let Some(message) = claim(state.db, id, now).await? else { return Ok(false) };
    let attachment = match message.document_id {
        Some(id) => attachment(state.db, id).await?,
        None => None,
    };
    let sent = state.mailer.send(from, &message, attachment.as_ref()).await;
    let mut row: notification::ActiveModel = message.clone().into();
    row.claimed_until = Set(None);
    match sent {
        Ok(()) => {
            row.status = Set(SENT.into());
            row.sent_at = Set(Some(time::now()));
            if super::templates::LINK_KINDS.contains(&message.kind.as_str()) {
                // The link now lives only in the recipient's mailbox; the outbox keeps no usable copy.
                row.body_text = Set(without_tokens(&message.body_text));
                row.body_html = Set(without_tokens(&message.body_html));
            }
            row.last_error = Set(None);
            *outcome = Some(Outcome::Sent);
        }
        Err(error) => {
            tracing::warn!(notification_id = %message.id, kind = %message.kind, attempt = message.attempts, %error, "mail delivery failed");
            row.last_error = Set(Some(error.to_string()));
            let unbuildable = matches!(error, transport::SendError::Unbuildable(_));
            if unbuildable || message.attempts >= state.settings.max_attempts as i32 {
                row.status = Set(FAILED.into());
                *outcome = Some(Outcome::Failed);
            } else {
                row.status = Set(PENDING.into());
                row.next_attempt_at = Set(time::now() + backoff(state.settings.retry_base_seconds, message.attempts));
                *outcome = Some(Outcome::Retrying);
            }
        }
    }
    row.update(state.db).await?;
    Ok(true)
}

/// The issued document a message carries, as it was stored.
async fn attachment(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<transport::MailAttachment>> {
    let Some(document) = entity::document::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    Ok(Some(transport::MailAttachment {
        filename: format!("{}-v{}.pdf", document.kind, document.version),
        content_type: "application/pdf",
        bytes: document.pdf,
    }))
}

/// `text` with the value of every `token=` parameter removed.
pub fn without_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("token=") {
        out.push_str(&rest[..at + "token=".len()]);
        rest = &rest[at + "token=".len()..];
        let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')).unwrap_or(rest.len());
        if end > 0 {
            out.push_str("(removed)");
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Takes one due message for this instance, counting the attempt; `None` if another
/// instance has it.
async fn claim(db: &DatabaseConnection, id: Uuid, now: DateTime<Utc>) -> AppResult<Option<notification::Model>> {
    let txn = crate::db::begin_write(db).await?;
    let mut query = notification::Entity::find_by_id(id).filter(due(now));
    if db.get_database_backend() == DbBackend::Postgres {
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

/// Puts a failed message back in the queue (admin), with a fresh count of attempts and the
/// recipient's name and address as they are now: a message that could not be built from a
/// bad name goes out once the name has been corrected.
#[tracing::instrument(skip(db))]
pub async fn retry(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<notification::Model>> {
    let Some(row) =
        notification::Entity::find_by_id(id).filter(notification::Column::Status.eq(FAILED)).one(db).await?
    else {
        return Ok(None);
    };
    let (name, email) = current_recipient(db, &row).await?;
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value(PENDING))
        .col_expr(notification::Column::Attempts, Expr::value(0))
        .col_expr(notification::Column::NextAttemptAt, Expr::value(time::now()))
        .col_expr(notification::Column::RecipientName, Expr::value(name))
        .col_expr(notification::Column::RecipientEmail, Expr::value(email))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::Status.eq(FAILED))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Ok(None);
    }
    Ok(notification::Entity::find_by_id(id).one(db).await?)
}

/// Who the message is for, read again from the account, the case or the business it came from.
async fn current_recipient(
    db: &impl ConnectionTrait,
    row: &notification::Model,
) -> AppResult<(Option<String>, String)> {
    let kept = (row.recipient_name.clone(), row.recipient_email.clone());
    if let Some(user_id) = row.recipient_user_id {
        return Ok(match entity::user::Entity::find_by_id(user_id).one(db).await? {
            Some(u) => (Some(u.name), u.email),
            None => kept,
        });
    }
    let Some(case_id) = row.case_id else { return Ok(kept) };
    let Some(case) = entity::case::Entity::find_by_id(case_id).one(db).await? else { return Ok(kept) };
    Ok(match row.recipient_role.as_str() {
        "consumer" => (Some(case.consumer_name), case.consumer_email.unwrap_or(kept.1)),
        "business" => match entity::business::Entity::find_by_id(case.business_id).one(db).await? {
            Some(b) => (Some(b.name), b.contact_email.unwrap_or(kept.1)),
            None => kept,
        },
        _ => kept,
    })
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
