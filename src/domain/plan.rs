//! What a workflow action does to a case, decided before anything is written: the new status,
//! the columns and details it sets, the deadline it counts, the stage it opens, the mail it
//! sends. `plan` is pure — the calendar's answer comes in as `deadline` — so each action is
//! unit-tested here, and one writer (`stages::write`) applies every plan, as it applies the
//! changes meetings and the background job make.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::workflow::{Action, Outcome, Stage, Status};
use crate::domain::deadlines::DeadlineSettings;

/// An action's inputs, validated.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub occurred_at: DateTime<Utc>,
    /// `occurred_at` was given (a paper back-entry).
    pub back_dated: bool,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub response: Option<String>,
    pub offer: Option<String>,
    pub claims: Option<String>,
    pub officer_id: Option<Uuid>,
    pub due_days: Option<u32>,
    pub at: Option<DateTime<Utc>>,
    pub amount_recovered: Option<i64>,
    pub due: Option<NaiveDate>,
    pub code: Option<i32>,
    pub days: Option<u32>,
    pub party: Option<String>,
    pub objected_at: Option<DateTime<Utc>>,
    /// A posted objection's postmark (MR 16 II(4)): it counts on that day.
    pub postmarked_on: Option<NaiveDate>,
    /// `extend_schedule`: the party who asked (MR 7 II).
    pub requested_by: Option<String>,
    /// `reapply_mediation`: the business agreed to mediate again (MR 5 I(6)).
    pub business_consent: Option<bool>,
    pub approved: Option<bool>,
    /// `issue_certificate`: the document the writer issued, and its number, e.g.
    /// `高市消保字第1150000123號`.
    pub certificate_no: Option<String>,
    pub certificate_document: Option<uuid::Uuid>,
    /// `forward`: how the complaint reaches the business (`online`, `post`, `fax`, `email`).
    pub delivery: Option<String>,
    /// `record_delivery`: the day the business received the complaint (ER Art. 36).
    pub received_on: Option<NaiveDate>,
    /// `transfer`: where the complaint goes.
    pub transfer_to: Option<TransferTo>,
    /// `rate`: the consumer's verdict.
    pub rating: Option<Rating>,
    /// `confirm_settlement`: whether the business did what it promised.
    pub honoured: Option<bool>,
}

/// The consumer's verdict on how her case was handled (issue 19): a score of 1 to 5, whether it
/// was fair, and a comment that staff read and nobody publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub score: i16,
    pub fair: Option<bool>,
    pub comment: Option<String>,
}

/// Where a complaint is transferred (移送), with the names the consumer is told.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferTo {
    /// Another jurisdiction's office (its code, and the district there, if known), or an
    /// outside agency (its code).
    pub place: Place,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    Jurisdiction { code: String, district: Option<String> },
    Agency(String),
}

/// The modes of `forward`'s delivery; only `online` is received at once.
pub const DELIVERIES: [&str; 4] = ["online", "post", "fax", "email"];

impl Inputs {
    /// The human text the timeline shows for the action.
    pub fn event_note(&self) -> Option<String> {
        self.note
            .clone()
            .or_else(|| self.reason.clone())
            .or_else(|| self.response.clone())
            .or_else(|| self.claims.clone())
    }
}

/// The stage as an action finds it.
#[derive(Debug, Clone)]
pub struct StageNow {
    pub kind: Stage,
    pub status: Status,
    pub due_at: Option<DateTime<Utc>>,
    pub schedule_by: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    /// The basis of a served proposal: `45-2` or `45-4`.
    pub proposal_basis: Option<String>,
    /// Established by the lapse of the objection periods (CPA 45-3).
    pub deemed: bool,
    pub assigned_officer_id: Option<Uuid>,
    pub responded_at: Option<DateTime<Utc>>,
    /// First complaint: how it was forwarded (`delivery.mode` in the details).
    pub delivery: Option<String>,
}

/// Who acts: their account and role name.
#[derive(Debug, Clone, Copy)]
pub struct By<'a> {
    pub id: Uuid,
    pub role: &'a str,
}

/// A deadline to count on the office calendar: `days` days from `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub from: DateTime<Utc>,
    pub days: u32,
}

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    Consumer,
    Business,
    /// A member of staff (no one when `None`).
    Staff(Option<Uuid>),
}

