//! The history import at the office's volume, on SQLite or PostgreSQL.
//!
//!     cargo bench --bench import                                  # one year, SQLite
//!     BENCH_YEARS=10 cargo bench --bench import                   # ten years
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432 cargo bench --bench import
//!
//! Writes the years with `import::sample` (8,399 consultations, 2,739 cases with 3,808 stages,
//! 12 meetings, 74 inspections, 37 events each) as CSV into a temporary directory, imports them
//! into an empty database (a temporary SQLite file, or a fresh `cp_bench_import_<years>` on the
//! PostgreSQL server) through the same code as `consumer-protection import`, then imports them
//! again (every row unchanged). Prints the time, rows per second and this process's peak
//! resident memory. Results go to docs/PERFORMANCE.md by hand, with the command.

use std::time::Instant;

use consumer_protection::config::{LoadOptions, Settings};
use consumer_protection::import::{self, Input, Options, progress::Lines};
use sea_orm::{ConnectionTrait, Database};

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn inputs(dir: &std::path::Path) -> anyhow::Result<Vec<Input>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    paths.iter().map(|p| Input::open(p)).collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let years: i32 = std::env::var("BENCH_YEARS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let data = tempfile::tempdir()?;
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(server) => {
            let name = format!("cp_bench_import_{years}");
            let admin = Database::connect(format!("{server}/postgres")).await?;
            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
            format!("{server}/{name}")
        }
        Err(_) => format!("sqlite://{}?mode=rwc", data.path().join("bench.db").display()),
    };
    let overrides = vec![
        ("database.url".to_string(), url.clone().into()),
        ("data.dir".to_string(), data.path().display().to_string().into()),
        ("log.filter".to_string(), "error".into()),
    ];
    let config_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    let settings =
        Settings::load(&LoadOptions { config_dir, app_env: "development".into(), read_environment: false, overrides })?;
    let db = consumer_protection::db::connect(&settings).await?;
    consumer_protection::db::migrate(&db).await?;

    let files = data.path().join("files");
    std::fs::create_dir(&files)?;
    for year in 2012..2012 + years {
        import::sample::write_year(&files, year)?;
    }
    let bytes: u64 = std::fs::read_dir(&files)?.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();
    println!("{years} year(s), {:.1} MB of CSV, on {}", bytes as f64 / 1e6, url.split('?').next().unwrap_or(&url));
    let before = peak_rss_mib();
    for pass in ["first import", "re-run (nothing changes)"] {
        let started = Instant::now();
        let mut progress = Lines::new(std::time::Duration::from_millis(
            std::env::var("BENCH_PROGRESS_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(5000),
        ));
        let report = import::run(&db, &settings.reference, inputs(&files)?, Options::default(), &mut progress).await?;
        anyhow::ensure!(
            report.problems.is_empty() && report.written,
            "the sample did not import: {:?}",
            report.problems.first()
        );
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{pass}: {} rows in {secs:.2} s ({:.0} rows/s); peak RSS {:.0} MiB (before: {before:.0} MiB)",
            report.rows,
            report.rows as f64 / secs,
            peak_rss_mib()
        );
    }
    let differences = consumer_protection::stats::recount::differences(&db).await?;
    anyhow::ensure!(differences.is_empty(), "counters disagree with the records: {differences:?}");
    println!("counters agree with the records");
    Ok(())
}
