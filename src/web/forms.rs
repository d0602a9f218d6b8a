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

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// A form as a browser encodes it decodes to the same fields.
            #[test]
            fn forms_decode_what_browsers_encode(fields in proptest::collection::hash_map("\\PC{1,10}", "\\PC{0,30}", 0..8)) {
                let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields.iter()).finish();
                let parsed = FormValues::parse(&Bytes::from(body));
                prop_assert_eq!(parsed.0, fields);
            }

            #[test]
            fn typed_numbers_keep_their_value(n in any::<i64>()) {
                let with_commas = crate::domain::report::thousands(n);
                prop_assert_eq!(number(&with_commas), Some(serde_json::json!(n)));
                prop_assert_eq!(number(&format!(" {n} ")), Some(serde_json::json!(n)));
            }

            #[test]
            fn any_typing_decodes_without_panicking(text in "\\PC{0,40}") {
                let _ = number(&text);
                let _ = taipei_instant(&text);
                let _ = FormValues::parse(&Bytes::from(text.clone()));
            }

            /// A `datetime-local` value becomes the same wall-clock time in Taipei.
            #[test]
            fn local_times_are_taipei_instants(minutes in 0i64..(200 * 365 * 24 * 60)) {
                let local = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap()
                    + chrono::Duration::minutes(minutes);
                let typed = local.format("%Y-%m-%dT%H:%M").to_string();
                let instant = chrono::DateTime::parse_from_rfc3339(&taipei_instant(&typed).unwrap()).unwrap();
                prop_assert_eq!(instant.naive_local(), local);
                prop_assert_eq!(instant.offset().local_minus_utc(), 8 * 3600);
            }
        }
    }
}
