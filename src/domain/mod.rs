//! The domain: pure rules with their own unit and property tests — the workflow table, the
//! 統一編號 checksum, office calendars and deadline arithmetic, input checks, the report's
//! wording. It imports nothing above the base modules (`error`, `time`), so every layer may
//! use it and it changes only when the law or the office does.

pub mod calendar;
pub mod deadlines;
pub mod figures;
pub mod input;
pub mod objection;
pub mod plan;
pub mod report;
pub mod similarity;
pub mod spikes;
pub mod tax_id;
pub mod workflow;
