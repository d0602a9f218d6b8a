//! Writing checked rows into the records, inside the import's one transaction: each row keyed by
//! its legacy reference (`import_refs`), unchanged rows skipped by their fingerprint, new rows
//! inserted in batches, changed rows updated, and every figure a row makes or moves added to
//! the deltas that go through the daily counters at the end.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use entity::workflow::{Stage, Status};
use entity::{
    agenda_item, business, case, case_event, case_stage, consultation, education_event, import_ref, inspection,
    inspection_business, meeting,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, Set,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::kinds::Kind;
use super::rows::{
    AgendaRow, BusinessKey, BusinessRow, CaseRow, ConsultationRow, EducationEventRow, InspectionRow, MeetingRow,
    StageRow,
};
use crate::domain::calendar::end_of_day;
use crate::domain::figures::{
    CONSULTATIONS, EDUCATION_EVENTS, INSPECTIONS, MEDIATION_MEETINGS, MEDIATIONS_ESTABLISHED, stage_metric,
};
use crate::error::AppResult;
use crate::reference::ReferenceSettings;
use crate::time::taipei;

/// Rows inserted per statement.
const BATCH: usize = 400;

/// (jurisdiction, metric, day) → how much it moves.
pub type Deltas = BTreeMap<(String, String, NaiveDate), i64>;

/// What became of the rows of one kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub invalid: u64,
}

/// The moment an imported day's events are placed at: 10:00 in Taipei, office hours.
pub fn at_office(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap_or(NaiveTime::MIN))
        .and_local_timezone(taipei())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The first 128 bits of a fingerprint, as kept in memory.
fn short(print: &str) -> u128 {
    print.get(..32).and_then(|h| u128::from_str_radix(h, 16).ok()).unwrap_or_default()
}

async fn load_refs(db: &impl ConnectionTrait, kind: Kind) -> AppResult<HashMap<String, (Uuid, u128)>> {
    let rows: Vec<(String, Uuid, String)> = import_ref::Entity::find()
        .select_only()
        .columns([import_ref::Column::LegacyRef, import_ref::Column::RecordId, import_ref::Column::Fingerprint])
        .filter(import_ref::Column::Kind.eq(kind.name()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(r, id, f)| (r, (id, short(&f)))).collect())
}

pub fn fingerprint(row: &impl serde::Serialize) -> String {
    let json = serde_json::to_vec(row).unwrap_or_default();
    hex::encode(Sha256::digest(&json))
}

#[derive(Debug, Clone)]
pub struct CaseInfo {
    pub id: Uuid,
    pub jurisdiction: String,
    pub received_on: NaiveDate,
    /// Made by this run: its `only_stage` may stand in for a stages file.
    pub new: bool,
}

#[derive(Default)]
struct Pending {
    businesses: Vec<business::ActiveModel>,
    /// New cases, numbered when written.
    cases: Vec<case::ActiveModel>,
    events: Vec<case_event::ActiveModel>,
    stages: Vec<case_stage::ActiveModel>,
    consultations: Vec<consultation::ActiveModel>,
    agenda: Vec<agenda_item::ActiveModel>,
    inspections: Vec<inspection::ActiveModel>,
    inspection_businesses: Vec<inspection_business::ActiveModel>,
    events_held: Vec<education_event::ActiveModel>,
    refs: Vec<import_ref::ActiveModel>,
}

/// The import's state over one transaction.
pub struct Writer<'a, C: ConnectionTrait> {
    db: &'a C,
    reference: &'a ReferenceSettings,
    actor: Uuid,
    run_at: DateTime<Utc>,
    /// The legacy references of the kind being read (and of businesses, which every kind may
    /// name): loaded when its files begin and dropped when they end, so memory holds one kind's
    /// index at a time. Fingerprints are kept as their first 128 bits.
    refs: HashMap<Kind, HashMap<String, (Uuid, u128)>>,
    businesses_by_tax_id: HashMap<String, Uuid>,
    businesses_by_name: HashMap<String, Uuid>,
    pub cases: HashMap<String, CaseInfo>,
    meetings: HashMap<String, Uuid>,
    pending: Pending,
    pub deltas: Deltas,
}

#[derive(Debug, FromQueryResult)]
struct CaseRef {
    legacy_ref: String,
    record_id: Uuid,
    jurisdiction: String,
    received_on: NaiveDate,
}

/// What a row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    Added,
    Updated,
    Unchanged,
}

