//! What staff and administrators see of the mail: a case's messages in full, deliveries with
//! addresses masked.

use chrono::{DateTime, Utc};
use entity::notification;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppResult;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub inspection_id: Option<Uuid>,
    /// Which message, e.g. `case_forwarded`.
    pub kind: String,
    pub recipient_email: String,
    /// `consumer`, `business` or `staff`.
    pub recipient_role: String,
    pub locale: String,
    pub subject: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<notification::Model> for MessageView {
    fn from(n: notification::Model) -> Self {
        Self {
            id: n.id,
            case_id: n.case_id,
            inspection_id: n.inspection_id,
            kind: n.kind,
            recipient_email: n.recipient_email,
            recipient_role: n.recipient_role,
            locale: n.locale,
            subject: n.subject,
            status: n.status,
            attempts: n.attempts,
            next_attempt_at: n.next_attempt_at,
            last_error: n.last_error,
            sent_at: n.sent_at,
            created_at: n.created_at,
        }
    }
}

/// A delivery as an administrator sees it: enough to find and retry a failed one, nothing of
/// the case or of who it was for (admins see no cases): the address is masked, the case named
/// by its number only.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    /// The case number, for telling its officer (no case content).
    pub case_no: Option<String>,
    pub kind: String,
    /// The address with most of its local part hidden, e.g. `m***@example.tw`.
    pub recipient: String,
    pub recipient_role: String,
    pub locale: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure, with any e-mail address in it masked.
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// `mei.chen@example.tw` → `m***@example.tw`.
pub fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// Masks every word of `text` that looks like an e-mail address (SMTP errors quote them).
pub fn mask_addresses(text: &str) -> String {
    text.split_inclusive(|c: char| c.is_whitespace() || "<>,;:()\"'".contains(c))
        .map(|word| {
            let trimmed = word.trim_end_matches(|c: char| c.is_whitespace() || "<>,;:()\"'".contains(c));
            if trimmed.contains('@') { word.replacen(trimmed, &mask_address(trimmed), 1) } else { word.to_string() }
        })
        .collect()
}

impl DeliveryView {
    fn new(n: notification::Model, case_no: Option<String>) -> Self {
        Self {
            id: n.id,
            case_no,
            kind: n.kind,
            recipient: mask_address(&n.recipient_email),
            recipient_role: n.recipient_role,
            locale: n.locale,
            status: n.status,
            attempts: n.attempts,
            next_attempt_at: n.next_attempt_at,
            last_error: n.last_error.as_deref().map(mask_addresses),
            sent_at: n.sent_at,
            created_at: n.created_at,
        }
    }
}

/// The case numbers of these deliveries' cases.
pub async fn with_case_numbers(
    db: &impl sea_orm::ConnectionTrait,
    rows: Vec<notification::Model>,
) -> AppResult<Vec<DeliveryView>> {
    let ids: Vec<Uuid> = rows.iter().filter_map(|n| n.case_id).collect();
    let numbers: std::collections::HashMap<Uuid, String> = entity::case::Entity::find()
        .filter(entity::case::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.case_no))
        .collect();
    Ok(rows
        .into_iter()
        .map(|n| {
            let case_no = n.case_id.and_then(|id| numbers.get(&id).cloned());
            DeliveryView::new(n, case_no)
        })
        .collect())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Messages {
    pub items: Vec<MessageView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_wherever_they_appear() {
        assert_eq!(mask_address("mei.chen@example.tw"), "m***@example.tw");
        assert_eq!(
            mask_addresses("SMTP: 550 5.1.1 <mei.chen@example.tw>: Recipient address rejected"),
            "SMTP: 550 5.1.1 <m***@example.tw>: Recipient address rejected"
        );
    }
}
