//! Filing a case: by a citizen online, or by staff on a consumer's behalf (paper, walk-in,
//! telephone, a converted consultation), with idempotency and a unique case number.

use chrono::{DateTime, Days, FixedOffset, NaiveDate};
use entity::{business, case, case_stage, consultation, idempotency_key};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{CurrentUser, DEFAULT_LOCALE, Role};
use crate::businesses::service as businesses;
use crate::db;
use crate::domain::input::{ADDRESS_MAX, Check, NAME_MAX, NOTE_MAX, TITLE_MAX};
use crate::domain::workflow::{Stage, Status};
use crate::error::{AppError, AppResult, is_unique_violation};
use crate::office::Office;
use crate::openapi::fields;
use crate::reference::ReferenceSettings;
use crate::time::{self, taipei_date};
use crate::timeline::{self, NewEvent};
use sea_orm::{DatabaseConnection, DatabaseExecutor};

pub const DESCRIPTION_MAX: usize = 5000;
pub const RESOLUTION_MAX: usize = 2000;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct NamedBusiness {
    #[schema(required, schema_with = fields::line::<TITLE_MAX>)]
    pub name: Option<String>,
    #[schema(schema_with = fields::tax_id_opt)]
    pub tax_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ConsumerBody {
    /// Required when staff file (a citizen files as themself).
    #[schema(schema_with = fields::line_opt::<NAME_MAX>)]
    pub name: Option<String>,
    #[schema(schema_with = fields::email_opt)]
    pub email: Option<String>,
    #[schema(schema_with = fields::phone_opt)]
    pub phone: Option<String>,
    #[schema(schema_with = fields::line_opt::<ADDRESS_MAX>)]
    pub address: Option<String>,
    /// Language of the mail the consumer receives: `zh-TW` (default) or `en`.
    #[schema(schema_with = fields::locale_opt)]
    pub locale: Option<String>,
}

/// `POST /api/v1/cases`. Name the business by `business_id`, or by `business: {name, tax_id?}`
/// (matched, or created unverified).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct FileCaseBody {
    pub business_id: Option<Uuid>,
    pub business: Option<NamedBusiness>,
    #[schema(required, schema_with = fields::category)]
    pub category: Option<String>,
    #[schema(required, schema_with = fields::block::<DESCRIPTION_MAX>)]
    pub description: Option<String>,
    #[schema(required, schema_with = fields::block::<RESOLUTION_MAX>)]
    pub requested_resolution: Option<String>,
    /// Whole New Taiwan dollars.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    pub amount_disputed: Option<i64>,
    /// Not after the filing, nor more than 30 years before it.
    pub transaction_date: Option<NaiveDate>,
    /// Staff only; a citizen's filing is always `online`.
    #[schema(schema_with = fields::channel_opt)]
    pub channel: Option<String>,
    #[schema(schema_with = fields::district_opt)]
    pub district: Option<String>,
    /// A citizen may choose; staff file in their own.
    #[schema(schema_with = fields::jurisdiction_opt)]
    pub jurisdiction: Option<String>,
    /// Staff only (required then): the consumer they file for.
    pub consumer: Option<ConsumerBody>,
    /// Staff only: the date the paper filing was received (not in the future).
    pub received_at: Option<DateTime<FixedOffset>>,
    /// `first_complaint` (default), or — after a complaint made elsewhere (`prior_complaint`,
    /// CPA 43 I/III) — `second_complaint` or `mediation`: the case opens in that stage, counts
    /// there only, and the business gets no 15-day letter.
    #[schema(schema_with = start_schema)]
    pub start: Option<String>,
    /// Required with `start` other than `first_complaint`.
    pub prior_complaint: Option<PriorComplaintBody>,
}

/// A complaint the consumer made before coming to the office (CPA 43 I: to the business, a
/// consumer group or the consumer service centre).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PriorComplaintBody {
    /// `business`, `consumer_group` or `service_center`.
    #[schema(required, schema_with = prior_to_schema)]
    pub to: Option<String>,
    /// When it was made (not after this filing, not before 1994-01-13).
    #[schema(required)]
    pub on: Option<NaiveDate>,
    /// Its reference there, if any.
    #[schema(schema_with = fields::line_opt::<TITLE_MAX>)]
    pub reference: Option<String>,
    #[schema(schema_with = fields::block_opt::<NOTE_MAX>)]
    pub note: Option<String>,
}

