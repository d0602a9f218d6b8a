//! What the generated document cannot know from the handlers' annotations alone, added once
//! for every operation, so that the document is a true contract (API.md "Second edition"):
//!
//! - the reference lists' configured codes, as enums of the fields that take them;
//! - the error answers every operation can give by construction — 401/403 behind sign-in,
//!   404 for a path naming a record, 400/413/415/422 for a body, 422 for query values — each
//!   with the error body;
//! - links from each create operation to the operations on what it made.

use serde_json::{Map, Value, json};

use super::fields::{REFERENCE_FORMAT_PREFIX, UUID_PATTERN};
use crate::reference::{CHANNELS, ReferenceSettings};

/// The configured codes of a reference list named in a field's format.
fn codes(reference: &ReferenceSettings, list: &str) -> Option<Vec<String>> {
    let codes: Vec<String> = match list {
        "categories" => reference.categories.iter().map(|c| c.code.clone()).collect(),
        "districts" => {
            reference.jurisdictions.iter().flat_map(|j| j.districts.iter().map(|d| d.code.clone())).collect()
        }
        "jurisdictions" => reference.jurisdictions.iter().map(|j| j.code.clone()).collect(),
        "jurisdictions_or_all" => {
            reference.jurisdictions.iter().map(|j| j.code.clone()).chain(["all".to_string()]).collect()
        }
        "channels" => CHANNELS.iter().map(|(code, _, _)| (*code).to_string()).collect(),
        "inspection_themes" => reference.inspection_themes.iter().map(|t| t.code.clone()).collect(),
        "education_kinds" => reference.education_kinds.iter().map(|k| k.code.clone()).collect(),
        _ => return None,
    };
    Some(codes)
}

/// Puts the configured codes into every schema whose format names a reference list.
fn fill_reference_enums(value: &mut Value, reference: &ReferenceSettings) {
    match value {
        Value::Object(map) => {
            let list = map
                .get("format")
                .and_then(Value::as_str)
                .and_then(|f| f.strip_prefix(REFERENCE_FORMAT_PREFIX))
                .map(str::to_string);
            if let Some(list) = list
                && let Some(codes) = codes(reference, &list)
            {
                let nullable = map.get("type").and_then(Value::as_array).is_some_and(|t| t.contains(&json!("null")));
                let mut values: Vec<Value> = codes.into_iter().map(Value::String).collect();
                if nullable {
                    values.push(Value::Null);
                }
                map.insert("enum".into(), Value::Array(values));
            }
            for child in map.values_mut() {
                fill_reference_enums(child, reference);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| fill_reference_enums(v, reference)),
        _ => {}
    }
}

/// A calendar date `YYYY-MM-DD`, years 0001 to 9999, with the right number of days in each
/// month (leap years included): JSON Schema's `format` is only an annotation, so the pattern
/// says it.
pub const DATE_PATTERN: &str = concat!(
    "(?:(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-",
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    "|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)-02-29)"
);
/// An RFC 3339 instant with its offset.
pub const TIME_PATTERN: &str =
    "[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";

/// Gives `format`ted strings (dates, instants, ids) the pattern that says what they hold.
fn pattern_for_formats(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let pattern = match map.get("format").and_then(Value::as_str) {
                Some("date") => Some(format!("^{DATE_PATTERN}$")),
                Some("date-time") => Some(format!("^{DATE_PATTERN}{TIME_PATTERN}$")),
                Some("uuid") => Some(format!("^{UUID_PATTERN}$")),
                _ => None,
            };
            if let Some(pattern) = pattern {
                map.entry("pattern").or_insert(Value::String(pattern));
            }
            map.values_mut().for_each(pattern_for_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(pattern_for_formats),
        _ => {}
    }
}

/// Takes `null` out of a schema (a required field, a query parameter).
fn not_null(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else { return };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types[0].clone();
            map.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    let single = map.get("oneOf").and_then(Value::as_array).and_then(|options| {
        let kept: Vec<&Value> = options.iter().filter(|o| o.get("type") != Some(&json!("null"))).collect();
        (kept.len() == 1 && kept.len() < options.len()).then(|| kept[0].clone())
    });
    if let Some(single) = single {
        map.remove("oneOf");
        if let Some(fields) = single.as_object() {
            for (k, v) in fields {
                map.entry(k.clone()).or_insert(v.clone());
            }
        }
    }
}

/// A field the server requires is never `null` (a `null` reads as missing), and a query,
/// path or header parameter is a string on the wire: absent, never `null`.
fn no_null_where_none_is_taken(doc: &mut Value) {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) => {
                let required: Vec<String> = map
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                if let Some(Value::Object(properties)) = map.get_mut("properties") {
                    for name in &required {
                        if let Some(property) = properties.get_mut(name) {
                            not_null(property);
                        }
                    }
                }
                if map.contains_key("in")
                    && let Some(schema) = map.get_mut("schema")
                {
                    not_null(schema);
                }
                map.values_mut().for_each(walk);
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(doc);
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    })
}

