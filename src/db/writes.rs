//! Writes that land together or not at all, in as few round trips as the database allows.
//!
//! A citizen's filing writes five rows (the case, the day's counter, the first stage, the
//! timeline entry, the acknowledgement in the outbox). As a transaction that is seven round
//! trips (`BEGIN`, five statements, `COMMIT`); PostgreSQL takes the five as one statement whose
//! inserts are data-modifying CTEs (`WITH w0 AS (INSERT …), w1 AS (INSERT …) INSERT …`). One
//! statement is atomic on its own: every insert lands, or — a constraint broken anywhere — none
//! does. Foreign keys and the roll-ups' triggers run at the statement's end, when every row is
//! there. SQLite has no data-modifying CTEs: there the inserts go as one string of statements
//! separated by `;` with their values in order (sqlx binds each statement's `?` from where the
//! previous one stopped), run one by one by SQLite in a single hand-off to the connection's
//! thread, in the caller's transaction or in one taken here (issue 17).
//!
//! An action's writes (its stage, its timeline entries, its mail) end with the update of the
//! case, whose row comes back (`RETURNING`) and whose version check decides whether the action
//! stands: [`Writes::send_then`] sends them all with that update last, in one call.

use sea_orm::sea_query::{
    Alias, CommonTableExpression, InsertStatement, SubQueryStatement, UpdateStatement, WithClause,
};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryResult, QueryTrait,
};

#[derive(Debug, Default)]
pub struct Writes {
    inserts: Vec<Write>,
}

/// One statement of a [`Writes`].
#[derive(Debug, Clone)]
enum Write {
    Insert(InsertStatement),
    Update(UpdateStatement),
}

impl Write {
    fn build(&self, backend: DbBackend) -> sea_orm::Statement {
        match self {
            Write::Insert(insert) => backend.build(insert),
            Write::Update(update) => backend.build(update),
        }
    }
}

impl From<Write> for SubQueryStatement {
    fn from(write: Write) -> Self {
        match write {
            Write::Insert(insert) => insert.into(),
            Write::Update(update) => update.into(),
        }
    }
}

impl Writes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a row: every column the active model sets.
    pub fn row<A: ActiveModelTrait>(&mut self, row: A) {
        self.inserts.push(Write::Insert(<A::Entity as EntityTrait>::insert(row).into_query()));
    }

    /// Adds an insert built by hand (an upsert, an `INSERT … SELECT`).
    pub fn insert(&mut self, insert: InsertStatement) {
        self.inserts.push(Write::Insert(insert));
    }

    /// Adds an update. On PostgreSQL it is a CTE of the statement, so it must not touch a row
    /// another of these writes touches.
    pub fn update(&mut self, update: UpdateStatement) {
        self.inserts.push(Write::Update(update));
    }

    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty()
    }

    /// Sends the inserts through `db` in one call: on PostgreSQL as one statement, on SQLite
    /// as one string of statements. Atomic on PostgreSQL by itself; on SQLite only inside the
    /// caller's transaction (see [`Writes::apply`]).
    pub async fn send(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let backend = db.get_database_backend();
        match backend {
            DbBackend::Postgres if self.inserts.len() > 1 => {
                db.execute_raw(combined(self.inserts)).await?;
            }
            DbBackend::Sqlite if self.inserts.len() > 1 => {
                db.execute_raw(in_sequence(self.inserts)).await?;
            }
            _ => {
                for write in &self.inserts {
                    db.execute_raw(write.build(backend)).await?;
                }
            }
        }
        Ok(())
    }

    /// Sends the writes and then `last`, in one call, and answers the rows `last` returns
    /// (give it a `RETURNING`). Inside the caller's transaction: if `last` returns nothing the
    /// caller rolls back what went before it.
    pub async fn send_then(
        mut self,
        db: &impl ConnectionTrait,
        last: UpdateStatement,
    ) -> Result<Vec<QueryResult>, DbErr> {
        let backend = db.get_database_backend();
        self.inserts.push(Write::Update(last));
        let statement = match backend {
            DbBackend::Postgres => combined(self.inserts),
            DbBackend::Sqlite => in_sequence(self.inserts),
            _ => {
                let last = self.inserts.pop().map(|w| w.build(backend));
                self.send(db).await?;
                return db.query_all_raw(last.expect("pushed above")).await;
            }
        };
        db.query_all_raw(statement).await
    }

    /// Sends the inserts so that all land or none: PostgreSQL's one statement, or a write
    /// transaction of its own elsewhere.
    pub async fn apply(self, db: &DatabaseConnection) -> Result<(), DbErr> {
        if db.get_database_backend() == DbBackend::Postgres {
            return self.send(db).await;
        }
        let txn = super::begin_write(db).await?;
        self.send(&txn).await?;
        txn.commit().await
    }
}

/// The writes as one PostgreSQL statement: every write but the last a CTE of the last.
fn combined(mut inserts: Vec<Write>) -> sea_orm::Statement {
    let Some(last) = inserts.pop() else { return sea_orm::Statement::from_string(DbBackend::Postgres, "SELECT 1") };
    if inserts.is_empty() {
        return last.build(DbBackend::Postgres);
    }
    let mut with = WithClause::new();
    for (i, insert) in inserts.into_iter().enumerate() {
        with.cte(CommonTableExpression::new().query(insert).table_name(Alias::new(format!("w{i}"))).to_owned());
    }
    DbBackend::Postgres.build(&with.query(last))
}

