//! Notes on a case's timeline: public to everyone who sees the case, or internal to staff.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::access;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::timeline::{self, EventView, NewEvent};

/// Adds `body` to the timeline of a case `user` may write to. `visibility` is `public` or
/// `internal` (staff only); unset, staff write internal notes and others public ones.
#[tracing::instrument(skip(db, user, body), fields(user = %user.id))]
pub async fn add(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    case_id: Uuid,
    body: String,
    visibility: Option<&str>,
) -> AppResult<EventView> {
    let case = access::load_visible(db, user, case_id).await?;
    if access::actor(user, &case).is_none() {
        return Err(AppError::Forbidden("you may read this case but not write to it".into()));
    }
    let staff = access::sees_internal(user);
    let internal = match visibility {
        Some(timeline::INTERNAL) if !staff => {
            return Err(AppError::Forbidden("only office staff may write internal notes".into()));
        }
        Some(v) => v == timeline::INTERNAL,
        None => staff,
    };
    let mut event = NewEvent::by(user, case.id, "note", crate::time::now()).note(body);
    if internal {
        event = event.internal();
    }
    let written = timeline::append(db, event).await?;
    Ok(EventView::new(written, staff))
}