/// The statuses an operation answers by construction, with why.
fn standard_errors(operation: &Map<String, Value>, path: &str) -> Vec<(&'static str, &'static str)> {
    let mut errors = Vec::new();
    let secured = operation.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
    if secured {
        errors.push(("401", "`unauthorized`: no valid access token"));
        errors.push(("403", "`forbidden` or `account_disabled`: the caller's role may not do this"));
    }
    if path.contains('{') {
        errors.push(("404", "`not_found`: no such record, or one the caller may not see"));
    }
    let parameters = operation.get("parameters").and_then(Value::as_array);
    if parameters.is_some_and(|p| p.iter().any(|p| p["in"] == "query" || p["in"] == "header")) {
        errors.push(("422", "`validation_failed`: a query value or header is malformed or out of range"));
    }
    if operation.contains_key("requestBody") {
        errors.push(("413", "`payload_too_large`"));
        errors.push(("415", "`unsupported_media_type`: the body is not of the documented type"));
        errors.push(("422", "`validation_failed`: names every bad or missing field"));
        errors.push(("400", "`bad_request`: a body that cannot be read (malformed JSON or multipart)"));
    }
    errors
}

fn add_standard_errors(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for operation in item.values_mut() {
            let Some(operation) = operation.as_object_mut() else { continue };
            let errors = standard_errors(operation, path);
            let responses = operation.entry("responses").or_insert_with(|| json!({}));
            let Some(responses) = responses.as_object_mut() else { continue };
            for (status, description) in errors {
                responses.entry(status).or_insert_with(|| error_response(description));
            }
        }
    }
}

/// The path parameters of a path template, in order.
fn parameters_of(path: &str) -> Vec<&str> {
    path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect()
}

/// Links from each create operation (POST answering 201) to every operation on the record
/// it made: those under `<path>/{x}`, with `x` taken from the created record's `id`.
fn add_links(doc: &mut Value) {
    let Some(paths) = doc.get("paths").and_then(Value::as_object).cloned() else { return };
    let mut links: Vec<(String, Map<String, Value>)> = Vec::new();
    for (path, item) in &paths {
        if item.pointer("/post/responses/201").is_none() {
            continue;
        }
        let own = parameters_of(path);
        let mut found = Map::new();
        for (other, other_item) in &paths {
            let Some(rest) = other.strip_prefix(path.as_str()).and_then(|r| r.strip_prefix("/{")) else { continue };
            let Some(new_param) = rest.split('}').next() else { continue };
            let Some(other_item) = other_item.as_object() else { continue };
            for operation in other_item.values() {
                let Some(operation_id) = operation.get("operationId").and_then(Value::as_str) else { continue };
                let mut parameters = Map::new();
                for name in parameters_of(other) {
                    let source = if name == new_param {
                        "$response.body#/id".to_string()
                    } else if own.contains(&name) {
                        format!("$request.path.{name}")
                    } else {
                        continue;
                    };
                    parameters.insert(name.to_string(), Value::String(source));
                }
                if parameters_of(other).len() != parameters.len() {
                    continue;
                }
                found.insert(operation_id.to_string(), json!({"operationId": operation_id, "parameters": parameters}));
            }
        }
        if !found.is_empty() {
            links.push((path.clone(), found));
        }
    }
    for (path, found) in links {
        if let Some(response) =
            doc.pointer_mut(&format!("/paths/{}/post/responses/201", path.replace('~', "~0").replace('/', "~1")))
            && let Some(response) = response.as_object_mut()
        {
            response.insert("links".into(), Value::Object(found));
        }
    }
}

