//! Cases (消費爭議案件): filing, the workflow of stages and statuses, the timeline, notes,
//! evidence, visibility and the access log.

pub mod actions;
pub mod attachments;
pub mod documents;
pub mod duplicates;
pub mod filing;
pub mod notes;
pub mod queries;
pub mod view;