/// A value in a message, formatted for each recipient's language by the mail layer.
#[derive(Debug, Clone, PartialEq)]
pub enum MailValue {
    Text(String),
    /// The Taipei date of an instant (deadlines).
    Date(DateTime<Utc>),
    Day(NaiveDate),
    /// A mediation outcome code.
    Outcome(&'static str),
    /// An MR Art. 5 reason code.
    Rejection(i32),
    /// A meeting's ROC year and number.
    Meeting(i32, i32),
    /// An instant, with its time of day (a meeting's).
    DateTime(DateTime<Utc>),
    /// A name in Chinese and in English (a jurisdiction, an agency).
    Named(String, String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MailPlan {
    pub kind: &'static str,
    pub to: Vec<Party>,
    pub fields: Vec<(&'static str, MailValue)>,
    /// An issued document sent with it.
    pub document: Option<uuid::Uuid>,
}

impl MailPlan {
    pub fn new(kind: &'static str, to: Vec<Party>, fields: Vec<(&'static str, MailValue)>) -> Self {
        Self { kind, to, fields, document: None }
    }
}

/// An edit of the stage's details (a JSON object of texts and facts).
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    Set(&'static str, Value),
    /// Appends to the list under the key.
    Push(&'static str, Value),
}

/// Applies `edits` to `details` (made an object if it is not one).
pub fn edit_details(details: &mut Value, edits: &[Edit]) {
    if !details.is_object() {
        *details = json!({});
    }
    let Some(map) = details.as_object_mut() else { return };
    for edit in edits {
        match edit {
            Edit::Set(key, value) => {
                map.insert((*key).into(), value.clone());
            }
            Edit::Push(key, value) => {
                let list = map.entry(*key).or_insert_with(|| json!([]));
                if !list.is_array() {
                    *list = json!([]);
                }
                if let Some(items) = list.as_array_mut() {
                    items.push(value.clone());
                }
            }
        }
    }
}

/// The stage columns a change sets (`None`: left as it is; `Some(None)`: cleared).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns {
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub due_provisional: Option<bool>,
    pub responded_at: Option<DateTime<Utc>>,
    pub responded_late: Option<bool>,
    pub assigned_officer_id: Option<Option<Uuid>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub schedule_by: Option<Option<DateTime<Utc>>>,
    pub schedule_extended: Option<bool>,
    pub objection_due: Option<Option<DateTime<Utc>>>,
    pub deemed: Option<bool>,
    pub court_due: Option<Option<DateTime<Utc>>>,
    pub court_sent_at: Option<DateTime<Utc>>,
    pub court_approved: Option<bool>,
    pub settlement_amount: Option<i64>,
    pub rejection_code: Option<i32>,
}

/// A new stage an escalation opens.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    pub stage: Stage,
    pub status: Status,
    pub due_at: Option<DateTime<Utc>>,
    pub details: Value,
}

/// What an action does.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub to: Status,
    /// Why the stage ends, when it does.
    pub end_reason: Option<String>,
    pub columns: Columns,
    pub details: Vec<Edit>,
    /// The case is forwarded to the business now (its first forwarding counts).
    pub forwarded: bool,
    /// NT$ recovered for the consumer, added to the case's total.
    pub recovered: Option<i64>,
    pub escalation: Option<Escalation>,
    /// The timeline entry's data.
    pub data: Value,
    pub mail: Vec<MailPlan>,
    /// A withdrawn mediation leaves the agenda it was waiting on.
    pub leaves_agenda: bool,
    /// The stage was over and is decided anew (a deemed establishment reversed): it closes
    /// again, with a new date and reason, or opens.
    pub reopens: bool,
    /// The complaint is transferred (移送): the writer records it and, to another jurisdiction,
    /// moves the case and its figures there.
    pub transfer: Option<Transfer>,
    /// The consumer's verdict, kept on the case.
    pub rating: Option<Rating>,
    /// What is recorded on the case about its settlement being kept.
    pub settlement: Option<SettlementKept>,
}

/// A settlement's keeping, as recorded on the case (issue 19).
#[derive(Debug, Clone, PartialEq)]
pub enum SettlementKept {
    /// `confirm_settlement`: kept or not, with what was said.
    Confirmed { honoured: bool, note: Option<String> },
    /// `follow_up_settlement`: an officer recorded what was done about one not kept.
    FollowedUp,
}

/// A transfer as the writer records it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    pub place: Place,
    pub reason: String,
    pub by: Uuid,
}

