//! E-mail to the parties and staff about each step: rendered from templates in the
//! recipient's language, written to the outbox in the transaction of the change, delivered by
//! the background job. Consumers filed on paper without an e-mail simply get no mail.

pub mod outbox;
pub mod templates;
pub mod transport;
pub mod views;

use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use entity::{business, case, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::auth::Role;
use crate::db::Writes;
use crate::error::{AppError, AppResult};
use crate::reference::ReferenceSettings;
use crate::time::taipei;

/// What composing a message needs: the templates and the reference lists (office names,
/// rejection reasons, themes). Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    pub templates: Arc<templates::Templates>,
    pub reference: Arc<ReferenceSettings>,
    /// Where the links in mail point (`server.public_url`).
    pub public_url: Arc<str>,
    /// How long an invitation sent with a forwarded complaint lasts (`auth.invitation_days`).
    pub invitation_days: u64,
    /// How long after a settlement its keeping is asked (`settlement.follow_up_days`).
    pub follow_up_days: u64,
}

/// Who a case message goes to.
#[derive(Debug, Clone)]
pub enum To {
    /// The consumer, when the case has an e-mail address.
    Consumer,
    /// The business's contact address and its user accounts.
    Business,
    /// A member of staff (skipped when `None` or disabled).
    Staff(Option<Uuid>),
}

/// A value in a message, formatted for each recipient's language.
#[derive(Debug, Clone)]
pub enum Field {
    Text(String),
    /// The Taipei date of an instant (deadlines).
    Date(DateTime<Utc>),
    Day(NaiveDate),
    DateTime(DateTime<Utc>),
    Amount(i64),
    /// A mediation outcome code, e.g. `established`.
    Outcome(&'static str),
    /// An MR Art. 5 reason code.
    Rejection(i32),
    /// A meeting's ROC year and number.
    Meeting(i32, i32),
    /// An inspection theme code.
    Theme(String),
    /// A name in Chinese and in English (a jurisdiction, an agency).
    Named(String, String),
}

struct Recipient {
    email: String,
    name: Option<String>,
    role: &'static str,
    user_id: Option<Uuid>,
    locale: String,
}

fn weekday_zh(d: Weekday) -> &'static str {
    ["一", "二", "三", "四", "五", "六", "日"][d.num_days_from_monday() as usize]
}

fn date_text(locale: &str, date: NaiveDate) -> String {
    if locale == "en" {
        date.format("%A, %-d %B %Y").to_string()
    } else {
        format!("{}年{}月{}日（星期{}）", date.year(), date.month(), date.day(), weekday_zh(date.weekday()))
    }
}

fn amount_text(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("NT${}{out}", if n < 0 { "-" } else { "" })
}

fn outcome_text(locale: &str, code: &str) -> String {
    let (zh, en) = match code {
        "established" => ("調解成立", "the mediation is established"),
        "court_refused" => (
            "法院未予核定調解書，調解不生效力；您仍得依法提起訴訟",
            "the court did not approve the mediation record, which therefore has no effect; you may still go to court",
        ),
        "not_established" => ("調解不成立", "the mediation is not established"),
        "postponed" => ("延期再行調解", "postponed to a later meeting"),
        "withdrawn" => ("申請人撤回調解", "the application was withdrawn"),
        "objection_not_established" => {
            ("當事人對調解方案提出異議，調解不成立", "a party objected to the proposal: not established")
        }
        "deemed_established" => (
            "提出異議之當事人無正當理由未到場，視為依解決方案成立調解",
            "the party who objected did not attend without good reason: the mediation is established on the proposal's terms",
        ),
        "objection_rescheduled" => (
            "當事人對小額調解方案提出異議，將另定調解期日",
            "a party objected to the small-claims proposal: a new meeting will be held",
        ),
        other => (other, other),
    };
    if locale == "en" { en.into() } else { zh.into() }
}

impl Field {
    fn render(&self, locale: &str, notifier: &Notifier) -> Value {
        let text = match self {
            Field::Text(s) => s.clone(),
            Field::Date(at) => date_text(locale, at.with_timezone(&taipei()).date_naive()),
            Field::Day(d) => date_text(locale, *d),
            Field::DateTime(at) => {
                let local = at.with_timezone(&taipei());
                format!("{} {}", date_text(locale, local.date_naive()), local.format("%H:%M"))
            }
            Field::Amount(n) => amount_text(*n),
            Field::Outcome(code) => outcome_text(locale, code),
            Field::Rejection(code) => notifier
                .reference
                .rejection_reason(*code)
                .map(|r| if locale == "en" { r.name_en.clone() } else { r.name_zh.clone() })
                .unwrap_or_default(),
            Field::Meeting(year, number) => {
                if locale == "en" {
                    format!("mediation meeting no. {number} of {}", year + 1911)
                } else {
                    format!("{year}年第{number}次調解會議")
                }
            }
            Field::Theme(code) => notifier
                .reference
                .inspection_theme(code)
                .map(|t| if locale == "en" { t.name_en.clone() } else { t.name_zh.clone() })
                .unwrap_or_else(|| code.clone()),
            Field::Named(zh, en) => {
                if locale == "en" {
                    en.clone()
                } else {
                    zh.clone()
                }
            }
        };
        Value::String(text)
    }
}

