//! The kinds of document, who reads each, in which language it is written, and when the
//! workflow allows issuing one — pure rules, apart from HTTP and SQL.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 函: the complaint forwarded to the business, which must answer in 15 days (CPA 43 II).
    ForwardLetter,
    /// 調解通知書: both parties called to a mediation meeting (MR 7).
    MeetingNotice,
    /// 調解書: an established mediation written up for the court's approval (CPA 46, MR 28).
    MediationRecord,
    /// 調解不成立證明書: the certificate that a mediation failed (MR 27).
    Certificate,
    /// The case for the paper file: its stages, deadlines and timeline.
    CaseSummary,
}

impl Kind {
    pub const ALL: [Kind; 5] =
        [Kind::ForwardLetter, Kind::MeetingNotice, Kind::MediationRecord, Kind::Certificate, Kind::CaseSummary];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ForwardLetter => "forward_letter",
            Kind::MeetingNotice => "meeting_notice",
            Kind::MediationRecord => "mediation_record",
            Kind::Certificate => "certificate",
            Kind::CaseSummary => "case_summary",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn title(self, locale: &str) -> &'static str {
        let (zh, en) = match self {
            Kind::ForwardLetter => ("消費爭議申訴案件移請處理函", "Letter forwarding a consumer complaint"),
            Kind::MeetingNotice => ("消費爭議調解會議通知書", "Notice of a mediation meeting"),
            Kind::MediationRecord => ("消費爭議調解書", "Mediation record"),
            Kind::Certificate => ("調解不成立證明書", "Certificate that mediation was not established"),
            Kind::CaseSummary => ("消費爭議案件摘要", "Case summary"),
        };
        if locale == "en" { en } else { zh }
    }

    /// The languages a template must exist in. The letter goes to a business and the record to
    /// the court: Chinese only. The others follow their reader.
    pub fn locales(self) -> &'static [&'static str] {
        match self {
            Kind::ForwardLetter | Kind::MediationRecord => &["zh-TW"],
            Kind::MeetingNotice | Kind::Certificate | Kind::CaseSummary => &["zh-TW", "en"],
        }
    }

    /// The language it is written in: the consumer's for what she receives, the issuer's for the
    /// staff's own summary, Chinese where only Chinese exists.
    pub fn locale<'a>(self, consumer: &'a str, issuer: &'a str) -> &'a str {
        let wanted = match self {
            Kind::MeetingNotice | Kind::Certificate => consumer,
            Kind::CaseSummary => issuer,
            Kind::ForwardLetter | Kind::MediationRecord => "zh-TW",
        };
        if self.locales().contains(&wanted) { wanted } else { "zh-TW" }
    }

    /// Who, besides the case's staff, may download it: the business its letter, the parties
    /// (and the committee's mediators) the notices, records and certificates. The summary is the
    /// office's own.
    pub fn readable_by(self, role: Role) -> bool {
        match role {
            Role::Clerk | Role::Officer => true,
            Role::Business => self != Kind::CaseSummary,
            Role::Citizen | Role::Mediator => {
                matches!(self, Kind::MeetingNotice | Kind::MediationRecord | Kind::Certificate)
            }
            Role::Admin | Role::National => false,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the workflow says about a case, for deciding what may be issued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Situation {
    /// A complaint was forwarded to the business.
    pub forwarded: bool,
    /// The case is on the agenda of a meeting still to be held.
    pub on_agenda: bool,
    /// The latest mediation is established.
    pub established: bool,
    /// The latest mediation failed and a party asked for the certificate (MR 27).
    pub certificate_requested: bool,
}

/// Why `kind` cannot be issued now, if it cannot.
pub fn refusal(kind: Kind, s: Situation) -> Option<&'static str> {
    match kind {
        Kind::ForwardLetter if !s.forwarded => Some("the complaint has not been forwarded to the business"),
        Kind::MeetingNotice if !s.on_agenda => Some("the case is not on the agenda of a meeting still to be held"),
        Kind::MediationRecord if !s.established => Some("the mediation is not established"),
        Kind::Certificate if !s.certificate_requested => {
            Some("no party has asked for a certificate of a failed mediation (MR 27)")
        }
        _ => None,
    }
}

/// The kinds the workflow allows now.
pub fn available(s: Situation) -> Vec<Kind> {
    Kind::ALL.into_iter().filter(|k| refusal(*k, s).is_none()).collect()
}

/// A number in the office's series: 高市消保字第1150000123號 (ROC year, then seven digits).
pub fn number(series: &str, roc_year: i32, serial: i64) -> String {
    format!("{series}字第{roc_year}{serial:07}號")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_the_office_writes_them() {
        assert_eq!(number("高市消保", 115, 123), "高市消保字第1150000123號");
    }

    #[test]
    fn each_kind_waits_for_its_step() {
        let none = Situation::default();
        assert_eq!(available(none), vec![Kind::CaseSummary]);
        let all = Situation { forwarded: true, on_agenda: true, established: true, certificate_requested: true };
        assert_eq!(available(all), Kind::ALL.to_vec());
        assert!(refusal(Kind::Certificate, Situation { forwarded: true, ..none }).unwrap().contains("MR 27"));
    }

    #[test]
    fn readers_and_languages() {
        assert!(!Kind::ForwardLetter.readable_by(Role::Citizen));
        assert!(Kind::ForwardLetter.readable_by(Role::Business));
        assert!(!Kind::CaseSummary.readable_by(Role::Business));
        assert!(Kind::Certificate.readable_by(Role::Citizen));
        assert!(!Kind::Certificate.readable_by(Role::Admin));
        assert_eq!(Kind::MeetingNotice.locale("en", "zh-TW"), "en");
        assert_eq!(Kind::MediationRecord.locale("en", "en"), "zh-TW", "the court reads Chinese");
        assert_eq!(Kind::CaseSummary.locale("zh-TW", "en"), "en");
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
    }
}
