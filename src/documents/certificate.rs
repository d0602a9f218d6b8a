//! 調解不成立證明書: the certificate that a mediation failed (MR 27), which the consumer takes
//! to court or elsewhere. It names the parties, the case and how the mediation ended.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{case, case_stage};
use serde_json::Value;

use super::Documents;
use super::layout::{Block, render};
use crate::reference::ReferenceSettings;
use crate::time::taipei_date;

/// A date as official documents write it: 中華民國115年12月5日.
pub fn roc_date(day: NaiveDate) -> String {
    format!("中華民國{}年{}月{}日", day.year() - 1911, day.month(), day.day())
}

fn how_it_ended(stage: &case_stage::Model) -> &'static str {
    match stage.end_reason.as_deref() {
        Some("objection") => {
            "當事人於法定期間內對調解委員會所提解決方案提出異議，視為調解不成立（消費者保護法第45條之3、消費爭議調解辦法第18條）。"
        }
        _ => "雙方當事人未能達成合意，調解不成立。",
    }
}

/// What the certificate says: the case, its failed mediation, the number issued.
pub struct Facts<'a> {
    pub case: &'a case::Model,
    pub stage: &'a case_stage::Model,
    /// As printed, e.g. `115年第3號`.
    pub number: &'a str,
    pub issued_at: DateTime<Utc>,
    pub business_name: &'a str,
    pub reference: &'a ReferenceSettings,
}

fn day(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| roc_date(taipei_date(at))).unwrap_or_else(|| "—".into())
}

/// The certificate as a PDF.
pub fn pdf(documents: &Documents, facts: &Facts<'_>) -> anyhow::Result<Vec<u8>> {
    let Facts { case, stage, number, issued_at, business_name, reference } = facts;
    let office = reference.jurisdiction(&case.jurisdiction).map(|j| j.name_zh.as_str()).unwrap_or(&case.jurisdiction);
    let committee = format!("{office}消費爭議調解委員會");
    let claims = stage
        .details
        .get("claims")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| reference.category(&case.category).map(|c| c.name_zh.clone()))
        .unwrap_or_else(|| case.description.chars().take(200).collect());
    let blocks = vec![
        Block::Title(committee.clone()),
        Block::Title("調解不成立證明書".into()),
        Block::Centred(format!("字號：{number}")),
        Block::Gap(18.0),
        Block::Field("申請人".into(), case.consumer_name.clone()),
        Block::Field("相對人".into(), business_name.to_string()),
        Block::Field("案號".into(), case.case_no.clone()),
        Block::Field("調解事由".into(), claims),
        Block::Field("受理日期".into(), day(stage.accepted_at)),
        Block::Field("不成立日期".into(), day(stage.closed_at)),
        Block::Field("不成立原因".into(), how_it_ended(stage).into()),
        Block::Gap(18.0),
        Block::Paragraph("上列當事人間消費爭議事件，經本會調解不成立，特此證明。（消費爭議調解辦法第二十七條）".into()),
        Block::Gap(36.0),
        Block::Right(committee),
        Block::Right(roc_date(taipei_date(*issued_at))),
    ];
    render(documents, &format!("調解不成立證明書 {}", case.case_no), &blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_dates_count_roc_years() {
        assert_eq!(roc_date(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()), "中華民國115年12月5日");
    }
}
