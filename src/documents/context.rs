//! The variables a document template sees (docs/DOCUMENTS.md lists them). Every key is always
//! present — an unknown value is an empty text — so a template may test any of them with
//! `{% if … %}`, and the start-up check can render each template with all of them set.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::kinds::Kind;

#[derive(Debug, Clone, Serialize)]
pub struct Context {
    pub document: DocumentVars,
    pub office: OfficeVars,
    pub case: CaseVars,
    pub consumer: PersonVars,
    pub business: BusinessVars,
    pub complaint: ComplaintVars,
    pub meeting: MeetingVars,
    pub mediation: MediationVars,
    pub stages: Vec<StageVars>,
    pub timeline: Vec<EventVars>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentVars {
    pub kind: String,
    pub title: String,
    pub number: String,
    pub version: i32,
    pub issued_on: String,
    pub locale: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OfficeVars {
    /// 高雄市政府消費者保護官室
    pub name: String,
    /// 高雄市消費爭議調解委員會
    pub committee: String,
    pub jurisdiction: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CaseVars {
    pub number: String,
    pub received_on: String,
    pub category: String,
    pub description: String,
    pub requested_resolution: String,
    pub amount_disputed: String,
    pub transaction_date: String,
    pub channel: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PersonVars {
    pub name: String,
    pub address: String,
    pub phone: String,
    pub email: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct BusinessVars {
    pub name: String,
    pub tax_id: String,
    pub address: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ComplaintVars {
    /// 第一次申訴 / 第二次申訴
    pub stage: String,
    pub forwarded_on: String,
    pub due_on: String,
    /// The due date counts from a presumed receipt (Enforcement Rules Art. 36).
    pub due_provisional: bool,
    pub delivery: String,
    pub response: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MeetingVars {
    /// 115年第3次調解會議
    pub title: String,
    pub date: String,
    pub time: String,
    pub location: String,
    pub chair: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct MediationVars {
    pub claims: String,
    pub applied_on: String,
    pub accepted_on: String,
    pub ended_on: String,
    pub outcome: String,
    /// For a failed mediation: why, in the law's words.
    pub how_it_ended: String,
    pub terms: String,
    pub settlement_amount: String,
    pub members_present: Vec<String>,
    pub chair: String,
    pub meeting: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct StageVars {
    pub name: String,
    pub status: String,
    pub filed_on: String,
    pub due_on: String,
    pub closed_on: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct EventVars {
    pub on: String,
    pub action: String,
    pub by: String,
    pub note: String,
}

/// A date as the document's language writes it: 中華民國115年12月5日, or 5 December 2026.
pub fn date(locale: &str, day: NaiveDate) -> String {
    if locale == "en" {
        day.format("%-d %B %Y").to_string()
    } else {
        format!("中華民國{}年{}月{}日", day.year() - 1911, day.month(), day.day())
    }
}

/// An amount: 新臺幣30,000元, or NT$30,000.
pub fn amount(locale: &str, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if n < 0 { "-" } else { "" };
    if locale == "en" { format!("NT${sign}{grouped}") } else { format!("新臺幣{sign}{grouped}元") }
}

impl Context {
    /// Every variable set, for checking templates at start-up.
    pub fn sample(kind: Kind, locale: &str) -> Self {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let on = date(locale, day);
        let text = |s: &str| s.to_string();
        Context {
            document: DocumentVars {
                kind: kind.as_str().into(),
                title: kind.title(locale).into(),
                number: super::kinds::number("高市消保", 115, 1),
                version: 1,
                issued_on: on.clone(),
                locale: locale.into(),
            },
            office: OfficeVars {
                name: text("高雄市政府消費者保護官室"),
                committee: text("高雄市消費爭議調解委員會"),
                jurisdiction: text("高雄市"),
            },
            case: CaseVars {
                number: text("KH-115-000001"),
                received_on: on.clone(),
                category: text("服務"),
                description: text("繳費後課程取消，業者拒絕退費。"),
                requested_resolution: text("退還費用"),
                amount_disputed: amount(locale, 30_000),
                transaction_date: on.clone(),
                channel: text("網路"),
            },
            consumer: PersonVars {
                name: text("陳美玲"),
                address: text("高雄市三民區建國一路1號"),
                phone: text("07-1234567"),
                email: text("mei@example.tw"),
            },
            business: BusinessVars {
                name: text("大發健身股份有限公司"),
                tax_id: text("04595257"),
                address: text("高雄市苓雅區四維三路2號"),
            },
            complaint: ComplaintVars {
                stage: text("第一次申訴"),
                forwarded_on: on.clone(),
                due_on: on.clone(),
                due_provisional: true,
                delivery: text("郵寄"),
                response: text("同意退還半數"),
            },
            meeting: MeetingVars {
                title: text("115年第3次調解會議"),
                date: on.clone(),
                time: text("14:30"),
                location: text("本府四維行政中心第一會議室"),
                chair: text("王消保官"),
            },
            mediation: MediationVars {
                claims: text("請求退還課程費用新臺幣三萬元"),
                applied_on: on.clone(),
                accepted_on: on.clone(),
                ended_on: on.clone(),
                outcome: text("調解成立"),
                how_it_ended: text("雙方當事人未能達成合意，調解不成立。"),
                terms: text("相對人於115年12月31日前退還申請人新臺幣15,000元。\n申請人其餘請求拋棄。"),
                settlement_amount: amount(locale, 15_000),
                members_present: vec![text("王消保官"), text("林委員")],
                chair: text("王消保官"),
                meeting: text("115年第3次調解會議"),
            },
            stages: vec![StageVars {
                name: text("第一次申訴"),
                status: text("已結案"),
                filed_on: on.clone(),
                due_on: on.clone(),
                closed_on: on.clone(),
            }],
            timeline: vec![EventVars { on, action: text("轉送業者"), by: text("承辦人"), note: text("") }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_amounts_as_documents_write_them() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(date("zh-TW", d), "中華民國115年12月5日");
        assert_eq!(date("en", d), "5 December 2026");
        assert_eq!(amount("zh-TW", 1_234_567), "新臺幣1,234,567元");
        assert_eq!(amount("en", 999), "NT$999");
    }
}
