//! Government office calendars (中華民國政府行政機關辦公日曆表) and deadline arithmetic.
//!
//! A deadline of N days excludes the day of the event and ends at 23:59:59 Asia/Taipei on the
//! last day; when that day is not a working day it moves to the next working day (Civil Code
//! Art. 122, Administrative Procedure Act Art. 48). Working days come from the DGPA calendars;
//! a year without a calendar falls back to Saturday/Sunday rest days (and says so in the log);
//! ad-hoc closures (typhoon days) are passed in by the caller, who keeps them per jurisdiction.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

use crate::time::taipei;

/// Ad-hoc closures: date → reason.
pub type Closures = BTreeMap<NaiveDate, String>;

/// The calendars shipped with the binary; files under `calendar.dir` add or replace years.
const EMBEDDED: [&str; 9] = [
    include_str!("../../config/calendar/roc-108.csv"),
    include_str!("../../config/calendar/roc-109.csv"),
    include_str!("../../config/calendar/roc-110.csv"),
    include_str!("../../config/calendar/roc-111.csv"),
    include_str!("../../config/calendar/roc-112.csv"),
    include_str!("../../config/calendar/roc-113.csv"),
    include_str!("../../config/calendar/roc-114.csv"),
    include_str!("../../config/calendar/roc-115.csv"),
    include_str!("../../config/calendar/roc-116.csv"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DaySource {
    /// The official office calendar of that year.
    Calendar,
    /// No calendar for that year: Saturdays and Sundays are rest days.
    WeekendFallback,
    /// An ad-hoc closure entered by an officer.
    Closure,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub working: bool,
    pub reason: String,
    pub source: DaySource,
}

#[derive(Debug)]
pub struct OfficeCalendar {
    days: HashMap<NaiveDate, (bool, String)>,
    years: BTreeSet<i32>,
    warned: Mutex<HashSet<i32>>,
}

/// One DGPA CSV file: `西元日期,星期,是否放假,備註`, UTF-8 with a BOM, CRLF line ends;
/// `是否放假` is 2 for a rest day and 0 for a working day.
pub fn parse_csv(text: &str) -> Result<Vec<(NaiveDate, bool, String)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    match lines.next() {
        Some(header) if header.starts_with("西元日期") => {}
        other => return Err(format!("unexpected header {other:?}")),
    }
    let mut rows = Vec::new();
    for (number, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < 3 {
            return Err(format!("line {}: expected at least 3 fields", number + 2));
        }
        let date = NaiveDate::parse_from_str(fields[0].trim(), "%Y%m%d")
            .map_err(|e| format!("line {}: bad date {:?}: {e}", number + 2, fields[0]))?;
        let working = match fields[2].trim() {
            "0" => true,
            "2" => false,
            other => return Err(format!("line {}: 是否放假 must be 0 or 2, not {other:?}", number + 2)),
        };
        let note = fields.get(3).map(|s| s.trim().to_string()).unwrap_or_default();
        rows.push((date, working, note));
    }
    Ok(rows)
}

impl OfficeCalendar {
    /// The embedded calendars, plus any `*.csv` under `dir` (a file replaces its whole year).
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        let mut calendar = Self { days: HashMap::new(), years: BTreeSet::new(), warned: Mutex::new(HashSet::new()) };
        for text in EMBEDDED {
            calendar.add(parse_csv(text).map_err(|e| anyhow::anyhow!("embedded calendar: {e}"))?);
        }
        if let Some(dir) = dir.filter(|d| d.is_dir()) {
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .with_context(|| format!("reading {}", dir.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
                .collect();
            files.sort();
            for path in files {
                let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                let rows = parse_csv(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                calendar.add(rows);
            }
        }
        Ok(calendar)
    }

    fn add(&mut self, rows: Vec<(NaiveDate, bool, String)>) {
        let years: BTreeSet<i32> = rows.iter().map(|(d, _, _)| d.year()).collect();
        self.days.retain(|d, _| !years.contains(&d.year()));
        self.years.extend(years);
        for (date, working, note) in rows {
            self.days.insert(date, (working, note));
        }
    }

    /// The office calendar of `date`'s year is loaded (else only weekends are rest days).
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.years.contains(&date.year())
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn day(&self, date: NaiveDate, closures: &Closures) -> Day {
        if let Some(reason) = closures.get(&date) {
            return Day { date, working: false, reason: reason.clone(), source: DaySource::Closure };
        }
        if let Some((working, note)) = self.days.get(&date) {
            let reason = match (working, note.is_empty()) {
                (_, false) => note.clone(),
                (true, true) => String::new(),
                (false, true) => "例假日".into(),
            };
            return Day { date, working: *working, reason, source: DaySource::Calendar };
        }
        if self.warned.lock().is_ok_and(|mut warned| warned.insert(date.year())) {
            tracing::warn!(
                year = date.year(),
                "no office calendar for this year: Saturdays and Sundays are taken as the only rest days"
            );
        }
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        Day {
            date,
            working: !weekend,
            reason: if weekend { "例假日".into() } else { String::new() },
            source: DaySource::WeekendFallback,
        }
    }

    pub fn is_working(&self, date: NaiveDate, closures: &Closures) -> bool {
        self.day(date, closures).working
    }

    /// The date itself if it is a working day, else the next working day.
    pub fn roll_forward(&self, mut date: NaiveDate, closures: &Closures) -> NaiveDate {
        // A run of rest days longer than a year cannot happen; the bound guards against a
        // misconfigured calendar turning this into an endless loop.
        for _ in 0..366 {
            if self.is_working(date, closures) {
                return date;
            }
            date = date + Days::new(1);
        }
        date
    }

    /// The last day of an N-day period starting after `from`, moved past rest days.
    pub fn last_day(&self, from: NaiveDate, days: u32, closures: &Closures) -> NaiveDate {
        self.roll_forward(from + Days::new(u64::from(days)), closures)
    }

    /// The deadline of an N-day period running from the event at `event_at`.
    pub fn deadline(&self, event_at: DateTime<Utc>, days: u32, closures: &Closures) -> DateTime<Utc> {
        end_of_day(self.last_day(crate::time::taipei_date(event_at), days, closures))
    }

    /// The working day `n` working days before `date` (for reminders ahead of a due date).
    pub fn working_days_before(&self, mut date: NaiveDate, n: u32, closures: &Closures) -> NaiveDate {
        let mut left = n;
        let mut guard = 0;
        while left > 0 && guard < 400 {
            date = date - Days::new(1);
            guard += 1;
            if self.is_working(date, closures) {
                left -= 1;
            }
        }
        date
    }
}

/// 23:59:59 Asia/Taipei of `date`, as an instant.
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"));
    taipei().from_local_datetime(&local).single().expect("a fixed offset has no gaps").with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> OfficeCalendar {
        OfficeCalendar::load(None).unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_shipped_calendars_parse_with_their_bom() {
        let c = cal();
        assert_eq!(c.years().collect::<Vec<_>>(), (2019..=2027).collect::<Vec<_>>());
        let new_year = c.day(d(2026, 1, 1), &Closures::new());
        assert_eq!((new_year.working, new_year.reason.as_str()), (false, "開國紀念日"));
        assert!(c.is_working(d(2026, 1, 2), &Closures::new()));
    }

    #[test]
    fn a_due_date_in_the_2026_lunar_new_year_moves_to_the_first_working_day_after_it() {
        // Filed 1 Feb 2026; 15 days later is 16 Feb, 農曆除夕. The closure runs to 22 Feb.
        let c = cal();
        assert_eq!(c.last_day(d(2026, 2, 1), 15, &Closures::new()), d(2026, 2, 23));
        let due = c.deadline(at("2026-02-01T10:00:00+08:00"), 15, &Closures::new());
        assert_eq!(due, at("2026-02-23T23:59:59+08:00"));
    }

    #[test]
    fn a_due_date_on_a_make_up_working_saturday_stays() {
        // 7 Jan 2023 was a Saturday worked in exchange for a bridge day (補行上班).
        let c = cal();
        assert_eq!(d(2023, 1, 7).weekday(), Weekday::Sat);
        assert_eq!(c.last_day(d(2022, 12, 23), 15, &Closures::new()), d(2023, 1, 7));
    }

    #[test]
    fn the_day_of_the_event_is_excluded_and_the_day_ends_at_midnight_taipei() {
        let c = cal();
        // Wednesday 4 March 2026 + 15 days = Thursday 19 March, a working day.
        let due = c.deadline(at("2026-03-04T23:30:00+08:00"), 15, &Closures::new());
        assert_eq!(due, at("2026-03-19T23:59:59+08:00"));
        // 00:30 Taipei on 5 March is still 4 March in UTC, but the Taipei date counts.
        let due = c.deadline(at("2026-03-04T16:30:00Z"), 15, &Closures::new());
        assert_eq!(due, at("2026-03-20T23:59:59+08:00"));
    }

    #[test]
    fn a_closure_moves_a_deadline_that_ends_on_it() {
        let c = cal();
        let mut closures = Closures::new();
        closures.insert(d(2026, 3, 19), "颱風停止上班".into());
        assert_eq!(c.last_day(d(2026, 3, 4), 15, &closures), d(2026, 3, 20));
        let day = c.day(d(2026, 3, 19), &closures);
        assert_eq!((day.working, day.source), (false, DaySource::Closure));
    }

    #[test]
    fn years_without_a_calendar_fall_back_to_weekends() {
        let c = cal();
        // 2030-01-01 is a Tuesday: without a calendar it counts as a working day.
        let day = c.day(d(2030, 1, 1), &Closures::new());
        assert_eq!((day.working, day.source), (true, DaySource::WeekendFallback));
        // Friday 4 Jan 2030 + 15 = Saturday 19 Jan → Monday 21 Jan.
        assert_eq!(c.last_day(d(2030, 1, 4), 15, &Closures::new()), d(2030, 1, 21));
    }

    #[test]
    fn working_days_before_a_due_date() {
        let c = cal();
        // Before Monday 23 Feb 2026 lie nine rest days (14–22 Feb); the working days before
        // them are 13, 12 and 11 Feb.
        assert_eq!(c.working_days_before(d(2026, 2, 23), 3, &Closures::new()), d(2026, 2, 11));
        assert_eq!(c.working_days_before(d(2026, 3, 19), 3, &Closures::new()), d(2026, 3, 16));
    }

    #[test]
    fn files_on_disk_replace_a_year_and_add_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("roc-119.csv"),
            "\u{feff}西元日期,星期,是否放假,備註\r\n20300101,二,2,開國紀念日\r\n",
        )
        .unwrap();
        let c = OfficeCalendar::load(Some(dir.path())).unwrap();
        assert!(!c.is_working(d(2030, 1, 1), &Closures::new()));
        assert!(parse_csv("wrong,header\n").is_err());
        assert!(parse_csv("西元日期,星期,是否放假,備註\n20300101,二,9,\n").is_err());
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        fn day() -> impl Strategy<Value = NaiveDate> {
            (0i64..40_000).prop_map(|n| NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Days::new(n as u64))
        }

        proptest! {
            /// What a DGPA file says is what is read: BOM, CRLF, header and all.
            #[test]
            fn a_calendar_file_reads_back(rows in proptest::collection::vec((day(), any::<bool>(), "[^,\r\n]{0,12}"), 0..40)) {
                let mut text = String::from("\u{feff}西元日期,星期,是否放假,備註\r\n");
                for (date, working, note) in &rows {
                    text.push_str(&format!("{},一,{},{}\r\n", date.format("%Y%m%d"), if *working { 0 } else { 2 }, note));
                }
                let read = parse_csv(&text).unwrap();
                let expected: Vec<(NaiveDate, bool, String)> =
                    rows.iter().map(|(d, w, n)| (*d, *w, n.trim().to_string())).collect();
                prop_assert_eq!(read, expected);
            }

            #[test]
            fn any_text_is_read_or_refused_without_panicking(text in "\\PC{0,200}") {
                let _ = parse_csv(&text);
                let _ = parse_csv(&format!("西元日期,星期,是否放假,備註\n{text}"));
            }

            /// Whatever the calendar says, a deadline lands on a working day on or after the
            /// plain count, and the reminder day lies before it.
            #[test]
            fn deadlines_roll_onto_working_days(from in day(), days in 1u32..60, n in 1u32..5) {
                let calendar = OfficeCalendar::load(None).unwrap();
                let closures = Closures::default();
                let last = calendar.last_day(from, days, &closures);
                prop_assert!(last >= from + chrono::Days::new(u64::from(days)));
                prop_assert!(calendar.is_working(last, &closures));
                prop_assert!(calendar.working_days_before(last, n, &closures) < last);
            }
        }
    }
}