/// The document as served: the generated one, completed as the module says.
pub fn complete(doc: &utoipa::openapi::OpenApi, reference: &ReferenceSettings) -> Value {
    // utoipa's types serialize; their untagged enums do not read back, so the document is
    // completed and served as JSON.
    let mut value = serde_json::to_value(doc).unwrap_or_else(|_| json!({}));
    fill_reference_enums(&mut value, reference);
    pattern_for_formats(&mut value);
    no_null_where_none_is_taken(&mut value);
    add_standard_errors(&mut value);
    add_links(&mut value);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The date and instant patterns accept what the server parses, and refuse what it refuses.
    #[test]
    fn date_and_time_patterns_agree_with_chrono() {
        let date = regex::Regex::new(&format!("^{DATE_PATTERN}$")).unwrap();
        let mut day = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        let last = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
        while day <= last {
            assert!(date.is_match(&day.format("%Y-%m-%d").to_string()), "{day}");
            day = day + chrono::Days::new(97);
        }
        for leap in ["2000-02-29", "2024-02-29", "0004-02-29", "1600-02-29"] {
            assert!(date.is_match(leap) && leap.parse::<chrono::NaiveDate>().is_ok(), "{leap}");
        }
        for bad in ["1900-02-29", "2023-02-29", "2026-04-31", "0000-01-01", "2026-13-01", "2026-1-01", ""] {
            assert!(!date.is_match(bad), "{bad}");
        }
        let instant = regex::Regex::new(&format!("^{DATE_PATTERN}{TIME_PATTERN}$")).unwrap();
        for good in ["2026-11-29T09:00:00+08:00", "2026-11-29t09:00:00.123456789z", "1994-01-13T00:00:00-05:30"] {
            assert!(instant.is_match(good), "{good}");
            assert!(serde_json::from_value::<chrono::DateTime<chrono::FixedOffset>>(json!(good)).is_ok(), "{good}");
        }
        for bad in ["2026-11-29 09:00:00+08:00", "2026-11-29T24:00:00Z", "2026-11-29T09:00:00", ""] {
            assert!(!instant.is_match(bad), "{bad}");
        }
    }

    #[test]
    fn required_fields_and_parameters_take_no_null() {
        let mut doc = json!({
            "components": {"schemas": {"Body": {
                "type": "object", "required": ["a", "b"],
                "properties": {
                    "a": {"type": ["string", "null"], "format": "uuid"},
                    "b": {"oneOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}]},
                    "c": {"type": ["string", "null"]}
                }
            }}},
            "paths": {"/x": {"get": {"parameters": [{"name": "to", "in": "query", "schema": {"type": ["string", "null"]}}]}}}
        });
        no_null_where_none_is_taken(&mut doc);
        let body = &doc["components"]["schemas"]["Body"]["properties"];
        assert_eq!(body["a"]["type"], "string");
        assert_eq!(body["b"]["$ref"], "#/components/schemas/X");
        assert_eq!(body["c"]["type"], json!(["string", "null"]), "optional fields keep null");
        assert_eq!(doc["paths"]["/x"]["get"]["parameters"][0]["schema"]["type"], "string");
    }
}
