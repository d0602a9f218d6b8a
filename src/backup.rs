//! `consumer-protection backup DIR` and `restore DIR`: the database and the evidence files, taken
//! while the office works and put back into an empty system.
//!
//! A backup directory holds `manifest.json`, the database (`database.sqlite`, an online copy by
//! SQLite's `VACUUM INTO`, consistent as of one moment; or `database.pgdump`, `pg_dump`'s custom
//! format, likewise one snapshot) and `attachments/ab/abcdef…`, every evidence file of the
//! store, named by its SHA-256. Files are listed after the database's snapshot is taken, and a
//! file is stored before the row that names it is written: every attachment in the snapshot has
//! its file in the backup.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::blobs::{Blobs, is_sha256};
use crate::config::Settings;
use crate::db;

const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SQLITE_FILE: &str = "database.sqlite";
const PG_FILE: &str = "database.pgdump";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// `sqlite` or `postgresql`: a backup is restored into the same kind of database.
    pub database: String,
    pub made_at: chrono::DateTime<chrono::Utc>,
    pub program_version: String,
    pub attachments: u64,
}

fn backend_name(backend: DbBackend) -> &'static str {
    if backend == DbBackend::Postgres { "postgresql" } else { "sqlite" }
}

/// Backs up the database `db` and the files of `blobs` into `dir`, which must not exist or be
/// empty.
pub async fn backup(
    settings: &Settings,
    db: &DatabaseConnection,
    blobs: &Blobs,
    dir: &Path,
) -> anyhow::Result<Manifest> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{} is not empty: a backup goes into a new or empty directory", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let made_at = crate::time::now();
    let backend = db.get_database_backend();
    match backend {
        DbBackend::Postgres => pg_dump(&settings.database_url(), &dir.join(PG_FILE)).await?,
        _ => {
            let target = dir.join(SQLITE_FILE);
            let path = target.to_str().context("the backup directory's path is not UTF-8")?;
            db.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, "VACUUM INTO ?", [path.into()]))
                .await
                .context("copying the SQLite database")?;
        }
    }
    let attachments = copy_out(blobs, &dir.join("attachments")).await?;
    let manifest = Manifest {
        format: FORMAT,
        database: backend_name(backend).into(),
        made_at,
        program_version: env!("CARGO_PKG_VERSION").into(),
        attachments,
    };
    std::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
    Ok(manifest)
}

async fn pg_dump(url: &str, file: &Path) -> anyhow::Result<()> {
    let args: [&OsStr; 6] = [
        "--format=custom".as_ref(),
        "--no-owner".as_ref(),
        "--file".as_ref(),
        file.as_ref(),
        "--dbname".as_ref(),
        url.as_ref(),
    ];
    pg_tool("pg_dump", &args).await
}

