//! Inserts that land together or not at all, in as few round trips as the database allows.
//!
//! A citizen's filing writes five rows (the case, the day's counter, the first stage, the
//! timeline entry, the acknowledgement in the outbox). As a transaction that is seven round
//! trips (`BEGIN`, five statements, `COMMIT`); PostgreSQL takes the five as one statement whose
//! inserts are data-modifying CTEs (`WITH w0 AS (INSERT …), w1 AS (INSERT …) INSERT …`). One
//! statement is atomic on its own: every insert lands, or — a constraint broken anywhere — none
//! does. Foreign keys and the roll-ups' triggers run at the statement's end, when every row is
//! there. SQLite has no data-modifying CTEs: there the inserts run one by one, in the caller's
//! transaction or in one taken here (issue 17).

use sea_orm::sea_query::{Alias, CommonTableExpression, InsertStatement, WithClause};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryTrait};

#[derive(Debug, Default)]
pub struct Writes {
    inserts: Vec<InsertStatement>,
}

impl Writes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a row: every column the active model sets.
    pub fn row<A: ActiveModelTrait>(&mut self, row: A) {
        self.inserts.push(<A::Entity as EntityTrait>::insert(row).into_query());
    }

    /// Adds an insert built by hand (an upsert, an `INSERT … SELECT`).
    pub fn insert(&mut self, insert: InsertStatement) {
        self.inserts.push(insert);
    }

    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty()
    }

    /// Sends the inserts through `db`: on PostgreSQL as one statement, elsewhere one by one.
    /// Atomic on PostgreSQL by itself; elsewhere only inside the caller's transaction (see
    /// [`Writes::apply`]).
    pub async fn send(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let backend = db.get_database_backend();
        match backend {
            DbBackend::Postgres if self.inserts.len() > 1 => {
                db.execute_raw(combined(self.inserts)).await?;
            }
            _ => {
                for insert in &self.inserts {
                    db.execute_raw(backend.build(insert)).await?;
                }
            }
        }
        Ok(())
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

/// The inserts as one PostgreSQL statement: every insert but the last a CTE of the last.
fn combined(mut inserts: Vec<InsertStatement>) -> sea_orm::Statement {
    let last = inserts.pop().unwrap_or_default();
    let mut with = WithClause::new();
    for (i, insert) in inserts.into_iter().enumerate() {
        with.cte(CommonTableExpression::new().query(insert).table_name(Alias::new(format!("w{i}"))).to_owned());
    }
    DbBackend::Postgres.build(&with.query(last))
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
        let statement = combined(vec![one, two]);
        assert_eq!(
            statement.sql,
            r#"WITH "w0" AS (INSERT INTO "a" ("x") VALUES ($1)) INSERT INTO "b" ("y") VALUES ($2)"#
        );
        let values = statement.values.expect("values").0;
        assert_eq!(values, vec![1i32.into(), 2i32.into()]);
    }
}
