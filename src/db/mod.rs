//! Database connection, migrations and write transactions, for SQLite and PostgreSQL alike.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::Settings;

mod upkeep;
mod writes;
pub use upkeep::analyze_grown_tables;
pub use writes::Writes;

/// A hand-written statement with `$1`, `$2`… placeholders, as each database writes them
/// (SQLite: `?1`, `?2`…).
pub fn statement(
    backend: DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> sea_orm::Statement {
    let sql = if backend == DbBackend::Sqlite { sql.replace('$', "?") } else { sql.to_string() };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(settings.data_dir())
            .with_context(|| format!("creating the data directory {}", settings.data_dir().display()))?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.database.max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Debug)
        // WAL lets readers proceed while one connection writes; the busy timeout makes a
        // writer wait for the lock instead of failing with "database is locked".
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(15))
                .foreign_keys(true)
        });
    Database::connect(options).await.context("connecting to the database")
}

/// Applies pending migrations. On PostgreSQL an advisory lock makes several instances that
/// start together take turns instead of racing on the same DDL.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        let txn = db.begin().await?;
        txn.execute_unprepared("SELECT pg_advisory_xact_lock(4346012601)").await?;
        Migrator::up(&txn, None).await.context("running migrations")?;
        txn.commit().await?;
    } else {
        Migrator::up(db, None).await.context("running migrations")?;
    }
    Ok(())
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so two writers queue instead of one failing when it upgrades a read
/// lock; on PostgreSQL it is a plain `BEGIN`.
///
/// SQLite lets one connection write at a time, and a connection that finds the lock taken
/// waits in SQLite's busy handler, which sleeps and polls (1, 2, 5 … 100 ms): with a few
/// concurrent writers most of the time went to sleeping (the demo year took 66 s with eight
/// requests in flight). This process's writers therefore take turns at `SQLITE_WRITER` first,
/// in order and without sleeping, and reach SQLite one at a time; the busy handler is left for
/// other processes (a command-line import beside the server).
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    let turn = write_turn(db).await?;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTxn { txn, _turn: turn })
}

/// This process's SQLite write turn (see `begin_write`), for a write of one statement outside
/// a transaction; `None` on PostgreSQL, whose writers lock rows, not the database. Not to be
/// taken while a `WriteTxn` of the same task is open: the turn is not re-entrant.
pub async fn write_turn(db: &DatabaseConnection) -> Result<Option<WriteTurn>, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(None);
    }
    let permit = tokio::time::timeout(SQLITE_BUSY_TIMEOUT, SQLITE_WRITER.acquire())
        .await
        .map_err(|_| DbErr::Custom("the database stayed busy with other writes".into()))?
        .map_err(|_| DbErr::Custom("the database's write turn is closed".into()))?;
    Ok(Some(permit))
}

pub type WriteTurn = tokio::sync::SemaphorePermit<'static>;

/// How long a writer waits for its turn: SQLite's own busy timeout.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(15);

static SQLITE_WRITER: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// A write transaction, holding this process's SQLite write turn until it ends.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    // Declared after the transaction: dropped after it, so the turn outlives the writes.
    _turn: Option<WriteTurn>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[sea_orm::prelude::async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: sea_orm::Statement) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: sea_orm::Statement) -> Result<Option<sea_orm::QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: sea_orm::Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}