/// Runs one of PostgreSQL's client programs; what it says on failure is the error.
async fn pg_tool(program: &str, args: &[&OsStr]) -> anyhow::Result<()> {
    let output = tokio::process::Command::new(program)
        .args(args)
        .output()
        .await
        .with_context(|| format!("running {program} (PostgreSQL's client programs must be installed)"))?;
    if !output.status.success() {
        bail!("{program} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}

/// Every stored file, into `root/ab/abcdef…`; answers how many.
async fn copy_out(blobs: &Blobs, root: &Path) -> anyhow::Result<u64> {
    let mut count = 0;
    let mut names = std::pin::pin!(blobs.list());
    while let Some(sha) = names.next().await {
        let sha = sha?;
        let path = root.join(&sha[..2]).join(&sha);
        tokio::fs::create_dir_all(path.parent().unwrap_or(root)).await?;
        let mut file = tokio::fs::File::create(&path).await?;
        let mut bytes = std::pin::pin!(blobs.read(&sha).await?);
        while let Some(chunk) = bytes.next().await {
            file.write_all(&chunk?).await?;
        }
        file.sync_all().await?;
        count += 1;
    }
    Ok(count)
}

/// Restores the backup in `dir` into the empty database and store `settings` name, then
/// applies any migrations newer than the backup.
pub async fn restore(settings: &Settings, dir: &Path) -> anyhow::Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(dir.join(MANIFEST)).with_context(|| format!("reading {}", dir.join(MANIFEST).display()))?,
    )
    .context("reading the backup's manifest")?;
    if manifest.format != FORMAT {
        bail!("the backup's format is {}; this program restores format {FORMAT}", manifest.format);
    }
    let url = settings.database_url();
    let target = if url.starts_with("sqlite:") { "sqlite" } else { "postgresql" };
    if manifest.database != target {
        bail!("the backup is of a {} database; the configured database is {target}", manifest.database);
    }
    if target == "sqlite" {
        let file = sqlite_file(&url)?;
        if file.exists() && std::fs::metadata(&file)?.len() > 0 {
            let db = db::connect(settings).await?;
            if table_count(&db).await? > 0 {
                bail!("{} already holds data: a backup is restored into an empty database", file.display());
            }
            db.close().await?;
        }
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(PathBuf::from(format!("{}{suffix}", file.display())));
        }
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(dir.join(SQLITE_FILE), &file).context("copying the database into place")?;
    } else {
        let db = db::connect(settings).await?;
        if table_count(&db).await? > 0 {
            bail!("the configured PostgreSQL database already holds tables: a backup is restored into an empty one");
        }
        db.close().await?;
        pg_restore(&url, &dir.join(PG_FILE)).await?;
    }
    let db = db::connect(settings).await?;
    db::migrate(&db).await?;
    db.close().await?;
    let blobs = Blobs::open(&settings.attachments, settings.data_dir())?;
    copy_in(&blobs, &dir.join("attachments")).await?;
    Ok(manifest)
}

async fn table_count(db: &DatabaseConnection) -> anyhow::Result<i64> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
        _ => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
    };
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(row.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

async fn pg_restore(url: &str, file: &Path) -> anyhow::Result<()> {
    let args: [&OsStr; 6] = [
        "--no-owner".as_ref(),
        "--exit-on-error".as_ref(),
        "--single-transaction".as_ref(),
        "--dbname".as_ref(),
        url.as_ref(),
        file.as_ref(),
    ];
    pg_tool("pg_restore", &args).await
}

/// The file of an SQLite URL (`sqlite://path?mode=rwc`, `sqlite:path`).
fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url.strip_prefix("sqlite:").context("not an SQLite URL")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        bail!("the configured SQLite database is in memory: there is nothing to restore into");
    }
    Ok(PathBuf::from(path))
}

/// Every file under `root/ab/`, checked against its name, into the store.
async fn copy_in(blobs: &Blobs, root: &Path) -> anyhow::Result<u64> {
    let mut count = 0;
    if !root.exists() {
        return Ok(0);
    }
    for prefix in std::fs::read_dir(root)? {
        let prefix = prefix?;
        if !prefix.file_type()?.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(prefix.path())? {
            let path = entry?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if !is_sha256(&name) {
                continue;
            }
            let digest = sha256_of(&path)?;
            if digest != name {
                bail!("{} does not hold the bytes its name says (SHA-256 {digest})", path.display());
            }
            blobs.keep(&name, &path).await?;
            count += 1;
        }
    }
    Ok(count)
}

/// The SHA-256 of a file, read in pieces.
fn sha256_of(path: &Path) -> anyhow::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let (mut hasher, mut buffer) = (Sha256::new(), vec![0u8; 256 * 1024]);
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buffer[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_file("sqlite:///srv/cp/db.sqlite?mode=rwc").unwrap(), PathBuf::from("/srv/cp/db.sqlite"));
        assert_eq!(sqlite_file("sqlite:data/cp.db").unwrap(), PathBuf::from("data/cp.db"));
        assert!(sqlite_file("sqlite::memory:").is_err());
    }
}
