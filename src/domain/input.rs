//! Input checking that names every bad field at once. Request bodies are deserialized with
//! every field optional; a `Check` then turns them into typed values, collecting one message
//! per bad or missing field, and `finish` answers 422 `validation_failed` if any were found.

use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound, Utc};

use crate::error::{AppError, FieldErrors};
use crate::time::taipei_date;

/// Maximum lengths, in characters, shared by all capabilities. Every text field has one, and
/// the OpenAPI document states it (`openapi::fields`).
/// The languages accounts, consumers and mail may be in.
pub const LOCALES: [&str; 2] = ["zh-TW", "en"];
pub const NAME_MAX: usize = 100;
/// Business names, trading names, titles, places, agencies.
pub const TITLE_MAX: usize = 200;
pub const ADDRESS_MAX: usize = 300;
/// Reference-list codes, locales and other short codes.
pub const CODE_MAX: usize = 64;
/// Reasons, notes, offers, short answers.
pub const NOTE_MAX: usize = 2000;
/// Descriptions, answers, terms, minutes.
pub const TEXT_MAX: usize = 5000;
/// The free-text search `q` of every list (API.md "Second edition — Input").
pub const Q_MAX: usize = 200;
pub const EMAIL_MAX: usize = 254;
pub const EMAIL_LOCAL_MAX: usize = 64;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;
pub const PHONE_MAX: usize = 32;
/// Money is whole New Taiwan dollars, from 0 to a trillion.
pub const AMOUNT_MAX: i64 = 1_000_000_000_000;
/// The most officers or businesses one record names.
pub const LIST_MAX: usize = 50;
/// Items checked or violations found at one inspection.
pub const ITEMS_MAX: i64 = 100_000;
/// People at one education event.
pub const ATTENDEES_MAX: i64 = 1_000_000;

/// Characters an e-mail domain label may not hold (besides white space and controls).
pub const EMAIL_DOMAIN_FORBIDDEN: &str = "<>,@()[]\\;:\"'/!#$%&*+=?^`{|}~_.";
/// Characters the local part may not hold (besides white space and controls).
pub const EMAIL_LOCAL_FORBIDDEN: &str = "<>,@";

/// An e-mail address as sent: `local@domain.tld`, no white space or control characters,
/// at most 254 characters, a local part of at most 64.
pub fn email_problem(email: &str) -> Option<&'static str> {
    if email.trim().is_empty() {
        return Some("is required");
    }
    if email.chars().count() > EMAIL_MAX {
        return Some("is too long (254 characters at most)");
    }
    let plain = |c: char, forbidden: &str| !c.is_whitespace() && !is_forbidden_in_line(c) && !forbidden.contains(c);
    let Some((local, domain)) = email.split_once('@') else {
        return Some("is not a valid e-mail address");
    };
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| plain(c, EMAIL_DOMAIN_FORBIDDEN)));
    let local_ok = !local.is_empty()
        && local.chars().count() <= EMAIL_LOCAL_MAX
        && local.chars().all(|c| plain(c, EMAIL_LOCAL_FORBIDDEN));
    if local_ok && domain_ok { None } else { Some("is not a valid e-mail address") }
}

/// The entries of at least 10 characters of Django's list of the 20,000 most common passwords
/// (BSD licence), lower-cased: NIST SP 800-63B §5.1.1.2 asks that a new password be checked
/// against values known to be commonly used. Shorter entries are refused by length anyway.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

fn is_common_password(password: &str) -> bool {
    let lowered = password.to_lowercase();
    COMMON_PASSWORDS.lines().any(|line| line == lowered)
}

/// A new password: 10 to 128 characters (NIST SP 800-63B: a length, no composition rules)
/// and not one of the commonly used ones.
pub fn password_problem(password: &str) -> Option<&'static str> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        Some("must be at least 10 characters long")
    } else if n > PASSWORD_MAX {
        Some("must be at most 128 characters long")
    } else if is_common_password(password) {
        Some("is one of the most commonly used passwords; choose another")
    } else {
        None
    }
}

/// Digits, spaces and `+-()#`; 6 to 20 digits; at most 32 characters.
pub fn phone_problem(phone: &str) -> Option<&'static str> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone.chars().all(|c| c.is_ascii_digit() || " +-()#".contains(c));
    if !allowed || !(6..=20).contains(&digits) || phone.chars().count() > PHONE_MAX {
        Some("is not a valid telephone number")
    } else {
        None
    }
}

/// The two kinds of free text (API.md "Second edition — Input").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// Names, titles, places, phones, reasons, codes: one line.
    Line,
    /// Descriptions, notes, answers, terms: line breaks allowed.
    Block,
}

/// Characters no text field takes: C0 controls, DEL and the Unicode line and paragraph
/// separators. In a mail header, a CSV cell or a log line they are how injection starts.
pub fn is_forbidden_in_line(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}' | '\u{2028}' | '\u{2029}')
}

