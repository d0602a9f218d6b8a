//! Public business scorecards (issue 19): each business's first complaints in a period, how it
//! answered them, how they ended and what the consumers thought, with the per-case open data
//! that lets anyone recompute every figure. No person is in any of it.

pub mod cards;
pub mod national;
pub mod open_data;
pub mod records;

pub use cards::{Scorecard, ScorecardList, Sort};
