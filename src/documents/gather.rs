//! What a document says, read from the records: the case, its parties, the complaint that was
//! forwarded, the meeting the parties are called to, the mediation and how it ended, the stages
//! and the timeline — formatted in the document's language.

use chrono::{DateTime, Utc};
use entity::workflow::{Stage, Status};
use entity::{agenda_item, business, case, case_stage, committee_member, meeting, meeting_attendance, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use uuid::Uuid;

use super::context::{
    BusinessVars, CaseVars, ComplaintVars, Context, DocumentVars, EventVars, MediationVars, MeetingVars, OfficeVars,
    PersonVars, StageVars, amount, date,
};
use super::kinds::{Kind, Situation};
use crate::error::{AppError, AppResult};
use crate::labels::label;
use crate::reference::ReferenceSettings;
use crate::time::{taipei, taipei_date};

/// The records a document is drawn from.
pub struct Records {
    pub case: case::Model,
    pub business: business::Model,
    pub stages: Vec<case_stage::Model>,
    /// The meeting still to be held with the case on its agenda.
    pub upcoming: Option<meeting::Model>,
    /// The agenda item and meeting at which the latest mediation ended.
    pub decided: Option<(agenda_item::Model, meeting::Model)>,
}

impl Records {
    pub async fn load(db: &impl ConnectionTrait, case: case::Model) -> AppResult<Self> {
        let business = business::Entity::find_by_id(case.business_id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("case {} names a missing business", case.id)))?;
        let stages = case_stage::Entity::find()
            .filter(case_stage::Column::CaseId.eq(case.id))
            .order_by_asc(case_stage::Column::Seq)
            .all(db)
            .await?;
        let items = agenda_item::Entity::find()
            .filter(agenda_item::Column::CaseId.eq(case.id))
            .order_by_desc(agenda_item::Column::AddedAt)
            .all(db)
            .await?;
        let mut upcoming = None;
        let mut decided = None;
        for item in items {
            let Some(m) = meeting::Entity::find_by_id(item.meeting_id).one(db).await? else { continue };
            if upcoming.is_none() && item.outcome.is_none() && m.status == "scheduled" {
                upcoming = Some(m);
            } else if decided.is_none() && item.outcome.as_deref().is_some_and(|o| o != "removed" && o != "postponed") {
                decided = Some((item, m));
            }
        }
        Ok(Self { case, business, stages, upcoming, decided })
    }

    fn latest(&self, stage: Stage) -> Option<&case_stage::Model> {
        self.stages.iter().rev().find(|s| s.stage == stage)
    }

    /// The latest complaint the business was sent.
    fn forwarded_complaint(&self) -> Option<&case_stage::Model> {
        self.stages.iter().rev().find(|s| s.stage != Stage::Mediation && s.details.get("delivery").is_some())
    }

    pub fn situation(&self) -> Situation {
        let mediation = self.latest(Stage::Mediation);
        Situation {
            forwarded: self.case.forwarded_at.is_some() && self.forwarded_complaint().is_some(),
            on_agenda: self.upcoming.is_some(),
            established: mediation.is_some_and(|m| m.status == Status::Established),
            certificate_requested: mediation
                .is_some_and(|m| m.status == Status::NotEstablished && m.details.get("certificate_request").is_some()),
        }
    }

    /// A party asked for the certificate of the latest (failed) mediation and it is not issued.
    pub fn certificate_pending(&self) -> bool {
        self.situation().certificate_requested
            && self.latest(Stage::Mediation).is_some_and(|m| m.details.get("certificate").is_none())
    }

    /// The stage and meeting a document of `kind` is about.
    pub fn subject(&self, kind: Kind) -> (Option<Uuid>, Option<Uuid>) {
        match kind {
            Kind::ForwardLetter => (self.forwarded_complaint().map(|s| s.id), None),
            Kind::MeetingNotice => (self.latest(Stage::Mediation).map(|s| s.id), self.upcoming.as_ref().map(|m| m.id)),
            Kind::MediationRecord | Kind::Certificate => {
                (self.latest(Stage::Mediation).map(|s| s.id), self.decided.as_ref().map(|(_, m)| m.id))
            }
            Kind::CaseSummary => (None, None),
        }
    }
}

