//! Monthly roll-ups of the breakdowns' facts, kept by the database itself (issue 17: the
//! breakdowns of a year at 1,000,000 cases took 0.85–0.95 s grouping every stage and case).
//!
//! A stage's or a case's facts change in dozens of places (every action, transfers, merges of
//! businesses, imports): triggers keep the roll-ups in the writing transaction, so no write path
//! can forget them and a roll-up is never ahead of or behind what is committed. Each change
//! takes one out of the row's old group and adds one to its new group.
//!
//! - `stat_stage_months`: stages per (jurisdiction, month filed, stage, status, days from filing
//!   to closing or -1 while open, answered late 1 / on time 0 / unknown -1, answered, forwarded,
//!   due date presumed).
//! - `stat_case_months`: cases per (jurisdiction, month received, category, channel, district
//!   or ''), with the amounts disputed and recovered.
//! - `stat_business_months`: cases per (jurisdiction, month received, business).
//! - `stat_case_states`: cases per (jurisdiction, stage, status) now, for the lists' totals.
//!
//! On PostgreSQL a connection adds to the shard of its backend (`1 + pg_backend_pid() % 32766`),
//! so concurrent filings never queue on one row of this month; readers sum the shards, and the
//! background job folds them into shard 0 (`fold`). The same SQL, grouped, rebuilds the
//! roll-ups from the records (`consumer-protection stats rebuild`, a bulk load with the
//! triggers off).

use sea_orm_migration::sea_orm::DbBackend;

pub const STAGE_TABLE: &str = "stat_stage_months";
pub const CASE_TABLE: &str = "stat_case_months";
pub const BUSINESS_TABLE: &str = "stat_business_months";
pub const STATE_TABLE: &str = "stat_case_states";

/// One roll-up: the table, the records it counts, its key and the values of the key for a
/// record, the records' columns whose change moves a record to another group, and its sums
/// (`n` counts records; the others add up a column of theirs).
pub struct Rollup {
    pub table: &'static str,
    source: &'static str,
    pub key: &'static str,
    values: fn(DbBackend, &str) -> Vec<String>,
    watched: &'static [&'static str],
    sums: &'static [(&'static str, Option<&'static str>)],
}

impl Rollup {
    /// The summed columns.
    pub fn sums(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.sums.iter().map(|(c, _)| *c)
    }
}

pub const ROLLUPS: &[Rollup] = &[
    Rollup {
        table: STAGE_TABLE,
        source: "case_stages",
        key: "jurisdiction, month, stage, status, days, late, answered, forwarded, provisional",
        values: stage_values,
        watched: &[
            "jurisdiction",
            "filed_on",
            "stage",
            "status",
            "closed_on",
            "responded_late",
            "responded_at IS NULL",
            "due_at IS NULL",
            "due_provisional",
        ],
        sums: &[("n", None)],
    },
    Rollup {
        table: CASE_TABLE,
        source: "cases",
        key: "jurisdiction, month, category, channel, district",
        values: case_values,
        watched: &[
            "jurisdiction",
            "received_on",
            "category",
            "channel",
            "district",
            "amount_disputed",
            "amount_recovered",
        ],
        sums: &[("n", None), ("disputed", Some("amount_disputed")), ("recovered", Some("amount_recovered"))],
    },
    Rollup {
        table: BUSINESS_TABLE,
        source: "cases",
        key: "jurisdiction, month, business_id",
        values: business_values,
        watched: &["jurisdiction", "received_on", "business_id"],
        sums: &[("n", None)],
    },
    // The cases per jurisdiction, stage and status now: the totals of the workbench's lists.
    Rollup {
        table: STATE_TABLE,
        source: "cases",
        key: "jurisdiction, stage, status",
        values: state_values,
        watched: &["jurisdiction", "stage", "status"],
        sums: &[("n", None)],
    },
];

fn month(backend: DbBackend, date: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({date}, 'YYYY-MM')"),
        // Dates are stored as `YYYY-MM-DD`.
        _ => format!("substr({date}, 1, 7)"),
    }
}

/// The stage key's values for the row `r` (`NEW.`, `OLD.`, `r.`, or `` for a plain select).
fn stage_values(backend: DbBackend, r: &str) -> Vec<String> {
    let days = match backend {
        DbBackend::Postgres => format!("{r}closed_on - {r}filed_on"),
        _ => format!("CAST(julianday({r}closed_on) - julianday({r}filed_on) AS INTEGER)"),
    };
    vec![
        format!("{r}jurisdiction"),
        month(backend, &format!("{r}filed_on")),
        format!("{r}stage"),
        format!("{r}status"),
        format!("COALESCE({days}, -1)"),
        format!("CASE WHEN {r}responded_late IS NULL THEN -1 WHEN {r}responded_late THEN 1 ELSE 0 END"),
        format!("{r}responded_at IS NOT NULL"),
        format!("{r}due_at IS NOT NULL"),
        format!("{r}due_provisional"),
    ]
}