pub const STARTS: [&str; 3] = ["first_complaint", "second_complaint", "mediation"];
pub const PRIOR_TO: [&str; 3] = ["business", "consumer_group", "service_center"];

fn start_schema() -> utoipa::openapi::schema::Object {
    fields::one_of(&STARTS, false)
}

fn prior_to_schema() -> utoipa::openapi::schema::Object {
    fields::one_of(&PRIOR_TO, true)
}

/// Where the case opens, and the complaint made elsewhere that lets it open there.
fn starting_stage(
    check: &mut Check,
    start: Option<String>,
    prior: Option<PriorComplaintBody>,
    received_on: NaiveDate,
) -> (Stage, Option<serde_json::Value>) {
    let stage = match start.as_deref() {
        None | Some("first_complaint") => Stage::FirstComplaint,
        Some("second_complaint") => Stage::SecondComplaint,
        Some("mediation") => Stage::Mediation,
        Some(_) => {
            check.add("start", format!("must be one of: {}", STARTS.join(", ")));
            Stage::FirstComplaint
        }
    };
    let Some(prior) = prior else {
        if stage != Stage::FirstComplaint {
            check.add("prior_complaint", "is required: the complaint made before, elsewhere (CPA 43, MR 5 I(3))");
        }
        return (stage, None);
    };
    if stage == Stage::FirstComplaint && !check.has("start") {
        check.add("prior_complaint", "opens a second complaint or a mediation: set `start`");
    }
    let to = check.required("prior_complaint", prior.to);
    if !check.has("prior_complaint") {
        check.one_of("prior_complaint", &to, &PRIOR_TO);
    }
    let on = prior.on;
    match on {
        None => check.add("prior_complaint", "`on` is required: when the complaint was made"),
        Some(day) if day > received_on => check.add("prior_complaint", "was made after this filing"),
        Some(day) if day < crate::domain::input::CPA_IN_FORCE => {
            check.add("prior_complaint", "must not be before 1994-01-13 (the Consumer Protection Act in force)")
        }
        Some(_) => {}
    }
    let reference = check.optional_text("prior_complaint", prior.reference, TITLE_MAX);
    let note = check.optional_block("prior_complaint", prior.note, NOTE_MAX);
    (stage, Some(serde_json::json!({"to": to, "on": on, "reference": reference, "note": note})))
}

enum BusinessChoice {
    Id(Uuid),
    Named { name: String, tax_id: Option<String> },
}

struct Consumer {
    user_id: Option<Uuid>,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    locale: String,
}

/// Defaults a converted consultation brings to the filing.
#[derive(Debug, Clone)]
pub struct FromConsultation {
    pub consultation: consultation::Model,
}

impl FromConsultation {
    /// Fills what the body leaves out from the consultation.
    pub fn apply(&self, body: &mut FileCaseBody) {
        let c = &self.consultation;
        if body.business_id.is_none() && body.business.is_none() {
            body.business_id = c.business_id;
        }
        body.category = body.category.take().or_else(|| c.category.clone());
        body.description = body.description.take().or_else(|| Some(c.summary.clone()));
        body.channel = body.channel.take().or_else(|| Some(c.channel.clone()));
        let consumer = body.consumer.get_or_insert_with(ConsumerBody::default);
        consumer.name = consumer.name.take().or_else(|| c.consumer_name.clone());
        consumer.phone = consumer.phone.take().or_else(|| c.consumer_phone.clone());
        // The complaint is received when the consultation becomes one (now, or the date staff
        // give), not on the day of the call: the call was counted as a consultation then, and
        // the complaint counts in the figures of the day it was made.
    }
}

/// What a filing produced: the case, and whether it is new (false: an idempotent replay).
pub struct Filed {
    pub case: case::Model,
    pub created: bool,
    /// A new filing's business and first stage, so that the answer needs no second read.
    pub fresh: Option<(business::Model, case_stage::Model)>,
}

impl Filed {
    /// The case as `user` sees it.
    pub async fn view(
        self,
        db: &impl ConnectionTrait,
        calendar: &crate::calendar::OfficeCalendar,
        user: &CurrentUser,
    ) -> AppResult<super::view::CaseView> {
        match self.fresh {
            // A case just filed has no attachments yet.
            Some((business, stage)) => super::view::assemble(calendar, user, self.case, &business, vec![stage], vec![]),
            None => super::view::build(db, calendar, user, self.case).await,
        }
    }
}