/// The document's own facts.
pub struct Issue<'a> {
    pub kind: Kind,
    pub locale: &'a str,
    pub number: &'a str,
    pub version: i32,
    pub issued_at: DateTime<Utc>,
}

fn day(locale: &str, at: Option<DateTime<Utc>>) -> String {
    at.map(|at| date(locale, taipei_date(at))).unwrap_or_default()
}

fn text_of(details: &Value, key: &str) -> String {
    details.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

async fn user_name(db: &impl ConnectionTrait, id: Option<Uuid>) -> AppResult<String> {
    Ok(match id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.name).unwrap_or_default(),
        None => String::new(),
    })
}

fn meeting_title(locale: &str, m: &meeting::Model) -> String {
    if locale == "en" {
        format!("mediation meeting no. {} of {}", m.number, m.year + 1911)
    } else {
        format!("{}年第{}次調解會議", m.year, m.number)
    }
}

/// The names of the committee members who attended (MR 8 counts its quorum from them).
async fn attendees(db: &impl ConnectionTrait, meeting_id: Uuid) -> AppResult<Vec<String>> {
    let ids: Vec<Uuid> = meeting_attendance::Entity::find()
        .filter(meeting_attendance::Column::MeetingId.eq(meeting_id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.member_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(committee_member::Entity::find()
        .filter(committee_member::Column::Id.is_in(ids))
        .order_by_asc(committee_member::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect())
}

/// Why a mediation failed, in the law's words.
fn how_it_ended(locale: &str, stage: &case_stage::Model) -> String {
    let objection = stage.end_reason.as_deref() == Some("objection");
    match (objection, locale == "en") {
        (true, false) => "當事人於法定期間內對調解委員會所提解決方案提出異議，視為調解不成立（消費者保護法第45條之3、消費爭議調解辦法第18條）。",
        (true, true) => "A party objected within the statutory period to the solution the committee proposed, so the mediation is deemed not established (CPA Art. 45-3; Consumer Dispute Mediation Regulations Art. 18).",
        (false, false) => "雙方當事人未能達成合意，調解不成立。",
        (false, true) => "The parties did not reach an agreement; the mediation was not established.",
    }
    .to_string()
}

pub async fn context(
    db: &impl ConnectionTrait,
    reference: &ReferenceSettings,
    records: &Records,
    issue: &Issue<'_>,
) -> AppResult<Context> {
    let Records { case, business, stages, upcoming, decided } = records;
    let locale = issue.locale;
    let on = |at: Option<DateTime<Utc>>| day(locale, at);
    let named = |zh: &str, en: &str| if locale == "en" { en.to_string() } else { zh.to_string() };
    let jurisdiction = reference.jurisdiction(&case.jurisdiction);
    let place = jurisdiction.map(|j| named(&j.name_zh, &j.name_en)).unwrap_or_else(|| case.jurisdiction.clone());
    let office = OfficeVars {
        name: match jurisdiction {
            Some(j) if locale == "en" => format!("Consumer Protection Office, {} Government", j.name_en),
            Some(j) => format!("{}政府消費者保護官室", j.name_zh),
            None => case.jurisdiction.clone(),
        },
        committee: match jurisdiction {
            Some(j) if locale == "en" => format!("{} Consumer Dispute Mediation Committee", j.name_en),
            Some(j) => format!("{}消費爭議調解委員會", j.name_zh),
            None => case.jurisdiction.clone(),
        },
        jurisdiction: place,
    };
    let case_vars = CaseVars {
        number: case.case_no.clone(),
        received_on: date(locale, case.received_on),
        category: reference
            .category(&case.category)
            .map(|c| named(&c.name_zh, &c.name_en))
            .unwrap_or_else(|| case.category.clone()),
        description: case.description.clone(),
        requested_resolution: case.requested_resolution.clone(),
        amount_disputed: case.amount_disputed.map(|n| amount(locale, n)).unwrap_or_default(),
        transaction_date: case.transaction_date.map(|d| date(locale, d)).unwrap_or_default(),
        channel: crate::reference::CHANNELS
            .iter()
            .find(|(code, _, _)| *code == case.channel)
            .map(|(_, zh, en)| named(zh, en))
            .unwrap_or_else(|| case.channel.clone()),
    };
    let complaint = match records.forwarded_complaint() {
        Some(s) => ComplaintVars {
            stage: label(locale, &format!("stage.{}", s.stage)),
            forwarded_on: on(case.forwarded_at),
            due_on: on(s.due_at),
            due_provisional: s.due_provisional,
            delivery: s
                .details
                .pointer("/delivery/mode")
                .and_then(Value::as_str)
                .map(|m| label(locale, &format!("delivery.{m}")))
                .unwrap_or_default(),
            response: text_of(&s.details, "response"),
        },
        None => ComplaintVars::default(),
    };
    let meeting = match upcoming {
        Some(m) => {
            let local = m.scheduled_at.with_timezone(&taipei());
            MeetingVars {
                title: meeting_title(locale, m),
                date: date(locale, local.date_naive()),
                time: local.format("%H:%M").to_string(),
                location: m.location.clone(),
                chair: user_name(db, m.chair_id).await?,
            }
        }
        None => MeetingVars::default(),
    };
    let mediation = match records.latest(Stage::Mediation) {
        Some(s) => {
            let (members, chair, at_meeting, item_terms) = match decided {
                Some((item, m)) => (
                    attendees(db, m.id).await?,
                    user_name(db, m.chair_id).await?,
                    meeting_title(locale, m),
                    item.terms.clone().unwrap_or_default(),
                ),
                None => (Vec::new(), String::new(), String::new(), String::new()),
            };
            let terms = Some(text_of(&s.details, "terms")).filter(|t| !t.is_empty()).unwrap_or(item_terms);
            MediationVars {
                claims: text_of(&s.details, "claims"),
                applied_on: on(Some(s.filed_at)),
                accepted_on: on(s.accepted_at),
                ended_on: on(s.closed_at),
                outcome: label(locale, &format!("status.{}", s.status)),
                how_it_ended: if s.status == Status::NotEstablished { how_it_ended(locale, s) } else { String::new() },
                terms,
                settlement_amount: s.settlement_amount.map(|n| amount(locale, n)).unwrap_or_default(),
                members_present: members,
                chair,
                meeting: at_meeting,
            }
        }
        None => MediationVars::default(),
    };
    let stage_vars = stages
        .iter()
        .map(|s| StageVars {
            name: label(locale, &format!("stage.{}", s.stage)),
            status: label(locale, &format!("status.{}", s.status)),
            filed_on: date(locale, s.filed_on),
            due_on: on(s.due_at),
            closed_on: s.closed_on.map(|d| date(locale, d)).unwrap_or_default(),
        })
        .collect();
    let timeline = if issue.kind == Kind::CaseSummary {
        // The public timeline: a summary may be printed and handed over.
        crate::timeline::list(db, case.id, false)
            .await?
            .into_iter()
            .map(|e| {
                let key = format!("action.{}", e.action);
                let action = label(locale, &key);
                EventVars {
                    on: date(locale, taipei_date(e.at)),
                    action: if action == key { e.action.clone() } else { action },
                    by: label(locale, &format!("role.{}", e.actor_role)),
                    note: e.note.unwrap_or_default(),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Context {
        document: DocumentVars {
            kind: issue.kind.as_str().into(),
            title: issue.kind.title(locale).into(),
            number: issue.number.into(),
            version: issue.version,
            issued_on: date(locale, taipei_date(issue.issued_at)),
            locale: locale.into(),
        },
        office,
        case: case_vars,
        consumer: PersonVars {
            name: case.consumer_name.clone(),
            address: case.consumer_address.clone().unwrap_or_default(),
            phone: case.consumer_phone.clone().unwrap_or_default(),
            email: case.consumer_email.clone().unwrap_or_default(),
        },
        business: BusinessVars {
            name: business.name.clone(),
            tax_id: business.tax_id.clone().unwrap_or_default(),
            address: business.address.clone().unwrap_or_default(),
        },
        complaint,
        meeting,
        mediation,
        stages: stage_vars,
        timeline,
    })
}
