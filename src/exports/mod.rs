//! Exports for staff — cases, and each other kind of record (`records`) — CSV, XLSX and ODS (Taiwan's offices work in ODF) — streamed from a
//! database cursor through bounded channels, so memory stays flat whatever the row count. The
//! anonymous variant leaves out names, contacts, addresses and narratives.

pub mod records;
pub mod sheet;
pub mod stream;