/// Multi-line fields keep line breaks (CR, LF and the Unicode separators) and refuse the rest.
pub fn is_forbidden_in_block(c: char) -> bool {
    !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}') && is_forbidden_in_line(c)
}

/// What is wrong with a text value of `kind`, if anything (emptiness aside).
pub fn text_problem(value: &str, max: usize, kind: TextKind) -> Option<String> {
    let forbidden = match kind {
        TextKind::Line => is_forbidden_in_line,
        TextKind::Block => is_forbidden_in_block,
    };
    if value.chars().any(forbidden) {
        return Some(match kind {
            TextKind::Line => "must be one line without control characters".into(),
            TextKind::Block => "must not contain control characters other than line breaks".into(),
        });
    }
    if value.chars().count() > max {
        return Some(format!("is too long ({max} characters at most)"));
    }
    None
}

/// The Consumer Protection Act came into force on 1994-01-13: nothing the office records
/// happened before (API.md "Second edition — Input").
pub const CPA_IN_FORCE: NaiveDate = match NaiveDate::from_ymd_opt(1994, 1, 13) {
    Some(date) => date,
    None => panic!("a valid date"),
};

/// Why a recorded day (a filing, a meeting, an inspection) cannot be, if it cannot.
pub fn day_problem(date: NaiveDate, today: NaiveDate) -> Option<&'static str> {
    if date > today {
        Some("must not be in the future")
    } else if date < CPA_IN_FORCE {
        Some("must not be before 1994-01-13 (the Consumer Protection Act in force)")
    } else {
        None
    }
}

/// Collects field problems.
#[derive(Debug, Default)]
pub struct Check {
    fields: FieldErrors,
}

impl Check {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.fields.entry(field.to_string()).or_default().push(problem.into());
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    pub fn is_ok(&self) -> bool {
        self.fields.is_empty()
    }

    /// Adds the problems found while deserializing (wrong types and formats).
    pub fn merge(&mut self, other: FieldErrors) {
        for (field, problems) in other {
            self.fields.entry(field).or_default().extend(problems);
        }
    }

    /// A required value: `None` is reported as missing.
    pub fn required<T: Default>(&mut self, field: &str, value: Option<T>) -> T {
        match value {
            Some(v) => v,
            None => {
                if !self.has(field) {
                    self.add(field, "is required");
                }
                T::default()
            }
        }
    }

    /// Required one-line text (names, titles, codes, reasons): no control characters,
    /// at most `max` characters as sent, not blank; answered trimmed.
    pub fn text(&mut self, field: &str, value: Option<String>, max: usize) -> String {
        self.required_text(field, value, max, TextKind::Line)
    }

