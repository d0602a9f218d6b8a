//! The whole transition table of a dispute, as data: (stage, status, action) → outcome, who may
//! act, and which fields the action needs. Everything else — the action endpoint,
//! `available_actions`, `GET /api/v1/workflow`, the web pages — asks this module.

pub use entity::workflow::{Stage, Status};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! names {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        $vis enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
            pub const NAMES: &'static [&'static str] = &[$($text),+];
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names! {
    pub enum Action {
        Forward => "forward",
        RequestInfo => "request_info",
        ProvideInfo => "provide_info",
        Reject => "reject",
        Respond => "respond",
        Accept => "accept",
        Decline => "decline",
        Withdraw => "withdraw",
        FileSecondComplaint => "file_second_complaint",
        Assign => "assign",
        RequestBusinessReply => "request_business_reply",
        ScheduleNegotiation => "schedule_negotiation",
        Settle => "settle",
        MarkUnresolved => "mark_unresolved",
        ApplyMediation => "apply_mediation",
        RequestCorrection => "request_correction",
        AcceptApplication => "accept_application",
        RejectApplication => "reject_application",
        ExtendSchedule => "extend_schedule",
        RecordObjection => "record_objection",
        SendToCourt => "send_to_court",
        RecordCourtResult => "record_court_result",
        RequestCertificate => "request_certificate",
        IssueCertificate => "issue_certificate",
        ReapplyMediation => "reapply_mediation",
        RecordDelivery => "record_delivery",
        Transfer => "transfer",
        Rate => "rate",
        ConfirmSettlement => "confirm_settlement",
        FollowUpSettlement => "follow_up_settlement",
    }
}

names! {
    /// Who acts, relative to the case: the consumer is the citizen who owns it, the business
    /// a user of the business complained about; staff act for either when they come in person
    /// or write on paper.
    pub enum Actor {
        Consumer => "consumer",
        Business => "business",
        Clerk => "clerk",
        Officer => "officer",
    }
}

/// What an action does to the stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    To(Status),
    /// Records facts on the stage; the status stays.
    Stay,
    /// Ends the current stage `unresolved` and opens `stage` in `status`.
    Escalate {
        stage: Stage,
        status: Status,
    },
    /// Chosen by the action's data (an objection: 45-2 → not established, 45-5 → accepted).
    Decided(&'static [Status]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub stage: Stage,
    pub from: &'static [Status],
    pub action: Action,
    pub outcome: Outcome,
    pub who: &'static [Actor],
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

use Action as A;
use Actor::{Business, Clerk, Consumer, Officer};
use Stage::{FirstComplaint as First, Mediation, SecondComplaint as Second};
use Status as S;

const CONSUMER_OR_STAFF: &[Actor] = &[Consumer, Clerk, Officer];
const STAFF: &[Actor] = &[Clerk, Officer];
const OFFICER: &[Actor] = &[Officer];
const BUSINESS_OR_STAFF: &[Actor] = &[Business, Clerk, Officer];

const fn rule(
    stage: Stage,
    from: &'static [Status],
    action: Action,
    outcome: Outcome,
    who: &'static [Actor],
    required: &'static [&'static str],
    optional: &'static [&'static str],
) -> Rule {
    Rule { stage, from, action, outcome, who, required, optional }
}

/// Statuses in which a stage is over.
pub fn is_terminal(stage: Stage, status: Status) -> bool {
    match stage {
        First | Second => {
            matches!(status, S::Settled | S::Unresolved | S::Rejected | S::Withdrawn | S::Transferred)
        }
        Mediation => {
            matches!(status, S::Rejected | S::Established | S::NotEstablished | S::Withdrawn | S::CourtRefused)
        }
    }
}

/// The statuses a stage can be in, in workflow order.
pub fn statuses(stage: Stage) -> &'static [Status] {
    match stage {
        First => &[
            S::Submitted,
            S::NeedsInfo,
            S::Forwarded,
            S::Responded,
            S::Overdue,
            S::Settled,
            S::Unresolved,
            S::Rejected,
            S::Withdrawn,
            S::Transferred,
        ],
        Second => &[S::Submitted, S::Assigned, S::Settled, S::Unresolved, S::Rejected, S::Withdrawn, S::Transferred],
        Mediation => &[
            S::Applied,
            S::NeedsCorrection,
            S::Accepted,
            S::Scheduled,
            S::ProposalServed,
            S::Established,
            S::NotEstablished,
            S::Rejected,
            S::Withdrawn,
            S::CourtRefused,
        ],
    }
}

