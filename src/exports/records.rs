//! What each export holds: its columns (each marked personal or not) and the rows a cursor reads
//! for a jurisdiction and period. Every export but `cases` has the columns of the history
//! import's file of the same name (docs/IMPORT.md), so a year exported imports again as it was.

use std::io;

use chrono::{DateTime, NaiveDate, Utc};
use entity::business;
use futures_util::StreamExt;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, Statement};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::sheet::Cell;
use crate::reference::ReferenceSettings;
use crate::time::{Period, taipei_date};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    Cases,
    Stages,
    Consultations,
    Meetings,
    Agenda,
    Inspections,
    EducationEvents,
}

impl Records {
    pub const ALL: [Records; 7] = [
        Records::Cases,
        Records::Stages,
        Records::Consultations,
        Records::Meetings,
        Records::Agenda,
        Records::Inspections,
        Records::EducationEvents,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Records::Cases => "cases",
            Records::Stages => "stages",
            Records::Consultations => "consultations",
            Records::Meetings => "meetings",
            Records::Agenda => "agenda",
            Records::Inspections => "inspections",
            Records::EducationEvents => "education_events",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == s)
    }

    /// The columns, and whether each carries personal data or narrative (left out of
    /// anonymous exports).
    pub fn columns(self) -> &'static [(&'static str, bool)] {
        match self {
            Records::Cases => &CASE_COLUMNS,
            Records::Stages => &[
                ("case_no", false),
                ("seq", false),
                ("stage", false),
                ("status", false),
                ("filed_on", false),
                ("due_on", false),
                ("closed_on", false),
                ("responded_on", false),
                ("responded_late", false),
                ("settlement_amount", false),
                ("end_reason", true),
            ],
            Records::Consultations => &[
                ("ref", false),
                ("jurisdiction", false),
                ("received_on", false),
                ("channel", false),
                ("category", false),
                ("business_name", false),
                ("business_tax_id", false),
                ("case_ref", false),
                ("summary", true),
                ("consumer_name", true),
                ("consumer_phone", true),
                ("answer", true),
            ],
            Records::Meetings => &[
                ("ref", false),
                ("jurisdiction", false),
                ("number", false),
                ("scheduled_on", false),
                ("time", false),
                ("location", false),
                ("status", false),
                ("held_on", false),
                ("members_present", false),
                ("members_total", false),
            ],
            Records::Agenda => &[
                ("meeting_ref", false),
                ("case_no", false),
                ("outcome", false),
                ("settlement_amount", false),
                ("terms", true),
            ],
            Records::Inspections => &[
                ("ref", false),
                ("jurisdiction", false),
                ("inspected_on", false),
                ("theme", false),
                ("partner_agency", false),
                ("business_tax_ids", false),
                ("venue", false),
                ("district", false),
                ("items_checked", false),
                ("violations", false),
                ("actions", false),
                ("fine_amount", false),
                ("follow_up_due", false),
                ("follow_up_done_on", false),
            ],
            Records::EducationEvents => &[
                ("ref", false),
                ("jurisdiction", false),
                ("held_on", false),
                ("kind", false),
                ("title", false),
                ("audience", false),
                ("attendees", false),
            ],
        }
    }
}

/// The cases export's columns.
pub const CASE_COLUMNS: [(&str, bool); 21] = [
    ("case_no", false),
    ("jurisdiction", false),
    ("received_on", false),
    ("channel", false),
    ("category", false),
    ("category_group", false),
    ("district", false),
    ("business_name", false),
    ("business_tax_id", false),
    ("stage", false),
    ("status", false),
    ("closed_on", false),
    ("amount_disputed", false),
    ("amount_recovered", false),
    ("transaction_date", false),
    ("consumer_name", true),
    ("consumer_email", true),
    ("consumer_phone", true),
    ("consumer_address", true),
    ("description", true),
    ("requested_resolution", true),
];