fn office_name(notifier: &Notifier, jurisdiction: &str, locale: &str) -> String {
    match notifier.reference.jurisdiction(jurisdiction) {
        Some(j) if locale == "en" => format!("the Consumer Protection Office of the {} Government", j.name_en),
        Some(j) => format!("{}政府消費者保護官室", j.name_zh),
        None => jurisdiction.to_string(),
    }
}

async fn staff_recipient(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<Recipient>> {
    Ok(user::Entity::find_by_id(id).one(db).await?.filter(|u| !u.disabled).map(|u| Recipient {
        email: u.email,
        name: Some(u.name),
        role: "staff",
        user_id: Some(u.id),
        locale: u.locale,
    }))
}

async fn business_recipients(db: &impl ConnectionTrait, business: &business::Model) -> AppResult<Vec<Recipient>> {
    let mut out: Vec<Recipient> = Vec::new();
    if let Some(email) = &business.contact_email {
        out.push(Recipient {
            email: email.clone(),
            name: Some(business.name.clone()),
            role: "business",
            user_id: None,
            locale: "zh-TW".into(),
        });
    }
    let accounts = user::Entity::find()
        .filter(user::Column::BusinessId.eq(business.id))
        .filter(user::Column::Role.eq(Role::Business.as_str()))
        .filter(user::Column::Disabled.eq(false))
        .all(db)
        .await?;
    for account in accounts {
        if !out.iter().any(|r| r.email == account.email) {
            out.push(Recipient {
                email: account.email,
                name: Some(account.name),
                role: "business",
                user_id: Some(account.id),
                locale: account.locale,
            });
        }
    }
    Ok(out)
}

/// What a message is about (and what it carries).
#[derive(Debug, Clone, Copy, Default)]
struct Ids {
    case: Option<Uuid>,
    inspection: Option<Uuid>,
    document: Option<Uuid>,
}

async fn render_and_queue(
    db: &impl ConnectionTrait,
    notifier: &Notifier,
    kind: &'static str,
    recipients: Vec<Recipient>,
    jurisdiction: &str,
    ids: Ids,
    fields: &[(&'static str, Field)],
) -> AppResult<()> {
    let mut writes = Writes::new();
    render_into(&mut writes, notifier, kind, recipients, jurisdiction, ids, fields)?;
    Ok(writes.send(db).await?)
}

/// Renders the message for each recipient and adds its outbox row to `writes`.
fn render_into(
    writes: &mut Writes,
    notifier: &Notifier,
    kind: &'static str,
    recipients: Vec<Recipient>,
    jurisdiction: &str,
    ids: Ids,
    fields: &[(&'static str, Field)],
) -> AppResult<()> {
    for r in recipients {
        let mut vars = Map::new();
        vars.insert("recipient_name".into(), Value::String(r.name.clone().unwrap_or_else(|| r.email.clone())));
        vars.insert("office_name".into(), Value::String(office_name(notifier, jurisdiction, &r.locale)));
        for (name, field) in fields {
            vars.insert((*name).into(), field.render(&r.locale, notifier));
        }
        let rendered = notifier.templates.render(&r.locale, kind, &Value::Object(vars)).map_err(AppError::Internal)?;
        let outgoing = outbox::Outgoing {
            case_id: ids.case,
            inspection_id: ids.inspection,
            document_id: ids.document,
            kind,
            email: r.email,
            name: r.name,
            role: r.role,
            user_id: r.user_id,
            locale: r.locale,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
        };
        writes.row(outbox::row(outgoing));
    }
    Ok(())
}

/// A message an action sends: its template, recipients and values.
pub type Mail = (&'static str, Vec<To>, Vec<(&'static str, Field)>);

/// Queues message `kind` about `case` to `to`, in the caller's transaction. The case number,
/// business and consumer names are always available to the template.
pub async fn about_case(
    db: &impl ConnectionTrait,
    notifier: &Notifier,
    case: &case::Model,
    kind: &'static str,
    to: &[To],
    fields: Vec<(&'static str, Field)>,
) -> AppResult<()> {
    case_message(db, notifier, case, None, kind, to, fields, None).await
}

/// A message about a case: its template, recipients, values and the issued document sent
/// with it, if any.
pub struct CaseMail<'a> {
    pub kind: &'static str,
    pub to: &'a [To],
    pub fields: Vec<(&'static str, Field)>,
    pub document: Option<Uuid>,
}

/// As `about_case`, when the caller has the case's business at hand (a filing, an action: one
/// read fewer), with the messages added to `writes` for the caller to send with its own.
pub async fn about_case_into(
    db: &impl ConnectionTrait,
    writes: &mut Writes,
    notifier: &Notifier,
    case: &case::Model,
    business: &business::Model,
    mail: CaseMail<'_>,
) -> AppResult<()> {
    let (recipients, fields) = case_recipients(db, case, Some(business), mail.to, mail.fields).await?;
    let ids = Ids { case: Some(case.id), document: mail.document, ..Ids::default() };
    render_into(writes, notifier, mail.kind, recipients, &case.jurisdiction, ids, &fields)
}

/// As `about_case`, with an issued document attached to each message.
pub async fn about_case_with_document(
    db: &impl ConnectionTrait,
    notifier: &Notifier,
    case: &case::Model,
    kind: &'static str,
    to: &[To],
    fields: Vec<(&'static str, Field)>,
    document: Uuid,
) -> AppResult<()> {
    case_message(db, notifier, case, None, kind, to, fields, Some(document)).await
}

#[allow(clippy::too_many_arguments)]
async fn case_message(
    db: &impl ConnectionTrait,
    notifier: &Notifier,
    case: &case::Model,
    business: Option<&business::Model>,
    kind: &'static str,
    to: &[To],
    fields: Vec<(&'static str, Field)>,
    document: Option<Uuid>,
) -> AppResult<()> {
    let (recipients, fields) = case_recipients(db, case, business, to, fields).await?;
    let ids = Ids { case: Some(case.id), document, ..Ids::default() };
    render_and_queue(db, notifier, kind, recipients, &case.jurisdiction, ids, &fields).await
}

/// Who a message about `case` goes to, and the fields every such message has beside the
/// caller's: the case number, the business's and the consumer's names.
async fn case_recipients(
    db: &impl ConnectionTrait,
    case: &case::Model,
    business: Option<&business::Model>,
    to: &[To],
    mut fields: Vec<(&'static str, Field)>,
) -> AppResult<(Vec<Recipient>, Vec<(&'static str, Field)>)> {
    let read;
    let business = match business {
        Some(business) => business,
        None => {
            read = business::Entity::find_by_id(case.business_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("case {} names a missing business", case.id)))?;
            &read
        }
    };
    fields.push(("case_no", Field::Text(case.case_no.clone())));
    fields.push(("business_name", Field::Text(business.name.clone())));
    fields.push(("consumer_name", Field::Text(case.consumer_name.clone())));
    let mut recipients = Vec::new();
    for target in to {
        match target {
            To::Consumer => {
                if let Some(email) = &case.consumer_email {
                    recipients.push(Recipient {
                        email: email.clone(),
                        name: Some(case.consumer_name.clone()),
                        role: "consumer",
                        user_id: case.consumer_user_id,
                        locale: case.consumer_locale.clone(),
                    });
                }
            }
            To::Business => recipients.extend(business_recipients(db, business).await?),
            To::Staff(Some(id)) => recipients.extend(staff_recipient(db, *id).await?),
            To::Staff(None) => {}
        }
    }
    Ok((recipients, fields))
}

/// Someone an account message (verification, password reset, invitation) goes to.
#[derive(Debug, Clone)]
pub struct Addressee {
    pub email: String,
    pub name: Option<String>,
    pub user_id: Option<Uuid>,
    pub locale: String,
    /// `consumer`, `business` or `staff`.
    pub role: &'static str,
}

impl Addressee {
    pub fn of(account: &user::Model) -> Self {
        Self {
            email: account.email.clone(),
            name: Some(account.name.clone()),
            user_id: Some(account.id),
            locale: account.locale.clone(),
            role: match Role::parse(&account.role) {
                Some(Role::Citizen) => "consumer",
                Some(Role::Business) => "business",
                _ => "staff",
            },
        }
    }
}

/// Queues an account message in the caller's transaction, signed by the office of the
/// account's jurisdiction (or the default one).
pub async fn about_account(
    db: &impl ConnectionTrait,
    notifier: &Notifier,
    kind: &'static str,
    to: Addressee,
    jurisdiction: Option<&str>,
    fields: Vec<(&'static str, Field)>,
) -> AppResult<()> {
    let jurisdiction = jurisdiction.unwrap_or(&notifier.reference.default_jurisdiction).to_string();
    let recipient = Recipient { email: to.email, name: to.name, role: to.role, user_id: to.user_id, locale: to.locale };
    render_and_queue(db, notifier, kind, vec![recipient], &jurisdiction, Ids::default(), &fields).await
}

/// Queues an alert about an inspection to its officers.
pub async fn about_inspection(
    db: &impl ConnectionTrait,
    notifier: &Notifier,
    inspection: &entity::inspection::Model,
    kind: &'static str,
    officers: &[Uuid],
    fields: Vec<(&'static str, Field)>,
) -> AppResult<()> {
    let mut recipients = Vec::new();
    for id in officers {
        recipients.extend(staff_recipient(db, *id).await?);
    }
    let ids = Ids { inspection: Some(inspection.id), ..Ids::default() };
    render_and_queue(db, notifier, kind, recipients, &inspection.jurisdiction, ids, &fields).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_amounts_read_naturally() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 11).unwrap();
        assert_eq!(date_text("zh-TW", d), "2026年12月11日（星期五）");
        assert_eq!(date_text("en", d), "Friday, 11 December 2026");
        assert_eq!(amount_text(24000), "NT$24,000");
        assert_eq!(amount_text(1_234_567), "NT$1,234,567");
        assert_eq!(amount_text(999), "NT$999");
    }
}