const FIRST_OPEN: &[Status] = &[S::Submitted, S::NeedsInfo, S::Forwarded, S::Responded, S::Overdue];
const SECOND_OPEN: &[Status] = &[S::Submitted, S::Assigned];
const MEDIATION_OPEN: &[Status] = &[S::Applied, S::NeedsCorrection, S::Accepted, S::Scheduled, S::ProposalServed];
const CONSUMER: &[Actor] = &[Consumer];
/// A stage's ends the consumer may rate: all but a transfer to another agency, which handles it.
const FIRST_ENDED: &[Status] = &[S::Settled, S::Unresolved, S::Rejected, S::Withdrawn];
const MEDIATION_ENDED: &[Status] = &[S::Rejected, S::Established, S::NotEstablished, S::Withdrawn, S::CourtRefused];

/// The transition table (API.md, "Cases").
pub const RULES: &[Rule] = &[
    // First complaint 第一次申訴 (CPA 43 I–II).
    rule(First, &[S::Submitted], A::Forward, Outcome::To(S::Forwarded), STAFF, &[], &["delivery"]),
    rule(First, &[S::Submitted], A::RequestInfo, Outcome::To(S::NeedsInfo), STAFF, &["note"], &[]),
    rule(First, &[S::NeedsInfo], A::ProvideInfo, Outcome::To(S::Submitted), CONSUMER_OR_STAFF, &["note"], &[]),
    rule(First, &[S::Submitted, S::NeedsInfo], A::Reject, Outcome::To(S::Rejected), STAFF, &["reason"], &[]),
    rule(
        First,
        &[S::Forwarded, S::Overdue],
        A::Respond,
        Outcome::To(S::Responded),
        BUSINESS_OR_STAFF,
        &["response"],
        &["offer"],
    ),
    rule(First, &[S::Responded], A::Accept, Outcome::To(S::Settled), CONSUMER_OR_STAFF, &[], &["amount_recovered"]),
    rule(First, &[S::Responded], A::Decline, Outcome::To(S::Unresolved), CONSUMER_OR_STAFF, &[], &["note"]),
    rule(
        First,
        &[S::Unresolved, S::Overdue],
        A::FileSecondComplaint,
        Outcome::Escalate { stage: Second, status: S::Submitted },
        CONSUMER_OR_STAFF,
        &["reason"],
        &[],
    ),
    rule(
        First,
        &[S::Unresolved, S::Overdue],
        A::ApplyMediation,
        Outcome::Escalate { stage: Mediation, status: S::Applied },
        CONSUMER_OR_STAFF,
        &["claims"],
        &[],
    ),
    rule(First, FIRST_OPEN, A::Withdraw, Outcome::To(S::Withdrawn), CONSUMER_OR_STAFF, &[], &["note"]),
    // Enforcement Rules Art. 36: the 15 days run from the business's receipt. Recording it
    // (or correcting it) moves the due date, and with it whether the stage is overdue and
    // whether an answer already given was late.
    rule(
        First,
        &[S::Forwarded, S::Overdue, S::Responded],
        A::RecordDelivery,
        Outcome::Decided(&[S::Forwarded, S::Overdue, S::Responded]),
        STAFF,
        &["received_on"],
        &[],
    ),
    // 移送: to the office of another jurisdiction (the stage keeps its place there) or to an
    // outside agency (the stage ends `transferred`).
    rule(
        First,
        &[S::Submitted, S::NeedsInfo],
        A::Transfer,
        Outcome::Decided(&[S::Transferred, S::Submitted, S::NeedsInfo]),
        STAFF,
        &["reason"],
        &["to_jurisdiction", "to_agency", "district"],
    ),
    // Second complaint 第二次申訴 (CPA 43 III), handled by a consumer protection officer.
    rule(Second, &[S::Submitted, S::Assigned], A::Assign, Outcome::To(S::Assigned), OFFICER, &["officer_id"], &[]),
    rule(Second, &[S::Submitted, S::Assigned], A::Reject, Outcome::To(S::Rejected), OFFICER, &["reason"], &[]),
    rule(Second, &[S::Assigned], A::Respond, Outcome::Stay, BUSINESS_OR_STAFF, &["response"], &["offer"]),
    rule(Second, &[S::Assigned], A::RequestBusinessReply, Outcome::Stay, OFFICER, &[], &["due_days"]),
    rule(Second, &[S::Assigned], A::ScheduleNegotiation, Outcome::Stay, OFFICER, &["at"], &[]),
    rule(Second, &[S::Assigned], A::Settle, Outcome::To(S::Settled), OFFICER, &[], &["amount_recovered"]),
    rule(Second, &[S::Assigned], A::MarkUnresolved, Outcome::To(S::Unresolved), OFFICER, &[], &[]),
    // Every second complaint follows a complaint that qualifies (a first complaint here, or one
    // made elsewhere, CPA 43 I/III), so a pending, withdrawn or rejected second complaint does
    // not bar mediation (MR 5 I(3) asks only for the complaint before it).
    rule(
        Second,
        &[S::Submitted, S::Assigned, S::Unresolved, S::Withdrawn, S::Rejected],
        A::ApplyMediation,
        Outcome::Escalate { stage: Mediation, status: S::Applied },
        CONSUMER_OR_STAFF,
        &["claims"],
        &[],
    ),
    rule(Second, SECOND_OPEN, A::Withdraw, Outcome::To(S::Withdrawn), CONSUMER_OR_STAFF, &[], &["note"]),
    // An assigned officer belongs to this office: a second complaint moved to another
    // jurisdiction waits there to be assigned anew.
    rule(
        Second,
        &[S::Submitted, S::Assigned],
        A::Transfer,
        Outcome::Decided(&[S::Transferred, S::Submitted]),
        STAFF,
        &["reason"],
        &["to_jurisdiction", "to_agency", "district"],
    ),
    // Mediation 調解 (CPA 44–46, 消費爭議調解辦法).
    rule(Mediation, &[S::Applied], A::RequestCorrection, Outcome::To(S::NeedsCorrection), OFFICER, &["note"], &["due"]),
    rule(Mediation, &[S::NeedsCorrection], A::ProvideInfo, Outcome::To(S::Applied), CONSUMER_OR_STAFF, &["note"], &[]),
    rule(Mediation, &[S::Applied], A::AcceptApplication, Outcome::To(S::Accepted), OFFICER, &[], &[]),
    rule(
        Mediation,
        &[S::Applied, S::NeedsCorrection],
        A::RejectApplication,
        Outcome::To(S::Rejected),
        OFFICER,
        &["code"],
        &[],
    ),
    // MR 7 II: extended once, by at most 10 days, at a party's request.
    rule(Mediation, &[S::Accepted], A::ExtendSchedule, Outcome::Stay, OFFICER, &["days", "requested_by"], &[]),
    // MR 16–18, 22: a posted objection counts by its postmark, so one that arrives after the
    // proposal was deemed established still undoes that (until the court approves the record).
    rule(
        Mediation,
        &[S::ProposalServed, S::Established],
        A::RecordObjection,
        Outcome::Decided(&[S::NotEstablished, S::Accepted]),
        STAFF,
        &["party", "objected_at"],
        &["postmarked_on"],
    ),
    rule(Mediation, &[S::Established], A::SendToCourt, Outcome::Stay, OFFICER, &["at"], &[]),
    // The court approves the record (it stays established) or refuses it (CPA 46, MR 28):
    // then the record has no effect, and the consumer's way is the courts.
    rule(
        Mediation,
        &[S::Established],
        A::RecordCourtResult,
        Outcome::Decided(&[S::Established, S::CourtRefused]),
        OFFICER,
        &["approved"],
        &["reason"],
    ),
    rule(Mediation, MEDIATION_OPEN, A::Withdraw, Outcome::To(S::Withdrawn), CONSUMER_OR_STAFF, &[], &["note"]),
    // MR 27: a party may ask for a certificate that mediation failed, issued within 7 days.
    rule(Mediation, &[S::NotEstablished], A::RequestCertificate, Outcome::Stay, CONSUMER_OR_STAFF, &[], &["note"]),
    rule(Mediation, &[S::NotEstablished], A::IssueCertificate, Outcome::Stay, OFFICER, &[], &[]),
    // MR 5 I(6), II: after a failed mediation, a new one only with the business's consent, once.
    rule(
        Mediation,
        &[S::NotEstablished, S::Rejected],
        A::ReapplyMediation,
        Outcome::Escalate { stage: Mediation, status: S::Applied },
        STAFF,
        &["business_consent"],
        &["note"],
    ),
    // The consumer's verdict on how the case was handled, once its last stage has ended (issue 19).
    rule(First, FIRST_ENDED, A::Rate, Outcome::Stay, CONSUMER, &["score"], &["fair", "comment"]),
    rule(Second, FIRST_ENDED, A::Rate, Outcome::Stay, CONSUMER, &["score"], &["fair", "comment"]),
    rule(Mediation, MEDIATION_ENDED, A::Rate, Outcome::Stay, CONSUMER, &["score"], &["fair", "comment"]),
    // Was the settlement kept? Asked within `settlement.follow_up_days` of it (issue 19); one
    // not kept goes to the officers' queue until one records what was done about it.
    rule(First, &[S::Settled], A::ConfirmSettlement, Outcome::Stay, CONSUMER_OR_STAFF, &["honoured"], &["note"]),
    rule(Second, &[S::Settled], A::ConfirmSettlement, Outcome::Stay, CONSUMER_OR_STAFF, &["honoured"], &["note"]),
    rule(
        Mediation,
        &[S::Established],
        A::ConfirmSettlement,
        Outcome::Stay,
        CONSUMER_OR_STAFF,
        &["honoured"],
        &["note"],
    ),
    rule(First, &[S::Settled], A::FollowUpSettlement, Outcome::Stay, OFFICER, &["note"], &[]),
    rule(Second, &[S::Settled], A::FollowUpSettlement, Outcome::Stay, OFFICER, &["note"], &[]),
    rule(Mediation, &[S::Established], A::FollowUpSettlement, Outcome::Stay, OFFICER, &["note"], &[]),
];

