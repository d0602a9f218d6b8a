//! The history import (issue 16): years of records from the office's old system — businesses,
//! consultations, cases with their whole stage history, meetings with their agendas,
//! inspections and education events — from CSV (UTF-8 or Big5) and XLSX files, in the format of
//! docs/IMPORT.md.
//!
//! One transaction: every row is checked by the API's rules and written as it is read; a row that
//! fails is reported (file, row, field, problem) and, unless `skip_invalid`, the whole import is
//! rolled back at the end, so nothing is written unless every row passes. A dry run always rolls
//! back. Historical deadlines are the dates the office wrote down, never computed again, and no
//! mail is raised. Each figure a row makes goes through the same daily counters as a filing,
//! on the day of its event, with a correction where the month is closed.

pub mod kinds;
pub mod progress;
pub mod report;
pub mod rows;
pub mod sample;
pub mod source;
pub mod uploads;
pub mod writer;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::FieldErrors;
use crate::reference::ReferenceSettings;
use kinds::Kind;
pub use progress::Progress;
use rows::{Row, Rules, StageRow};
pub use source::{Encoding, Input};
use writer::{Done, Tally, Writer};

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Check and count everything, write nothing.
    pub dry_run: bool,
    /// Write the rows that pass; the others are reported and left out.
    pub skip_invalid: bool,
    pub encoding: Encoding,
}

/// One problem with one row (row 1 is the header; a problem with the file itself is row 0).
/// The row's cells go only to the `--skip-invalid` file, never into an answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ImportProblem)]
pub struct Problem {
    pub file: String,
    pub row: u64,
    pub field: String,
    pub problem: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub cells: Vec<String>,
}

/// What became of one kind of record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ImportTally)]
pub struct KindTally {
    /// `businesses`, `cases`, `stages`, `consultations`, `meetings`, `agenda`, `inspections`,
    /// `education_events`.
    pub kind: String,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub invalid: u64,
}

/// What an import did, or would do.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = ImportReport)]
pub struct Report {
    /// Per kind of record, in the order they are read.
    pub kinds: Vec<KindTally>,
    pub problems: Vec<Problem>,
    /// Rows that had at least one problem.
    pub invalid_rows: u64,
    pub rows: u64,
    pub seconds: f64,
    /// Columns a file had that the import does not read.
    pub ignored_columns: Vec<String>,
    /// True when the rows were written (committed).
    pub written: bool,
    pub dry_run: bool,
}

impl Report {
    pub fn rows_per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.rows as f64 / self.seconds } else { 0.0 }
    }
}

/// The columns each kind reads; `required` ones must be in the header (one of the `|`
/// alternatives).
pub fn columns(kind: Kind) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        Kind::Businesses => (
            &["ref", "name"],
            &["ref", "name", "tax_id", "trading_names", "address", "district", "industry", "contact_email"],
        ),
        Kind::Cases => (
            &[
                "ref|case_no",
                "received_on",
                "category",
                "business_ref|business_name",
                "consumer_name",
                "description",
                "requested_resolution",
            ],
            &[
                "ref",
                "case_no",
                "jurisdiction",
                "received_on",
                "channel",
                "category",
                "category_group",
                "district",
                "business_ref",
                "business_name",
                "business_tax_id",
                "stage",
                "status",
                "closed_on",
                "due_on",
                "responded_on",
                "amount_disputed",
                "amount_recovered",
                "transaction_date",
                "consumer_name",
                "consumer_email",
                "consumer_phone",
                "consumer_address",
                "consumer_locale",
                "description",
                "requested_resolution",
            ],
        ),
        Kind::Stages => (
            &["case_ref|case_no", "seq", "stage", "status", "filed_on"],
            &[
                "case_ref",
                "case_no",
                "jurisdiction",
                "seq",
                "stage",
                "status",
                "filed_on",
                "due_on",
                "closed_on",
                "responded_on",
                "responded_late",
                "settlement_amount",
                "end_reason",
            ],
        ),
        Kind::Consultations => (
            &["ref", "received_on", "channel", "summary"],
            &[
                "ref",
                "jurisdiction",
                "received_on",
                "channel",
                "summary",
                "category",
                "business_ref",
                "business_name",
                "business_tax_id",
                "consumer_name",
                "consumer_phone",
                "answer",
                "case_ref",
            ],
        ),
        Kind::Meetings => (
            &["ref", "number", "scheduled_on", "location"],
            &[
                "ref",
                "jurisdiction",
                "number",
                "scheduled_on",
                "time",
                "location",
                "status",
                "held_on",
                "members_present",
                "members_total",
            ],
        ),
        Kind::Agenda => (
            &["meeting_ref", "case_ref|case_no"],
            &["meeting_ref", "case_ref", "case_no", "outcome", "settlement_amount", "terms"],
        ),
        Kind::Inspections => (
            &["ref", "inspected_on", "theme"],
            &[
                "ref",
                "jurisdiction",
                "inspected_on",
                "theme",
                "partner_agency",
                "business_tax_ids",
                "venue",
                "district",
                "items_checked",
                "violations",
                "actions",
                "fine_amount",
                "follow_up_due",
                "follow_up_done_on",
            ],
        ),
        Kind::EducationEvents => (
            &["ref", "held_on", "kind", "title"],
            &["ref", "jurisdiction", "held_on", "kind", "title", "audience", "attendees"],
        ),
    }
}

