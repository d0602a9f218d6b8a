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
//! - `stat_business_replies`: forwarded first complaints per (business, jurisdiction, month
//!   filed, answered, answered late 1 / on time 0 / unknown -1), for the top businesses' replies.
//!   The business is the case's: a stage's row looks it up, and a change of a case's business
//!   moves its stages' rows (`Follow`). Cases are never deleted (a deleted case's stages could not
//!   find their business).
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
pub const REPLIES_TABLE: &str = "stat_business_replies";

/// The roll-ups migration 15 made (`ROLLUPS[..FIRST]`); later ones follow in their migrations.
pub const FIRST: usize = 4;

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
    /// Only the records meeting this condition (of the row `r`) are counted.
    only: Option<fn(&str) -> String>,
    /// The first key value is a column of the record's parent, which may change (`values` gives
    /// the rest).
    follows: Option<Follow>,
}

/// A parent's column that a roll-up's first key takes: `(SELECT {column} FROM {parent} WHERE
/// {parent}.id = r.{by})`. When it changes on the parent, the parent's records move.
pub struct Follow {
    parent: &'static str,
    column: &'static str,
    by: &'static str,
}

impl Rollup {
    /// The key's values for the row `r`: the parent's column first when the roll-up follows one.
    fn key_values(&self, backend: DbBackend, r: &str) -> Vec<String> {
        let own = (self.values)(backend, r);
        match &self.follows {
            Some(Follow { parent, column, by }) => {
                let lookup = format!("(SELECT {parent}.{column} FROM {parent} WHERE {parent}.id = {r}{by})");
                std::iter::once(lookup).chain(own).collect()
            }
            None => own,
        }
    }

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
        only: None,
        follows: None,
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
        only: None,
        follows: None,
    },
    Rollup {
        table: BUSINESS_TABLE,
        source: "cases",
        key: "jurisdiction, month, business_id",
        values: business_values,
        watched: &["jurisdiction", "received_on", "business_id"],
        sums: &[("n", None)],
        only: None,
        follows: None,
    },
    // The cases per jurisdiction, stage and status now: the totals of the workbench's lists.
    Rollup {
        table: STATE_TABLE,
        source: "cases",
        key: "jurisdiction, stage, status",
        values: state_values,
        watched: &["jurisdiction", "stage", "status"],
        sums: &[("n", None)],
        only: None,
        follows: None,
    },
    // The forwarded first complaints per business: the top businesses' replies (issue 17: at
    // 10,000,000 cases joining their stages to the cases took most of a year's breakdowns).
    Rollup {
        table: REPLIES_TABLE,
        source: "case_stages",
        key: "business_id, jurisdiction, month, answered, late",
        values: reply_values,
        watched: &["jurisdiction", "filed_on", "stage", "responded_late", "responded_at IS NULL", "due_at IS NULL"],
        sums: &[("n", None)],
        only: Some(forwarded_first_complaint),
        follows: Some(Follow { parent: "cases", column: "business_id", by: "case_id" }),
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
        late(r),
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

fn late(r: &str) -> String {
    format!("CASE WHEN {r}responded_late IS NULL THEN -1 WHEN {r}responded_late THEN 1 ELSE 0 END")
}

/// After the business, which the stage's case gives (`Follow`).
fn reply_values(backend: DbBackend, r: &str) -> Vec<String> {
    vec![
        format!("{r}jurisdiction"),
        month(backend, &format!("{r}filed_on")),
        format!("{r}responded_at IS NOT NULL"),
        late(r),
    ]
}

fn forwarded_first_complaint(r: &str) -> String {
    format!("{r}stage = 'first_complaint' AND {r}due_at IS NOT NULL")
}

fn shard(backend: DbBackend) -> &'static str {
    match backend {
        // Never 0, the shard rebuilds and folds write.
        DbBackend::Postgres => "1 + pg_backend_pid() % 32766",
        _ => "0",
    }
}

/// `INSERT … ON CONFLICT DO UPDATE` adding `delta` times the record `r` to its group (if the
/// roll-up counts it).
fn add(backend: DbBackend, rollup: &Rollup, r: &str, delta: &str) -> String {
    let deltas: Vec<String> = rollup
        .sums
        .iter()
        .map(|(_, of)| match of {
            None => delta.to_string(),
            Some(column) => format!("{delta} * COALESCE({r}{column}, 0)"),
        })
        .collect();
    let values = rollup.key_values(backend, r).join(", ");
    let row = match rollup.only {
        None => format!("VALUES ({values}, {}, {})", shard(backend), deltas.join(", ")),
        // SQLite needs the WHERE of an upsert's SELECT anyway (its parser would take ON for a join's).
        Some(only) => format!("SELECT {values}, {}, {} WHERE {}", shard(backend), deltas.join(", "), only(r)),
    };
    upsert(rollup, &row)
}