/// Facts of the current stage that decide whether a once-only action is still available.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageFacts {
    pub schedule_extended: bool,
    pub sent_to_court: bool,
    pub court_result_recorded: bool,
    /// Established by the lapse of the objection periods (CPA 45-3), not at a meeting.
    pub deemed: bool,
    /// The court approved the mediation record (CPA 46 II).
    pub court_approved: bool,
    pub certificate_requested: bool,
    pub certificate_issued: bool,
    /// This stage is itself the one new application MR 5 II allows.
    pub reapplication: bool,
    /// First complaint: forwarded online, so received when forwarded (no receipt to record).
    pub delivered_online: bool,
    /// The consumer has rated the case (a fact of the case, not of the stage: once per case).
    pub rated: bool,
    /// Whether the settlement was kept has been confirmed (once per case).
    pub settlement_confirmed: bool,
    /// A settlement not kept waits for an officer's follow-up.
    pub settlement_not_kept: bool,
}

/// Why an action cannot be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The actor's role can never take this action (403).
    NeverAllowed,
    /// Not from the current stage and status, or already done once (409).
    NotNow(String),
}

pub fn rule_for(stage: Stage, status: Status, action: Action) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.stage == stage && r.action == action && r.from.contains(&status))
}

pub fn may_ever(actor: Actor, action: Action) -> bool {
    RULES.iter().any(|r| r.action == action && r.who.contains(&actor))
}

