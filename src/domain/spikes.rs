//! Complaints that rose sharply (issue 19): a business's, or a category's, first complaints this
//! month against its own recent months. The rule is one an officer can read off the workbench:
//! "at least N this month, and at least R times the mean of the previous M months".

use chrono::{Datelike, Months, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    pub ratio: f64,
    pub min_complaints: i64,
    pub baseline_months: u32,
}

/// `Some(mean of the previous months)` when `this_month` is a spike against `previous` (the
/// counts of the previous `baseline_months`, absent months counting 0).
pub fn spike(t: &Threshold, this_month: i64, previous: &[i64]) -> Option<f64> {
    let months = f64::from(t.baseline_months.max(1));
    let mean = previous.iter().sum::<i64>() as f64 / months;
    (this_month >= t.min_complaints && this_month as f64 >= t.ratio * mean).then_some(mean)
}

/// The first day of `day`'s month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// How many months `month` is before `this_month` (both first days): 0 the same month.
pub fn months_before(this_month: NaiveDate, month: NaiveDate) -> i64 {
    i64::from(this_month.year() - month.year()) * 12 + i64::from(this_month.month()) - i64::from(month.month())
}

/// The first day of the earliest baseline month.
pub fn baseline_start(this_month: NaiveDate, t: &Threshold) -> NaiveDate {
    this_month.checked_sub_months(Months::new(t.baseline_months)).unwrap_or(this_month)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Threshold = Threshold { ratio: 2.0, min_complaints: 5, baseline_months: 6 };

    #[test]
    fn detected_at_the_threshold_and_not_below_it() {
        // Mean 3 over six months: 6 is twice it, 5 is not.
        let previous = [3, 3, 3, 3, 3, 3];
        assert_eq!(spike(&T, 6, &previous), Some(3.0));
        assert_eq!(spike(&T, 5, &previous), None);
        // A quiet business: 5 complaints from none is a spike, 4 is too few to say.
        assert_eq!(spike(&T, 5, &[]), Some(0.0));
        assert_eq!(spike(&T, 4, &[]), None);
    }

    #[test]
    fn months_count_back_across_the_year() {
        let dec = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(months_before(dec, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()), 6);
        let feb = NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
        assert_eq!(months_before(feb, dec), 2);
        assert_eq!(baseline_start(feb, &T), NaiveDate::from_ymd_opt(2026, 8, 1).unwrap());
        assert_eq!(month_of(NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()), dec);
    }
}
