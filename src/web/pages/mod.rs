//! The pages, by who uses them.

pub mod account;
pub mod business_record;
pub mod cases;
pub mod imports;
pub mod meetings;
pub mod public;
pub mod scorecards;
pub mod staff;
pub mod stats;
