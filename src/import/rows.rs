//! A row of an import file read into a typed record, checked by the API's own rules (`Check`:
//! lengths, control characters, e-mail, telephone, amounts, dates from 1994-01-13 to today;
//! the 統編 checksum; codes from the reference lists). Pure: no database here — whether a
//! reference names a record is the writer's question.

use chrono::NaiveDate;
use serde::Serialize;

use crate::cases::filing::{DESCRIPTION_MAX, RESOLUTION_MAX};
use crate::domain::input::{
    ADDRESS_MAX, ATTENDEES_MAX, CODE_MAX, Check, ITEMS_MAX, NAME_MAX, NOTE_MAX, TEXT_MAX, TITLE_MAX, day_problem,
};
use crate::domain::tax_id;
use crate::domain::workflow::{Stage, Status, is_terminal, statuses};
use crate::error::FieldErrors;
use crate::reference::{CHANNELS, ReferenceSettings};

/// The longest legacy reference kept.
pub const REF_MAX: usize = 120;

/// What a row is read against.
pub struct Rules<'a> {
    pub reference: &'a ReferenceSettings,
    pub today: NaiveDate,
}

/// One row's cells, by column name.
pub struct Row<'a> {
    header: &'a [String],
    cells: &'a [String],
    check: Check,
}

impl<'a> Row<'a> {
    pub fn new(header: &'a [String], cells: &'a [String]) -> Self {
        Row { header, cells, check: Check::new() }
    }

    /// The trimmed cell of a column; an empty cell is absent.
    pub fn get(&self, column: &str) -> Option<String> {
        let at = self.header.iter().position(|h| h == column)?;
        let cell = self.cells.get(at)?.trim();
        (!cell.is_empty()).then(|| cell.to_string())
    }

    /// The first of several names a column may go by (`ref`, or the export's `case_no`).
    fn first(&self, columns: &[&str]) -> Option<String> {
        columns.iter().find_map(|c| self.get(c))
    }

    fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.check.add(field, problem);
    }

    fn legacy_ref(&mut self, columns: &[&str]) -> String {
        let value = self.first(columns);
        self.check.text(columns[0], value, REF_MAX)
    }

    fn text(&mut self, field: &str, max: usize) -> String {
        let v = self.get(field);
        self.check.text(field, v, max)
    }

    fn optional_text(&mut self, field: &str, max: usize) -> Option<String> {
        let v = self.get(field);
        self.check.optional_text(field, v, max)
    }

    fn block(&mut self, field: &str, max: usize) -> String {
        let v = self.get(field);
        self.check.block(field, v, max)
    }

    fn optional_block(&mut self, field: &str, max: usize) -> Option<String> {
        let v = self.get(field);
        self.check.optional_block(field, v, max)
    }

    fn integer(&mut self, field: &str) -> Option<i64> {
        let v = self.get(field)?;
        let digits: String = v.chars().filter(|c| *c != ',').collect();
        match digits.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.add(field, "must be a whole number");
                None
            }
        }
    }

    fn amount(&mut self, field: &str) -> Option<i64> {
        let v = self.integer(field);
        self.check.amount(field, v)
    }

    fn count(&mut self, field: &str, max: i64) -> Option<i32> {
        let v = self.integer(field);
        self.check.count(field, v, max)
    }

    fn flag(&mut self, field: &str) -> Option<bool> {
        match self.get(field)?.to_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "是" => Some(true),
            "false" | "no" | "n" | "0" | "否" => Some(false),
            _ => {
                self.add(field, "must be true or false");
                None
            }
        }
    }

    /// A date as the office wrote it: `2012-03-05`, `2012/3/5`, or in the ROC calendar
    /// `101/03/05`, `101-3-5`, `1010305`.
    pub fn date(&mut self, field: &str) -> Option<NaiveDate> {
        let v = self.get(field)?;
        let parsed = parse_date(&v);
        if parsed.is_none() {
            self.add(field, "must be a date: YYYY-MM-DD, or the ROC year as 101/03/05");
        }
        parsed
    }

    /// A recorded day: from 1994-01-13 to today.
    fn past_date(&mut self, field: &str, today: NaiveDate) -> Option<NaiveDate> {
        let day = self.date(field)?;
        if let Some(problem) = day_problem(day, today) {
            self.add(field, problem);
        }
        Some(day)
    }

    fn required_past_date(&mut self, field: &str, today: NaiveDate) -> NaiveDate {
        let day = self.past_date(field, today);
        self.check.required(field, day)
    }

    /// A code of a reference list, given as the code or as its Chinese or English name.
    fn code(&mut self, field: &str, required: bool, list: &[(&str, &str, &str)], what: &str) -> Option<String> {
        let Some(v) = self.get(field) else {
            if required {
                self.add(field, "is required");
            }
            return None;
        };
        let found = list.iter().find(|(code, zh, en)| *code == v || *zh == v || en.eq_ignore_ascii_case(&v));
        match found {
            Some((code, _, _)) => Some(code.to_string()),
            None => {
                self.add(field, format!("is not {what}"));
                None
            }
        }
    }

    pub fn into_problems(self) -> FieldErrors {
        self.check.into_problems()
    }

    fn finish<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.check.is_ok() { Ok(value) } else { Err(self.check.into_problems()) }
    }
}

