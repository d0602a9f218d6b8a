//! Keeping PostgreSQL's planner in step with tables that grow fast from small.

use sea_orm::{ConnectionTrait, DbBackend};

use crate::error::AppResult;

/// How many rows a table must have gained beyond twice what the planner last counted before it
/// is analysed again: small tables are cheap to scan whatever the plan.
const GROWTH_ROWS: i64 = 1000;

/// ANALYZEs every table of the schema that now holds more than twice the rows (and at least
/// `GROWTH_ROWS` more) than PostgreSQL's planner last counted; returns their names.
///
/// Why: PostgreSQL plans a foreign-key check once per connection and keeps the plan until the
/// table's statistics change. A table the planner last saw empty (a new office, a restore, the
/// load test's emptied tables after `VACUUM ANALYZE`) gets a sequential scan for the check, and
/// every filing's stage, timeline entry and acknowledgement then read the whole `cases` table:
/// the load test's filings fell from 1,033 to 423 a second in 30 s, with 3 sequential scans of
/// `cases` per filing (issue 17, docs/PERFORMANCE.md). Autovacuum analyses too, but looks at a
/// database once a minute; this runs with the vacuum task, every `jobs.vacuum_seconds`. A new
/// analysis makes every connection plan again, with the index. Doubling keeps the analyses few
/// (one per doubling), and `SKIP_LOCKED` skips a table another instance is analysing.
pub async fn analyze_grown_tables(db: &impl ConnectionTrait) -> AppResult<Vec<String>> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(super::statement(
            DbBackend::Postgres,
            "SELECT s.relname::text AS name FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
             WHERE s.schemaname = current_schema() AND s.n_live_tup > 2 * GREATEST(c.reltuples, 0)::bigint + $1 \
             ORDER BY s.relname",
            [GROWTH_ROWS.into()],
        ))
        .await?;
    let names = rows.iter().map(|r| r.try_get::<String>("", "name")).collect::<Result<Vec<_>, _>>()?;
    if !names.is_empty() {
        let quoted: Vec<String> = names.iter().map(|n| format!("\"{}\"", n.replace('"', "\"\""))).collect();
        db.execute_unprepared(&format!("ANALYZE (SKIP_LOCKED) {}", quoted.join(", "))).await?;
    }
    Ok(names)
}