/// The deadline `action` counts, if any, for the writer to ask the office calendar.
pub fn deadline(action: Action, now: &StageNow, inputs: &Inputs, days: &DeadlineSettings) -> Option<Count> {
    let at = inputs.occurred_at;
    let count = |from, days| Some(Count { from, days });
    match action {
        // ER Art. 36: from the business's receipt — at once online, else presumed
        // `postal_days` later until the receipt is recorded.
        Action::Forward if inputs.delivery.as_deref().is_some_and(|d| d != "online") => {
            count(at + chrono::Duration::days(i64::from(days.postal_days)), days.business_reply_days)
        }
        Action::Forward => count(at, days.business_reply_days),
        Action::RecordDelivery => {
            count(inputs.received_on.map(crate::domain::calendar::end_of_day).unwrap_or(at), days.business_reply_days)
        }
        Action::FileSecondComplaint => count(at, days.second_complaint_days),
        Action::RequestBusinessReply => count(at, inputs.due_days.unwrap_or(days.business_reply_days)),
        Action::RequestCorrection if inputs.due.is_none() => count(at, days.correction_days),
        Action::AcceptApplication => count(at, days.mediation_schedule_days),
        // Extended from the last day already set, not from today.
        Action::ExtendSchedule => {
            count(now.schedule_by.unwrap_or(at), inputs.days.unwrap_or(days.mediation_extension_max_days))
        }
        // CPA 45-5: an objection to a small-claims proposal sends the case back for a new
        // meeting within 20 days of the objection.
        // MR 22 II: within 20 days of receiving the objection.
        Action::RecordObjection if now.proposal_basis.as_deref() == Some("45-4") => {
            count(inputs.objected_at.unwrap_or(at), days.reschedule_days)
        }
        // MR 27 II: the certificate within 7 days of the request.
        Action::RequestCertificate => count(at, days.certificate_days),
        _ => None,
    }
}

