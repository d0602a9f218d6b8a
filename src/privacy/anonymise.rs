//! Erasing a person's personal data while keeping what the office's figures are made of.
//! Shared by closing an account and (later) the retention job: a case keeps its number,
//! business, category, channel, district, amounts, dates, stages and statuses — every figure
//! and published statistic stays exact — and loses the consumer's name, contacts, narrative,
//! notes and evidence. The statistics counters are separate rows and are not touched.

use chrono::{DateTime, Utc};
use entity::{attachment, case, case_event, notification, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::auth::{links, mfa, service};
use crate::error::AppResult;

/// What an erased name or text reads as.
pub const ERASED: &str = "（已刪除 erased）";

/// Erases the consumer's personal data from `case_id`: answers the SHA-256 of the evidence
/// files it no longer references (to be removed from storage once the transaction commits).
pub async fn case(db: &impl ConnectionTrait, case_id: Uuid, now: DateTime<Utc>) -> AppResult<Vec<String>> {
    case::Entity::update_many()
        .col_expr(case::Column::ConsumerName, Expr::value(ERASED))
        .col_expr(case::Column::ConsumerEmail, Expr::value(Option::<String>::None))
        .col_expr(case::Column::ConsumerPhone, Expr::value(Option::<String>::None))
        .col_expr(case::Column::ConsumerAddress, Expr::value(Option::<String>::None))
        .col_expr(case::Column::Description, Expr::value(ERASED))
        .col_expr(case::Column::RequestedResolution, Expr::value(ERASED))
        // The verdict's comment is hers; its score counts in the scorecards and stays.
        .col_expr(case::Column::RatingComment, Expr::value(Option::<String>::None))
        .col_expr(case::Column::SettlementNote, Expr::value(Option::<String>::None))
        .col_expr(case::Column::UpdatedAt, Expr::value(now))
        .col_expr(case::Column::AnonymisedAt, Expr::value(now))
        .filter(case::Column::Id.eq(case_id))
        .exec(db)
        .await?;
    // Notes name people and quote them; the actions, dates and statuses stay.
    case_event::Entity::update_many()
        .col_expr(case_event::Column::Note, Expr::value(Option::<String>::None))
        .col_expr(case_event::Column::Data, Expr::value(Option::<serde_json::Value>::None))
        .filter(case_event::Column::CaseId.eq(case_id))
        .exec(db)
        .await?;
    let to_consumer = Condition::all()
        .add(notification::Column::CaseId.eq(case_id))
        .add(notification::Column::RecipientRole.eq("consumer"));
    erase_messages(db, to_consumer).await?;
    let shas: Vec<String> = attachment::Entity::find()
        .select_only()
        .column(attachment::Column::Sha256)
        .filter(attachment::Column::CaseId.eq(case_id))
        .into_tuple()
        .all(db)
        .await?;
    attachment::Entity::delete_many().filter(attachment::Column::CaseId.eq(case_id)).exec(db).await?;
    Ok(shas)
}

/// Closes an account and erases what identifies its owner: it can never sign in again, and
/// its address is free for a new registration.
pub async fn account(db: &impl ConnectionTrait, user_id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::Email, Expr::value(format!("closed-{user_id}@closed.invalid")))
        .col_expr(user::Column::Name, Expr::value(ERASED))
        .col_expr(user::Column::Phone, Expr::value(Option::<String>::None))
        .col_expr(user::Column::PendingEmail, Expr::value(Option::<String>::None))
        // Not a hash of anything: no password verifies against it.
        .col_expr(user::Column::PasswordHash, Expr::value("closed"))
        .col_expr(user::Column::TotpSecret, Expr::value(Option::<String>::None))
        .col_expr(user::Column::Disabled, Expr::value(true))
        .col_expr(user::Column::ClosedAt, Expr::value(now))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    mfa::forget_recovery_codes(db, user_id).await?;
    service::revoke_all_sessions(db, user_id).await?;
    links::revoke(db, user_id, None, now).await?;
    // Account mail (verification, resets) named the owner.
    erase_messages(db, Condition::all().add(notification::Column::RecipientUserId.eq(user_id))).await
}

/// The mail sent to someone: who it went to and what it said (its kind, subject and dates stay).
async fn erase_messages(db: &impl ConnectionTrait, to: Condition) -> AppResult<()> {
    notification::Entity::update_many()
        .col_expr(notification::Column::RecipientEmail, Expr::value(ERASED))
        .col_expr(notification::Column::RecipientName, Expr::value(Option::<String>::None))
        .col_expr(notification::Column::BodyText, Expr::value(ERASED))
        .col_expr(notification::Column::BodyHtml, Expr::value(ERASED))
        .filter(to)
        .exec(db)
        .await?;
    Ok(())
}