/// `INSERT INTO` the roll-up `row` (its key, shard and sums) `ON CONFLICT` adding the sums.
fn upsert(rollup: &Rollup, row: &str) -> String {
    let Rollup { table, key, .. } = rollup;
    let columns: String = rollup.sums().map(|c| format!(", {c}")).collect();
    let update: Vec<String> = rollup.sums().map(|c| format!("{c} = {table}.{c} + excluded.{c}")).collect();
    format!(
        "INSERT INTO {table} ({key}, shard{columns}) {row} ON CONFLICT ({key}, shard) DO UPDATE SET {}",
        update.join(", ")
    )
}

/// For a roll-up following a parent's column: the statement moving all of the parent's records
/// (the parent `NEW.`) by `delta` into the groups they have with the column's value `value`.
fn add_children(backend: DbBackend, rollup: &Rollup, follow: &Follow, value: &str, delta: &str) -> String {
    // The parent's column is `value`; the rest of the key from each record.
    let values = (rollup.values)(backend, "s.");
    let sums: Vec<String> = rollup
        .sums
        .iter()
        .map(|(_, of)| match of {
            None => format!("{delta} * COUNT(*)"),
            Some(column) => format!("{delta} * COALESCE(SUM(s.{column}), 0)"),
        })
        .collect();
    let only = rollup.only.map(|only| format!(" AND {}", only("s."))).unwrap_or_default();
    let by: Vec<String> = (2..=values.len() + 1).map(|i| i.to_string()).collect();
    let row = format!(
        "SELECT {value}, {}, {}, {} FROM {} s WHERE s.{} = NEW.id{only} GROUP BY {}",
        values.join(", "),
        shard(backend),
        sums.join(", "),
        rollup.source,
        follow.by,
        by.join(", "),
    );
    upsert(rollup, &row)
}

fn changed(watched: &[&str], distinct: &str) -> String {
    let row = |r: &str| watched.iter().map(|c| format!("{r}{c}")).collect::<Vec<_>>().join(", ");
    format!("({}) {distinct} ({})", row("OLD."), row("NEW."))
}

/// The tables whose rows the roll-ups count.
const SOURCES: [&str; 2] = ["case_stages", "cases"];

fn of_source<'a>(rollups: &'a [Rollup], source: &'a str) -> impl Iterator<Item = &'a Rollup> + 'a {
    rollups.iter().filter(move |r| r.source == source)
}