/// A row: the case it reads (for the access log), and its cells.
pub type Line = (Option<Uuid>, Vec<Cell>);

/// Rows handed on together, or the error that ends the export.
pub type Batch = io::Result<Vec<Line>>;

/// Rows per batch: a channel message for each row cost more than formatting the row.
const BATCH: usize = 256;

/// Collects rows and sends them on in batches.
struct Out<'a> {
    tx: &'a mpsc::Sender<Batch>,
    rows: Vec<Line>,
}

impl Out<'_> {
    /// False when nobody reads any more (the client went away).
    async fn push(&mut self, case: Option<Uuid>, cells: Vec<Cell>) -> bool {
        self.rows.push((case, cells));
        self.rows.len() < BATCH || self.flush().await
    }

    async fn flush(&mut self) -> bool {
        if self.rows.is_empty() {
            return true;
        }
        let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(BATCH));
        self.tx.send(Ok(rows)).await.is_ok()
    }
}

fn text(s: Option<String>) -> Cell {
    s.map(Cell::Text).unwrap_or(Cell::Empty)
}

fn day(d: Option<NaiveDate>) -> Cell {
    text(d.map(|d| d.to_string()))
}

fn number(n: Option<i64>) -> Cell {
    n.map(Cell::Number).unwrap_or(Cell::Empty)
}

/// Keeps the cells of the columns an anonymous export has.
fn keep(records: Records, cells: Vec<Cell>, anonymous: bool) -> Vec<Cell> {
    if !anonymous {
        return cells;
    }
    cells.into_iter().zip(records.columns()).filter(|(_, (_, personal))| !personal).map(|(c, _)| c).collect()
}

fn case_row(c: CaseLine, reference: &ReferenceSettings) -> Vec<Cell> {
    let group = reference
        .category(&c.category)
        .and_then(|cat| serde_json::to_value(cat.group).ok())
        .and_then(|v| v.as_str().map(str::to_string));
    vec![
        Cell::Text(c.case_no),
        Cell::Text(c.jurisdiction),
        Cell::Text(c.received_on.to_string()),
        Cell::Text(c.channel),
        Cell::Text(c.category),
        text(group),
        text(c.district),
        text(c.business_name),
        text(c.business_tax_id),
        Cell::Text(c.stage),
        Cell::Text(c.status),
        text(c.closed_at.map(|at| taipei_date(at).to_string())),
        number(c.amount_disputed),
        number(c.amount_recovered),
        day(c.transaction_date),
        text(c.consumer_name),
        text(c.consumer_email),
        text(c.consumer_phone),
        text(c.consumer_address),
        text(c.description),
        text(c.requested_resolution),
    ]
}

fn statement(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    crate::db::statement(db.get_database_backend(), sql, values)
}

