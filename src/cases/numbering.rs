//! Case numbers: `{prefix}-{ROC year}-{six digits}` (e.g. `KH-115-000123`), unique and never
//! reused, even when several instances file at the same instant. The counter row per
//! jurisdiction and year is incremented with `UPDATE … RETURNING` inside the filing's
//! transaction, so concurrent filers queue on the row lock (PostgreSQL) or the write lock
//! (SQLite) and each gets its own number.

use chrono::{Datelike, NaiveDate};
use entity::case_counter;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};

use crate::error::{AppError, AppResult};

pub fn roc_year(date: NaiveDate) -> i32 {
    date.year() - 1911
}

pub fn format(prefix: &str, roc_year: i32, n: i64) -> String {
    format!("{prefix}-{roc_year:03}-{n:06}")
}

pub async fn next(
    db: &impl ConnectionTrait,
    jurisdiction: &str,
    prefix: &str,
    received_on: NaiveDate,
) -> AppResult<String> {
    let year = roc_year(received_on);
    let value = reserve(db, jurisdiction, year, 1).await?;
    Ok(format(prefix, year, value))
}

/// Takes `n` numbers of a jurisdiction's ROC year at once (the history import) and answers the
/// last; the block is `last - n + 1 ..= last`.
pub async fn reserve(db: &impl ConnectionTrait, jurisdiction: &str, year: i32, n: i64) -> AppResult<i64> {
    let table = case_counter::Entity;
    let insert = Query::insert()
        .into_table(table)
        .columns([case_counter::Column::Jurisdiction, case_counter::Column::Year, case_counter::Column::Value])
        .values_panic([jurisdiction.into(), year.into(), 0i64.into()])
        .on_conflict(
            OnConflict::columns([case_counter::Column::Jurisdiction, case_counter::Column::Year])
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    db.execute(&insert).await?;
    let update = Query::update()
        .table(table)
        .value(case_counter::Column::Value, Expr::col(case_counter::Column::Value).add(n))
        .and_where(Expr::col(case_counter::Column::Jurisdiction).eq(jurisdiction))
        .and_where(Expr::col(case_counter::Column::Year).eq(year))
        .returning(Query::returning().column(case_counter::Column::Value))
        .to_owned();
    let row = db
        .query_one(&update)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("case counter row missing after insert")))?;
    Ok(row.try_get("", "value")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(roc_year(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()), 115);
        assert_eq!(format("KH", 115, 123), "KH-115-000123");
    }
}