/// `2012-03-05`, `2012/3/5`, `101/03/05`, `101-3-5`, `1010305` (ROC), `20120305`.
pub fn parse_date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    let v = v.split([' ', 'T']).next().unwrap_or(v);
    let parts: Vec<&str> = v.split(['-', '/', '.']).collect();
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] => (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?, d.parse::<u32>().ok()?),
        [compact] if compact.len() == 8 && compact.bytes().all(|b| b.is_ascii_digit()) => {
            (compact[..4].parse().ok()?, compact[4..6].parse().ok()?, compact[6..].parse().ok()?)
        }
        [compact] if compact.len() == 7 && compact.bytes().all(|b| b.is_ascii_digit()) => {
            (compact[..3].parse().ok()?, compact[3..5].parse().ok()?, compact[5..].parse().ok()?)
        }
        _ => return None,
    };
    // Years of up to three digits are ROC years (民國): 101 is 2012.
    let year = if (1..1000).contains(&y) { y + 1911 } else { y };
    NaiveDate::from_ymd_opt(year, m, d)
}

fn channels() -> Vec<(&'static str, &'static str, &'static str)> {
    CHANNELS.to_vec()
}

fn jurisdiction(row: &mut Row, rules: &Rules) -> String {
    let list: Vec<(&str, &str, &str)> = rules
        .reference
        .jurisdictions
        .iter()
        .map(|j| (j.code.as_str(), j.name_zh.as_str(), j.name_en.as_str()))
        .collect();
    match row.get("jurisdiction") {
        None if rules.reference.jurisdictions.len() == 1 => rules.reference.default_jurisdiction.clone(),
        _ => row.code("jurisdiction", true, &list, "a configured jurisdiction").unwrap_or_default(),
    }
}

fn district(row: &mut Row, rules: &Rules, jurisdiction: &str) -> Option<String> {
    let j = rules.reference.jurisdiction(jurisdiction)?;
    let list: Vec<(&str, &str, &str)> =
        j.districts.iter().map(|d| (d.code.as_str(), d.name_zh.as_str(), d.name_en.as_str())).collect();
    row.code("district", false, &list, "a district of the jurisdiction")
}

fn category(row: &mut Row, rules: &Rules, required: bool) -> Option<String> {
    let list: Vec<(&str, &str, &str)> =
        rules.reference.categories.iter().map(|c| (c.code.as_str(), c.name_zh.as_str(), c.name_en.as_str())).collect();
    row.code("category", required, &list, "a configured category")
}

