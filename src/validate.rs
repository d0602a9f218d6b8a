//! Input checking that names every bad field at once. Request bodies are deserialized with
//! every field optional; a `Check` then turns them into typed values, collecting one message
//! per bad or missing field, and `finish` answers 422 `validation_failed` if any were found.

use crate::error::{AppError, FieldErrors};

/// Maximum lengths, in characters, shared by all capabilities.
pub const NAME_MAX: usize = 100;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

pub fn email_problem(email: &str) -> Option<&'static str> {
    let email = email.trim();
    if email.is_empty() {
        return Some("is required");
    }
    if email.chars().count() > EMAIL_MAX {
        return Some("is too long (254 characters at most)");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Some("is not a valid e-mail address");
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.contains('@')
        && local.chars().all(|c| !c.is_whitespace() && !c.is_control() && c != '<' && c != '>' && c != ',');
    if local_ok && domain_ok { None } else { Some("is not a valid e-mail address") }
}

pub fn password_problem(password: &str) -> Option<&'static str> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        Some("must be at least 10 characters long")
    } else if n > PASSWORD_MAX {
        Some("must be at most 128 characters long")
    } else {
        None
    }
}

pub fn phone_problem(phone: &str) -> Option<&'static str> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone.chars().all(|c| c.is_ascii_digit() || " +-()#".contains(c));
    if !allowed || !(6..=20).contains(&digits) || phone.len() > 32 {
        Some("is not a valid telephone number")
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

    /// Required text, trimmed, 1..=max characters.
    pub fn text(&mut self, field: &str, value: Option<String>, max: usize) -> String {
        let value = self.required(field, value);
        let trimmed = value.trim();
        if trimmed.is_empty() {
            if !self.has(field) {
                self.add(field, "must not be empty");
            }
        } else if trimmed.chars().count() > max {
            self.add(field, format!("is too long ({max} characters at most)"));
        }
        trimmed.to_string()
    }

    /// Optional text, trimmed; an empty string counts as absent.
    pub fn optional_text(&mut self, field: &str, value: Option<String>, max: usize) -> Option<String> {
        let trimmed = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())?;
        if trimmed.chars().count() > max {
            self.add(field, format!("is too long ({max} characters at most)"));
        }
        Some(trimmed)
    }

    /// Required e-mail, trimmed and lower-cased (e-mail is case-insensitive here).
    pub fn email(&mut self, field: &str, value: Option<String>) -> String {
        let value = self.required(field, value);
        match email_problem(&value) {
            Some(problem) if !self.has(field) => self.add(field, problem),
            _ => {}
        }
        value.trim().to_lowercase()
    }

    pub fn optional_email(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())?;
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

    pub fn optional_phone(&mut self, field: &str, value: Option<String>) -> Option<String> {
        let value = value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())?;
        if let Some(problem) = phone_problem(&value) {
            self.add(field, problem);
        }
        Some(value)
    }

    /// A value that must be one of `allowed`.
    pub fn one_of(&mut self, field: &str, value: &str, allowed: &[&str]) {
        if !self.has(field) && !allowed.contains(&value) {
            self.add(field, format!("must be one of: {}", allowed.join(", ")));
        }
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
        for bad in ["", "plain", "a@b", "@b.tw", "a@.tw", "a b@c.tw", "a@b..tw", "a@b.tw.", "<a>@b.tw"] {
            assert!(email_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(password_problem("123456789").is_some());
        assert_eq!(password_problem("1234567890"), None);
        assert_eq!(password_problem("消費者保護官室密碼一"), None); // 10 characters, 30 bytes
        assert!(password_problem(&"x".repeat(129)).is_some());
        assert_eq!(password_problem(&"x".repeat(128)), None);
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