impl<'a, C: ConnectionTrait> Writer<'a, C> {
    pub async fn new(
        db: &'a C,
        reference: &'a ReferenceSettings,
        actor: Uuid,
        run_at: DateTime<Utc>,
    ) -> AppResult<Self> {
        let mut businesses_by_tax_id = HashMap::new();
        let mut businesses_by_name = HashMap::new();
        let rows: Vec<(Uuid, String, Option<String>)> = business::Entity::find()
            .select_only()
            .columns([business::Column::Id, business::Column::Name, business::Column::TaxId])
            .into_tuple()
            .all(db)
            .await?;
        for (id, name, tax_id) in rows {
            match tax_id {
                Some(t) => {
                    businesses_by_tax_id.insert(t, id);
                }
                None => {
                    businesses_by_name.entry(name).or_insert(id);
                }
            }
        }
        let mut refs = HashMap::new();
        refs.insert(Kind::Businesses, load_refs(db, Kind::Businesses).await?);
        let case_rows = CaseRef::find_by_statement(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT r.legacy_ref, r.record_id, c.jurisdiction, c.received_on \
             FROM import_refs r JOIN cases c ON c.id = r.record_id WHERE r.kind = 'cases'",
            [],
        ))
        .all(db)
        .await?;
        let cases = case_rows
            .into_iter()
            .map(|r| {
                let info =
                    CaseInfo { id: r.record_id, jurisdiction: r.jurisdiction, received_on: r.received_on, new: false };
                (r.legacy_ref, info)
            })
            .collect();
        let meetings = refs
            .get(&Kind::Meetings)
            .map(|m| m.iter().map(|(k, (id, _))| (k.clone(), *id)).collect())
            .unwrap_or_default();
        Ok(Writer {
            db,
            reference,
            actor,
            run_at,
            refs,
            businesses_by_tax_id,
            businesses_by_name,
            cases,
            meetings,
            pending: Pending::default(),
            deltas: Deltas::new(),
        })
    }

    /// Holds the references of `kind` (and of businesses) only.
    pub async fn switch_to(&mut self, kind: Kind) -> AppResult<()> {
        self.flush().await?;
        self.refs.retain(|k, _| *k == Kind::Businesses || *k == kind);
        if !self.refs.contains_key(&kind) {
            self.refs.insert(kind, load_refs(self.db, kind).await?);
        }
        Ok(())
    }

    fn known(&self, kind: Kind, legacy_ref: &str) -> Option<&(Uuid, u128)> {
        self.refs.get(&kind).and_then(|m| m.get(legacy_ref))
    }

    fn count(&mut self, jurisdiction: &str, metric: &str, day: NaiveDate, delta: i64) {
        *self.deltas.entry((jurisdiction.to_string(), metric.to_string(), day)).or_default() += delta;
    }

    /// Records the reference of a row written: a new one inserted, a changed one updated.
    async fn keep_ref(&mut self, kind: Kind, legacy_ref: &str, id: Uuid, print: String, source: &str) -> AppResult<()> {
        let existed = self.refs.entry(kind).or_default().insert(legacy_ref.to_string(), (id, short(&print))).is_some();
        if existed {
            let update = Query::update()
                .table(import_ref::Entity)
                .value(import_ref::Column::Fingerprint, print)
                .value(import_ref::Column::Source, source)
                .value(import_ref::Column::ImportedAt, self.run_at)
                .and_where(Expr::col(import_ref::Column::Kind).eq(kind.name()))
                .and_where(Expr::col(import_ref::Column::LegacyRef).eq(legacy_ref))
                .to_owned();
            self.db.execute(&update).await?;
        } else {
            self.pending.refs.push(import_ref::ActiveModel {
                kind: Set(kind.name().into()),
                legacy_ref: Set(legacy_ref.into()),
                record_id: Set(id),
                fingerprint: Set(print),
                source: Set(source.chars().take(255).collect()),
                imported_at: Set(self.run_at),
            });
        }
        Ok(())
    }

    /// The business a row names, found or added to the registry. `Err` says why not.
    async fn business_of(&mut self, key: &BusinessKey) -> AppResult<Result<Uuid, String>> {
        match key {
            BusinessKey::Ref(r) => Ok(self
                .known(Kind::Businesses, r)
                .map(|(id, _)| *id)
                .ok_or_else(|| format!("no business has the reference {r:?} (businesses file)"))),
            BusinessKey::Named { tax_id: Some(t), name } => {
                if let Some(id) = self.businesses_by_tax_id.get(t) {
                    return Ok(Ok(*id));
                }
                Ok(Ok(self.new_business(name, Some(t.clone()))))
            }
            BusinessKey::Named { tax_id: None, name } => {
                if let Some(id) = self.businesses_by_name.get(name) {
                    return Ok(Ok(*id));
                }
                Ok(Ok(self.new_business(name, None)))
            }
        }
    }

    fn new_business(&mut self, name: &str, tax_id: Option<String>) -> Uuid {
        let id = Uuid::now_v7();
        match &tax_id {
            Some(t) => self.businesses_by_tax_id.insert(t.clone(), id),
            None => self.businesses_by_name.insert(name.to_string(), id),
        };
        self.pending.businesses.push(business::ActiveModel {
            id: Set(id),
            name: Set(name.to_string()),
            tax_id: Set(tax_id),
            claimed_tax_id: Set(None),
            trading_names: Set(serde_json::json!([])),
            address: Set(None),
            district: Set(None),
            industry: Set(None),
            competent_authority: Set(None),
            contact_email: Set(None),
            verified: Set(false),
            created_at: Set(self.run_at),
            updated_at: Set(self.run_at),
        });
        id
    }

    pub async fn business(&mut self, row: BusinessRow, source: &str) -> AppResult<Result<Done, Vec<(String, String)>>> {
        let print = fingerprint(&row);
        if let Some((id, old)) = self.known(Kind::Businesses, &row.legacy_ref).cloned() {
            if old == short(&print) {
                return Ok(Ok(Done::Unchanged));
            }
            if let Some(t) = &row.tax_id
                && self.businesses_by_tax_id.get(t).is_some_and(|other| *other != id)
            {
                return Ok(Err(vec![("tax_id".into(), "another business already has this 統編".into())]));
            }
            self.flush().await?;
            let Some(model) = business::Entity::find_by_id(id).one(self.db).await? else {
                return Ok(Err(vec![("ref".into(), "names a business that no longer exists".into())]));
            };
            let mut active: business::ActiveModel = model.into();
            active.name = Set(row.name.clone());
            active.tax_id = Set(row.tax_id.clone());
            active.trading_names = Set(serde_json::json!(row.trading_names));
            active.address = Set(row.address.clone());
            active.district = Set(row.district.clone());
            active.industry = Set(row.industry.clone());
            active.contact_email = Set(row.contact_email.clone());
            active.updated_at = Set(self.run_at);
            active.update(self.db).await?;
            if let Some(t) = &row.tax_id {
                self.businesses_by_tax_id.insert(t.clone(), id);
            }
            self.keep_ref(Kind::Businesses, &row.legacy_ref, id, print, source).await?;
            return Ok(Ok(Done::Updated));
        }
        // A business the registry already holds (by 統編) is the same business.
        let id = match row.tax_id.as_ref().and_then(|t| self.businesses_by_tax_id.get(t)) {
            Some(id) => *id,
            None => {
                let id = self.new_business(&row.name, row.tax_id.clone());
                if let Some(last) = self.pending.businesses.last_mut() {
                    last.trading_names = Set(serde_json::json!(row.trading_names));
                    last.address = Set(row.address.clone());
                    last.district = Set(row.district.clone());
                    last.industry = Set(row.industry.clone());
                    last.contact_email = Set(row.contact_email.clone());
                }
                id
            }
        };
        self.keep_ref(Kind::Businesses, &row.legacy_ref, id, print, source).await?;
        self.flush_if_full().await?;
        Ok(Ok(Done::Added))
    }

    pub async fn case(
        &mut self,
        row: &CaseRow,
        source: &str,
        line: u64,
    ) -> AppResult<Result<Done, Vec<(String, String)>>> {
        let print = fingerprint(row);
        let business_id = match self.business_of(&row.business).await? {
            Ok(id) => id,
            Err(problem) => return Ok(Err(vec![("business_ref".into(), problem)])),
        };
        if let Some((id, old)) = self.known(Kind::Cases, &row.legacy_ref).cloned() {
            if old == short(&print) {
                return Ok(Ok(Done::Unchanged));
            }
            let info = self.cases.get(&row.legacy_ref).cloned();
            if info.as_ref().is_some_and(|i| i.jurisdiction != row.jurisdiction) {
                return Ok(Err(vec![(
                    "jurisdiction".into(),
                    "an imported case cannot change jurisdiction (transfer it instead)".into(),
                )]));
            }
            self.flush().await?;
            let Some(model) = case::Entity::find_by_id(id).one(self.db).await? else {
                return Ok(Err(vec![("ref".into(), "names a case that no longer exists".into())]));
            };
            let mut active: case::ActiveModel = model.into();
            self.fill_case(&mut active, row, business_id);
            active.updated_at = Set(self.run_at);
            active.update(self.db).await?;
            if let Some(info) = self.cases.get_mut(&row.legacy_ref) {
                info.received_on = row.received_on;
            }
            self.keep_ref(Kind::Cases, &row.legacy_ref, id, print, source).await?;
            return Ok(Ok(Done::Updated));
        }
        let id = Uuid::now_v7();
        let received_at = at_office(row.received_on);
        let mut active = case::ActiveModel {
            id: Set(id),
            // Numbered when the batch is written (`flush`), a block per jurisdiction and year.
            case_no: Set(String::new()),
            jurisdiction: Set(row.jurisdiction.clone()),
            consumer_user_id: Set(None),
            consumer_locale: Set(row.consumer_locale.clone()),
            received_at: Set(received_at),
            stage: Set(Stage::FirstComplaint),
            status: Set(Status::Submitted),
            due_at: Set(None),
            due_provisional: Set(false),
            forwarded_at: Set(None),
            closed_at: Set(None),
            last_action_at: Set(received_at),
            version: Set(1),
            consultation_id: Set(None),
            created_by: Set(self.actor),
            created_at: Set(self.run_at),
            updated_at: Set(self.run_at),
            ..Default::default()
        };
        self.fill_case(&mut active, row, business_id);
        self.pending.cases.push(active);
        self.pending.events.push(case_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            case_id: Set(id),
            at: Set(received_at),
            recorded_at: Set(self.run_at),
            actor_id: Set(Some(self.actor)),
            actor_role: Set("system".into()),
            action: Set("imported".into()),
            stage: Set(None),
            from_status: Set(None),
            to_status: Set(None),
            note: Set(Some(format!("Imported from the office's earlier records: {source}, row {line}"))),
            visibility: Set(crate::timeline::INTERNAL.into()),
            system: Set(true),
            data: Set(Some(serde_json::json!({ "legacy_ref": row.legacy_ref }))),
        });
        self.cases.insert(
            row.legacy_ref.clone(),
            CaseInfo { id, jurisdiction: row.jurisdiction.clone(), received_on: row.received_on, new: true },
        );
        self.keep_ref(Kind::Cases, &row.legacy_ref, id, print, source).await?;
        self.flush_if_full().await?;
        Ok(Ok(Done::Added))
    }

    fn fill_case(&self, active: &mut case::ActiveModel, row: &CaseRow, business_id: Uuid) {
        active.consumer_name = Set(row.consumer_name.clone());
        active.consumer_email = Set(row.consumer_email.clone());
        active.consumer_phone = Set(row.consumer_phone.clone());
        active.consumer_address = Set(row.consumer_address.clone());
        active.consumer_locale = Set(row.consumer_locale.clone());
        active.business_id = Set(business_id);
        active.category = Set(row.category.clone());
        active.description = Set(row.description.clone());
        active.requested_resolution = Set(row.requested_resolution.clone());
        active.amount_disputed = Set(row.amount_disputed);
        active.amount_recovered = Set(row.amount_recovered);
        active.transaction_date = Set(row.transaction_date);
        active.channel = Set(row.channel.clone());
        active.district = Set(row.district.clone());
        active.received_on = Set(row.received_on);
        active.received_at = Set(at_office(row.received_on));
    }

    /// The figures a stage makes: its filing, and an establishment by the day it was.
    fn stage_figures(
        &mut self,
        jurisdiction: &str,
        stage: Stage,
        status: Status,
        filed: NaiveDate,
        closed: Option<NaiveDate>,
        sign: i64,
    ) {
        self.count(jurisdiction, stage_metric(stage), filed, sign);
        if stage == Stage::Mediation
            && matches!(status, Status::Established | Status::CourtRefused)
            && let Some(closed) = closed
        {
            self.count(jurisdiction, MEDIATIONS_ESTABLISHED, closed, sign);
        }
    }

    pub async fn stage(&mut self, row: &StageRow, source: &str) -> AppResult<Result<Done, Vec<(String, String)>>> {
        let Some(info) = self.cases.get(&row.case_ref).cloned() else {
            return Ok(Err(vec![(
                "case_ref".into(),
                format!("no case has the reference {:?} (cases file)", row.case_ref),
            )]));
        };
        let legacy_ref = row.legacy_ref();
        let print = fingerprint(row);
        let known = self.known(Kind::Stages, &legacy_ref).cloned();
        if known.as_ref().is_some_and(|(_, old)| *old == short(&print)) {
            return Ok(Ok(Done::Unchanged));
        }
        let fields = |active: &mut case_stage::ActiveModel| {
            active.stage = Set(row.stage);
            active.status = Set(row.status);
            active.filed_at = Set(at_office(row.filed_on));
            active.filed_on = Set(row.filed_on);
            active.due_at = Set(row.due_on.map(end_of_day));
            active.closed_at = Set(row.closed_on.map(at_office));
            active.closed_on = Set(row.closed_on);
            active.end_reason = Set(row.end_reason.clone());
            active.responded_at = Set(row.responded_on.map(at_office));
            active.responded_late = Set(row.responded_late.or_else(|| {
                // Late when answered after the due day the office wrote down.
                row.responded_on.zip(row.due_on).map(|(r, d)| r > d)
            }));
            active.settlement_amount = Set(row.settlement_amount);
        };
        if let Some((id, _)) = known {
            self.flush().await?;
            let Some(model) = case_stage::Entity::find_by_id(id).one(self.db).await? else {
                return Ok(Err(vec![("seq".into(), "names a stage that no longer exists".into())]));
            };
            self.stage_figures(
                &model.jurisdiction.clone(),
                model.stage,
                model.status,
                model.filed_on,
                model.closed_on,
                -1,
            );
            self.stage_figures(&model.jurisdiction.clone(), row.stage, row.status, row.filed_on, row.closed_on, 1);
            let mut active: case_stage::ActiveModel = model.into();
            fields(&mut active);
            active.updated_at = Set(self.run_at);
            active.update(self.db).await?;
            self.keep_ref(Kind::Stages, &legacy_ref, id, print, source).await?;
            return Ok(Ok(Done::Updated));
        }
        let id = Uuid::now_v7();
        let mut active = case_stage::ActiveModel {
            id: Set(id),
            case_id: Set(info.id),
            seq: Set(row.seq),
            jurisdiction: Set(info.jurisdiction.clone()),
            due_provisional: Set(false),
            assigned_officer_id: Set(None),
            accepted_at: Set(None),
            schedule_by: Set(None),
            schedule_extended: Set(false),
            objection_due: Set(None),
            deemed: Set(false),
            court_due: Set(None),
            court_sent_at: Set(None),
            court_approved: Set(None),
            rejection_code: Set(None),
            details: Set(serde_json::json!({})),
            created_at: Set(self.run_at),
            updated_at: Set(self.run_at),
            ..Default::default()
        };
        fields(&mut active);
        self.pending.stages.push(active);
        self.stage_figures(&info.jurisdiction, row.stage, row.status, row.filed_on, row.closed_on, 1);
        self.keep_ref(Kind::Stages, &legacy_ref, id, print, source).await?;
        self.flush_if_full().await?;
        Ok(Ok(Done::Added))
    }

    pub async fn consultation(
        &mut self,
        row: &ConsultationRow,
        source: &str,
    ) -> AppResult<Result<Done, Vec<(String, String)>>> {
        let print = fingerprint(row);
        let known = self.known(Kind::Consultations, &row.legacy_ref).cloned();
        if known.as_ref().is_some_and(|(_, old)| *old == short(&print)) {
            return Ok(Ok(Done::Unchanged));
        }
        let business_id = match &row.business {
            Some(key) => match self.business_of(key).await? {
                Ok(id) => Some(id),
                Err(problem) => return Ok(Err(vec![("business_ref".into(), problem)])),
            },
            None => None,
        };
        let case_id = match &row.case_ref {
            Some(r) => match self.cases.get(r) {
                Some(info) => Some(info.id),
                None => {
                    return Ok(Err(vec![("case_ref".into(), format!("no case has the reference {r:?} (cases file)"))]));
                }
            },
            None => None,
        };
        let fill = |active: &mut consultation::ActiveModel| {
            active.jurisdiction = Set(row.jurisdiction.clone());
            active.channel = Set(row.channel.clone());
            active.summary = Set(row.summary.clone());
            active.category = Set(row.category.clone());
            active.business_id = Set(business_id);
            active.consumer_name = Set(row.consumer_name.clone());
            active.consumer_phone = Set(row.consumer_phone.clone());
            active.answer = Set(row.answer.clone());
            active.received_at = Set(at_office(row.received_on));
            active.received_on = Set(row.received_on);
            active.case_id = Set(case_id);
        };
        let (id, done) = if let Some((id, _)) = known {
            self.flush().await?;
            let Some(model) = consultation::Entity::find_by_id(id).one(self.db).await? else {
                return Ok(Err(vec![("ref".into(), "names a consultation that no longer exists".into())]));
            };
            self.count(&model.jurisdiction.clone(), CONSULTATIONS, model.received_on, -1);
            let mut active: consultation::ActiveModel = model.into();
            fill(&mut active);
            active.update(self.db).await?;
            (id, Done::Updated)
        } else {
            let id = Uuid::now_v7();
            let mut active = consultation::ActiveModel {
                id: Set(id),
                created_by: Set(self.actor),
                created_at: Set(self.run_at),
                ..Default::default()
            };
            fill(&mut active);
            self.pending.consultations.push(active);
            (id, Done::Added)
        };
        self.count(&row.jurisdiction, CONSULTATIONS, row.received_on, 1);
        if let Some(case_id) = case_id {
            self.flush().await?;
            let link = Query::update()
                .table(case::Entity)
                .value(case::Column::ConsultationId, id)
                .and_where(Expr::col(case::Column::Id).eq(case_id))
                .to_owned();
            self.db.execute(&link).await?;
        }
        self.keep_ref(Kind::Consultations, &row.legacy_ref, id, print, source).await?;
        self.flush_if_full().await?;
        Ok(Ok(done))
    }

    pub async fn meeting(&mut self, row: &MeetingRow, source: &str) -> AppResult<Result<Done, Vec<(String, String)>>> {
        let print = fingerprint(row);
        let known = self.known(Kind::Meetings, &row.legacy_ref).cloned();
        if known.as_ref().is_some_and(|(_, old)| *old == short(&print)) {
            return Ok(Ok(Done::Unchanged));
        }
        let year = crate::case_numbers::roc_year(row.scheduled_on);
        let time = row.time.as_deref().and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok());
        let scheduled_at = row
            .scheduled_on
            .and_time(time.unwrap_or(NaiveTime::from_hms_opt(14, 0, 0).unwrap_or(NaiveTime::MIN)))
            .and_local_timezone(taipei())
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        self.flush().await?;
        let taken = meeting::Entity::find()
            .filter(meeting::Column::Jurisdiction.eq(row.jurisdiction.as_str()))
            .filter(meeting::Column::Year.eq(year))
            .filter(meeting::Column::Number.eq(row.number))
            .one(self.db)
            .await?;
        if taken.as_ref().is_some_and(|m| known.as_ref().is_none_or(|(id, _)| *id != m.id)) {
            return Ok(Err(vec![(
                "number".into(),
                format!("meeting {year}年第{}次 of this jurisdiction is already recorded", row.number),
            )]));
        }
        let held_at = row
            .held_on
            .map(|d| d.and_time(scheduled_at.with_timezone(&taipei()).time()))
            .and_then(|t| t.and_local_timezone(taipei()).single())
            .map(|t| t.with_timezone(&Utc));
        let fill = |active: &mut meeting::ActiveModel| {
            active.jurisdiction = Set(row.jurisdiction.clone());
            active.year = Set(year);
            active.number = Set(row.number);
            active.scheduled_at = Set(scheduled_at);
            active.location = Set(row.location.clone());
            active.status = Set(row.status.clone());
            active.held_at = Set(held_at);
            active.held_on = Set(row.held_on);
            active.members_present = Set(row.members_present);
            active.members_total = Set(row.members_total);
            active.cancelled_at = Set((row.status == "cancelled").then_some(scheduled_at));
        };
        let (id, done) = if let Some((id, _)) = known {
            let Some(model) = taken.or(meeting::Entity::find_by_id(id).one(self.db).await?) else {
                return Ok(Err(vec![("ref".into(), "names a meeting that no longer exists".into())]));
            };
            if let Some(day) = model.held_on.filter(|_| model.designation.is_none()) {
                self.count(&model.jurisdiction.clone(), MEDIATION_MEETINGS, day, -1);
            }
            let mut active: meeting::ActiveModel = model.into();
            fill(&mut active);
            active.updated_at = Set(self.run_at);
            active.update(self.db).await?;
            (id, Done::Updated)
        } else {
            let id = Uuid::now_v7();
            let mut active = meeting::ActiveModel {
                id: Set(id),
                chair_id: Set(None),
                designation: Set(None),
                created_by: Set(self.actor),
                created_at: Set(self.run_at),
                updated_at: Set(self.run_at),
                ..Default::default()
            };
            fill(&mut active);
            // Written at once: a later row of the file may take the next number.
            active.insert(self.db).await?;
            (id, Done::Added)
        };
        if let Some(day) = row.held_on {
            self.count(&row.jurisdiction, MEDIATION_MEETINGS, day, 1);
        }
        self.meetings.insert(row.legacy_ref.clone(), id);
        self.keep_ref(Kind::Meetings, &row.legacy_ref, id, print, source).await?;
        Ok(Ok(done))
    }

    pub async fn agenda(&mut self, row: &AgendaRow, source: &str) -> AppResult<Result<Done, Vec<(String, String)>>> {
        let legacy_ref = row.legacy_ref();
        let print = fingerprint(row);
        let known = self.known(Kind::Agenda, &legacy_ref).cloned();
        if known.as_ref().is_some_and(|(_, old)| *old == short(&print)) {
            return Ok(Ok(Done::Unchanged));
        }
        let Some(meeting_id) = self.meetings.get(&row.meeting_ref).copied() else {
            return Ok(Err(vec![(
                "meeting_ref".into(),
                format!("no meeting has the reference {:?} (meetings file)", row.meeting_ref),
            )]));
        };
        let Some(case_id) = self.cases.get(&row.case_ref).map(|c| c.id) else {
            return Ok(Err(vec![(
                "case_ref".into(),
                format!("no case has the reference {:?} (cases file)", row.case_ref),
            )]));
        };
        self.flush().await?;
        let Some(m) = meeting::Entity::find_by_id(meeting_id).one(self.db).await? else {
            return Ok(Err(vec![("meeting_ref".into(), "names a meeting that no longer exists".into())]));
        };
        let outcome_at = row.outcome.as_ref().and(m.held_at);
        let (id, done) = if let Some((id, _)) = known {
            let update = Query::update()
                .table(agenda_item::Entity)
                .value(agenda_item::Column::Outcome, row.outcome.clone())
                .value(agenda_item::Column::OutcomeAt, outcome_at)
                .value(agenda_item::Column::SettlementAmount, row.settlement_amount)
                .value(agenda_item::Column::Terms, row.terms.clone())
                .and_where(Expr::col(agenda_item::Column::Id).eq(id))
                .to_owned();
            self.db.execute(&update).await?;
            (id, Done::Updated)
        } else {
            let id = Uuid::now_v7();
            self.pending.agenda.push(agenda_item::ActiveModel {
                id: Set(id),
                meeting_id: Set(meeting_id),
                case_id: Set(case_id),
                added_at: Set(std::cmp::min(m.scheduled_at, self.run_at)),
                outcome: Set(row.outcome.clone()),
                outcome_at: Set(outcome_at),
                settlement_amount: Set(row.settlement_amount),
                terms: Set(row.terms.clone()),
                minutes: Set(None),
                late_reason: Set(None),
            });
            (id, Done::Added)
        };
        self.keep_ref(Kind::Agenda, &legacy_ref, id, print, source).await?;
        self.flush_if_full().await?;
        Ok(Ok(done))
    }

    pub async fn inspection(
        &mut self,
        row: &InspectionRow,
        source: &str,
    ) -> AppResult<Result<Done, Vec<(String, String)>>> {
        let print = fingerprint(row);
        let known = self.known(Kind::Inspections, &row.legacy_ref).cloned();
        if known.as_ref().is_some_and(|(_, old)| *old == short(&print)) {
            return Ok(Ok(Done::Unchanged));
        }
        let mut business_ids = Vec::new();
        for t in &row.business_tax_ids {
            match self.businesses_by_tax_id.get(t) {
                Some(id) if !business_ids.contains(id) => business_ids.push(*id),
                Some(_) => {}
                None => {
                    return Ok(Err(vec![(
                        "business_tax_ids".into(),
                        format!("no business has the 統編 {t} (add it to the businesses file)"),
                    )]));
                }
            }
        }
        let fill = |active: &mut inspection::ActiveModel| {
            active.jurisdiction = Set(row.jurisdiction.clone());
            active.inspected_on = Set(row.inspected_on);
            active.theme = Set(row.theme.clone());
            active.partner_agency = Set(row.partner_agency.clone());
            active.business_ids = Set(serde_json::json!(business_ids));
            active.venue = Set(row.venue.clone());
            active.district = Set(row.district.clone());
            active.items_checked = Set(row.items_checked);
            active.violations = Set(row.violations);
            active.actions = Set(row.actions.clone());
            active.fine_amount = Set(row.fine_amount);
            active.follow_up_due = Set(row.follow_up_due);
            active.follow_up_done_on = Set(row.follow_up_done_on);
        };
        let (id, done) = if let Some((id, _)) = known {
            self.flush().await?;
            let Some(model) = inspection::Entity::find_by_id(id).one(self.db).await? else {
                return Ok(Err(vec![("ref".into(), "names an inspection that no longer exists".into())]));
            };
            self.count(&model.jurisdiction.clone(), INSPECTIONS, model.inspected_on, -1);
            let mut active: inspection::ActiveModel = model.into();
            fill(&mut active);
            active.updated_at = Set(self.run_at);
            active.update(self.db).await?;
            inspection_business::Entity::delete_many()
                .filter(inspection_business::Column::InspectionId.eq(id))
                .exec(self.db)
                .await?;
            (id, Done::Updated)
        } else {
            let id = Uuid::now_v7();
            let mut active = inspection::ActiveModel {
                id: Set(id),
                follow_up_alerted_at: Set(None),
                officer_ids: Set(serde_json::json!([])),
                created_by: Set(self.actor),
                created_at: Set(self.run_at),
                updated_at: Set(self.run_at),
                ..Default::default()
            };
            fill(&mut active);
            self.pending.inspections.push(active);
            (id, Done::Added)
        };
        for business_id in &business_ids {
            self.pending
                .inspection_businesses
                .push(inspection_business::ActiveModel { inspection_id: Set(id), business_id: Set(*business_id) });
        }
        self.count(&row.jurisdiction, INSPECTIONS, row.inspected_on, 1);
        self.keep_ref(Kind::Inspections, &row.legacy_ref, id, print, source).await?;
        self.flush_if_full().await?;
        Ok(Ok(done))
    }

    pub async fn education_event(
        &mut self,
        row: &EducationEventRow,
        source: &str,
    ) -> AppResult<Result<Done, Vec<(String, String)>>> {
        let print = fingerprint(row);
        let known = self.known(Kind::EducationEvents, &row.legacy_ref).cloned();
        if known.as_ref().is_some_and(|(_, old)| *old == short(&print)) {
            return Ok(Ok(Done::Unchanged));
        }
        let fill = |active: &mut education_event::ActiveModel| {
            active.jurisdiction = Set(row.jurisdiction.clone());
            active.held_on = Set(row.held_on);
            active.kind = Set(row.kind.clone());
            active.title = Set(row.title.clone());
            active.audience = Set(row.audience.clone());
            active.attendees = Set(row.attendees);
        };
        let (id, done) = if let Some((id, _)) = known {
            self.flush().await?;
            let Some(model) = education_event::Entity::find_by_id(id).one(self.db).await? else {
                return Ok(Err(vec![("ref".into(), "names an event that no longer exists".into())]));
            };
            self.count(&model.jurisdiction.clone(), EDUCATION_EVENTS, model.held_on, -1);
            let mut active: education_event::ActiveModel = model.into();
            fill(&mut active);
            active.update(self.db).await?;
            (id, Done::Updated)
        } else {
            let id = Uuid::now_v7();
            let mut active = education_event::ActiveModel {
                id: Set(id),
                officer_ids: Set(serde_json::json!([])),
                created_by: Set(self.actor),
                created_at: Set(self.run_at),
                ..Default::default()
            };
            fill(&mut active);
            self.pending.events_held.push(active);
            (id, Done::Added)
        };
        self.count(&row.jurisdiction, EDUCATION_EVENTS, row.held_on, 1);
        self.keep_ref(Kind::EducationEvents, &row.legacy_ref, id, print, source).await?;
        self.flush_if_full().await?;
        Ok(Ok(done))
    }

    async fn flush_if_full(&mut self) -> AppResult<()> {
        let p = &self.pending;
        let most = [
            p.businesses.len(),
            p.cases.len(),
            p.stages.len(),
            p.consultations.len(),
            p.agenda.len(),
            p.inspections.len(),
            p.events_held.len(),
            p.refs.len(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        if most >= BATCH { self.flush().await } else { Ok(()) }
    }

    /// Writes what waits, parents before children.
    pub async fn flush(&mut self) -> AppResult<()> {
        let mut p = std::mem::take(&mut self.pending);
        insert_all(self.db, std::mem::take(&mut p.businesses)).await?;
        self.number(&mut p.cases).await?;
        insert_all(self.db, std::mem::take(&mut p.cases)).await?;
        insert_all(self.db, std::mem::take(&mut p.events)).await?;
        insert_all(self.db, std::mem::take(&mut p.stages)).await?;
        insert_all(self.db, std::mem::take(&mut p.consultations)).await?;
        insert_all(self.db, std::mem::take(&mut p.agenda)).await?;
        insert_all(self.db, std::mem::take(&mut p.inspections)).await?;
        insert_all(self.db, std::mem::take(&mut p.inspection_businesses)).await?;
        insert_all(self.db, std::mem::take(&mut p.events_held)).await?;
        insert_all(self.db, std::mem::take(&mut p.refs)).await?;
        Ok(())
    }

    /// Case numbers for new cases, a block per jurisdiction and ROC year of receipt.
    async fn number(&self, cases: &mut [case::ActiveModel]) -> AppResult<()> {
        let mut groups: BTreeMap<(String, i32), Vec<usize>> = BTreeMap::new();
        for (i, c) in cases.iter().enumerate() {
            let (Some(j), Some(day)) = (c.jurisdiction.try_as_ref(), c.received_on.try_as_ref()) else { continue };
            groups.entry((j.clone(), crate::case_numbers::roc_year(*day))).or_default().push(i);
        }
        for ((jurisdiction, year), members) in groups {
            let prefix = self.reference.jurisdiction(&jurisdiction).map(|j| j.case_prefix()).unwrap_or_default();
            let last = crate::case_numbers::reserve(self.db, &jurisdiction, year, members.len() as i64).await?;
            let first = last - members.len() as i64 + 1;
            for (k, i) in members.into_iter().enumerate() {
                cases[i].case_no = Set(crate::case_numbers::format(&prefix, year, first + k as i64));
            }
        }
        Ok(())
    }

    /// Each case touched by this run takes its stage, status and dates from its last stage.
    pub async fn settle_cases(&self) -> AppResult<()> {
        let last = |column: &str| {
            format!("(SELECT s.{column} FROM case_stages s WHERE s.case_id = cases.id ORDER BY s.seq DESC LIMIT 1)")
        };
        let sql = format!(
            "UPDATE cases SET stage = {stage}, status = {status}, due_at = {due}, closed_at = {closed}, \
             last_action_at = COALESCE({closed}, {filed}, received_at) \
             WHERE EXISTS (SELECT 1 FROM case_stages s WHERE s.case_id = cases.id) AND id IN (\
               SELECT record_id FROM import_refs WHERE kind = 'cases' AND imported_at = $1 \
               UNION SELECT s.case_id FROM case_stages s JOIN import_refs r ON r.record_id = s.id \
               WHERE r.kind = 'stages' AND r.imported_at = $1)",
            stage = last("stage"),
            status = last("status"),
            due = last("due_at"),
            closed = last("closed_at"),
            filed = last("filed_at"),
        );
        let backend = self.db.get_database_backend();
        self.db.execute_raw(crate::db::statement(backend, &sql, [self.run_at.into()])).await?;
        Ok(())
    }
}

async fn insert_all<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> AppResult<()>
where
    A: ActiveModelTrait + Clone + Send,
{
    for chunk in rows.chunks(BATCH) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec()).exec_without_returning(db).await?;
    }
    Ok(())
}
