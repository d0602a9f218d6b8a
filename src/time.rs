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

/// The dates a query may name: four-digit years, which SQLite (dates as text) and PostgreSQL
/// order alike.
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};
pub const LATEST: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// A period of Taipei dates, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// From optional `from`/`to` query values; a reversed period is refused with 422.
    pub fn optional(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Option<Period>, crate::error::AppError> {
        match (from, to) {
            (None, None) => Ok(None),
            (from, to) => {
                // Open ends, and given ends, are bounded by dates every database orders alike.
                let mut bad = crate::error::FieldErrors::new();
                for (field, day) in [("from", from), ("to", to)] {
                    if day.is_some_and(|d| !(EARLIEST..=LATEST).contains(&d)) {
                        bad.insert(field.into(), vec!["must be a date from 0001-01-01 to 9999-12-31".into()]);
                    }
                }
                if !bad.is_empty() {
                    return Err(crate::error::AppError::validation(bad));
                }
                let period = Period { from: from.unwrap_or(EARLIEST), to: to.unwrap_or(LATEST) };
                if period.from > period.to {
                    return Err(crate::error::AppError::field("to", "must not be before `from`"));
                }
                Ok(Some(period))
            }
        }
    }

    /// Both ends required.
    pub fn required(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Period, crate::error::AppError> {
        let mut missing = crate::error::FieldErrors::new();
        for (field, day) in [("from", from), ("to", to)] {
            if day.is_none() {
                missing.insert(field.into(), vec!["is required (YYYY-MM-DD)".into()]);
            }
        }
        if !missing.is_empty() {
            return Err(crate::error::AppError::validation(missing));
        }
        Ok(Period::optional(from, to)?.expect("both ends are present"))
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}
