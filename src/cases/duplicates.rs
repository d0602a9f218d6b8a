//! Repeat and duplicate filings (issue 19). Staff see, beside a case, the consumer's other open
//! cases and other recent complaints against the same business whose text is alike
//! (`domain::similarity`); they link cases about the same dispute, or merge a new duplicate
//! into the case it repeats: the duplicate ends (withdrawn, "merged"), leaves the day's count
//! of its filing, and counts once — in the other case.

use chrono::Days;
use entity::{business, case, case_link};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::view::{self, CaseSummary};
use crate::access;
use crate::auth::CurrentUser;
use crate::domain::similarity::{DUPLICATE_AT, similarity};
use crate::domain::workflow::Status;
use crate::error::{AppError, AppResult};
use crate::office::Office;
use crate::stages::{self, Change};
use crate::time;
use crate::timeline::NewEvent;

/// How far apart in time two complaints may be received and still be shown as alike.
const ALIKE_WITHIN_DAYS: u64 = 180;
/// The most complaints against one business compared with a case (the latest received).
const COMPARED: u64 = 500;
const SHOWN: usize = 20;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Related {
    /// The consumer's other open cases.
    pub same_consumer: Vec<CaseSummary>,
    /// Other complaints against the same business received within 180 days whose description
    /// is alike, most alike first.
    pub similar: Vec<Similar>,
    /// Cases staff linked to this one.
    pub linked: Vec<CaseSummary>,
    /// The case this one was merged into, if it was.
    pub duplicate_of: Option<Uuid>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Similar {
    pub case: CaseSummary,
    /// 0 to 1 (the same text): the Dice coefficient of the two descriptions' character pairs.
    pub similarity: f64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkBody {
    /// The other case.
    pub case_id: Option<Uuid>,
    /// `true`: this case is a duplicate of the other and is merged into it (it must be a new
    /// complaint that has not gone further).
    pub merge: Option<bool>,
}

async fn summaries(
    db: &impl ConnectionTrait,
    condition: Condition,
    limit: u64,
) -> AppResult<Vec<(case::Model, business::Model)>> {
    let rows = case::Entity::find()
        .filter(condition)
        .find_also_related(business::Entity)
        .order_by_desc(case::Column::ReceivedAt)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(c, b)| b.map(|b| (c, b))).collect())
}

fn summary(row: (case::Model, business::Model)) -> AppResult<CaseSummary> {
    view::summary(row.0, &row.1)
}

/// What is related to case `id`, as `user` (staff of its office) may see.
pub async fn related(db: &impl ConnectionTrait, user: &CurrentUser, id: Uuid) -> AppResult<Related> {
    let case = access::load_visible(db, user, id).await?;
    let scope = access::list_scope(user).ok_or(AppError::NotFound)?;
    let others = scope.add(case::Column::Id.ne(case.id));

    let consumer = match (case.consumer_user_id, &case.consumer_email) {
        (Some(user_id), _) => Some(Condition::all().add(case::Column::ConsumerUserId.eq(user_id))),
        (None, Some(email)) => Some(Condition::all().add(case::Column::ConsumerEmail.eq(email.clone()))),
        (None, None) => None,
    };
    let same_consumer = match consumer {
        Some(c) => summaries(db, others.clone().add(c).add(case::Column::ClosedAt.is_null()), SHOWN as u64).await?,
        None => Vec::new(),
    };

    let window = Days::new(ALIKE_WITHIN_DAYS);
    let near = others
        .clone()
        .add(case::Column::BusinessId.eq(case.business_id))
        .add(case::Column::DuplicateOf.is_null())
        .add(case::Column::ReceivedOn.gte(case.received_on - window))
        .add(case::Column::ReceivedOn.lte(case.received_on + window));
    let mut similar: Vec<(f64, (case::Model, business::Model))> = summaries(db, near, COMPARED)
        .await?
        .into_iter()
        .map(|row| (similarity(&case.description, &row.0.description), row))
        .filter(|(s, _)| *s >= DUPLICATE_AT)
        .collect();
    similar.sort_by(|a, b| b.0.total_cmp(&a.0));
    similar.truncate(SHOWN);

    let links = case_link::Entity::find()
        .filter(Condition::any().add(case_link::Column::CaseA.eq(case.id)).add(case_link::Column::CaseB.eq(case.id)))
        .all(db)
        .await?;
    let linked_ids: Vec<Uuid> = links.iter().map(|l| if l.case_a == case.id { l.case_b } else { l.case_a }).collect();
    let linked = if linked_ids.is_empty() {
        Vec::new()
    } else {
        summaries(db, others.add(case::Column::Id.is_in(linked_ids)), SHOWN as u64).await?
    };
    access::log_read(db, user, &[case.id], "related").await?;
    Ok(Related {
        same_consumer: same_consumer.into_iter().map(summary).collect::<AppResult<_>>()?,
        similar: similar
            .into_iter()
            .map(|(s, row)| Ok(Similar { case: summary(row)?, similarity: (s * 1000.0).round() / 1000.0 }))
            .collect::<AppResult<_>>()?,
        linked: linked.into_iter().map(summary).collect::<AppResult<_>>()?,
        duplicate_of: case.duplicate_of,
    })
}

