//! Statistics: the office's report figures (kept as daily counters), monthly rows, the annual
//! report sentence, closed months and their corrections, breakdowns beyond the report, and the
//! public figures.

pub mod breakdowns;
pub mod counters;
pub mod figures;
pub mod periods;
pub mod published;
pub mod recount;
pub mod rollups;
pub mod transfers;
