//! The import's report as a person reads it, and the problems file `--skip-invalid` writes.

use std::fmt::Write as _;

use super::Report;

/// Problems printed before "… and N more" (the problems file has them all).
const SHOWN: usize = 200;

pub fn text(report: &Report) -> String {
    let mut out = String::new();
    for p in report.problems.iter().take(SHOWN) {
        let _ = writeln!(out, "{}: row {}: {}: {}", p.file, p.row, p.field, p.problem);
    }
    if report.problems.len() > SHOWN {
        let _ = writeln!(out, "… and {} more problems", report.problems.len() - SHOWN);
    }
    for c in &report.ignored_columns {
        let _ = writeln!(out, "column not read: {c}");
    }
    for t in &report.kinds {
        let _ = writeln!(
            out,
            "{}: {} added, {} updated, {} unchanged, {} invalid",
            t.kind, t.added, t.updated, t.unchanged, t.invalid
        );
    }
    let verdict = match (report.dry_run, report.written) {
        (true, _) if report.problems.is_empty() => "dry run: every row passes; nothing written",
        (true, _) => "dry run: nothing written",
        (false, true) => "written",
        (false, false) => "nothing written",
    };
    let _ = writeln!(
        out,
        "{} rows in {:.1} s ({:.0} rows/s); {} rows with problems; {verdict}",
        report.rows,
        report.seconds,
        report.rows_per_second(),
        report.invalid_rows
    );
    out
}

/// `file,row,field,problem` and then the row's own cells, one line per problem.
pub fn write_problems(path: &std::path::Path, report: &Report) -> anyhow::Result<()> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_path(path)?;
    w.write_record(["file", "row", "field", "problem", "cells…"])?;
    for p in &report.problems {
        let mut record = vec![p.file.clone(), p.row.to_string(), p.field.clone(), p.problem.clone()];
        record.extend(p.cells.iter().cloned());
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}