/// What `action` does to the stage `now`, with `deadline` the count `deadline(...)` asked for
/// and the calendar's answer (`None` when the action counts none).
pub fn plan(
    action: Action,
    outcome: Outcome,
    now: &StageNow,
    inputs: &Inputs,
    by: By<'_>,
    deadline: Option<(Count, DateTime<Utc>)>,
) -> Plan {
    use MailValue as V;
    use Party::{Business, Consumer};
    let at = inputs.occurred_at;
    let due = deadline.map(|(_, due)| due).unwrap_or(at);
    let counted_days = deadline.map(|(count, _)| count.days);
    let text = |value: &Option<String>| V::Text(value.clone().unwrap_or_default());
    let mut p = Plan {
        to: match outcome {
            Outcome::To(to) => to,
            Outcome::Stay => now.status,
            Outcome::Escalate { .. } => Status::Unresolved,
            Outcome::Decided(_) => Status::NotEstablished,
        },
        end_reason: None,
        columns: Columns::default(),
        details: Vec::new(),
        forwarded: false,
        recovered: None,
        escalation: None,
        data: json!({}),
        mail: Vec::new(),
        leaves_agenda: false,
        reopens: false,
        transfer: None,
        rating: None,
        settlement: None,
    };
    let end = |reason: &str| Some(reason.to_string());
    match action {
        Action::Forward => {
            let mode = inputs.delivery.clone().unwrap_or_else(|| "online".into());
            let online = mode == "online";
            p.columns.due_at = Some(Some(due));
            p.columns.due_provisional = Some(!online);
            p.forwarded = true;
            // Who to tell if the business lets the date pass.
            p.details.push(Edit::Set("forwarded_by", json!(by.id)));
            let received_on = online.then(|| crate::time::taipei_date(at));
            p.details.push(Edit::Set("delivery", json!({"mode": mode, "received_on": received_on})));
            p.data = json!({"due_at": due, "delivery": mode, "due_provisional": !online});
            p.mail.push(MailPlan::new("case_forwarded", vec![Business], vec![("due_date", V::Date(due))]));
        }
        Action::RecordDelivery => {
            let mode = now.delivery.clone().unwrap_or_else(|| "post".into());
            p.columns.due_at = Some(Some(due));
            p.columns.due_provisional = Some(false);
            p.details.push(Edit::Set("delivery", json!({"mode": mode, "received_on": inputs.received_on})));
            // The reminder follows the real date.
            p.details.push(Edit::Set("reminder_sent_at", Value::Null));
            p.to = match now.status {
                Status::Responded => {
                    let late = now.responded_at.is_some_and(|answered| answered > due);
                    p.columns.responded_late = Some(late);
                    Status::Responded
                }
                // An answer not yet late after all: the stage waits again (the job marks a
                // stage overdue once its real date passes, with its mail).
                Status::Overdue if due >= at => Status::Forwarded,
                status => status,
            };
            p.data = json!({"received_on": inputs.received_on, "due_at": due});
        }
        Action::Transfer => {
            // Validation always names the place; without one nothing moves.
            p.to = now.status;
            if let Some(to) = &inputs.transfer_to {
                let reason = inputs.reason.clone().unwrap_or_default();
                let (data, fields) = match &to.place {
                    Place::Jurisdiction { code, .. } => {
                        // Staff of this office no longer handle it: a second complaint waits there to be assigned.
                        if now.kind == Stage::SecondComplaint {
                            p.to = Status::Submitted;
                            p.columns.assigned_officer_id = Some(None);
                        } else {
                            p.to = now.status;
                        }
                        (json!({"to_jurisdiction": code}), "jurisdiction")
                    }
                    Place::Agency(code) => {
                        p.to = Status::Transferred;
                        p.end_reason = end("transferred");
                        (json!({"to_agency": code}), "agency")
                    }
                };
                let mut record = data.clone();
                if let Some(map) = record.as_object_mut() {
                    map.insert("reason".into(), json!(reason));
                    map.insert("at".into(), json!(at));
                }
                p.details.push(Edit::Push("transfers", record));
                p.data = data;
                p.mail.push(MailPlan::new(
                    "case_transferred",
                    vec![Consumer],
                    vec![
                        ("destination", V::Named(to.name_zh.clone(), to.name_en.clone())),
                        ("destination_kind", V::Text(fields.into())),
                        ("reason", V::Text(reason.clone())),
                    ],
                ));
                p.transfer = Some(Transfer { place: to.place.clone(), reason, by: by.id });
            }
        }
        Action::RequestInfo => p.details.push(Edit::Set("info_requested", json!(inputs.note))),
        Action::Rate => {
            // The comment stays on the case for staff; the timeline keeps the score.
            if let Some(rating) = &inputs.rating {
                p.data = json!({"score": rating.score, "fair": rating.fair});
            }
            p.rating = inputs.rating.clone();
        }
        Action::ConfirmSettlement => {
            let honoured = inputs.honoured.unwrap_or(true);
            p.data = json!({"honoured": honoured});
            p.settlement = Some(SettlementKept::Confirmed { honoured, note: inputs.note.clone() });
        }
        Action::FollowUpSettlement => p.settlement = Some(SettlementKept::FollowedUp),
        Action::ProvideInfo => {}
        Action::Reject => {
            p.details.push(Edit::Set("reject_reason", json!(inputs.reason)));
            p.end_reason = end("rejected");
            p.mail.push(MailPlan::new("complaint_rejected", vec![Consumer], vec![("reason", text(&inputs.reason))]));
        }
        Action::Respond => {
            let answer = json!({"at": at, "response": inputs.response, "offer": inputs.offer, "by": by.role});
            if now.kind == Stage::FirstComplaint {
                let late = now.due_at.is_some_and(|due| at > due);
                p.columns.responded_at = Some(at);
                p.columns.responded_late = Some(late);
                p.details.push(Edit::Set("response", answer));
                p.data = json!({"late": late});
            } else {
                p.details.push(Edit::Push("responses", answer));
            }
            let mut fields = vec![("response", text(&inputs.response))];
            if let Some(offer) = &inputs.offer {
                fields.push(("offer", V::Text(offer.clone())));
            }
            p.mail.push(MailPlan::new("business_responded", vec![Consumer], fields));
        }
        Action::Accept | Action::Settle => {
            if let Some(amount) = inputs.amount_recovered {
                p.recovered = Some(amount);
                p.columns.settlement_amount = Some(amount);
                p.data = json!({"amount_recovered": amount});
            }
            p.end_reason = end("settled");
        }
        Action::Decline => p.end_reason = end("declined"),
        Action::MarkUnresolved => p.end_reason = end("unresolved"),
        Action::FileSecondComplaint | Action::ApplyMediation => {
            p.end_reason = if now.status == Status::Overdue {
                end("no_response")
            } else if matches!(now.status, Status::Submitted | Status::Assigned) {
                // A pending second complaint gives way to the mediation the consumer chose.
                end("mediation_applied")
            } else {
                Some(now.end_reason.clone().unwrap_or_else(|| "unresolved".into()))
            };
            if matches!(now.status, Status::Withdrawn | Status::Rejected) {
                // The second complaint stays as it ended; only a mediation opens.
                p.to = now.status;
            }
            let (stage, status) = match outcome {
                Outcome::Escalate { stage, status } => (stage, status),
                // The table escalates both; anything else would be a table error.
                _ => (Stage::Mediation, Status::Applied),
            };
            p.escalation = Some(if stage == Stage::SecondComplaint {
                p.mail.push(MailPlan::new("second_complaint_received", vec![Consumer], vec![]));
                Escalation { stage, status, due_at: Some(due), details: json!({"reason": inputs.reason}) }
            } else {
                p.mail.push(MailPlan::new("mediation_applied", vec![Consumer], vec![]));
                Escalation { stage, status, due_at: None, details: json!({"claims": inputs.claims}) }
            });
        }
        Action::Assign => {
            p.columns.assigned_officer_id = inputs.officer_id.map(Some);
            p.data = json!({"officer_id": inputs.officer_id});
        }
        Action::RequestBusinessReply => {
            p.columns.due_at = Some(Some(due));
            p.details.push(Edit::Push("reply_requests", json!({"at": at, "due_at": due})));
            p.data = json!({"due_at": due});
        }
        Action::ScheduleNegotiation => {
            p.details.push(Edit::Push("negotiations", json!({"at": inputs.at, "scheduled_at": at})));
            p.data = json!({"negotiation_at": inputs.at});
        }
        Action::RequestCorrection => {
            let day = inputs.due.unwrap_or_else(|| crate::time::taipei_date(due));
            p.details.push(Edit::Set("correction", json!({"note": inputs.note, "due": day})));
            p.data = json!({"due": day});
            let fields = vec![("note", text(&inputs.note)), ("due_date", V::Day(day))];
            p.mail.push(MailPlan::new("correction_requested", vec![Consumer], fields));
        }
        Action::AcceptApplication => {
            p.columns.accepted_at = Some(at);
            p.columns.schedule_by = Some(Some(due));
            // The officer who accepts it follows the mediation through (court dispatch alerts).
            p.columns.assigned_officer_id = Some(Some(by.id));
            p.data = json!({"schedule_by": due});
            p.mail.push(MailPlan::new(
                "application_accepted",
                vec![Consumer, Business],
                vec![("due_date", V::Date(due))],
            ));
        }
        Action::RejectApplication => {
            p.columns.rejection_code = inputs.code;
            p.end_reason = end("application_rejected");
            p.data = json!({"code": inputs.code});
            let code = inputs.code.unwrap_or_default();
            let fields = vec![("code", V::Text(code.to_string())), ("rejection_reason", V::Rejection(code))];
            p.mail.push(MailPlan::new("application_rejected", vec![Consumer], fields));
        }
        Action::ExtendSchedule => {
            p.columns.schedule_by = Some(Some(due));
            p.columns.schedule_extended = Some(true);
            let extension = json!({"days": counted_days, "requested_by": inputs.requested_by, "at": at});
            p.details.push(Edit::Set("schedule_extension", extension));
            p.data = json!({"schedule_by": due, "days": counted_days, "requested_by": inputs.requested_by});
        }
        Action::RecordObjection => {
            let objected_at = inputs.objected_at.unwrap_or(at);
            let basis = now.proposal_basis.clone().unwrap_or_else(|| "45-2".into());
            // A timely objection arriving after the job deemed the proposal established: that
            // establishment never happened (CPA 45-3, MR 17–18).
            let reverses = now.status == Status::Established;
            let objection = json!({"party": inputs.party, "objected_at": objected_at,
                "postmarked_on": inputs.postmarked_on, "reversed_deemed": reverses});
            p.details.push(Edit::Set("objection", objection));
            p.columns.objection_due = Some(None);
            if reverses {
                p.reopens = true;
                p.columns.deemed = Some(false);
                p.columns.court_due = Some(None);
                let fields = vec![("party", V::Text(inputs.party.clone().unwrap_or_default()))];
                p.mail.push(MailPlan::new(
                    "establishment_reversed",
                    vec![Party::Staff(now.assigned_officer_id)],
                    fields,
                ));
            }
            if basis == "45-4" {
                p.columns.schedule_by = Some(Some(due));
                p.to = Status::Accepted;
                p.data = json!({"basis": basis, "schedule_by": due, "reversed_deemed": reverses, "postmarked_on": inputs.postmarked_on});
                let fields = vec![("outcome_text", V::Outcome("objection_rescheduled")), ("next_date", V::Date(due))];
                p.mail.push(MailPlan::new("meeting_outcome", vec![Consumer, Business], fields));
            } else {
                p.to = Status::NotEstablished;
                p.end_reason = end("objection");
                p.data = json!({"basis": basis, "reversed_deemed": reverses, "postmarked_on": inputs.postmarked_on});
                let fields = vec![("outcome_text", V::Outcome("objection_not_established"))];
                p.mail.push(MailPlan::new("meeting_outcome", vec![Consumer, Business], fields));
            }
        }
        Action::SendToCourt => {
            p.columns.court_sent_at = Some(inputs.at.unwrap_or(at));
            p.data = json!({"sent_at": inputs.at});
        }
        Action::RecordCourtResult => {
            p.columns.court_approved = inputs.approved;
            p.data = json!({"approved": inputs.approved});
            if inputs.approved == Some(false) {
                p.to = Status::CourtRefused;
                p.end_reason = end("court_refused");
                p.data = json!({"approved": false, "reason": inputs.reason});
                p.mail.push(MailPlan::new(
                    "meeting_outcome",
                    vec![Consumer, Business],
                    vec![("outcome_text", V::Outcome("court_refused"))],
                ));
            } else {
                p.to = now.status;
            }
        }
        Action::Withdraw => {
            p.end_reason = end("withdrawn");
            p.leaves_agenda = now.kind == Stage::Mediation;
        }
        Action::RequestCertificate => {
            p.details.push(Edit::Set("certificate_request", json!({"at": at, "due": due, "by": by.role})));
            p.data = json!({"certificate_due": due});
        }
        Action::IssueCertificate => {
            let issued = json!({"number": inputs.certificate_no, "issued_at": at});
            p.details.push(Edit::Set("certificate", issued));
            p.data = json!({"number": inputs.certificate_no});
            let fields = vec![("number", text(&inputs.certificate_no))];
            let mut mail = MailPlan::new("certificate_issued", vec![Consumer], fields);
            mail.document = inputs.certificate_document;
            p.mail.push(mail);
        }
        Action::ReapplyMediation => {
            // The failed (or refused) mediation stays as it ended; a new one opens.
            p.to = now.status;
            p.data = json!({"business_consent": inputs.business_consent});
            let details =
                json!({"reapplication": true, "business_consent": inputs.business_consent, "note": inputs.note});
            p.escalation = Some(Escalation { stage: Stage::Mediation, status: Status::Applied, due_at: None, details });
            p.mail.push(MailPlan::new("mediation_applied", vec![Consumer], vec![]));
        }
    }
    if inputs.back_dated
        && let Some(map) = p.data.as_object_mut()
    {
        map.insert("back_dated".into(), json!(true));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::workflow::{self, Actor};

    fn days() -> DeadlineSettings {
        DeadlineSettings {
            business_reply_days: 15,
            second_complaint_days: 15,
            mediation_schedule_days: 30,
            mediation_extension_max_days: 10,
            reschedule_days: 20,
            objection_days: 10,
            court_dispatch_days: 10,
            correction_days: 7,
            reminder_working_days: 3,
            objection_mail_days: 7,
            certificate_days: 7,
            postal_days: 3,
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn stage(kind: Stage, status: Status) -> StageNow {
        StageNow {
            kind,
            status,
            due_at: None,
            schedule_by: None,
            end_reason: None,
            proposal_basis: None,
            deemed: false,
            assigned_officer_id: None,
            responded_at: None,
            delivery: None,
        }
    }

    const AT: &str = "2026-11-02T10:00:00+08:00";
    const DUE: &str = "2026-11-17T23:59:59+08:00";

    /// Plans `action` as the table allows it for `actor`, counting whatever deadline it asks
    /// for as `DUE`.
    fn run(action: Action, now: &StageNow, inputs: Inputs, actor: Actor) -> (Option<Count>, Plan) {
        let rule = workflow::check(now.kind, now.status, action, actor, Default::default()).expect("allowed");
        let count = deadline(action, now, &inputs, &days());
        let by = By { id: Uuid::nil(), role: "officer" };
        let plan = plan(action, rule.outcome, now, &inputs, by, count.map(|c| (c, t(DUE))));
        (count, plan)
    }

    fn inputs() -> Inputs {
        Inputs { occurred_at: t(AT), ..Default::default() }
    }

    #[test]
    fn forwarding_counts_the_fifteen_days_and_tells_the_business() {
        let (count, p) = run(Action::Forward, &stage(Stage::FirstComplaint, Status::Submitted), inputs(), Actor::Clerk);
        assert_eq!(count, Some(Count { from: t(AT), days: 15 }));
        assert_eq!(p.to, Status::Forwarded);
        assert_eq!(p.columns.due_at, Some(Some(t(DUE))));
        assert!(p.forwarded && p.end_reason.is_none());
        assert_eq!(
            p.mail,
            vec![MailPlan::new("case_forwarded", vec![Party::Business], vec![("due_date", MailValue::Date(t(DUE)))])]
        );
    }

    #[test]
    fn a_late_answer_is_marked_late() {
        let mut now = stage(Stage::FirstComplaint, Status::Overdue);
        now.due_at = Some(t("2026-11-01T23:59:59+08:00"));
        let i = Inputs { response: Some("退一半".into()), ..inputs() };
        let (count, p) = run(Action::Respond, &now, i, Actor::Business);
        assert_eq!(count, None);
        assert_eq!(
            (p.to, p.columns.responded_late, p.columns.responded_at),
            (Status::Responded, Some(true), Some(t(AT)))
        );
        assert_eq!(p.mail[0].kind, "business_responded");
    }

    #[test]
    fn an_overdue_complaint_escalates_for_want_of_an_answer() {
        let i = Inputs { reason: Some("企業未回覆".into()), ..inputs() };
        let (count, p) =
            run(Action::FileSecondComplaint, &stage(Stage::FirstComplaint, Status::Overdue), i, Actor::Consumer);
        assert_eq!(count, Some(Count { from: t(AT), days: 15 }));
        assert_eq!((p.to, p.end_reason.as_deref()), (Status::Unresolved, Some("no_response")));
        let opened = p.escalation.unwrap();
        assert_eq!(
            (opened.stage, opened.status, opened.due_at),
            (Stage::SecondComplaint, Status::Submitted, Some(t(DUE)))
        );
        let (_, p) =
            run(Action::ApplyMediation, &stage(Stage::FirstComplaint, Status::Unresolved), inputs(), Actor::Consumer);
        let opened = p.escalation.unwrap();
        assert_eq!((opened.stage, opened.status, opened.due_at), (Stage::Mediation, Status::Applied, None));
        assert_eq!(p.mail[0].kind, "mediation_applied");
    }

    #[test]
    fn mediation_after_a_second_complaint_pending_withdrawn_or_rejected() {
        let i = Inputs { claims: Some("退費".into()), ..inputs() };
        let (_, p) =
            run(Action::ApplyMediation, &stage(Stage::SecondComplaint, Status::Assigned), i.clone(), Actor::Consumer);
        assert_eq!((p.to, p.end_reason.as_deref()), (Status::Unresolved, Some("mediation_applied")));
        assert_eq!(p.escalation.map(|e| (e.stage, e.status)), Some((Stage::Mediation, Status::Applied)));
        let (_, p) = run(Action::ApplyMediation, &stage(Stage::SecondComplaint, Status::Withdrawn), i, Actor::Clerk);
        assert_eq!(p.to, Status::Withdrawn, "the withdrawn complaint stays withdrawn");
        assert!(p.escalation.is_some());
    }

    #[test]
    fn settling_records_what_was_recovered() {
        let i = Inputs { amount_recovered: Some(16_000), ..inputs() };
        let (_, p) = run(Action::Settle, &stage(Stage::SecondComplaint, Status::Assigned), i, Actor::Officer);
        assert_eq!((p.to, p.recovered, p.columns.settlement_amount), (Status::Settled, Some(16_000), Some(16_000)));
        assert_eq!(p.end_reason.as_deref(), Some("settled"));
    }

    #[test]
    fn a_posted_complaint_counts_from_a_presumed_receipt_until_the_real_one_is_recorded() {
        let mut i = inputs();
        i.delivery = Some("post".into());
        let (count, p) = run(Action::Forward, &stage(Stage::FirstComplaint, Status::Submitted), i, Actor::Clerk);
        assert_eq!(count, Some(Count { from: t(AT) + chrono::Duration::days(3), days: 15 }));
        assert_eq!(p.columns.due_provisional, Some(true));

        // Received on the 6th: 15 days from then; an overdue stage waits again.
        let mut now = stage(Stage::FirstComplaint, Status::Overdue);
        now.delivery = Some("post".into());
        let mut i = inputs();
        i.received_on = NaiveDate::from_ymd_opt(2026, 11, 6);
        i.occurred_at = t("2026-11-10T10:00:00+08:00");
        let (count, p) = run(Action::RecordDelivery, &now, i.clone(), Actor::Clerk);
        assert_eq!(count.map(|c| crate::time::taipei_date(c.from)), NaiveDate::from_ymd_opt(2026, 11, 6));
        assert_eq!((p.to, p.columns.due_provisional), (Status::Forwarded, Some(false)));

        // An answer already given is judged against the real date.
        let mut now = stage(Stage::FirstComplaint, Status::Responded);
        now.responded_at = Some(t("2026-11-20T09:00:00+08:00"));
        let (_, p) = run(Action::RecordDelivery, &now, i, Actor::Clerk);
        assert_eq!((p.to, p.columns.responded_late), (Status::Responded, Some(true)));
    }

    #[test]
    fn a_transfer_to_an_agency_ends_the_stage_and_to_a_jurisdiction_moves_it() {
        let mut i = inputs();
        i.reason = Some("銀行貸款爭議".into());
        i.transfer_to = Some(TransferTo {
            place: Place::Agency("foi".into()),
            name_zh: "財團法人金融消費評議中心".into(),
            name_en: "Financial Ombudsman Institution".into(),
        });
        let (_, p) = run(Action::Transfer, &stage(Stage::FirstComplaint, Status::Submitted), i.clone(), Actor::Clerk);
        assert_eq!((p.to, p.end_reason.as_deref()), (Status::Transferred, Some("transferred")));
        assert_eq!(p.mail[0].kind, "case_transferred");

        i.transfer_to = Some(TransferTo {
            place: Place::Jurisdiction { code: "pingtung".into(), district: None },
            name_zh: "屏東縣".into(),
            name_en: "Pingtung County".into(),
        });
        let mut now = stage(Stage::SecondComplaint, Status::Assigned);
        now.assigned_officer_id = Some(Uuid::nil());
        let (_, p) = run(Action::Transfer, &now, i, Actor::Officer);
        assert_eq!((p.to, p.columns.assigned_officer_id, p.end_reason), (Status::Submitted, Some(None), None));
        assert!(p.transfer.is_some());
    }

    #[test]
    fn accepting_an_application_sets_the_thirty_days_and_the_officer() {
        let (count, p) =
            run(Action::AcceptApplication, &stage(Stage::Mediation, Status::Applied), inputs(), Actor::Officer);
        assert_eq!(count.map(|c| c.days), Some(30));
        assert_eq!(
            (p.to, p.columns.schedule_by, p.columns.assigned_officer_id),
            (Status::Accepted, Some(Some(t(DUE))), Some(Some(Uuid::nil())))
        );
        assert_eq!(p.mail[0].to, vec![Party::Consumer, Party::Business]);
    }

    #[test]
    fn an_extension_runs_from_the_last_day_already_set() {
        let mut now = stage(Stage::Mediation, Status::Accepted);
        now.schedule_by = Some(t("2026-12-01T23:59:59+08:00"));
        let i = Inputs { days: Some(5), ..inputs() };
        let (count, p) = run(Action::ExtendSchedule, &now, i, Actor::Officer);
        assert_eq!(count, Some(Count { from: t("2026-12-01T23:59:59+08:00"), days: 5 }));
        assert_eq!((p.columns.schedule_extended, p.data["days"].as_u64()), (Some(true), Some(5)));
    }

    #[test]
    fn a_correction_takes_the_date_given_or_counts_seven_days() {
        let now = stage(Stage::Mediation, Status::Applied);
        let given = Inputs { note: Some("補正".into()), due: NaiveDate::from_ymd_opt(2026, 11, 20), ..inputs() };
        let (count, p) = run(Action::RequestCorrection, &now, given, Actor::Officer);
        assert_eq!(count, None);
        assert_eq!(p.data["due"], "2026-11-20");
        let (count, p) =
            run(Action::RequestCorrection, &now, Inputs { note: Some("補正".into()), ..inputs() }, Actor::Officer);
        assert_eq!(count.map(|c| c.days), Some(7));
        assert_eq!(p.data["due"], "2026-11-17");
    }

    #[test]
    fn an_objection_ends_a_45_2_proposal_and_reschedules_a_45_4_one() {
        let mut now = stage(Stage::Mediation, Status::ProposalServed);
        let i =
            Inputs { party: Some("business".into()), objected_at: Some(t("2026-11-05T09:00:00+08:00")), ..inputs() };
        let (count, p) = run(Action::RecordObjection, &now, i.clone(), Actor::Clerk);
        assert_eq!(count, None);
        assert_eq!(
            (p.to, p.end_reason.as_deref(), p.columns.objection_due),
            (Status::NotEstablished, Some("objection"), Some(None))
        );
        now.proposal_basis = Some("45-4".into());
        let (count, p) = run(Action::RecordObjection, &now, i, Actor::Clerk);
        assert_eq!(count, Some(Count { from: t("2026-11-05T09:00:00+08:00"), days: 20 }));
        assert_eq!((p.to, p.columns.schedule_by, p.end_reason), (Status::Accepted, Some(Some(t(DUE))), None));
    }

    #[test]
    fn withdrawing_a_mediation_leaves_its_agenda() {
        let (_, p) = run(Action::Withdraw, &stage(Stage::Mediation, Status::Scheduled), inputs(), Actor::Consumer);
        assert!(p.leaves_agenda);
        assert_eq!((p.to, p.end_reason.as_deref()), (Status::Withdrawn, Some("withdrawn")));
        let (_, p) = run(Action::Withdraw, &stage(Stage::FirstComplaint, Status::Submitted), inputs(), Actor::Consumer);
        assert!(!p.leaves_agenda);
    }

    #[test]
    fn a_back_dated_action_says_so() {
        let i = Inputs { back_dated: true, ..inputs() };
        let (_, p) = run(Action::Decline, &stage(Stage::FirstComplaint, Status::Responded), i, Actor::Clerk);
        assert_eq!(p.data["back_dated"], true);
    }

    #[test]
    fn details_are_set_and_appended() {
        let mut details = json!(null);
        edit_details(&mut details, &[Edit::Set("a", json!(1)), Edit::Push("b", json!(2)), Edit::Push("b", json!(3))]);
        assert_eq!(details, json!({"a": 1, "b": [2, 3]}));
    }

    /// Every action the table allows plans without asking for a deadline it then ignores.
    #[test]
    fn every_allowed_action_plans() {
        for rule in workflow::RULES.iter() {
            for &status in rule.from {
                let now = stage(rule.stage, status);
                let i = inputs();
                let count = deadline(rule.action, &now, &i, &days());
                let p = plan(
                    rule.action,
                    rule.outcome,
                    &now,
                    &i,
                    By { id: Uuid::nil(), role: "officer" },
                    count.map(|c| (c, t(DUE))),
                );
                assert!(workflow::statuses(rule.stage).contains(&p.to), "{} leads out of {}", rule.action, rule.stage);
            }
        }
    }
}