    /// Optional one-line text; blank counts as absent.
    pub fn optional_text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        self.optional(field, value, max, TextKind::Line)
    }

    /// Required multi-line text (descriptions, notes, answers): line breaks kept, other control
    /// characters refused.
    pub fn block(&mut self, field: &str, value: Option<String>, max: usize) -> String {
        self.required_text(field, value, max, TextKind::Block)
    }

    /// Optional multi-line text; blank counts as absent.
    pub fn optional_block(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        self.optional(field, value, max, TextKind::Block)
    }

    fn required_text(&mut self, field: &str, value: Option<String>, max: usize, kind: TextKind) -> String {
        let value = self.required(field, value);
        if !self.has(field) && !self.shape(field, &value, max, kind) {
            return String::new();
        }
        let trimmed = value.trim();
        if trimmed.is_empty() && !self.has(field) {
            self.add(field, "must not be empty");
        }
        trimmed.to_string()
    }

    fn optional(&mut self, field: &str, value: Option<String>, max: usize, kind: TextKind) -> Option<String> {
        let value = value?;
        if !self.shape(field, &value, max, kind) {
            return None;
        }
        Some(value.trim().to_string()).filter(|v| !v.is_empty())
    }

    /// Length (as sent, so the OpenAPI `maxLength` says the same) and characters.
    fn shape(&mut self, field: &str, value: &str, max: usize, kind: TextKind) -> bool {
        if let Some(problem) = text_problem(value, max, kind) {
            self.add(field, problem);
            return false;
        }
        true
    }

    /// Required e-mail, lower-cased (e-mail is case-insensitive here).
    pub fn email(&mut self, field: &str, value: Option<String>) -> String {
        let value = self.required(field, value);
        match email_problem(&value) {
            Some(problem) if !self.has(field) => self.add(field, problem),
            _ => {}
        }
        value.to_lowercase()
    }

    /// Optional e-mail; an empty string counts as absent.
    pub fn optional_email(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = value.filter(|v| !v.is_empty())?;
        if let Some(problem) = email_problem(&value) {
            self.add(field, problem);
        }
        Some(value.to_lowercase())
    }

    pub fn password(&mut self, field: &str, value: Option<String>) -> String {
        let value = self.required(field, value);
        match password_problem(&value) {
            Some(problem) if !self.has(field) => self.add(field, problem),
            _ => {}
        }
        value
    }

    /// Optional language of an account or a consumer: one of `LOCALES`.
    pub fn optional_locale(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let locale = value?;
        self.one_of(field, &locale, &LOCALES);
        Some(locale)
    }

    /// Optional telephone number; only spaces counts as absent.
    pub fn optional_phone(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = value?;
        if value.chars().count() > PHONE_MAX {
            self.add(field, "is not a valid telephone number");
            return None;
        }
        let value = Some(value).filter(|v| v.chars().any(|c| c != ' '))?;
        if let Some(problem) = phone_problem(&value) {
            self.add(field, problem);
        }
        Some(value.trim_matches(' ').to_string())
    }

    /// A moment staff record as past (a paper filing, a back-dated action, a meeting held):
    /// from 1994-01-13 (Taipei) to now, kept to the microsecond both databases store.
    pub fn past_instant(
        &mut self,
        field: &str,
        value: Option<DateTime<FixedOffset>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let value = value?.with_timezone(&Utc).trunc_subsecs(6);
        if value > now {
            self.add(field, "must not be in the future");
        } else if let Some(problem) = day_problem(taipei_date(value), taipei_date(now)) {
            self.add(field, problem);
        }
        Some(value)
    }

    /// A required past day (an inspection, an education event).
    pub fn past_day(&mut self, field: &str, value: Option<NaiveDate>, today: NaiveDate) -> NaiveDate {
        let date = self.required(field, value);
        if !self.has(field)
            && let Some(problem) = day_problem(date, today)
        {
            self.add(field, problem);
        }
        date
    }

    /// An amount of money: whole NT dollars, 0 to `AMOUNT_MAX`.
    pub fn amount(&mut self, field: &str, value: Option<i64>) -> Option<i64> {
        let value = value?;
        if !(0..=AMOUNT_MAX).contains(&value) {
            self.add(field, "must be a whole number of NT dollars between 0 and 1,000,000,000,000");
        }
        Some(value)
    }

    /// A count of things or people, 0 to `max`.
    pub fn count(&mut self, field: &str, value: Option<i64>, max: i64) -> Option<i32> {
        let v = value?;
        if !(0..=max).contains(&v) {
            self.add(field, format!("must be a whole number from 0 to {max}"));
            return None;
        }
        i32::try_from(v).ok()
    }

    /// A value that must be one of `allowed`.
    pub fn one_of(&mut self, field: &str, value: &str, allowed: &[&str]) {
        if !self.has(field) && !allowed.contains(&value) {
            self.add(field, format!("must be one of: {}", allowed.join(", ")));
        }
    }

    /// The problems found, by field.
    pub fn into_problems(self) -> FieldErrors {
        self.fields
    }

    /// Fails with 422 `validation_failed` naming every field found bad.
    pub fn finish(self) -> Result<(), AppError> {
        if self.fields.is_empty() { Ok(()) } else { Err(AppError::validation(self.fields)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for good in ["a@b.tw", "Chen.Mei-Ling+case@mail.kcg.gov.tw", "x@例子.台灣"] {
            assert_eq!(email_problem(good), None, "{good}");
        }
        for bad in [
            "", "plain", "a@b", "@b.tw", "a@.tw", "a b@c.tw", "a@b..tw", "a@b.tw.", "<a>@b.tw", " a@b.tw", "a@b.tw\n",
            "a@b_c.tw",
        ] {
            assert!(email_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(password_problem("123456789").is_some());
        assert_eq!(password_problem("1234567x90"), None);
        assert_eq!(password_problem("消費者保護官室密碼一"), None); // 10 characters, 30 bytes
        assert!(password_problem(&"x".repeat(129)).is_some());
        assert_eq!(password_problem(&"x".repeat(128)), None);
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for common in ["1234567890", "Password123", "qwertyuiop", "ILOVEYOU12"] {
            assert_eq!(
                password_problem(common),
                Some("is one of the most commonly used passwords; choose another"),
                "{common}"
            );
        }
        assert_eq!(password_problem("correct-horse-1"), None);
    }

    #[test]
    fn phones() {
        assert_eq!(phone_problem("07-799-5678"), None);
        assert_eq!(phone_problem("+886 912 345 678"), None);
        assert!(phone_problem("12345").is_some());
        assert!(phone_problem("call me").is_some());
    }

    #[test]
    fn check_names_every_bad_field() {
        let mut c = Check::new();
        let name = c.text("name", Some("   ".into()), 10);
        let email = c.email("email", None);
        let pw = c.password("password", Some("short".into()));
        let ok = c.text("ok", Some(" fine ".into()), 10);
        assert_eq!((name.as_str(), email.as_str(), pw.as_str(), ok.as_str()), ("", "", "short", "fine"));
        let AppError::Validation { fields, .. } = c.finish().unwrap_err() else { panic!() };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["email", "name", "password"]);
        assert_eq!(fields["email"], ["is required"]);
    }
}