fn case_values(backend: DbBackend, r: &str) -> Vec<String> {
    vec![
        format!("{r}jurisdiction"),
        month(backend, &format!("{r}received_on")),
        format!("{r}category"),
        format!("{r}channel"),
        format!("COALESCE({r}district, '')"),
    ]
}

fn business_values(backend: DbBackend, r: &str) -> Vec<String> {
    vec![format!("{r}jurisdiction"), month(backend, &format!("{r}received_on")), format!("{r}business_id")]
}

fn state_values(_: DbBackend, r: &str) -> Vec<String> {
    vec![format!("{r}jurisdiction"), format!("{r}stage"), format!("{r}status")]
}

fn shard(backend: DbBackend) -> &'static str {
    match backend {
        // Never 0, the shard rebuilds and folds write.
        DbBackend::Postgres => "1 + pg_backend_pid() % 32766",
        _ => "0",
    }
}

/// `INSERT … VALUES … ON CONFLICT DO UPDATE` adding `delta` times the record `r` to its group.
fn add(backend: DbBackend, rollup: &Rollup, r: &str, delta: &str) -> String {
    let Rollup { table, key, .. } = rollup;
    let columns: String = rollup.sums().map(|c| format!(", {c}")).collect();
    let deltas: String = rollup
        .sums
        .iter()
        .map(|(_, of)| match of {
            None => format!(", {delta}"),
            Some(column) => format!(", {delta} * COALESCE({r}{column}, 0)"),
        })
        .collect();
    let update: Vec<String> = rollup.sums().map(|c| format!("{c} = {table}.{c} + excluded.{c}")).collect();
    format!(
        "INSERT INTO {table} ({key}, shard{columns}) VALUES ({values}, {shard}{deltas}) \
         ON CONFLICT ({key}, shard) DO UPDATE SET {update}",
        values = (rollup.values)(backend, r).join(", "),
        shard = shard(backend),
        update = update.join(", "),
    )
}

fn changed(watched: &[&str], distinct: &str) -> String {
    let row = |r: &str| watched.iter().map(|c| format!("{r}{c}")).collect::<Vec<_>>().join(", ");
    format!("({}) {distinct} ({})", row("OLD."), row("NEW."))
}

/// The tables whose rows the roll-ups count.
const SOURCES: [&str; 2] = ["case_stages", "cases"];

fn of_source(source: &str) -> impl Iterator<Item = &'static Rollup> + '_ {
    ROLLUPS.iter().filter(move |r| r.source == source)
}

/// The statements that create the triggers.
///
/// On PostgreSQL one PL/pgSQL function per table keeps all of its roll-ups: PL/pgSQL keeps the
/// plans of its statements, where a trigger calling an SQL-language function per roll-up planned
/// each insert anew on every call (with that, PostgreSQL's own filing ceiling fell from 1,749 to
/// 887 a second in `cargo bench --bench filings`).
pub fn create_triggers(backend: DbBackend) -> Vec<String> {
    let mut out = Vec::new();
    for source in SOURCES {
        match backend {
            DbBackend::Postgres => {
                let each = |f: &dyn Fn(&Rollup) -> String| of_source(source).map(f).collect::<Vec<_>>().join(" ");
                let inserted = each(&|r| format!("{};", add(backend, r, "NEW.", "1")));
                let deleted = each(&|r| format!("{};", add(backend, r, "OLD.", "-1")));
                let moved = each(&|r| {
                    format!(
                        "IF {} THEN {}; {}; END IF;",
                        changed(r.watched, "IS DISTINCT FROM"),
                        add(backend, r, "OLD.", "-1"),
                        add(backend, r, "NEW.", "1")
                    )
                });
                let any_changed =
                    of_source(source).map(|r| changed(r.watched, "IS DISTINCT FROM")).collect::<Vec<_>>().join(" OR ");
                out.extend([
                    format!(
                        "CREATE FUNCTION {source}_rollups() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                         IF TG_OP = 'INSERT' THEN {inserted} \
                         ELSIF TG_OP = 'DELETE' THEN {deleted} \
                         ELSE {moved} END IF; RETURN NULL; END $$"
                    ),
                    format!(
                        "CREATE TRIGGER {source}_rollups_keep AFTER INSERT OR DELETE ON {source} \
                         FOR EACH ROW EXECUTE FUNCTION {source}_rollups()"
                    ),
                    format!(
                        "CREATE TRIGGER {source}_rollups_move AFTER UPDATE ON {source} FOR EACH ROW \
                         WHEN ({any_changed}) EXECUTE FUNCTION {source}_rollups()"
                    ),
                ]);
            }
            _ => {
                for rollup in of_source(source) {
                    let table = rollup.table;
                    let (new, old) = (add(backend, rollup, "NEW.", "1"), add(backend, rollup, "OLD.", "-1"));
                    out.extend([
                        format!("CREATE TRIGGER {table}_insert AFTER INSERT ON {source} BEGIN {new}; END"),
                        format!("CREATE TRIGGER {table}_delete AFTER DELETE ON {source} BEGIN {old}; END"),
                        // SQLite's `IS NOT` compares row values as PostgreSQL's `IS DISTINCT FROM`.
                        format!(
                            "CREATE TRIGGER {table}_move AFTER UPDATE ON {source} WHEN {} BEGIN {old}; {new}; END",
                            changed(rollup.watched, "IS NOT")
                        ),
                    ]);
                }
            }
        }
    }
    out
}