fn check_locale(check: &mut Check, value: Option<String>) -> String {
    check.optional_locale("consumer.locale", value).unwrap_or_else(|| DEFAULT_LOCALE.into())
}

fn choose_business(check: &mut Check, body: &mut FileCaseBody) -> Option<BusinessChoice> {
    match (body.business_id, body.business.take()) {
        (Some(_), Some(_)) => {
            check.add("business", "give either business_id or business, not both");
            None
        }
        (Some(id), None) => Some(BusinessChoice::Id(id)),
        (None, Some(named)) => {
            let name = check.text("business.name", named.name, TITLE_MAX);
            let tax_id = named.tax_id.filter(|t| !t.is_empty());
            Some(BusinessChoice::Named { name, tax_id })
        }
        (None, None) => {
            check.add("business_id", "is required (or name the business in `business`)");
            None
        }
    }
}

fn consumer_for(check: &mut Check, user: &CurrentUser, body: Option<ConsumerBody>) -> Consumer {
    if user.role == Role::Citizen {
        // A citizen files for themself: the consumer is their account (read with the session).
        let address = body.and_then(|b| check.optional_text("consumer.address", b.address, ADDRESS_MAX));
        return Consumer {
            user_id: Some(user.id),
            name: user.name.clone(),
            email: Some(user.email.clone()),
            phone: user.phone.clone(),
            address,
            locale: user.locale.clone(),
        };
    }
    let body = body.unwrap_or_default();
    Consumer {
        user_id: None,
        name: check.text("consumer.name", body.name, NAME_MAX),
        email: check.optional_email("consumer.email", body.email),
        phone: check.optional_phone("consumer.phone", body.phone),
        address: check.optional_text("consumer.address", body.address, ADDRESS_MAX),
        locale: check_locale(check, body.locale),
    }
}

pub fn check_idempotency_key(key: Option<&str>) -> AppResult<Option<String>> {
    let Some(key) = key else { return Ok(None) };
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::field("Idempotency-Key", "must be 1 to 200 visible ASCII characters"));
    }
    Ok(Some(key.to_string()))
}

async fn replayed(db: &impl ConnectionTrait, user: &CurrentUser, key: &str) -> AppResult<Option<case::Model>> {
    let Some(row) = idempotency_key::Entity::find_by_id((user.id, key.to_string())).one(db).await? else {
        return Ok(None);
    };
    Ok(case::Entity::find_by_id(row.case_id).one(db).await?)
}

