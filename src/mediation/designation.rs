//! Mediation by designated members (MR 8 II): the chair may designate one or more committee
//! members to mediate directly, (1) on a resolution of a meeting attended by two thirds of all
//! members, half of those present agreeing, or (2) with both parties' consent. Their sessions
//! are not committee meetings: no quorum, and they do not count among the meetings held.

use chrono::NaiveDate;
use entity::{committee_member, meeting};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::committee;
use crate::domain::input::Check;
use crate::error::{AppError, AppResult};

pub const COMMITTEE_RESOLUTION: &str = "committee_resolution";
pub const PARTIES_CONSENT: &str = "parties_consent";
pub const BASES: [&str; 2] = [COMMITTEE_RESOLUTION, PARTIES_CONSENT];

/// Who was designated, and on what basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Designation {
    /// The committee members designated (roster ids).
    pub member_ids: Vec<Uuid>,
    /// `committee_resolution` (MR 8 II(1)) or `parties_consent` (MR 8 II(2): each case on the
    /// session's agenda needs the parties' consent).
    pub basis: String,
    /// The held meeting that resolved it (`committee_resolution`).
    pub resolution_meeting_id: Option<Uuid>,
    /// The members present there who agreed (`committee_resolution`).
    pub votes_for: Option<i32>,
}

impl Designation {
    pub fn of(m: &meeting::Model) -> Option<Self> {
        m.designation.as_ref().and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    pub fn needs_parties_consent(&self) -> bool {
        self.basis == PARTIES_CONSENT
    }
}

/// Checks a designation for a session in `jurisdiction` on `day`: members serving then, and
/// the resolution's attendance and votes when that is its basis.
pub async fn check(db: &impl ConnectionTrait, jurisdiction: &str, day: NaiveDate, d: &Designation) -> AppResult<()> {
    let mut check = Check::new();
    let roster = committee::serving(db, jurisdiction, day).await?;
    if d.member_ids.is_empty() {
        check.add("designation", "name at least one designated member");
    }
    if d.member_ids.iter().any(|id| !roster.iter().any(|m: &committee_member::Model| m.id == *id)) {
        check.add("designation", "every designated member must serve on the committee on the session's day");
    }
    if !BASES.contains(&d.basis.as_str()) {
        check.add("designation", format!("basis must be one of: {}", BASES.join(", ")));
    }
    if d.basis == COMMITTEE_RESOLUTION {
        let resolution = match d.resolution_meeting_id {
            Some(id) => meeting::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        match resolution.filter(|m| m.jurisdiction == jurisdiction && m.status == super::meetings::HELD) {
            None => check.add("designation", "resolution_meeting_id must name a meeting of the committee already held"),
            Some(m) if m.designation.is_some() => check.add(
                "designation",
                "the resolution must come from a meeting of the committee, not a designated session",
            ),
            Some(m) => {
                let (present, total) = (m.members_present.unwrap_or(0), m.members_total.unwrap_or(0));
                if present * 3 < total * 2 {
                    check.add(
                        "designation",
                        format!("MR 8 II(1): two thirds of all members must attend the resolving meeting ({present} of {total} did)"),
                    );
                }
                match d.votes_for {
                    Some(v) if v <= present && v * 2 >= present => {}
                    Some(_) => check.add(
                        "designation",
                        format!("MR 8 II(1): at least half of the {present} members present must agree (votes_for)"),
                    ),
                    None => check.add("designation", "votes_for is required with a committee resolution"),
                }
            }
        }
    }
    check.finish()
}

/// The attendance of a designated session: the designated members present (at least one).
pub fn attendance(d: &Designation, attendee_ids: Option<&[Uuid]>) -> AppResult<Vec<Uuid>> {
    let ids = attendee_ids.unwrap_or_default();
    let mut present: Vec<Uuid> = ids.iter().copied().filter(|id| d.member_ids.contains(id)).collect();
    present.sort();
    present.dedup();
    if present.is_empty() || present.len() != ids.iter().collect::<std::collections::BTreeSet<_>>().len() {
        return Err(AppError::field(
            "attendee_ids",
            "a designated session is held by the designated members: name those present (at least one), and only them",
        ));
    }
    Ok(present)
}