/// Finds the rule that lets `actor` take `action` now, or says why not.
pub fn check(
    stage: Stage,
    status: Status,
    action: Action,
    actor: Actor,
    facts: StageFacts,
) -> Result<&'static Rule, Refusal> {
    if !may_ever(actor, action) {
        return Err(Refusal::NeverAllowed);
    }
    let Some(rule) = rule_for(stage, status, action) else {
        return Err(Refusal::NotNow(format!("`{action}` is not possible when the {stage} is {status}")));
    };
    if !rule.who.contains(&actor) {
        return Err(Refusal::NeverAllowed);
    }
    let once = match action {
        A::ExtendSchedule if facts.schedule_extended => Some("the schedule has already been extended once"),
        A::SendToCourt if facts.sent_to_court => Some("the record has already been sent to court"),
        A::RecordCourtResult if !facts.sent_to_court => Some("the record has not been sent to court yet"),
        A::RecordCourtResult if facts.court_result_recorded => Some("the court's result is already recorded"),
        A::RecordObjection if status == S::Established && !facts.deemed => {
            Some("the parties agreed at the meeting: there is no proposal to object to")
        }
        A::RecordObjection if status == S::Established && facts.court_approved => {
            Some("the court has approved the mediation record: it has the force of a final judgment (CPA 46 II)")
        }
        A::RequestCertificate if facts.certificate_requested => Some("a certificate has already been requested"),
        A::IssueCertificate if !facts.certificate_requested => Some("no certificate has been requested"),
        A::IssueCertificate if facts.certificate_issued => Some("the certificate has already been issued"),
        A::RecordDelivery if facts.delivered_online => {
            Some("the complaint was forwarded online: the business received it when it was forwarded")
        }
        A::Rate if facts.rated => Some("the case has already been rated"),
        A::ConfirmSettlement if facts.settlement_confirmed => {
            Some("whether the settlement was kept has already been confirmed")
        }
        A::FollowUpSettlement if !facts.settlement_not_kept => {
            Some("only a settlement confirmed as not kept, and not yet followed up, is followed up")
        }
        A::ReapplyMediation if facts.reapplication => {
            Some("this case has already been mediated anew once (MR 5 II allows it once)")
        }
        _ => None,
    };
    match once {
        Some(why) => Err(Refusal::NotNow(why.into())),
        None => Ok(rule),
    }
}