/// The statements that create the triggers keeping `rollups` (all of them, `ROLLUPS`, but for
/// the migrations that made them).
///
/// On PostgreSQL one PL/pgSQL function per table keeps all of its roll-ups: PL/pgSQL keeps the
/// plans of its statements, where a trigger calling an SQL-language function per roll-up planned
/// each insert anew on every call (with that, PostgreSQL's own filing ceiling fell from 1,749 to
/// 887 a second in `cargo bench --bench filings`).
pub fn create_triggers(backend: DbBackend, rollups: &[Rollup]) -> Vec<String> {
    let mut out = Vec::new();
    for source in SOURCES {
        match backend {
            DbBackend::Postgres => {
                let each =
                    |f: &dyn Fn(&Rollup) -> String| of_source(rollups, source).map(f).collect::<Vec<_>>().join(" ");
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
                let any_changed = of_source(rollups, source)
                    .map(|r| changed(r.watched, "IS DISTINCT FROM"))
                    .collect::<Vec<_>>()
                    .join(" OR ");
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
                for rollup in of_source(rollups, source) {
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
    for rollup in rollups {
        let Some(follow) = &rollup.follows else { continue };
        let Follow { parent, column, .. } = follow;
        let table = rollup.table;
        let moves = format!(
            "{}; {};",
            add_children(backend, rollup, follow, &format!("OLD.{column}"), "-1"),
            add_children(backend, rollup, follow, &format!("NEW.{column}"), "1")
        );
        match backend {
            DbBackend::Postgres => out.extend([
                format!(
                    "CREATE FUNCTION {table}_follow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {moves} \
                     RETURN NULL; END $$"
                ),
                format!(
                    "CREATE TRIGGER {table}_follow AFTER UPDATE ON {parent} FOR EACH ROW \
                     WHEN (OLD.{column} IS DISTINCT FROM NEW.{column}) EXECUTE FUNCTION {table}_follow()"
                ),
            ]),
            _ => out.push(format!(
                "CREATE TRIGGER {table}_follow AFTER UPDATE ON {parent} \
                 WHEN OLD.{column} IS NOT NEW.{column} BEGIN {moves} END"
            )),
        }
    }
    out
}

/// The statements that drop the triggers keeping `rollups`.
pub fn drop_triggers(backend: DbBackend, rollups: &[Rollup]) -> Vec<String> {
    let mut out = Vec::new();
    for source in SOURCES {
        match backend {
            DbBackend::Postgres => out.extend([
                format!("DROP TRIGGER IF EXISTS {source}_rollups_keep ON {source}"),
                format!("DROP TRIGGER IF EXISTS {source}_rollups_move ON {source}"),
                format!("DROP FUNCTION IF EXISTS {source}_rollups()"),
            ]),
            _ => {
                for Rollup { table, .. } in of_source(rollups, source) {
                    out.extend(["insert", "delete", "move"].map(|t| format!("DROP TRIGGER IF EXISTS {table}_{t}")));
                }
            }
        }
    }
    for Rollup { table, follows, .. } in rollups {
        let Some(Follow { parent, .. }) = follows else { continue };
        match backend {
            DbBackend::Postgres => out.extend([
                format!("DROP TRIGGER IF EXISTS {table}_follow ON {parent}"),
                format!("DROP FUNCTION IF EXISTS {table}_follow()"),
            ]),
            _ => out.push(format!("DROP TRIGGER IF EXISTS {table}_follow")),
        }
    }
    out
}

/// For a roll-up, a select of what it should hold, counted from the records: its key columns,
/// then its sums, under the table's column names.
pub fn from_records(backend: DbBackend, rollup: &Rollup) -> String {
    let r = format!("{}.", rollup.source);
    let values = rollup.key_values(backend, &r);
    let keys: Vec<String> = values.iter().zip(rollup.key.split(", ")).map(|(v, k)| format!("{v} AS {k}")).collect();
    let sums: Vec<String> = rollup
        .sums
        .iter()
        .map(|(c, of)| match of {
            None => format!("CAST(COUNT(*) AS bigint) AS {c}"),
            Some(column) => format!("CAST(COALESCE(SUM({column}), 0) AS bigint) AS {c}"),
        })
        .collect();
    let only = rollup.only.map(|only| format!(" WHERE {}", only(&r))).unwrap_or_default();
    let by: Vec<String> = (1..=values.len()).map(|i| i.to_string()).collect();
    format!("SELECT {}, {} FROM {}{only} GROUP BY {}", keys.join(", "), sums.join(", "), rollup.source, by.join(", "))
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

/// The statements that set `rollups` to the records' own counts, in shard 0.
///
/// On PostgreSQL the roll-ups are locked against writers for the rebuild's transaction (it must
/// run in one): a trigger's or a fold's write between the delete and the count would otherwise
/// be lost or collide with the rebuilt row. Writers wait for the rebuild, a maintenance step.
pub fn rebuild(backend: DbBackend, rollups: &[Rollup]) -> Vec<String> {
    let mut out = Vec::new();
    if backend == DbBackend::Postgres {
        let tables: Vec<&str> = rollups.iter().map(|r| r.table).collect();
        out.push(format!("LOCK TABLE {} IN EXCLUSIVE MODE", tables.join(", ")));
    }
    for rollup in rollups {
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
    fn a_following_roll_up_takes_its_first_key_from_the_parent() {
        for rollup in ROLLUPS {
            if let Some(Follow { parent, column, by }) = &rollup.follows {
                let first = &rollup.key_values(DbBackend::Sqlite, "r.")[0];
                assert!(first.contains(&format!("SELECT {parent}.{column} FROM {parent}")), "{first}");
                assert!(first.contains(&format!("r.{by}")), "{first}");
            }
        }
    }

    #[test]
    fn each_key_has_its_values() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            for rollup in ROLLUPS {
                assert_eq!(rollup.key_values(backend, "r.").len(), rollup.key.split(", ").count(), "{}", rollup.table);
            }
        }
    }
}