/// Links case `id` with `body.case_id`, or merges it into that case (`merge`), and answers what
/// is now related to it.
pub async fn link(
    db: &DatabaseConnection,
    office: Office<'_>,
    user: &CurrentUser,
    id: Uuid,
    body: LinkBody,
) -> AppResult<Related> {
    let rows = access::load_visible_rows(db, user, id).await?;
    let Some(other_id) = body.case_id else { return Err(AppError::field("case_id", "is required")) };
    if other_id == id {
        return Err(AppError::field("case_id", "must be another case"));
    }
    let other = match access::load_visible(db, user, other_id).await {
        Ok(other) => other,
        Err(AppError::NotFound) => return Err(AppError::field("case_id", "is not a case of yours to link")),
        Err(e) => return Err(e),
    };
    let merge = body.merge == Some(true);
    if merge {
        if other.duplicate_of.is_some() {
            return Err(AppError::field("case_id", "was itself merged into another case: merge into that one"));
        }
        if rows.case.closed_at.is_some() || rows.stages.len() != 1 {
            return Err(AppError::InvalidTransition(
                "only a new complaint that has not ended or gone further can be merged as a duplicate".into(),
            ));
        }
    }
    let txn = crate::db::begin_write(db).await?;
    let (a, b) = if id < other_id { (id, other_id) } else { (other_id, id) };
    let row =
        case_link::ActiveModel { case_a: Set(a), case_b: Set(b), linked_by: Set(user.id), linked_at: Set(time::now()) };
    // Linked already: nothing to add.
    case_link::Entity::insert(row).on_conflict_do_nothing().exec(&txn).await?;
    if merge {
        merge_into(&txn, office, user, rows, &other).await?;
    } else {
        let note = format!("{} ↔ {}", rows.case.case_no, other.case_no);
        for case_id in [id, other_id] {
            crate::timeline::append(
                &txn,
                NewEvent::by(user, case_id, "case_linked", time::now()).note(note.clone()).internal(),
            )
            .await?;
        }
    }
    txn.commit().await?;
    related(db, user, id).await
}

/// Ends the duplicate (withdrawn, "merged"), takes its filing out of the day's count, and tells
/// both timelines.
async fn merge_into(
    txn: &impl ConnectionTrait,
    office: Office<'_>,
    user: &CurrentUser,
    rows: access::CaseRows,
    into: &case::Model,
) -> AppResult<()> {
    let access::CaseRows { case, business, mut stages } = rows;
    let stage = stages.pop().ok_or_else(|| AppError::Internal(anyhow::anyhow!("case {} has no stage", case.id)))?;
    let now = time::now();
    let said = format!("{} → {}", case.case_no, into.case_no);
    let event = NewEvent::by(user, case.id, "merged_as_duplicate", now).note(said.clone());
    let mut change = Change::to(Status::Withdrawn, now, event).with_business(business);
    change.end_reason = Some("merged".into());
    change.by_person = true;
    change.merged_into = Some(into.id);
    let metric = crate::domain::figures::stage_metric(stage.stage);
    let (jurisdiction, day) = (stage.jurisdiction.clone(), stage.filed_on);
    stages::write_out(txn, office.notifier, &case, stage, change).await?;
    // It counts once: in the case it repeats.
    let why = format!("{said}: merged as a duplicate");
    crate::stats::counters::bump(txn, &jurisdiction, metric, day, -1, &why).await?;
    crate::timeline::append(txn, NewEvent::by(user, into.id, "duplicate_merged", now).note(said).internal()).await?;
    Ok(())
}
