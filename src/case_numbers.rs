//! Case numbers: `{prefix}-{ROC year}-{six digits}` (e.g. `KH-115-000123`), unique and never
//! reused, even when several instances file at the same instant. The counter row per
//! jurisdiction and year is incremented by one upsert in its own short transaction, before the
//! filing's (see `cases::filing::file`), so concurrent filers hold the row lock (PostgreSQL) or the
//! write lock (SQLite) only for that statement and each gets its own number.
//!
//! Filers of one instance take numbers through `Numbers`, which groups them like a database's
//! group commit: while one filer reserves, the others wait in line, and the next reservation
//! takes a number for each of them in one statement. A lone filer reserves exactly one, so at
//! the office's usual pace numbers stay consecutive; under load one round trip serves a queue.
//! With several instances each hands out its own blocks, so numbers are unique but not always
//! in filing order across instances.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{Datelike, NaiveDate};
use entity::case_counter;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};

use crate::error::{AppError, AppResult};

pub fn roc_year(date: NaiveDate) -> i32 {
    date.year() - 1911
}

pub fn format(prefix: &str, roc_year: i32, n: i64) -> String {
    format!("{prefix}-{roc_year:03}-{n:06}")
}

/// An instance's case numbers reserved and not yet handed out, per jurisdiction and ROC year.
#[derive(Default)]
pub struct Numbers {
    /// (jurisdiction, ROC year) → the next number to hand out and the last reserved.
    blocks: tokio::sync::Mutex<HashMap<(String, i32), (i64, i64)>>,
    /// Filers waiting for the lock: the size of the next reservation.
    waiting: AtomicI64,
}

impl Numbers {
    /// The next case number for a case received on `received_on`.
    pub async fn next(
        &self,
        db: &sea_orm::DatabaseConnection,
        jurisdiction: &str,
        prefix: &str,
        received_on: NaiveDate,
    ) -> AppResult<String> {
        let year = roc_year(received_on);
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut blocks = self.blocks.lock().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let key = (jurisdiction.to_string(), year);
        let value = match blocks.get_mut(&key) {
            Some((next, last)) if *next <= *last => {
                *next += 1;
                *next - 1
            }
            _ => {
                // This filer's number and one for each filer now queued behind it.
                let n = 1 + self.waiting.load(Ordering::SeqCst).clamp(0, MAX_BLOCK - 1);
                // On SQLite the upsert queues with the process's other writers instead of
                // sleeping in SQLite's busy handler (5.6 ms a reservation in the demo year).
                let turn = crate::db::write_turn(db).await?;
                let last = reserve(db, jurisdiction, year, n).await?;
                drop(turn);
                blocks.insert(key, (last - n + 2, last));
                last - n + 1
            }
        };
        Ok(format(prefix, year, value))
    }
}

/// The most numbers one reservation takes (a burst larger than this reserves again).
const MAX_BLOCK: i64 = 64;

/// Takes `n` numbers of a jurisdiction's ROC year at once (the history import) and answers the
/// last; the block is `last - n + 1 ..= last`. One statement (`INSERT … ON CONFLICT DO UPDATE …
/// RETURNING`, known to SQLite and PostgreSQL): the year's row is created by its first number,
/// and the row lock lasts only as long as this statement's transaction.
pub async fn reserve(db: &impl ConnectionTrait, jurisdiction: &str, year: i32, n: i64) -> AppResult<i64> {
    let upsert = Query::insert()
        .into_table(case_counter::Entity)
        .columns([case_counter::Column::Jurisdiction, case_counter::Column::Year, case_counter::Column::Value])
        .values_panic([jurisdiction.into(), year.into(), n.into()])
        .on_conflict(
            OnConflict::columns([case_counter::Column::Jurisdiction, case_counter::Column::Year])
                .value(
                    case_counter::Column::Value,
                    Expr::col((case_counter::Entity, case_counter::Column::Value))
                        .add(Expr::col((Alias::new("excluded"), case_counter::Column::Value))),
                )
                .to_owned(),
        )
        .returning(Query::returning().column(case_counter::Column::Value))
        .to_owned();
    let row = db
        .query_one(&upsert)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the case counter upsert returned no row")))?;
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

    /// Concurrent filers share reservations, and every number is handed out exactly once.
    #[tokio::test]
    async fn queued_filers_share_one_reservation() {
        // One connection: each connection to `sqlite::memory:` is a database of its own.
        let mut options = sea_orm::ConnectOptions::new("sqlite::memory:");
        options.max_connections(1).min_connections(1);
        let db = sea_orm::Database::connect(options).await.unwrap();
        db.execute_unprepared(
            "CREATE TABLE case_counters (jurisdiction TEXT NOT NULL, year INTEGER NOT NULL, value BIGINT NOT NULL, \
             PRIMARY KEY (jurisdiction, year))",
        )
        .await
        .unwrap();
        let numbers = std::sync::Arc::new(Numbers::default());
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(numbers.next(&db, "kaohsiung", "KH", day).await.unwrap(), "KH-115-000001");
        assert_eq!(numbers.next(&db, "kaohsiung", "KH", day).await.unwrap(), "KH-115-000002");
        let filers: Vec<_> = (0..40)
            .map(|_| {
                let (numbers, db) = (numbers.clone(), db.clone());
                tokio::spawn(async move { numbers.next(&db, "kaohsiung", "KH", day).await.unwrap() })
            })
            .collect();
        let mut taken = Vec::new();
        for filer in filers {
            taken.push(filer.await.unwrap());
        }
        taken.sort();
        let expected: Vec<_> = (3..=42).map(|n| format("KH", 115, n)).collect();
        assert_eq!(taken, expected);
        // The counter row holds the last number reserved: nothing is reserved and left unused.
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                "SELECT value FROM case_counters",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<i64>("", "value").unwrap(), 42);
    }
}