/// Files a complaint. The whole filing — case, first stage, figure, timeline, idempotency key,
/// acknowledgement — lands at once or not at all; the case number is taken before it.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn file(
    db: &DatabaseConnection,
    office: Office<'_>,
    user: &CurrentUser,
    mut body: FileCaseBody,
    mut check: Check,
    idempotency_key: Option<String>,
    from_consultation: Option<&FromConsultation>,
) -> AppResult<Filed> {
    if !matches!(user.role, Role::Citizen | Role::Clerk | Role::Officer) {
        return Err(AppError::Forbidden("only citizens and office staff file complaints".into()));
    }
    if user.role == Role::Citizen && !user.email_verified {
        // See `accounts::verification` for why filing waits for a confirmed address.
        return Err(AppError::Forbidden(
            "confirm your e-mail address first: follow the link we sent you (POST /api/v1/me/verify-email sends a new one)"
                .into(),
        ));
    }
    if let Some(key) = &idempotency_key
        && let Some(case) = replayed(db, user, key).await?
    {
        return Ok(Filed { case, created: false, fresh: None });
    }
    if let Some(source) = from_consultation {
        source.apply(&mut body);
    }
    let reference: &ReferenceSettings = office.reference;
    let now = time::now();
    let staff = user.role.is_case_staff();

    let jurisdiction = match (staff, body.jurisdiction.take()) {
        (true, requested) => {
            let own = user.office(reference);
            if requested.is_some_and(|j| j != own) {
                check.add("jurisdiction", "staff file cases in their own jurisdiction");
            }
            own
        }
        (false, requested) => {
            let code = requested.unwrap_or_else(|| reference.default_jurisdiction.clone());
            if reference.jurisdiction(&code).is_none() {
                check.add("jurisdiction", "is not a configured jurisdiction");
            }
            code
        }
    };
    let business_choice = choose_business(&mut check, &mut body);
    let category = check.required("category", body.category);
    if !check.has("category") && reference.category(&category).is_none() {
        check.add("category", "is not a configured category");
    }
    let description = check.block("description", body.description, DESCRIPTION_MAX);
    let requested_resolution = check.block("requested_resolution", body.requested_resolution, RESOLUTION_MAX);
    let amount_disputed = check.amount("amount_disputed", body.amount_disputed);
    let channel = if staff {
        let channel = body.channel.unwrap_or_else(|| "walk_in".into());
        if !ReferenceSettings::is_channel(&channel) {
            check.add("channel", "is not one of the intake channels");
        }
        channel
    } else {
        "online".to_string()
    };
    let district = body.district;
    if let Some(d) = &district
        && !check.has("jurisdiction")
        && !reference.is_district_of(&jurisdiction, d)
    {
        check.add("district", "is not a district of the case's jurisdiction");
    }
    let received_at = match (staff, body.received_at) {
        (_, None) => now,
        (false, Some(_)) => {
            check.add("received_at", "only office staff may date a filing");
            now
        }
        (true, value) => check.past_instant("received_at", value, now).unwrap_or(now),
    };
    if let Some(source) = from_consultation
        && received_at < source.consultation.received_at
    {
        check.add("received_at", "must not be before the consultation it comes from");
    }
    if let Some(date) = body.transaction_date
        && (date > taipei_date(received_at) || date < taipei_date(received_at) - Days::new(366 * 30))
    {
        check.add("transaction_date", "must not be after the filing (nor more than 30 years before it)");
    }
    let (opens, prior_complaint) =
        starting_stage(&mut check, body.start.take(), body.prior_complaint.take(), taipei_date(received_at));
    let consumer = consumer_for(&mut check, user, body.consumer);
    let mut named_business = None;
    if let Some(BusinessChoice::Id(id)) = &business_choice {
        named_business = businesses::get(db, *id).await?;
        if named_business.is_none() {
            check.add("business_id", "no business has this id");
        }
    }
    check.finish()?;
    if let Some(BusinessChoice::Named { tax_id, .. }) = &business_choice {
        businesses::check_tax_id("business.tax_id", tax_id.as_deref())?;
    }
    let Some(business_choice) = business_choice else {
        return Err(AppError::field("business_id", "is required"));
    };
    let prefix =
        reference.jurisdiction(&jurisdiction).map(|j| j.case_prefix()).unwrap_or_else(|| jurisdiction.to_uppercase());

    // The case number is taken in its own short transaction, before the filing's: the year's
    // counter row is locked only for that one statement, not through every write of the
    // filing, so filings do not queue behind each other (issue 17). A filing that fails after
    // this leaves its number unused: numbers are unique and never reused, and may skip.
    let received_on = taipei_date(received_at);
    // A second complaint has the office's own target date; the others have none yet.
    let (status, due_at, details) = match opens {
        Stage::FirstComplaint => (Status::Submitted, None, serde_json::json!({})),
        Stage::SecondComplaint => {
            let due = crate::calendar::service::deadline(
                db,
                office.calendar,
                &jurisdiction,
                received_at,
                office.deadlines.second_complaint_days,
            )
            .await?;
            (
                Status::Submitted,
                Some(due),
                serde_json::json!({"prior_complaint": prior_complaint, "reason": description}),
            )
        }
        Stage::Mediation => (
            Status::Applied,
            None,
            serde_json::json!({"prior_complaint": prior_complaint, "claims": requested_resolution}),
        ),
    };
    let case_no = office.numbers.next(db, &jurisdiction, &prefix, received_on).await?;
    // A filing that creates the business it names, or converts a consultation, reads and
    // updates rows beside its inserts: a transaction. The usual filing only inserts, and its
    // inserts go as one statement on PostgreSQL (`db::Writes`).
    let mut txn = None;
    let business = match (business_choice, named_business) {
        (BusinessChoice::Id(_), Some(business)) => business,
        (BusinessChoice::Id(id), None) => {
            return Err(AppError::Internal(anyhow::anyhow!("business {id} checked and then missing")));
        }
        (BusinessChoice::Named { name, tax_id }, _) => {
            let opened = db::begin_write(db).await?;
            let business = businesses::find_or_create_named(&opened, &name, tax_id.as_deref()).await?;
            txn = Some(opened);
            business
        }
    };
    if from_consultation.is_some() && txn.is_none() {
        txn = Some(db::begin_write(db).await?);
    }
    let case_id = Uuid::now_v7();
    let case = case::Model {
        id: case_id,
        case_no,
        jurisdiction: jurisdiction.clone(),
        consumer_user_id: consumer.user_id,
        consumer_name: consumer.name,
        consumer_email: consumer.email,
        consumer_phone: consumer.phone,
        consumer_address: consumer.address,
        consumer_locale: consumer.locale,
        business_id: business.id,
        category,
        description,
        requested_resolution,
        amount_disputed,
        amount_recovered: None,
        transaction_date: body.transaction_date,
        channel,
        district,
        received_at,
        received_on,
        stage: opens,
        status,
        due_at,
        due_provisional: false,
        forwarded_at: None,
        closed_at: None,
        anonymised_at: None,
        rating_score: None,
        rating_fair: None,
        rating_comment: None,
        rated_at: None,
        settlement_honoured: None,
        settlement_note: None,
        settlement_confirmed_at: None,
        settlement_followed_up_at: None,
        duplicate_of: None,
        last_action_at: received_at,
        version: 1,
        consultation_id: from_consultation.map(|c| c.consultation.id),
        created_by: user.id,
        created_at: now,
        updated_at: now,
    };
    // Reads on the way (a closed month's correction) go through the transaction when there is
    // one: a pool of one connection would otherwise wait for itself.
    let on = match &txn {
        Some(txn) => DatabaseExecutor::Transaction(txn),
        None => DatabaseExecutor::Connection(db),
    };
    let mut writes = db::Writes::new();
    writes.row(case.clone().into_active_model());
    let stage =
        crate::stages::open_into(&on, &mut writes, &case, 1, opens, status, received_at, due_at, details).await?;
    let event = NewEvent::by(user, case_id, "file", received_at)
        .stage(opens.as_str())
        .to_status(status.as_str())
        .data(serde_json::json!({"channel": case.channel, "prior_complaint": prior_complaint,
            "consultation_received_on": from_consultation.map(|c| taipei_date(c.consultation.received_at))}));
    writes.row(timeline::entry(event));
    if let Some(key) = &idempotency_key {
        writes.row(idempotency_key::ActiveModel {
            user_id: Set(user.id),
            key: Set(key.clone()),
            case_id: Set(case_id),
            created_at: Set(now),
        });
    }
    let to = [crate::notify::To::Consumer];
    let mail = crate::notify::CaseMail { kind: "case_filed", to: &to, fields: vec![], document: None };
    crate::notify::about_case_into(&on, &mut writes, office.notifier, &case, &business, mail).await?;
    let sent = match &txn {
        None => writes.apply(db).await,
        Some(_) => writes.send(&on).await,
    };
    if let Err(e) = sent {
        if let Some(txn) = txn {
            txn.rollback().await?;
        }
        // A concurrent request with the same key won: answer with its case.
        if let Some(key) = &idempotency_key
            && is_unique_violation(&e)
            && let Some(case) = replayed(db, user, key).await?
        {
            return Ok(Filed { case, created: false, fresh: None });
        }
        return Err(e.into());
    }
    if let Some(txn) = txn {
        if let Some(source) = from_consultation {
            let mut active: consultation::ActiveModel = source.consultation.clone().into();
            active.case_id = Set(Some(case_id));
            // Only one conversion may win: the row must still be unconverted.
            let updated = consultation::Entity::update_many()
                .set(active)
                .filter(consultation::Column::Id.eq(source.consultation.id))
                .filter(consultation::Column::CaseId.is_null())
                .exec(&txn)
                .await?;
            if updated.rows_affected != 1 {
                txn.rollback().await?;
                return Err(AppError::Duplicate("this consultation has already been converted into a case".into()));
            }
        }
        txn.commit().await?;
    }
    tracing::info!(case_id = %case.id, case_no = %case.case_no, by = %user.role, "case filed");
    Ok(Filed { case, created: true, fresh: Some((business, stage)) })
}
