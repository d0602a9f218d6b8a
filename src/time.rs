//! Clock and time-zone helpers. The office works in Asia/Taipei, which has kept UTC+8 without
//! daylight saving since 1979, so a fixed offset is exact for every date this system handles.

use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound, Utc};

pub fn taipei() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Now, truncated to microseconds: PostgreSQL keeps microseconds, and a timestamp must read
/// back equal to what was written on both databases.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The Taipei calendar date of an instant.
pub fn taipei_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&taipei()).date_naive()
}