/// The actions `actor` may take now, in table order.
pub fn available(stage: Stage, status: Status, actor: Option<Actor>, facts: StageFacts) -> Vec<Action> {
    let Some(actor) = actor else { return Vec::new() };
    let mut actions: Vec<Action> = Vec::new();
    for rule in RULES.iter().filter(|r| r.stage == stage && r.from.contains(&status)) {
        if !actions.contains(&rule.action) && check(stage, status, rule.action, actor, facts).is_ok() {
            actions.push(rule.action);
        }
    }
    actions
}

/// The table as served at `GET /api/v1/workflow`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkflowRow {
    pub stage: Stage,
    pub from: Vec<Status>,
    pub action: Action,
    /// The new status; `null` when the action records facts and the status stays.
    pub to: Option<Status>,
    /// Possible new statuses when the action's data decides.
    pub to_one_of: Vec<Status>,
    /// The stage the action opens, for escalations.
    pub opens_stage: Option<Stage>,
    pub who: Vec<Actor>,
    pub required: Vec<String>,
    pub optional: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StageStatuses {
    pub stage: Stage,
    pub statuses: Vec<Status>,
    pub terminal: Vec<Status>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WorkflowTable {
    pub stages: Vec<StageStatuses>,
    pub transitions: Vec<WorkflowRow>,
}

pub fn table() -> WorkflowTable {
    WorkflowTable {
        stages: Stage::ALL
            .iter()
            .map(|&stage| StageStatuses {
                stage,
                statuses: statuses(stage).to_vec(),
                terminal: statuses(stage).iter().copied().filter(|&s| is_terminal(stage, s)).collect(),
            })
            .collect(),
        transitions: RULES
            .iter()
            .map(|r| {
                let (to, to_one_of, opens_stage) = match r.outcome {
                    Outcome::To(s) => (Some(s), vec![], None),
                    Outcome::Stay => (None, vec![], None),
                    Outcome::Escalate { stage, status } => (Some(status), vec![], Some(stage)),
                    Outcome::Decided(options) => (None, options.to_vec(), None),
                };
                WorkflowRow {
                    stage: r.stage,
                    from: r.from.to_vec(),
                    action: r.action,
                    to,
                    to_one_of,
                    opens_stage,
                    who: r.who.to_vec(),
                    required: r.required.iter().map(|f| f.to_string()).collect(),
                    optional: r.optional.iter().map(|f| f.to_string()).collect(),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// API.md's table, written out independently: (action, stage, allowed from, who).
    fn expected() -> Vec<(Action, Stage, Vec<Status>, Vec<Actor>)> {
        let c = vec![Consumer, Clerk, Officer];
        let staff = vec![Clerk, Officer];
        let officer = vec![Officer];
        let b = vec![Business, Clerk, Officer];
        vec![
            (A::Forward, First, vec![S::Submitted], staff.clone()),
            (A::RequestInfo, First, vec![S::Submitted], staff.clone()),
            (A::ProvideInfo, First, vec![S::NeedsInfo], c.clone()),
            (A::ProvideInfo, Mediation, vec![S::NeedsCorrection], c.clone()),
            (A::Reject, First, vec![S::Submitted, S::NeedsInfo], staff.clone()),
            (A::Reject, Second, vec![S::Submitted, S::Assigned], officer.clone()),
            (A::Respond, First, vec![S::Forwarded, S::Overdue], b.clone()),
            (A::Respond, Second, vec![S::Assigned], b.clone()),
            (A::Accept, First, vec![S::Responded], c.clone()),
            (A::Decline, First, vec![S::Responded], c.clone()),
            (A::FileSecondComplaint, First, vec![S::Unresolved, S::Overdue], c.clone()),
            (A::Assign, Second, vec![S::Submitted, S::Assigned], officer.clone()),
            (A::RequestBusinessReply, Second, vec![S::Assigned], officer.clone()),
            (A::ScheduleNegotiation, Second, vec![S::Assigned], officer.clone()),
            (A::Settle, Second, vec![S::Assigned], officer.clone()),
            (A::MarkUnresolved, Second, vec![S::Assigned], officer.clone()),
            (A::ApplyMediation, First, vec![S::Unresolved, S::Overdue], c.clone()),
            (
                A::ApplyMediation,
                Second,
                vec![S::Submitted, S::Assigned, S::Unresolved, S::Withdrawn, S::Rejected],
                c.clone(),
            ),
            (A::RequestCorrection, Mediation, vec![S::Applied], officer.clone()),
            (A::AcceptApplication, Mediation, vec![S::Applied], officer.clone()),
            (A::RejectApplication, Mediation, vec![S::Applied, S::NeedsCorrection], officer.clone()),
            (A::ExtendSchedule, Mediation, vec![S::Accepted], officer.clone()),
            (A::RecordObjection, Mediation, vec![S::ProposalServed, S::Established], staff.clone()),
            (A::RequestCertificate, Mediation, vec![S::NotEstablished], c.clone()),
            (A::IssueCertificate, Mediation, vec![S::NotEstablished], officer.clone()),
            (A::ReapplyMediation, Mediation, vec![S::NotEstablished, S::Rejected], staff.clone()),
            (A::SendToCourt, Mediation, vec![S::Established], officer.clone()),
            (A::RecordCourtResult, Mediation, vec![S::Established], officer.clone()),
            (A::RecordDelivery, First, vec![S::Forwarded, S::Overdue, S::Responded], staff.clone()),
            (A::Transfer, First, vec![S::Submitted, S::NeedsInfo], staff.clone()),
            (A::Transfer, Second, vec![S::Submitted, S::Assigned], staff.clone()),
            (A::Rate, First, vec![S::Settled, S::Unresolved, S::Rejected, S::Withdrawn], vec![Consumer]),
            (A::Rate, Second, vec![S::Settled, S::Unresolved, S::Rejected, S::Withdrawn], vec![Consumer]),
            (
                A::Rate,
                Mediation,
                vec![S::Rejected, S::Established, S::NotEstablished, S::Withdrawn, S::CourtRefused],
                vec![Consumer],
            ),
            (A::ConfirmSettlement, First, vec![S::Settled], c.clone()),
            (A::ConfirmSettlement, Second, vec![S::Settled], c.clone()),
            (A::ConfirmSettlement, Mediation, vec![S::Established], c.clone()),
            (A::FollowUpSettlement, First, vec![S::Settled], officer.clone()),
            (A::FollowUpSettlement, Second, vec![S::Settled], officer.clone()),
            (A::FollowUpSettlement, Mediation, vec![S::Established], officer.clone()),
        ]
    }

    fn allowed(stage: Stage, status: Status, action: Action, actor: Actor) -> bool {
        let facts = StageFacts {
            sent_to_court: action == A::RecordCourtResult,
            deemed: true,
            certificate_requested: action == A::IssueCertificate,
            settlement_not_kept: action == A::FollowUpSettlement,
            ..Default::default()
        };
        check(stage, status, action, actor, facts).is_ok()
    }

    #[test]
    fn every_action_from_every_status_for_every_actor() {
        let expected = expected();
        for &stage in Stage::ALL {
            for &status in statuses(stage) {
                for &action in Action::ALL {
                    for &actor in Actor::ALL {
                        let want = if action == A::Withdraw {
                            !is_terminal(stage, status) && actor != Business
                        } else {
                            expected.iter().any(|(a, st, from, who)| {
                                *a == action && *st == stage && from.contains(&status) && who.contains(&actor)
                            })
                        };
                        assert_eq!(allowed(stage, status, action, actor), want, "{actor} {action} in {stage}:{status}");
                    }
                }
            }
        }
    }

    #[test]
    fn refusals_distinguish_role_from_moment() {
        let none = StageFacts::default();
        assert_eq!(check(First, S::Submitted, A::Forward, Consumer, none), Err(Refusal::NeverAllowed));
        assert_eq!(check(First, S::Submitted, A::Settle, Clerk, none), Err(Refusal::NeverAllowed));
        assert!(matches!(check(First, S::Forwarded, A::Forward, Clerk, none), Err(Refusal::NotNow(_))));
        // A clerk may reject first complaints, but second complaints are for officers only.
        assert_eq!(check(Second, S::Submitted, A::Reject, Clerk, none), Err(Refusal::NeverAllowed));
        assert!(matches!(check(First, S::Settled, A::Withdraw, Consumer, none), Err(Refusal::NotNow(_))));
    }

    #[test]
    fn a_case_is_rated_once_by_its_consumer_after_its_stage_ended() {
        let none = StageFacts::default();
        assert!(check(First, S::Settled, A::Rate, Consumer, none).is_ok());
        assert!(check(Mediation, S::NotEstablished, A::Rate, Consumer, none).is_ok());
        let rated = StageFacts { rated: true, ..Default::default() };
        assert!(matches!(check(First, S::Settled, A::Rate, Consumer, rated), Err(Refusal::NotNow(_))));
        assert!(matches!(check(First, S::Responded, A::Rate, Consumer, none), Err(Refusal::NotNow(_))));
        // Another agency handles a transferred complaint: not this office's to be rated.
        assert!(matches!(check(First, S::Transferred, A::Rate, Consumer, none), Err(Refusal::NotNow(_))));
        assert_eq!(check(First, S::Settled, A::Rate, Clerk, none), Err(Refusal::NeverAllowed));
        assert_eq!(check(First, S::Settled, A::Rate, Business, none), Err(Refusal::NeverAllowed));
    }

    #[test]
    fn once_only_actions() {
        let extended = StageFacts { schedule_extended: true, ..Default::default() };
        assert!(matches!(check(Mediation, S::Accepted, A::ExtendSchedule, Officer, extended), Err(Refusal::NotNow(_))));
        let sent = StageFacts { sent_to_court: true, ..Default::default() };
        assert!(matches!(check(Mediation, S::Established, A::SendToCourt, Officer, sent), Err(Refusal::NotNow(_))));
        assert!(check(Mediation, S::Established, A::RecordCourtResult, Officer, sent).is_ok());
        assert!(
            check(Mediation, S::Established, A::RecordCourtResult, Officer, StageFacts::default()).is_err(),
            "no result before dispatch"
        );
        // A posted objection reverses a deemed establishment, never an agreement or an approved record.
        let deemed = StageFacts { deemed: true, ..Default::default() };
        assert!(check(Mediation, S::Established, A::RecordObjection, Clerk, deemed).is_ok());
        assert!(check(Mediation, S::Established, A::RecordObjection, Clerk, StageFacts::default()).is_err());
        let approved = StageFacts { deemed: true, court_approved: true, ..Default::default() };
        assert!(matches!(
            check(Mediation, S::Established, A::RecordObjection, Clerk, approved),
            Err(Refusal::NotNow(_))
        ));
        let again = StageFacts { reapplication: true, ..Default::default() };
        assert!(check(Mediation, S::NotEstablished, A::ReapplyMediation, Officer, again).is_err());
        assert!(check(Mediation, S::NotEstablished, A::IssueCertificate, Officer, StageFacts::default()).is_err());
    }

    #[test]
    fn escalation_and_terminal_statuses() {
        let r = rule_for(First, S::Overdue, A::FileSecondComplaint).unwrap();
        assert_eq!(r.outcome, Outcome::Escalate { stage: Second, status: S::Submitted });
        assert!(rule_for(Mediation, S::NotEstablished, A::ApplyMediation).is_none(), "never after mediation");
        assert!(!is_terminal(First, S::Overdue));
        assert!(is_terminal(First, S::Unresolved));
        assert!(is_terminal(Mediation, S::Established));
    }

    #[test]
    fn available_actions_follow_the_table() {
        let f = StageFacts::default();
        assert_eq!(
            available(First, S::Submitted, Some(Clerk), f),
            vec![A::Forward, A::RequestInfo, A::Reject, A::Withdraw, A::Transfer]
        );
        assert_eq!(available(First, S::Submitted, Some(Consumer), f), vec![A::Withdraw]);
        assert_eq!(available(First, S::Forwarded, Some(Business), f), vec![A::Respond]);
        assert_eq!(
            available(First, S::Overdue, Some(Consumer), f),
            vec![A::FileSecondComplaint, A::ApplyMediation, A::Withdraw]
        );
        // A settlement's keeping is all that is left to ask; its follow-up only once not kept.
        assert_eq!(available(First, S::Settled, Some(Officer), f), vec![A::ConfirmSettlement]);
        let not_kept = StageFacts { settlement_confirmed: true, settlement_not_kept: true, ..f };
        assert_eq!(available(First, S::Settled, Some(Officer), not_kept), vec![A::FollowUpSettlement]);
        assert_eq!(available(First, S::Settled, Some(Consumer), not_kept), vec![A::Rate]);
        assert!(available(First, S::Submitted, None, f).is_empty());
    }

    #[test]
    fn names_round_trip_and_the_table_serializes() {
        for &a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        let t = serde_json::to_value(table()).unwrap();
        assert_eq!(t["transitions"][0]["action"], "forward");
        assert_eq!(t["stages"].as_array().unwrap().len(), 3);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn facts() -> impl Strategy<Value = StageFacts> {
            (any::<[bool; 12]>()).prop_map(|f| StageFacts {
                schedule_extended: f[0],
                sent_to_court: f[1],
                court_result_recorded: f[2],
                deemed: f[3],
                court_approved: f[4],
                certificate_requested: f[5],
                certificate_issued: f[6],
                reapplication: f[7],
                delivered_online: f[8],
                rated: f[9],
                settlement_confirmed: f[10],
                settlement_not_kept: f[11],
            })
        }

        proptest! {
            /// `check` (the action endpoint), `available` (each case's `available_actions`)
            /// and the served table tell one story for every stage, status, action and actor.
            #[test]
            fn every_question_gets_one_answer(
                stage in prop::sample::select(Stage::ALL),
                status in prop::sample::select(Status::ALL),
                action in prop::sample::select(Action::ALL),
                actor in prop::sample::select(Actor::ALL),
                facts in facts(),
            ) {
                let offered = available(stage, status, Some(actor), facts).contains(&action);
                match check(stage, status, action, actor, facts) {
                    Ok(rule) => {
                        prop_assert!(offered);
                        prop_assert!(rule.stage == stage && rule.action == action);
                        prop_assert!(rule.from.contains(&status) && rule.who.contains(&actor));
                        prop_assert!(statuses(stage).contains(&status));
                        if let Outcome::To(to) = rule.outcome {
                            prop_assert!(statuses(stage).contains(&to), "{action} leads out of {stage}");
                        }
                    }
                    Err(Refusal::NeverAllowed) => {
                        prop_assert!(!offered);
                        prop_assert!(!may_ever(actor, action) || rule_for(stage, status, action).is_some_and(|r| !r.who.contains(&actor)));
                    }
                    Err(Refusal::NotNow(_)) => {
                        prop_assert!(!offered);
                        prop_assert!(may_ever(actor, action));
                    }
                }
                prop_assert!(available(stage, status, None, facts).is_empty(), "no one, no actions");
            }
        }
    }
}
