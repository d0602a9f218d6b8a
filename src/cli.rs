//! The command line: `serve` (default), `migrate`, `user create`, `demo`, `import`, `stats`,
//! `backup`, `restore`.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::api::users::CreateUserBody;
use crate::app::Application;
use crate::config::{LoadOptions, Settings};
use crate::domain::input::Check;
use crate::error::AppError;
use crate::extract::Validate;
use crate::{auth, db, telemetry};

#[derive(Debug, Parser)]
#[command(name = "consumer-protection", version, about = "Case tracking for a consumer protection office")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database, create the bootstrap admin, then serve (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Fill the database with a realistic, invented year at the office's volume (for a first look).
    Demo {
        /// The year (AD) to fill, from 1995; it must have ended, or be under way.
        #[arg(long)]
        year: i32,
        /// Seed of the random choices: the same seed gives the same year.
        #[arg(long, default_value_t = 115)]
        seed: u64,
    },
    /// Bring in the office's past records (CSV or XLSX, docs/IMPORT.md): all or nothing.
    Import {
        /// Files named after what they hold: businesses, cases, stages, consultations, meetings,
        /// agenda, inspections, education_events (.csv or .xlsx); or directories of them.
        #[arg(required = true)]
        paths: Vec<std::path::PathBuf>,
        /// Check every row and report, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the rows that pass and these rows' problems to FILE (CSV) instead of refusing all.
        #[arg(long, value_name = "FILE")]
        skip_invalid: Option<std::path::PathBuf>,
        /// The CSV files' encoding: utf-8 (the default) or big5 (CP950).
        #[arg(long, default_value = "utf-8")]
        encoding: String,
    },
    /// Copy the database and the evidence files into DIR (new or empty), while the office works.
    Backup { dir: std::path::PathBuf },
    /// Put a backup made by `backup` into the configured empty database and attachments' store.
    Restore { dir: std::path::PathBuf },
    /// Erase the personal data of cases closed more than `retention.years` ago (the background
    /// job does it too); --dry-run counts them and changes nothing.
    Retention {
        #[arg(long)]
        dry_run: bool,
    },
    /// Check or rebuild the statistics counters against the records.
    Stats {
        #[command(subcommand)]
        action: StatsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum StatsCommand {
    /// Compare the report counters and the breakdowns' roll-ups with the records; exit non-zero
    /// on a difference.
    Verify,
    /// Recount every figure and roll-up from the records (after a restore or a bulk import).
    Rebuild,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account of any role.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: String,
        /// citizen, business, clerk, officer, mediator or admin
        #[arg(long)]
        role: String,
        /// Required for role `business`.
        #[arg(long)]
        business_id: Option<Uuid>,
        /// Office accounts only; default: the configured default jurisdiction.
        #[arg(long)]
        jurisdiction: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        locale: Option<String>,
    },
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(&LoadOptions::from_process()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let command = cli.command.unwrap_or(Command::Serve);
    let mut log = settings.log.clone();
    if matches!(command, Command::Demo { .. }) {
        // Tens of thousands of requests: show the demo's progress, not every request.
        log.filter = "warn,consumer_protection::demo=info".into();
    }
    if matches!(command, Command::Import { .. }) {
        // The report and the progress are the output; the log only for trouble.
        log.filter = "warn".into();
    }
    telemetry::init_tracing(&log);
    let result = match command {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(settings).await,
        Command::User { action } => match action {
            UserCommand::Create { email, password, name, role, business_id, jurisdiction, phone, locale } => {
                let body = CreateUserBody {
                    email: Some(email),
                    password: Some(password),
                    name: Some(name),
                    role: Some(role),
                    business_id,
                    jurisdiction,
                    phone,
                    locale,
                };
                create_user(settings, body).await
            }
        },
        Command::Stats { action } => stats(settings, action).await,
        Command::Backup { dir } => backup(settings, &dir).await,
        Command::Retention { dry_run } => retention(settings, dry_run).await,
        Command::Restore { dir } => restore(settings, &dir).await,
        Command::Demo { year, seed } => demo(settings, year, seed).await,
        Command::Import { paths, dry_run, skip_invalid, encoding } => {
            import(settings, paths, dry_run, skip_invalid, &encoding).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    app.run_until_stopped().await?;
    Ok(())
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let db = db::connect(&settings).await?;
    db::migrate(&db).await?;
    println!("migrations applied");
    Ok(())
}

/// Readable text for a refusal, naming every bad field.
fn describe(error: AppError) -> anyhow::Error {
    match error {
        AppError::Validation { fields, .. } => {
            let lines: Vec<String> =
                fields.iter().map(|(field, problems)| format!("  {field}: {}", problems.join("; "))).collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

async fn create_user(settings: Settings, body: CreateUserBody) -> anyhow::Result<()> {
    let mut check = Check::new();
    let new = body.validate(&mut check, &settings.reference);
    check.finish().map_err(describe)?;
    let db = db::connect(&settings).await?;
    db::migrate(&db).await?;
    let account = auth::service::create_account(&db, &settings.reference, new).await.map_err(describe)?;
    println!("created {} {} ({})", account.role, account.email, account.id);
    Ok(())
}

async fn retention(settings: Settings, dry_run: bool) -> anyhow::Result<()> {
    let Some(years) = settings.retention.years else {
        anyhow::bail!("retention.years is not set: personal data is kept (set APP__RETENTION__YEARS)");
    };
    let db = db::connect(&settings).await?;
    db::migrate(&db).await?;
    let blobs = crate::blobs::Blobs::open(&settings.attachments, settings.data_dir())?;
    let store = crate::cases::attachments::Store {
        db: &db,
        limits: &settings.attachments,
        data_dir: settings.data_dir(),
        blobs: &blobs,
    };
    let mut tally = crate::work::Tally::default();
    let now = crate::time::now();
    let run = crate::privacy::retention::run(store, years, now, dry_run, None, "command", &mut tally)
        .await
        .map_err(describe)?;
    let before = crate::time::taipei_date(run.closed_before);
    if dry_run {
        println!(
            "dry run: {} cases closed before {before} would lose their personal data ({} evidence files)",
            run.cases, run.files
        );
    } else {
        println!(
            "erased the personal data of {} cases closed before {before} ({} evidence files)",
            run.cases, run.files
        );
    }
    if tally.failed > 0 {
        anyhow::bail!("{} cases could not be erased (see the log); run again", tally.failed);
    }
    Ok(())
}

async fn backup(settings: Settings, dir: &std::path::Path) -> anyhow::Result<()> {
    let db = db::connect(&settings).await?;
    let blobs = crate::blobs::Blobs::open(&settings.attachments, settings.data_dir())?;
    let manifest = crate::backup::backup(&settings, &db, &blobs, dir).await?;
    println!(
        "backed up the {} database and {} evidence files into {}",
        manifest.database,
        manifest.attachments,
        dir.display()
    );
    Ok(())
}

async fn restore(settings: Settings, dir: &std::path::Path) -> anyhow::Result<()> {
    let manifest = crate::backup::restore(&settings, dir).await?;
    println!(
        "restored the backup of {} ({} evidence files) from {}",
        manifest.made_at.to_rfc3339(),
        manifest.attachments,
        dir.display()
    );
    Ok(())
}

async fn stats(settings: Settings, action: StatsCommand) -> anyhow::Result<()> {
    let db = db::connect(&settings).await?;
    db::migrate(&db).await?;
    match action {
        StatsCommand::Verify => {
            let differences = crate::stats::recount::differences(&db).await.map_err(describe)?;
            for ((jurisdiction, metric, day), counter, records) in &differences {
                println!("{jurisdiction} {metric} {day}: counter {counter}, records {records}");
            }
            let rollups = crate::stats::rollups::differences(&db).await.map_err(describe)?;
            for (table, key, kept, counted) in &rollups {
                println!("{table} {key}: kept {kept}, records {counted}");
            }
            if differences.is_empty() && rollups.is_empty() {
                println!("the counters and the breakdowns' roll-ups agree with the records");
                Ok(())
            } else {
                anyhow::bail!(
                    "{} counters and {} roll-up groups disagree with the records",
                    differences.len(),
                    rollups.len()
                )
            }
        }
        StatsCommand::Rebuild => {
            let txn = db::begin_write(&db).await?;
            let rebuilt = crate::stats::recount::rebuild(&txn).await.map_err(describe)?;
            crate::stats::rollups::rebuild(&txn).await.map_err(describe)?;
            txn.commit().await?;
            println!(
                "{} daily counters and the breakdowns' roll-ups set to the records' counts; {} corrections recorded so closed months keep their published figures",
                rebuilt.counters, rebuilt.corrections
            );
            Ok(())
        }
    }
}

/// The files a path names: itself, or the CSV and XLSX files of a directory, by name.
fn import_files(paths: Vec<std::path::PathBuf>) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<_> = std::fs::read_dir(&path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "csv" || e == "xlsx"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

async fn import(
    settings: Settings,
    paths: Vec<std::path::PathBuf>,
    dry_run: bool,
    skip_invalid: Option<std::path::PathBuf>,
    encoding: &str,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;

    use crate::import::{Encoding, Input, Options, progress};

    let encoding = Encoding::parse(encoding)
        .ok_or_else(|| anyhow::anyhow!("--encoding must be utf-8 or big5, not {encoding:?}"))?;
    let mut inputs = Vec::new();
    for file in import_files(paths)? {
        inputs.push(Input::open(&file)?);
    }
    let db = db::connect(&settings).await?;
    db::migrate(&db).await?;
    let options = Options { dry_run, skip_invalid: skip_invalid.is_some(), encoding };
    let mut progress: Box<dyn progress::Progress> = if std::io::stderr().is_terminal() {
        Box::new(progress::Bar::new())
    } else {
        Box::new(progress::Lines::new(std::time::Duration::from_secs(2)))
    };
    let report = crate::import::run(&db, &settings.reference, inputs, options, progress.as_mut()).await?;
    print!("{}", crate::import::report::text(&report));
    if let Some(path) = skip_invalid {
        crate::import::report::write_problems(&path, &report)?;
        if !report.problems.is_empty() {
            println!("the rows left out and their problems: {}", path.display());
        }
    }
    if report.problems.is_empty() || (report.written && options.skip_invalid) {
        Ok(())
    } else {
        anyhow::bail!("{} rows have problems; nothing was written", report.invalid_rows)
    }
}

async fn demo(mut settings: Settings, year: i32, seed: u64) -> anyhow::Result<()> {
    // The demo signs in once and works for minutes: its own tokens may live a day.
    settings.auth.access_token_seconds = 86_400;
    let state = crate::state::AppState::build(settings.clone()).await?;
    let started = std::time::Instant::now();
    crate::demo::run(state, &settings, year, crate::demo::OFFICE, seed).await?;
    println!(
        "filled {year} in {:.0} s. Sign in as demo.clerk@demo.invalid, demo.officer@demo.invalid or demo.mediator@demo.invalid with the password {}",
        started.elapsed().as_secs_f64(),
        crate::demo::DEMO_PASSWORD
    );
    Ok(())
}