/// How a row names a business: by the legacy reference of a `businesses` row, or by 統編 and
/// name (found in the registry, or added to it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum BusinessKey {
    Ref(String),
    Named { tax_id: Option<String>, name: String },
}

fn tax_id(row: &mut Row, field: &str) -> Option<String> {
    let v = row.get(field)?;
    if let Some(problem) = tax_id::problem(&v) {
        row.add(field, problem);
    }
    Some(v)
}

fn business_key(row: &mut Row, required: bool) -> Option<BusinessKey> {
    if let Some(r) = row.get("business_ref") {
        return Some(BusinessKey::Ref(row.check.text("business_ref", Some(r), REF_MAX)));
    }
    let tax_id = tax_id(row, "business_tax_id");
    match row.optional_text("business_name", NAME_MAX) {
        Some(name) => Some(BusinessKey::Named { tax_id, name }),
        None if tax_id.is_some() => {
            row.add("business_name", "is required with business_tax_id");
            None
        }
        None => {
            if required {
                row.add("business_ref", "is required (or business_name with business_tax_id)");
            }
            None
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BusinessRow {
    pub legacy_ref: String,
    pub name: String,
    pub tax_id: Option<String>,
    pub trading_names: Vec<String>,
    pub address: Option<String>,
    pub district: Option<String>,
    pub industry: Option<String>,
    pub contact_email: Option<String>,
}

pub fn business(mut row: Row, rules: &Rules) -> Result<BusinessRow, FieldErrors> {
    let legacy_ref = row.legacy_ref(&["ref"]);
    let name = row.text("name", NAME_MAX);
    let tax_id = tax_id(&mut row, "tax_id");
    let trading_names: Vec<String> = row
        .get("trading_names")
        .map(|v| v.split(['、', ';', '；']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    for t in &trading_names {
        let t = Some(t.clone());
        row.check.optional_text("trading_names", t, NAME_MAX);
    }
    let address = row.optional_text("address", ADDRESS_MAX);
    let district = row.get("district");
    if district.as_deref().is_some_and(|d| !rules.reference.is_any_district(d)) {
        row.add("district", "is not a configured district");
    }
    let industry = row.optional_text("industry", CODE_MAX);
    let email = row.get("contact_email");
    let contact_email = row.check.optional_email("contact_email", email);
    row.finish(BusinessRow { legacy_ref, name, tax_id, trading_names, address, district, industry, contact_email })
}

/// A stage as the office recorded it: its dates are kept, not computed again.
#[derive(Debug, Clone, Serialize)]
pub struct StageRow {
    pub case_ref: String,
    pub seq: i32,
    pub stage: Stage,
    pub status: Status,
    pub filed_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub responded_on: Option<NaiveDate>,
    pub responded_late: Option<bool>,
    pub settlement_amount: Option<i64>,
    pub end_reason: Option<String>,
}

impl StageRow {
    /// The reference a stage is kept under: its case's and its place in the case.
    pub fn legacy_ref(&self) -> String {
        format!("{}#{}", self.case_ref, self.seq)
    }
}

fn stage_and_status(row: &mut Row, required: bool) -> Option<(Stage, Status)> {
    let stage = match row.get("stage") {
        Some(s) => match Stage::parse(&s) {
            Some(stage) => Some(stage),
            None => {
                row.add("stage", format!("must be one of: {}", Stage::NAMES.join(", ")));
                None
            }
        },
        None if required => {
            row.add("stage", "is required");
            None
        }
        None => None,
    }?;
    let status = match row.get("status").map(|s| (Status::parse(&s), s)) {
        Some((Some(status), _)) if statuses(stage).contains(&status) => status,
        Some(_) | None => {
            let names: Vec<&str> = statuses(stage).iter().map(|s| s.as_str()).collect();
            row.add("status", format!("must be a status of a {stage}: {}", names.join(", ")));
            return None;
        }
    };
    Some((stage, status))
}

/// The dates of a stage, in order: filed, answered, closed; an ended stage has its closing day
/// and an open one none.
fn stage_dates(row: &mut Row, rules: &Rules, stage: Stage, status: Status, filed_on: NaiveDate) -> StageDates {
    let closed_on = row.past_date("closed_on", rules.today);
    let responded_on = row.past_date("responded_on", rules.today);
    let due_on = row.date("due_on");
    let terminal = is_terminal(stage, status);
    match closed_on {
        None if terminal => row.add("closed_on", format!("is required: a {stage} that is {status} has ended")),
        Some(_) if !terminal => {
            row.add("closed_on", format!("must be empty: a {stage} that is {status} is still open"))
        }
        Some(closed) if closed < filed_on => row.add("closed_on", "must not be before filed_on"),
        _ => {}
    }
    if responded_on.is_some_and(|r| r < filed_on) {
        row.add("responded_on", "must not be before filed_on");
    }
    if due_on.is_some_and(|d| d < filed_on) {
        row.add("due_on", "must not be before filed_on");
    }
    StageDates { due_on, closed_on, responded_on }
}

struct StageDates {
    due_on: Option<NaiveDate>,
    closed_on: Option<NaiveDate>,
    responded_on: Option<NaiveDate>,
}

pub fn stage(mut row: Row, rules: &Rules) -> Result<StageRow, FieldErrors> {
    let case_ref = row.legacy_ref(&["case_ref", "case_no"]);
    let seq = match row.integer("seq") {
        Some(n) if (1..=50).contains(&n) => n as i32,
        Some(_) => {
            row.add("seq", "must be from 1 to 50");
            1
        }
        None => {
            if !row.check.has("seq") {
                row.add("seq", "is required (1 for the case's first stage)");
            }
            1
        }
    };
    let filed_on = row.required_past_date("filed_on", rules.today);
    let kind = stage_and_status(&mut row, true);
    let (stage, status) = kind.unwrap_or((Stage::FirstComplaint, Status::Submitted));
    let dates = stage_dates(&mut row, rules, stage, status, filed_on);
    let responded_late = row.flag("responded_late");
    let settlement_amount = row.amount("settlement_amount");
    let end_reason = row.optional_text("end_reason", NOTE_MAX);
    row.finish(StageRow {
        case_ref,
        seq,
        stage,
        status,
        filed_on,
        due_on: dates.due_on,
        closed_on: dates.closed_on,
        responded_on: dates.responded_on,
        responded_late,
        settlement_amount,
        end_reason,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseRow {
    pub legacy_ref: String,
    pub jurisdiction: String,
    pub received_on: NaiveDate,
    pub channel: String,
    pub category: String,
    pub district: Option<String>,
    pub business: BusinessKey,
    pub consumer_name: String,
    pub consumer_email: Option<String>,
    pub consumer_phone: Option<String>,
    pub consumer_address: Option<String>,
    pub consumer_locale: String,
    pub description: String,
    pub requested_resolution: String,
    pub amount_disputed: Option<i64>,
    pub amount_recovered: Option<i64>,
    pub transaction_date: Option<NaiveDate>,
    /// The case's stage as the row says (the export's `stage`, `status`, `closed_on`): its one
    /// stage when no `stages` row names the case.
    pub only_stage: Option<StageRow>,
}

pub fn case(mut row: Row, rules: &Rules) -> Result<CaseRow, FieldErrors> {
    let legacy_ref = row.legacy_ref(&["ref", "case_no"]);
    let jurisdiction = jurisdiction(&mut row, rules);
    let received_on = row.required_past_date("received_on", rules.today);
    let channel = row.code("channel", false, &channels(), "an intake channel").unwrap_or_else(|| "walk_in".into());
    let category = category(&mut row, rules, true).unwrap_or_default();
    let district = district(&mut row, rules, &jurisdiction);
    let business = business_key(&mut row, true);
    let consumer_name = row.text("consumer_name", NAME_MAX);
    let email = row.get("consumer_email");
    let consumer_email = row.check.optional_email("consumer_email", email);
    let phone = row.get("consumer_phone");
    let consumer_phone = row.check.optional_phone("consumer_phone", phone);
    let consumer_address = row.optional_text("consumer_address", ADDRESS_MAX);
    let consumer_locale = match row.get("consumer_locale") {
        Some(l) => {
            row.check.one_of("consumer_locale", &l, &crate::domain::input::LOCALES);
            l
        }
        None => "zh-TW".into(),
    };
    let description = row.block("description", DESCRIPTION_MAX);
    let requested_resolution = row.block("requested_resolution", RESOLUTION_MAX);
    let amount_disputed = row.amount("amount_disputed");
    let amount_recovered = row.amount("amount_recovered");
    let transaction_date = row.date("transaction_date");
    if transaction_date.is_some_and(|t| t > received_on) {
        row.add("transaction_date", "must not be after received_on");
    }
    let only_stage = match stage_and_status(&mut row, false) {
        Some((stage, status)) => {
            let dates = stage_dates(&mut row, rules, stage, status, received_on);
            Some(StageRow {
                case_ref: legacy_ref.clone(),
                seq: 1,
                stage,
                status,
                filed_on: received_on,
                due_on: dates.due_on,
                closed_on: dates.closed_on,
                responded_on: dates.responded_on,
                responded_late: None,
                settlement_amount: None,
                end_reason: None,
            })
        }
        None => None,
    };
    let business = business.unwrap_or(BusinessKey::Ref(String::new()));
    row.finish(CaseRow {
        legacy_ref,
        jurisdiction,
        received_on,
        channel,
        category,
        district,
        business,
        consumer_name,
        consumer_email,
        consumer_phone,
        consumer_address,
        consumer_locale,
        description,
        requested_resolution,
        amount_disputed,
        amount_recovered,
        transaction_date,
        only_stage,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsultationRow {
    pub legacy_ref: String,
    pub jurisdiction: String,
    pub received_on: NaiveDate,
    pub channel: String,
    pub summary: String,
    pub category: Option<String>,
    pub business: Option<BusinessKey>,
    pub consumer_name: Option<String>,
    pub consumer_phone: Option<String>,
    pub answer: Option<String>,
    pub case_ref: Option<String>,
}

pub fn consultation(mut row: Row, rules: &Rules) -> Result<ConsultationRow, FieldErrors> {
    let legacy_ref = row.legacy_ref(&["ref"]);
    let jurisdiction = jurisdiction(&mut row, rules);
    let received_on = row.required_past_date("received_on", rules.today);
    let channel = row.code("channel", true, &channels(), "an intake channel").unwrap_or_default();
    let summary = row.block("summary", NOTE_MAX);
    let category = category(&mut row, rules, false);
    let business = business_key(&mut row, false);
    let consumer_name = row.optional_text("consumer_name", NAME_MAX);
    let phone = row.get("consumer_phone");
    let consumer_phone = row.check.optional_phone("consumer_phone", phone);
    let answer = row.optional_block("answer", TEXT_MAX);
    let case_ref = row.optional_text("case_ref", REF_MAX);
    row.finish(ConsultationRow {
        legacy_ref,
        jurisdiction,
        received_on,
        channel,
        summary,
        category,
        business,
        consumer_name,
        consumer_phone,
        answer,
        case_ref,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct MeetingRow {
    pub legacy_ref: String,
    pub jurisdiction: String,
    /// The meeting's number in its year (第3次).
    pub number: i32,
    pub scheduled_on: NaiveDate,
    pub time: Option<String>,
    pub location: String,
    /// `held`, `cancelled` or `scheduled`.
    pub status: String,
    pub held_on: Option<NaiveDate>,
    pub members_present: Option<i32>,
    pub members_total: Option<i32>,
}

pub fn meeting(mut row: Row, rules: &Rules) -> Result<MeetingRow, FieldErrors> {
    let legacy_ref = row.legacy_ref(&["ref"]);
    let jurisdiction = jurisdiction(&mut row, rules);
    let number = match row.integer("number") {
        Some(n) if (1..=999).contains(&n) => n as i32,
        Some(_) => {
            row.add("number", "must be from 1 to 999");
            0
        }
        None => {
            if !row.check.has("number") {
                row.add("number", "is required (the meeting's number in its year)");
            }
            0
        }
    };
    let scheduled_on = match row.date("scheduled_on") {
        Some(d) => d,
        None => {
            if !row.check.has("scheduled_on") {
                row.add("scheduled_on", "is required");
            }
            rules.today
        }
    };
    if scheduled_on < crate::domain::input::CPA_IN_FORCE {
        row.add("scheduled_on", "must not be before 1994-01-13 (the Consumer Protection Act in force)");
    }
    let time = row.get("time");
    if time.as_deref().is_some_and(|t| chrono::NaiveTime::parse_from_str(t, "%H:%M").is_err()) {
        row.add("time", "must be a time as HH:MM");
    }
    let location = row.text("location", TITLE_MAX);
    let held_on = row.past_date("held_on", rules.today);
    let status = match row.get("status") {
        Some(s) if ["held", "cancelled", "scheduled"].contains(&s.as_str()) => s,
        Some(_) => {
            row.add("status", "must be one of: held, cancelled, scheduled");
            String::new()
        }
        None if held_on.is_some() => "held".into(),
        None => "scheduled".into(),
    };
    if status == "held" && held_on.is_none() && !row.check.has("held_on") {
        row.add("held_on", "is required for a meeting held");
    }
    if status != "held" && held_on.is_some() {
        row.add("held_on", "must be empty unless the meeting was held");
    }
    if status == "scheduled" && scheduled_on <= rules.today && !row.check.has("status") {
        // A past meeting was either held or cancelled; the history says which.
        row.add("status", "a meeting in the past was held or cancelled");
    }
    let members_present = row.count("members_present", 1000);
    let members_total = row.count("members_total", 1000);
    if let (Some(p), Some(t)) = (members_present, members_total)
        && p > t
    {
        row.add("members_present", "must not exceed members_total");
    }
    row.finish(MeetingRow {
        legacy_ref,
        jurisdiction,
        number,
        scheduled_on,
        time,
        location,
        status,
        held_on,
        members_present,
        members_total,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct AgendaRow {
    pub meeting_ref: String,
    pub case_ref: String,
    pub outcome: Option<String>,
    pub settlement_amount: Option<i64>,
    pub terms: Option<String>,
}

impl AgendaRow {
    pub fn legacy_ref(&self) -> String {
        format!("{}#{}", self.meeting_ref, self.case_ref)
    }
}

pub fn agenda(mut row: Row, _rules: &Rules) -> Result<AgendaRow, FieldErrors> {
    let meeting_ref = row.legacy_ref(&["meeting_ref"]);
    let case_ref = row.legacy_ref(&["case_ref", "case_no"]);
    let outcome = row.get("outcome");
    let names = crate::mediation::meetings::Outcome::NAMES;
    if outcome.as_deref().is_some_and(|o| !names.contains(&o)) {
        row.add("outcome", format!("must be one of: {}", names.join(", ")));
    }
    let settlement_amount = row.amount("settlement_amount");
    let terms = row.optional_block("terms", TEXT_MAX);
    row.finish(AgendaRow { meeting_ref, case_ref, outcome, settlement_amount, terms })
}

#[derive(Debug, Clone, Serialize)]
pub struct InspectionRow {
    pub legacy_ref: String,
    pub jurisdiction: String,
    pub inspected_on: NaiveDate,
    pub theme: String,
    pub partner_agency: Option<String>,
    /// The businesses inspected, by 統編 (`;` between them).
    pub business_tax_ids: Vec<String>,
    pub venue: Option<String>,
    pub district: Option<String>,
    pub items_checked: Option<i32>,
    pub violations: Option<i32>,
    pub actions: Option<String>,
    pub fine_amount: Option<i64>,
    pub follow_up_due: Option<NaiveDate>,
    pub follow_up_done_on: Option<NaiveDate>,
}

pub fn inspection(mut row: Row, rules: &Rules) -> Result<InspectionRow, FieldErrors> {
    let legacy_ref = row.legacy_ref(&["ref"]);
    let jurisdiction = jurisdiction(&mut row, rules);
    let inspected_on = row.required_past_date("inspected_on", rules.today);
    let themes: Vec<(&str, &str, &str)> = rules
        .reference
        .inspection_themes
        .iter()
        .map(|t| (t.code.as_str(), t.name_zh.as_str(), t.name_en.as_str()))
        .collect();
    let theme = row.code("theme", true, &themes, "a configured inspection theme").unwrap_or_default();
    let partner_agency = row.optional_text("partner_agency", TITLE_MAX);
    let business_tax_ids: Vec<String> = row
        .get("business_tax_ids")
        .map(|v| v.split([';', '、', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
        .unwrap_or_default();
    for t in &business_tax_ids {
        if let Some(problem) = tax_id::problem(t) {
            row.add("business_tax_ids", format!("{t}: {problem}"));
        }
    }
    let venue = row.optional_text("venue", TITLE_MAX);
    let district = district(&mut row, rules, &jurisdiction);
    let items_checked = row.count("items_checked", ITEMS_MAX);
    let violations = row.count("violations", ITEMS_MAX);
    let actions = row.optional_block("actions", TEXT_MAX);
    let fine_amount = row.amount("fine_amount");
    let follow_up_due = row.date("follow_up_due");
    let follow_up_done_on = row.past_date("follow_up_done_on", rules.today);
    if follow_up_due.is_some_and(|d| d < inspected_on) {
        row.add("follow_up_due", "must not be before inspected_on");
    }
    if follow_up_done_on.is_some_and(|d| d < inspected_on) {
        row.add("follow_up_done_on", "must not be before inspected_on");
    }
    row.finish(InspectionRow {
        legacy_ref,
        jurisdiction,
        inspected_on,
        theme,
        partner_agency,
        business_tax_ids,
        venue,
        district,
        items_checked,
        violations,
        actions,
        fine_amount,
        follow_up_due,
        follow_up_done_on,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct EducationEventRow {
    pub legacy_ref: String,
    pub jurisdiction: String,
    pub held_on: NaiveDate,
    pub kind: String,
    pub title: String,
    pub audience: Option<String>,
    pub attendees: Option<i32>,
}

pub fn education_event(mut row: Row, rules: &Rules) -> Result<EducationEventRow, FieldErrors> {
    let legacy_ref = row.legacy_ref(&["ref"]);
    let jurisdiction = jurisdiction(&mut row, rules);
    let held_on = row.required_past_date("held_on", rules.today);
    let kinds: Vec<(&str, &str, &str)> = rules
        .reference
        .education_kinds
        .iter()
        .map(|t| (t.code.as_str(), t.name_zh.as_str(), t.name_en.as_str()))
        .collect();
    let kind = row.code("kind", true, &kinds, "a configured education-event kind").unwrap_or_default();
    let title = row.text("title", TITLE_MAX);
    let audience = row.optional_text("audience", TITLE_MAX);
    let attendees = row.count("attendees", ATTENDEES_MAX);
    row.finish(EducationEventRow { legacy_ref, jurisdiction, held_on, kind, title, audience, attendees })
}

/// The problems of a case's stages taken together, in `seq` order: filed in order, a first
/// complaint only first, at most one first and one second complaint, a complaint never after a
/// mediation, every stage but the last ended before the next was filed, none before the case.
/// Each problem names the `seq` of the stage at fault.
pub fn stage_order_problems(received_on: NaiveDate, stages: &[&StageRow]) -> Vec<(i32, &'static str, String)> {
    let mut problems = Vec::new();
    let mut sorted: Vec<&StageRow> = stages.to_vec();
    sorted.sort_by_key(|s| s.seq);
    let rank = |s: Stage| match s {
        Stage::FirstComplaint => 0,
        Stage::SecondComplaint => 1,
        Stage::Mediation => 2,
    };
    for (i, s) in sorted.iter().enumerate() {
        if s.filed_on < received_on {
            problems.push((s.seq, "filed_on", "must not be before the case's received_on".to_string()));
        }
        if i > 0 && sorted[i - 1].seq == s.seq {
            problems.push((s.seq, "seq", "names the same stage of the case twice".to_string()));
            continue;
        }
        let Some(prev) = i.checked_sub(1).map(|p| sorted[p]) else { continue };
        if rank(s.stage) < rank(prev.stage) || (s.stage == prev.stage && s.stage != Stage::Mediation) {
            problems.push((
                s.seq,
                "stage",
                format!("a {} cannot follow a {} (stage {})", s.stage, prev.stage, prev.seq),
            ));
        }
        if s.filed_on < prev.filed_on {
            problems.push((
                s.seq,
                "filed_on",
                format!("is before the filing of stage {} ({})", prev.seq, prev.filed_on),
            ));
        }
        if !is_terminal(prev.stage, prev.status) {
            problems.push((
                s.seq,
                "stage",
                format!("stage {} ({} {}) has not ended", prev.seq, prev.stage, prev.status),
            ));
        } else if prev.closed_on.is_some_and(|c| c > s.filed_on) {
            problems.push((
                s.seq,
                "filed_on",
                format!("is before stage {} ended ({})", prev.seq, prev.closed_on.unwrap_or_default()),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_offices_write_them() {
        let d = NaiveDate::from_ymd_opt(2012, 3, 5).unwrap();
        for v in ["2012-03-05", "2012/3/5", "101/03/05", "101-3-5", "1010305", "20120305", "2012-03-05 00:00:00"] {
            assert_eq!(parse_date(v), Some(d), "{v}");
        }
        assert_eq!(parse_date("2012-02-30"), None);
        assert_eq!(parse_date("soon"), None);
    }

    fn stage(seq: i32, stage: Stage, status: Status, filed: u32, closed: Option<u32>) -> StageRow {
        let day = |d| NaiveDate::from_ymd_opt(2012, 3, d).unwrap();
        StageRow {
            case_ref: "C".into(),
            seq,
            stage,
            status,
            filed_on: day(filed),
            due_on: None,
            closed_on: closed.map(day),
            responded_on: None,
            responded_late: None,
            settlement_amount: None,
            end_reason: None,
        }
    }

    #[test]
    fn a_stage_history_in_order_passes_and_one_out_of_order_does_not() {
        let received = NaiveDate::from_ymd_opt(2012, 3, 1).unwrap();
        let first = stage(1, Stage::FirstComplaint, Status::Unresolved, 1, Some(10));
        let second = stage(2, Stage::SecondComplaint, Status::Unresolved, 12, Some(20));
        let mediation = stage(3, Stage::Mediation, Status::Applied, 21, None);
        assert!(stage_order_problems(received, &[&mediation, &first, &second]).is_empty());

        let early = stage(2, Stage::SecondComplaint, Status::Unresolved, 5, Some(20));
        let problems = stage_order_problems(received, &[&first, &early]);
        assert_eq!(problems[0].0, 2);
        assert!(problems[0].2.contains("before stage 1 ended"), "{problems:?}");

        let elsewhere_first = stage(1, Stage::SecondComplaint, Status::Unresolved, 1, Some(10));
        let backwards = stage(2, Stage::FirstComplaint, Status::Submitted, 12, None);
        assert!(stage_order_problems(received, &[&elsewhere_first, &backwards]).iter().any(|p| p.1 == "stage"));
    }
}
