//! Form values as typed, to show them again next to the API's refusal.

use std::collections::HashMap;

use axum::body::Bytes;

#[derive(Debug, Clone, Default)]
pub struct FormValues(pub HashMap<String, String>);

impl FormValues {
    pub fn parse(body: &Bytes) -> Self {
        FormValues(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }

    /// The value trimmed, `None` when blank.
    pub fn opt(&self, key: &str) -> Option<String> {
        Some(self.get(key).trim().to_string()).filter(|v| !v.is_empty())
    }

    pub fn insert(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
}

/// A `datetime-local` value (no offset) as a Taipei instant, RFC 3339.
pub fn taipei_instant(value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let with_seconds = if value.len() == 16 { format!("{value}:00") } else { value.to_string() };
    Some(format!("{with_seconds}+08:00"))
}

/// A number typed in a form: the JSON number when it parses, else the text (the API then
/// names the field).
pub fn number(value: &str) -> Option<serde_json::Value> {
    let value = value.trim().replace(',', "");
    if value.is_empty() {
        return None;
    }
    Some(value.parse::<i64>().map(serde_json::Value::from).unwrap_or(serde_json::Value::String(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values() {
        assert_eq!(taipei_instant("2026-12-10T14:00").as_deref(), Some("2026-12-10T14:00:00+08:00"));
        assert_eq!(taipei_instant(" "), None);
        assert_eq!(number("32,000"), Some(serde_json::json!(32000)));
        assert_eq!(number("lots"), Some(serde_json::json!("lots")));
        assert_eq!(number(""), None);
    }
}