/// The account imported records are made by: disabled, with no password, so it can never sign in.
async fn import_account(db: &impl sea_orm::ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<Uuid> {
    const EMAIL: &str = "history-import@system.invalid";
    if let Some(u) = user::Entity::find().filter(user::Column::Email.eq(EMAIL)).one(db).await? {
        return Ok(u.id);
    }
    let id = Uuid::now_v7();
    user::ActiveModel {
        id: Set(id),
        email: Set(EMAIL.into()),
        name: Set("歷史資料匯入 (history import)".into()),
        phone: Set(None),
        password_hash: Set("!".into()),
        role: Set("clerk".into()),
        business_id: Set(None),
        jurisdiction: Set(None),
        locale: Set("zh-TW".into()),
        disabled: Set(true),
        email_verified_at: Set(None),
        pending_email: Set(None),
        totp_secret: Set(None),
        totp_confirmed_at: Set(None),
        totp_last_step: Set(None),
        closed_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

struct Run<'r> {
    report: Report,
    tallies: BTreeMap<Kind, Tally>,
    progress: &'r mut dyn Progress,
}

impl Run<'_> {
    fn problems(&mut self, file: &str, row: u64, cells: &[String], found: impl IntoIterator<Item = (String, String)>) {
        let mut any = false;
        for (field, problem) in found {
            any = true;
            self.report.problems.push(Problem { file: file.into(), row, field, problem, cells: cells.to_vec() });
        }
        if any {
            self.report.invalid_rows += 1;
        }
    }

    fn field_errors(&mut self, kind: Kind, file: &str, row: u64, cells: &[String], errors: FieldErrors) {
        self.tallies.entry(kind).or_default().invalid += 1;
        let found = errors.into_iter().flat_map(|(f, ps)| ps.into_iter().map(move |p| (f.clone(), p)));
        self.problems(file, row, cells, found);
    }

    fn done(
        &mut self,
        kind: Kind,
        outcome: Result<Done, Vec<(String, String)>>,
        file: &str,
        row: u64,
        cells: &[String],
    ) {
        let tally = self.tallies.entry(kind).or_default();
        match outcome {
            Ok(Done::Added) => tally.added += 1,
            Ok(Done::Updated) => tally.updated += 1,
            Ok(Done::Unchanged) => tally.unchanged += 1,
            Err(found) => {
                tally.invalid += 1;
                self.problems(file, row, cells, found);
            }
        }
    }
}

/// A stage row waiting for its case's other stages, to be checked in order.
struct PendingStage {
    row: StageRow,
    file: String,
    line: u64,
    cells: Vec<String>,
}

/// Imports the files. `Err` only when the database fails; everything about the files is in
/// the report.
pub async fn run(
    db: &DatabaseConnection,
    reference: &ReferenceSettings,
    inputs: Vec<Input>,
    options: Options,
    progress: &mut dyn Progress,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let run_at = crate::time::now();
    let rules = Rules { reference, today: crate::time::taipei_date(run_at) };
    let mut run =
        Run { report: Report { dry_run: options.dry_run, ..Report::default() }, tallies: BTreeMap::new(), progress };

    let mut tables = Vec::new();
    for input in inputs {
        let name = input.name.clone();
        match source::tables(input, options.encoding) {
            Ok(found) => tables.extend(found),
            Err(e) => run.problems(&name, 0, &[], [("file".to_string(), format!("{e:#}"))]),
        }
    }
    tables.sort_by_key(|t| t.kind);

    let txn = crate::db::begin_write(db).await.context("starting the import's transaction")?;
    let actor = import_account(&txn, run_at).await?;
    let mut writer = Writer::new(&txn, reference, actor, run_at).await?;
    let mut stage_rows: Vec<PendingStage> = Vec::new();
    let mut only_stages: HashMap<String, PendingStage> = HashMap::new();
    let mut stages_done = false;

    for table in tables {
        if table.kind > Kind::Stages && !stages_done {
            finish_stages(&mut run, &mut writer, std::mem::take(&mut stage_rows), std::mem::take(&mut only_stages))
                .await?;
            stages_done = true;
        }
        let (required, known) = columns(table.kind);
        let missing: Vec<&str> = required
            .iter()
            .filter(|alternatives| !alternatives.split('|').any(|c| table.header.iter().any(|h| h == c)))
            .copied()
            .collect();
        if !missing.is_empty() {
            let found = missing
                .iter()
                .map(|m| (m.replace('|', " or "), "is a required column, missing from the header".to_string()));
            run.problems(&table.source, 1, &table.header, found);
            continue;
        }
        for h in &table.header {
            if !h.is_empty() && !known.contains(&h.as_str()) {
                run.report.ignored_columns.push(format!("{}: {h}", table.source));
            }
        }
        run.progress.file(&table.source);
        let kind = table.kind;
        writer.switch_to(kind).await?;
        for (i, cells) in table.rows.enumerate() {
            let line = i as u64 + 2;
            run.report.rows += 1;
            run.progress.rows(run.report.rows);
            let cells = match cells {
                Ok(cells) => cells,
                Err(problem) => {
                    run.tallies.entry(kind).or_default().invalid += 1;
                    run.problems(&table.source, line, &[], [("row".to_string(), problem)]);
                    continue;
                }
            };
            if cells.iter().all(|c| c.trim().is_empty()) {
                run.report.rows -= 1;
                continue;
            }
            if cells.len() > table.header.len() {
                run.tallies.entry(kind).or_default().invalid += 1;
                let problem = format!("has {} cells; the header names {} columns", cells.len(), table.header.len());
                run.problems(&table.source, line, &cells, [("row".to_string(), problem)]);
                continue;
            }
            let row = Row::new(&table.header, &cells);
            let source = table.source.as_str();
            match kind {
                Kind::Businesses => match rows::business(row, &rules) {
                    Ok(r) => {
                        let outcome = writer.business(r, source).await?;
                        run.done(kind, outcome, source, line, &cells);
                    }
                    Err(e) => run.field_errors(kind, source, line, &cells, e),
                },
                Kind::Cases => match rows::case(row, &rules) {
                    Ok(r) => {
                        let outcome = writer.case(&r, source, line).await?;
                        if outcome.is_ok()
                            && let Some(stage) = r.only_stage
                        {
                            only_stages.insert(
                                r.legacy_ref.clone(),
                                PendingStage { row: stage, file: source.into(), line, cells: cells.clone() },
                            );
                        }
                        run.done(kind, outcome, source, line, &cells);
                    }
                    Err(e) => run.field_errors(kind, source, line, &cells, e),
                },
                Kind::Stages => match rows::stage(row, &rules) {
                    Ok(r) => stage_rows.push(PendingStage { row: r, file: source.into(), line, cells: cells.clone() }),
                    Err(e) => run.field_errors(kind, source, line, &cells, e),
                },
                Kind::Consultations => match rows::consultation(row, &rules) {
                    Ok(r) => {
                        let outcome = writer.consultation(&r, source).await?;
                        run.done(kind, outcome, source, line, &cells);
                    }
                    Err(e) => run.field_errors(kind, source, line, &cells, e),
                },
                Kind::Meetings => match rows::meeting(row, &rules) {
                    Ok(r) => {
                        let outcome = writer.meeting(&r, source).await?;
                        run.done(kind, outcome, source, line, &cells);
                    }
                    Err(e) => run.field_errors(kind, source, line, &cells, e),
                },
                Kind::Agenda => match rows::agenda(row, &rules) {
                    Ok(r) => {
                        let outcome = writer.agenda(&r, source).await?;
                        run.done(kind, outcome, source, line, &cells);
                    }
                    Err(e) => run.field_errors(kind, source, line, &cells, e),
                },
                Kind::Inspections => match rows::inspection(row, &rules) {
                    Ok(r) => {
                        let outcome = writer.inspection(&r, source).await?;
                        run.done(kind, outcome, source, line, &cells);
                    }
                    Err(e) => run.field_errors(kind, source, line, &cells, e),
                },
                Kind::EducationEvents => match rows::education_event(row, &rules) {
                    Ok(r) => {
                        let outcome = writer.education_event(&r, source).await?;
                        run.done(kind, outcome, source, line, &cells);
                    }
                    Err(e) => run.field_errors(kind, source, line, &cells, e),
                },
            }
        }
    }
    if !stages_done {
        finish_stages(&mut run, &mut writer, stage_rows, only_stages).await?;
    }
    writer.flush().await?;
    writer.settle_cases().await?;
    crate::stats::counters::bump_many(&txn, &writer.deltas, "history import").await?;

    let commit = !options.dry_run && (run.report.problems.is_empty() || options.skip_invalid);
    if commit {
        txn.commit().await.context("committing the import")?;
    } else {
        txn.rollback().await.context("rolling the import back")?;
    }
    run.progress.finish(run.report.rows);
    let mut report = run.report;
    report.written = commit;
    report.kinds = Kind::ALL
        .into_iter()
        .filter_map(|k| {
            run.tallies.get(&k).map(|t| KindTally {
                kind: k.name().to_string(),
                added: t.added,
                updated: t.updated,
                unchanged: t.unchanged,
                invalid: t.invalid,
            })
        })
        .collect();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// The stage rows, checked together per case in `seq` order, then written; a new case with no
/// stage row gets the one its own row describes.
async fn finish_stages<C: sea_orm::ConnectionTrait>(
    run: &mut Run<'_>,
    writer: &mut Writer<'_, C>,
    rows: Vec<PendingStage>,
    only: HashMap<String, PendingStage>,
) -> anyhow::Result<()> {
    let named: HashSet<String> = rows.iter().map(|p| p.row.case_ref.clone()).collect();
    let mut all = rows;
    all.extend(
        only.into_iter()
            .filter(|(r, _)| !named.contains(r))
            .filter(|(r, _)| writer.cases.get(r).is_some_and(|c| c.new))
            .map(|(_, p)| p),
    );
    let mut by_case: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in all.iter().enumerate() {
        by_case.entry(p.row.case_ref.clone()).or_default().push(i);
    }
    writer.switch_to(Kind::Stages).await?;
    let mut bad: HashMap<usize, Vec<(String, String)>> = HashMap::new();
    for (case_ref, members) in &by_case {
        let Some(info) = writer.cases.get(case_ref) else { continue };
        let stages: Vec<&StageRow> = members.iter().map(|i| &all[*i].row).collect();
        for (seq, field, problem) in rows::stage_order_problems(info.received_on, &stages) {
            for i in members.iter().filter(|i| all[**i].row.seq == seq) {
                bad.entry(*i).or_default().push((field.to_string(), problem.clone()));
            }
        }
    }
    for (i, p) in all.iter().enumerate() {
        if let Some(found) = bad.remove(&i) {
            run.done(Kind::Stages, Err(found), &p.file, p.line, &p.cells);
            continue;
        }
        let outcome = writer.stage(&p.row, &p.file).await?;
        run.done(Kind::Stages, outcome, &p.file, p.line, &p.cells);
    }
    Ok(())
}