/// The columns of a case the export writes; the personal ones are NULL in an anonymous
/// export, so they are not even read.
#[derive(Debug, FromQueryResult)]
struct CaseLine {
    id: Uuid,
    case_no: String,
    jurisdiction: String,
    received_on: NaiveDate,
    channel: String,
    category: String,
    district: Option<String>,
    business_name: Option<String>,
    business_tax_id: Option<String>,
    stage: String,
    status: String,
    closed_at: Option<DateTime<Utc>>,
    amount_disputed: Option<i64>,
    amount_recovered: Option<i64>,
    transaction_date: Option<NaiveDate>,
    consumer_name: Option<String>,
    consumer_email: Option<String>,
    consumer_phone: Option<String>,
    consumer_address: Option<String>,
    description: Option<String>,
    requested_resolution: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct StageLine {
    case_id: Uuid,
    case_no: String,
    seq: i32,
    stage: String,
    status: String,
    filed_on: NaiveDate,
    due_at: Option<DateTime<Utc>>,
    closed_on: Option<NaiveDate>,
    responded_at: Option<DateTime<Utc>>,
    responded_late: Option<bool>,
    settlement_amount: Option<i64>,
    end_reason: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct ConsultationLine {
    id: Uuid,
    jurisdiction: String,
    received_on: NaiveDate,
    channel: String,
    category: Option<String>,
    business_name: Option<String>,
    business_tax_id: Option<String>,
    case_no: Option<String>,
    summary: String,
    consumer_name: Option<String>,
    consumer_phone: Option<String>,
    answer: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct MeetingLine {
    jurisdiction: String,
    year: i32,
    number: i32,
    scheduled_at: DateTime<Utc>,
    location: String,
    status: String,
    held_on: Option<NaiveDate>,
    members_present: Option<i32>,
    members_total: Option<i32>,
}

#[derive(Debug, FromQueryResult)]
struct AgendaLine {
    case_id: Uuid,
    year: i32,
    number: i32,
    case_no: String,
    outcome: Option<String>,
    settlement_amount: Option<i64>,
    terms: Option<String>,
}

/// The start and end of a period of Taipei days, as instants.
fn bounds(period: Period) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = crate::domain::calendar::end_of_day(period.from.pred_opt().unwrap_or(period.from));
    (start, crate::domain::calendar::end_of_day(period.to))
}

/// Reads the rows of an export into `tx`; a failed read sends an error and stops.
pub async fn read(
    records: Records,
    db: DatabaseConnection,
    reference: ReferenceSettings,
    jurisdiction: String,
    period: Period,
    anonymous: bool,
    tx: mpsc::Sender<Batch>,
) {
    if let Err(e) = read_into(records, &db, &reference, &jurisdiction, period, anonymous, &tx).await {
        tracing::error!(error = %e, records = records.name(), "export read failed");
        let _ = tx.send(Err(io::Error::other("the export could not read the records"))).await;
    }
}

async fn read_into(
    records: Records,
    db: &DatabaseConnection,
    reference: &ReferenceSettings,
    jurisdiction: &str,
    period: Period,
    anonymous: bool,
    tx: &mpsc::Sender<Batch>,
) -> Result<(), sea_orm::DbErr> {
    let (from, to) = (period.from, period.to);
    let mut out = Out { tx, rows: Vec::with_capacity(BATCH) };
    match records {
        Records::Cases => {
            let personal = if anonymous {
                "NULL AS consumer_name, NULL AS consumer_email, NULL AS consumer_phone, NULL AS consumer_address, \
                 NULL AS description, NULL AS requested_resolution"
            } else {
                "c.consumer_name, c.consumer_email, c.consumer_phone, c.consumer_address, c.description, \
                 c.requested_resolution"
            };
            let sql = format!(
                "SELECT c.id, c.case_no, c.jurisdiction, c.received_on, c.channel, c.category, c.district, \
                 b.name AS business_name, b.tax_id AS business_tax_id, c.stage, c.status, c.closed_at, \
                 c.amount_disputed, c.amount_recovered, c.transaction_date, {personal} \
                 FROM cases c LEFT JOIN businesses b ON b.id = c.business_id \
                 WHERE c.jurisdiction = $1 AND c.received_on >= $2 AND c.received_on <= $3 \
                 ORDER BY c.received_at, c.id"
            );
            let stmt = statement(db, &sql, vec![jurisdiction.into(), from.into(), to.into()]);
            let mut rows = CaseLine::find_by_statement(stmt).stream(db).await?;
            while let Some(row) = rows.next().await {
                let c = row?;
                let id = c.id;
                if !out.push(Some(id), keep(records, case_row(c, reference), anonymous)).await {
                    break;
                }
            }
        }
        Records::Stages => {
            // The stages of the period's cases, whenever filed: the cases file and the stages
            // file of a period name the same cases.
            let sql = "SELECT s.case_id, c.case_no, s.seq, s.stage, s.status, s.filed_on, s.due_at, s.closed_on, \
                       s.responded_at, s.responded_late, s.settlement_amount, s.end_reason \
                       FROM case_stages s JOIN cases c ON c.id = s.case_id \
                       WHERE c.jurisdiction = $1 AND c.received_on >= $2 AND c.received_on <= $3 \
                       ORDER BY c.received_at, c.id, s.seq";
            let stmt = statement(db, sql, vec![jurisdiction.into(), from.into(), to.into()]);
            let mut rows = StageLine::find_by_statement(stmt).stream(db).await?;
            while let Some(row) = rows.next().await {
                let s = row?;
                let cells = vec![
                    Cell::Text(s.case_no),
                    Cell::Number(s.seq.into()),
                    Cell::Text(s.stage),
                    Cell::Text(s.status),
                    Cell::Text(s.filed_on.to_string()),
                    day(s.due_at.map(taipei_date)),
                    day(s.closed_on),
                    day(s.responded_at.map(taipei_date)),
                    text(s.responded_late.map(|l| l.to_string())),
                    number(s.settlement_amount),
                    text(s.end_reason),
                ];
                if !out.push(Some(s.case_id), keep(records, cells, anonymous)).await {
                    break;
                }
            }
        }
        Records::Consultations => {
            let sql = "SELECT q.id, q.jurisdiction, q.received_on, q.channel, q.category, b.name AS business_name, \
                       b.tax_id AS business_tax_id, c.case_no, q.summary, q.consumer_name, q.consumer_phone, q.answer \
                       FROM consultations q LEFT JOIN businesses b ON b.id = q.business_id \
                       LEFT JOIN cases c ON c.id = q.case_id \
                       WHERE q.jurisdiction = $1 AND q.received_on >= $2 AND q.received_on <= $3 \
                       ORDER BY q.received_at, q.id";
            let stmt = statement(db, sql, vec![jurisdiction.into(), from.into(), to.into()]);
            let mut rows = ConsultationLine::find_by_statement(stmt).stream(db).await?;
            while let Some(row) = rows.next().await {
                let q = row?;
                let cells = vec![
                    Cell::Text(q.id.to_string()),
                    Cell::Text(q.jurisdiction),
                    Cell::Text(q.received_on.to_string()),
                    Cell::Text(q.channel),
                    text(q.category),
                    text(q.business_name),
                    text(q.business_tax_id),
                    text(q.case_no),
                    Cell::Text(q.summary),
                    text(q.consumer_name),
                    text(q.consumer_phone),
                    text(q.answer),
                ];
                if !out.push(None, keep(records, cells, anonymous)).await {
                    break;
                }
            }
        }
        Records::Meetings => {
            // The committee's meetings; sessions of designated members (MR 8 II) are not.
            let (start, end) = bounds(period);
            let sql = "SELECT jurisdiction, year, number, scheduled_at, location, status, held_on, members_present, \
                       members_total FROM mediation_meetings \
                       WHERE jurisdiction = $1 AND scheduled_at > $2 AND scheduled_at <= $3 AND designation IS NULL \
                       ORDER BY scheduled_at, number";
            let stmt = statement(db, sql, vec![jurisdiction.into(), start.into(), end.into()]);
            let mut rows = MeetingLine::find_by_statement(stmt).stream(db).await?;
            while let Some(row) = rows.next().await {
                let m = row?;
                let local = m.scheduled_at.with_timezone(&crate::time::taipei());
                let cells = vec![
                    Cell::Text(format!("{}-{}", m.year, m.number)),
                    Cell::Text(m.jurisdiction),
                    Cell::Number(m.number.into()),
                    Cell::Text(local.date_naive().to_string()),
                    Cell::Text(local.format("%H:%M").to_string()),
                    Cell::Text(m.location),
                    Cell::Text(m.status),
                    day(m.held_on),
                    number(m.members_present.map(i64::from)),
                    number(m.members_total.map(i64::from)),
                ];
                if !out.push(None, keep(records, cells, anonymous)).await {
                    break;
                }
            }
        }
        Records::Agenda => {
            let (start, end) = bounds(period);
            let sql = "SELECT a.case_id, m.year, m.number, c.case_no, a.outcome, a.settlement_amount, a.terms \
                       FROM meeting_agenda a JOIN mediation_meetings m ON m.id = a.meeting_id \
                       JOIN cases c ON c.id = a.case_id \
                       WHERE m.jurisdiction = $1 AND m.scheduled_at > $2 AND m.scheduled_at <= $3 \
                       AND m.designation IS NULL ORDER BY m.scheduled_at, m.number, a.added_at, a.id";
            let stmt = statement(db, sql, vec![jurisdiction.into(), start.into(), end.into()]);
            let mut rows = AgendaLine::find_by_statement(stmt).stream(db).await?;
            while let Some(row) = rows.next().await {
                let a = row?;
                let cells = vec![
                    Cell::Text(format!("{}-{}", a.year, a.number)),
                    Cell::Text(a.case_no),
                    text(a.outcome),
                    number(a.settlement_amount),
                    text(a.terms),
                ];
                if !out.push(Some(a.case_id), keep(records, cells, anonymous)).await {
                    break;
                }
            }
        }
        Records::Inspections => {
            use entity::inspection;
            let mut rows = inspection::Entity::find()
                .filter(inspection::Column::Jurisdiction.eq(jurisdiction))
                .filter(inspection::Column::InspectedOn.gte(from))
                .filter(inspection::Column::InspectedOn.lte(to))
                .order_by_asc(inspection::Column::InspectedOn)
                .order_by_asc(inspection::Column::Id)
                .stream(db)
                .await?;
            // A few score a year: the businesses of each are read as it goes.
            let tax_ids_db = db.clone();
            while let Some(row) = rows.next().await {
                let i = row?;
                let ids: Vec<Uuid> = serde_json::from_value(i.business_ids.clone()).unwrap_or_default();
                let tax_ids: Vec<String> = business::Entity::find()
                    .filter(business::Column::Id.is_in(ids))
                    .all(&tax_ids_db)
                    .await?
                    .into_iter()
                    .filter_map(|b| b.tax_id)
                    .collect();
                let cells = vec![
                    Cell::Text(i.id.to_string()),
                    Cell::Text(i.jurisdiction),
                    Cell::Text(i.inspected_on.to_string()),
                    Cell::Text(i.theme),
                    text(i.partner_agency),
                    Cell::Text(tax_ids.join(";")),
                    text(i.venue),
                    text(i.district),
                    number(i.items_checked.map(i64::from)),
                    number(i.violations.map(i64::from)),
                    text(i.actions),
                    number(i.fine_amount),
                    day(i.follow_up_due),
                    day(i.follow_up_done_on),
                ];
                if !out.push(None, keep(records, cells, anonymous)).await {
                    break;
                }
            }
        }
        Records::EducationEvents => {
            use entity::education_event;
            let mut rows = education_event::Entity::find()
                .filter(education_event::Column::Jurisdiction.eq(jurisdiction))
                .filter(education_event::Column::HeldOn.gte(from))
                .filter(education_event::Column::HeldOn.lte(to))
                .order_by_asc(education_event::Column::HeldOn)
                .order_by_asc(education_event::Column::Id)
                .stream(db)
                .await?;
            while let Some(row) = rows.next().await {
                let e = row?;
                let cells = vec![
                    Cell::Text(e.id.to_string()),
                    Cell::Text(e.jurisdiction),
                    Cell::Text(e.held_on.to_string()),
                    Cell::Text(e.kind),
                    Cell::Text(e.title),
                    text(e.audience),
                    number(e.attendees.map(i64::from)),
                ];
                if !out.push(None, keep(records, cells, anonymous)).await {
                    break;
                }
            }
        }
    }
    out.flush().await;
    Ok(())
}