/// The statements that drop the triggers.
pub fn drop_triggers(backend: DbBackend) -> Vec<String> {
    let mut out = Vec::new();
    for source in SOURCES {
        match backend {
            DbBackend::Postgres => out.extend([
                format!("DROP TRIGGER IF EXISTS {source}_rollups_keep ON {source}"),
                format!("DROP TRIGGER IF EXISTS {source}_rollups_move ON {source}"),
                format!("DROP FUNCTION IF EXISTS {source}_rollups()"),
            ]),
            _ => {
                for Rollup { table, .. } in of_source(source) {
                    out.extend(["insert", "delete", "move"].map(|t| format!("DROP TRIGGER IF EXISTS {table}_{t}")));
                }
            }
        }
    }
    out
}

/// For a roll-up, a select of what it should hold, counted from the records: its key columns,
/// then its sums, under the table's column names.
pub fn from_records(backend: DbBackend, rollup: &Rollup) -> String {
    let values = (rollup.values)(backend, "");
    let keys: Vec<String> = values.iter().zip(rollup.key.split(", ")).map(|(v, k)| format!("{v} AS {k}")).collect();
    let sums: Vec<String> = rollup
        .sums
        .iter()
        .map(|(c, of)| match of {
            None => format!("CAST(COUNT(*) AS bigint) AS {c}"),
            Some(column) => format!("CAST(COALESCE(SUM({column}), 0) AS bigint) AS {c}"),
        })
        .collect();
    let by: Vec<String> = (1..=values.len()).map(|i| i.to_string()).collect();
    format!("SELECT {}, {} FROM {} GROUP BY {}", keys.join(", "), sums.join(", "), rollup.source, by.join(", "))
}

/// The statements that fold every shard into shard 0 (PostgreSQL; SQLite writes shard 0 only),
/// so that a group is a row or two however many connections came and went. A shard row that an
/// open transaction is changing is left for the next fold (`SKIP LOCKED`): folding never waits
/// for, nor blocks, a filing.
pub fn fold(backend: DbBackend) -> Vec<String> {
    if backend != DbBackend::Postgres {
        return Vec::new();
    }
    ROLLUPS
        .iter()
        .map(|rollup| {
            let Rollup { table, key, .. } = rollup;
            let sums: Vec<&str> = rollup.sums().collect();
            let summed: Vec<String> = sums.iter().map(|c| format!("CAST(SUM({c}) AS bigint)")).collect();
            let update: Vec<String> = sums.iter().map(|c| format!("{c} = {table}.{c} + excluded.{c}")).collect();
            format!(
                "WITH moved AS (DELETE FROM {table} WHERE ctid IN \
                 (SELECT ctid FROM {table} WHERE shard <> 0 FOR UPDATE SKIP LOCKED) RETURNING {key}, {sums}) \
                 INSERT INTO {table} ({key}, shard, {sums}) SELECT {key}, 0, {summed} FROM moved GROUP BY {key} \
                 ON CONFLICT ({key}, shard) DO UPDATE SET {update}",
                sums = sums.join(", "),
                summed = summed.join(", "),
                update = update.join(", "),
            )
        })
        .collect()
}

/// The statements that set the roll-ups to the records' own counts, in shard 0.
///
/// On PostgreSQL the roll-ups are locked against writers for the rebuild's transaction (it must
/// run in one): a trigger's or a fold's write between the delete and the count would otherwise
/// be lost or collide with the rebuilt row. Writers wait for the rebuild, a maintenance step.
pub fn rebuild(backend: DbBackend) -> Vec<String> {
    let mut out = Vec::new();
    if backend == DbBackend::Postgres {
        let tables: Vec<&str> = ROLLUPS.iter().map(|r| r.table).collect();
        out.push(format!("LOCK TABLE {} IN EXCLUSIVE MODE", tables.join(", ")));
    }
    for rollup in ROLLUPS {
        let Rollup { table, key, .. } = rollup;
        let sums = rollup.sums().collect::<Vec<_>>().join(", ");
        out.push(format!("DELETE FROM {table}"));
        out.push(format!(
            "INSERT INTO {table} ({key}, shard, {sums}) SELECT {key}, 0, {sums} FROM ({}) AS counted",
            from_records(backend, rollup)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_roll_up_has_triggers() {
        assert!(ROLLUPS.iter().all(|r| SOURCES.contains(&r.source)));
    }

    #[test]
    fn each_key_has_its_values() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for rollup in ROLLUPS {
                assert_eq!((rollup.values)(backend, "r.").len(), rollup.key.split(", ").count(), "{}", rollup.table);
            }
        }
    }
}