/// The inserts as one SQLite string of statements, their values in the same order. Each
/// statement's placeholders are plain `?`, which sqlx numbers on from the previous statement's.
fn in_sequence(inserts: Vec<Write>) -> sea_orm::Statement {
    let mut sql = String::new();
    let mut values = Vec::new();
    for write in &inserts {
        let one = write.build(DbBackend::Sqlite);
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        sql.push_str(&one.sql);
        values.extend(one.values.map(|v| v.0).unwrap_or_default());
    }
    sea_orm::Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::Query;

    use super::*;

    #[test]
    fn postgres_gets_one_statement_with_its_values_numbered_in_order() {
        let one =
            Query::insert().into_table(Alias::new("a")).columns([Alias::new("x")]).values_panic([1.into()]).to_owned();
        let two =
            Query::insert().into_table(Alias::new("b")).columns([Alias::new("y")]).values_panic([2.into()]).to_owned();
        let statement = combined(vec![Write::Insert(one), Write::Insert(two)]);
        assert_eq!(
            statement.sql,
            r#"WITH "w0" AS (INSERT INTO "a" ("x") VALUES ($1)) INSERT INTO "b" ("y") VALUES ($2)"#
        );
        let values = statement.values.expect("values").0;
        assert_eq!(values, vec![1i32.into(), 2i32.into()]);
    }

    async fn sqlite() -> DatabaseConnection {
        // One connection: each connection to `sqlite::memory:` is a database of its own.
        let mut options = sea_orm::ConnectOptions::new("sqlite::memory:");
        options.max_connections(1).min_connections(1);
        let db = sea_orm::Database::connect(options).await.unwrap();
        db.execute_unprepared("CREATE TABLE a (x INTEGER NOT NULL, t TEXT NOT NULL)").await.unwrap();
        db.execute_unprepared("CREATE TABLE b (y INTEGER NOT NULL UNIQUE, u TEXT)").await.unwrap();
        db
    }

    fn insert(table: &str, n: i32, text: Option<&str>) -> InsertStatement {
        let (n_col, t_col) = if table == "a" { ("x", "t") } else { ("y", "u") };
        Query::insert()
            .into_table(Alias::new(table))
            .columns([Alias::new(n_col), Alias::new(t_col)])
            .values_panic([n.into(), text.map(str::to_string).into()])
            .to_owned()
    }

    async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<(i32, Option<String>)> {
        db.query_all_raw(sea_orm::Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap()))
            .collect()
    }

    /// On SQLite the inserts go in one call, and each statement gets its own values.
    #[tokio::test]
    async fn sqlite_gets_its_statements_in_one_call_with_each_ones_values() {
        let db = sqlite().await;
        let mut writes = Writes::new();
        writes.insert(insert("a", 1, Some("一")));
        writes.insert(insert("b", 2, None));
        writes.insert(insert("a", 3, Some("三; DROP TABLE b")));
        assert_eq!(in_sequence(writes.inserts.clone()).sql.matches(';').count(), 2);
        writes.apply(&db).await.unwrap();
        assert_eq!(
            rows(&db, "SELECT x, t FROM a ORDER BY x").await,
            vec![(1, Some("一".to_string())), (3, Some("三; DROP TABLE b".to_string()))]
        );
        assert_eq!(rows(&db, "SELECT y, u FROM b").await, vec![(2, None)]);
    }

    /// A statement that fails leaves nothing of the others behind.
    #[tokio::test]
    async fn on_sqlite_one_failed_insert_lands_none() {
        let db = sqlite().await;
        db.execute_unprepared("INSERT INTO b VALUES (7, 'taken')").await.unwrap();
        let mut writes = Writes::new();
        writes.insert(insert("a", 1, Some("first")));
        writes.insert(insert("b", 7, Some("duplicate")));
        writes.insert(insert("a", 2, Some("after")));
        assert!(writes.apply(&db).await.is_err());
        assert!(rows(&db, "SELECT x, t FROM a").await.is_empty());
        assert_eq!(rows(&db, "SELECT y, u FROM b").await, vec![(7, Some("taken".to_string()))]);
    }

    fn bump(n: i32) -> UpdateStatement {
        use sea_orm::sea_query::{Expr, ExprTrait, Query};
        Query::update()
            .table(Alias::new("b"))
            .value(Alias::new("u"), "bumped")
            .and_where(Expr::col(Alias::new("y")).eq(n))
            .returning(Query::returning().columns([Alias::new("y"), Alias::new("u")]))
            .to_owned()
    }

    /// The writes and the update after them go in one call; the update's rows come back, and
    /// when it finds no row the caller's rollback drops the writes before it.
    #[tokio::test]
    async fn send_then_answers_the_last_statements_rows() {
        use sea_orm::TransactionTrait;
        let db = sqlite().await;
        db.execute_unprepared("INSERT INTO b VALUES (7, 'before')").await.unwrap();

        let txn = db.begin().await.unwrap();
        let mut writes = Writes::new();
        writes.insert(insert("a", 1, Some("with the update")));
        let returned = writes.send_then(&txn, bump(7)).await.unwrap();
        let returned: Vec<(i32, String)> =
            returned.iter().map(|r| (r.try_get_by_index(0).unwrap(), r.try_get_by_index(1).unwrap())).collect();
        assert_eq!(returned, vec![(7, "bumped".to_string())]);
        txn.commit().await.unwrap();

        let txn = db.begin().await.unwrap();
        let mut writes = Writes::new();
        writes.insert(insert("a", 2, Some("rolled back")));
        assert!(writes.send_then(&txn, bump(8)).await.unwrap().is_empty());
        txn.rollback().await.unwrap();
        assert_eq!(rows(&db, "SELECT x, t FROM a").await, vec![(1, Some("with the update".to_string()))]);
        assert_eq!(rows(&db, "SELECT y, u FROM b").await, vec![(7, Some("bumped".to_string()))]);
    }
}
