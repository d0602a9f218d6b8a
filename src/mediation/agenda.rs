//! Which cases a mediator (committee member) may read: those on the agendas of their meetings.
//! Until meetings are recorded there are none.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{Condition, ConnectionTrait};
use uuid::Uuid;

use crate::error::AppResult;

pub async fn mediator_sees(_db: &impl ConnectionTrait, _mediator: Uuid, _case: Uuid) -> AppResult<bool> {
    Ok(false)
}

pub fn mediator_scope(_mediator: Uuid) -> Condition {
    Condition::all().add(Expr::val(1).eq(0))
}

/// Takes a withdrawn case off any agenda it is on.
pub async fn remove_withdrawn(_db: &impl ConnectionTrait, _case: Uuid) -> AppResult<()> {
    Ok(())
}
