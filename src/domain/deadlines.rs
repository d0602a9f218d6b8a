//! The day counts of the legal and local deadlines (`[deadlines]` in the configuration). Where
//! the law fixes a count it is named; the others are the office's own choice. Counts exclude
//! the day of the event and end at 23:59:59 Asia/Taipei of the last day, moved past rest days
//! and closures (see `calendar`).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSettings {
    /// CPA Art. 43 II: the business answers a first complaint within 15 days.
    pub business_reply_days: u32,
    /// The office's target for handling a second complaint (CPA Art. 43 III).
    pub second_complaint_days: u32,
    /// A mediation meeting within this many days of accepting the application.
    pub mediation_schedule_days: u32,
    /// `extend_schedule`, once, by at most this many days.
    pub mediation_extension_max_days: u32,
    /// A new date after a postponement, a cancellation or a CPA Art. 45-5 objection.
    pub reschedule_days: u32,
    /// CPA Art. 45-3: the parties may object to a mediation proposal within 10 days of service.
    pub objection_days: u32,
    /// The established mediation's record goes to the court within this many days.
    pub court_dispatch_days: u32,
    /// Default time given to correct a mediation application.
    pub correction_days: u32,
    /// The business is reminded this many working days before its answer is due.
    pub reminder_working_days: u32,
    /// Days a proposal waits after the last party's objection period before it is deemed
    /// established: an objection posted on the last day (it counts by its postmark, MR 16 II(4))
    /// must have time to arrive. The office's choice; 7 by default.
    pub objection_mail_days: u32,
    /// MR 27 II: a certificate that mediation failed, within 7 days of the request.
    pub certificate_days: u32,
    /// Enforcement Rules Art. 36: the business's 15 days run from its receipt. A complaint
    /// forwarded other than online is presumed received this many days after forwarding until
    /// the receipt is recorded (the due date shows as provisional meanwhile). The office's
    /// choice; 3 by default.
    pub postal_days: u32,
}
