//! Our own request extractors, so that every rejection (wrong content type, malformed JSON,
//! wrong field types, bad query strings, over-long bodies) answers in the API's error format.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::input::Check;
use crate::error::{AppError, FieldErrors};
use crate::reference::ReferenceSettings;
use crate::state::AppState;

/// JSON request body or response. As a request extractor it answers 415 for a wrong content
/// type, 413 over the body limit, 400 for malformed JSON and 422 naming each field of the
/// wrong type.
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn is_json(parts_headers: &axum::http::HeaderMap) -> bool {
    parts_headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Reads the body as a JSON object, without deserializing it into a type yet.
async fn json_object(req: Request, state: &AppState) -> Result<Value, AppError> {
    if !is_json(req.headers()) {
        return Err(AppError::UnsupportedMediaType(
            "send the body as JSON with `Content-Type: application/json`".into(),
        ));
    }
    let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(format!(
                "the request body is larger than {} bytes",
                state.settings.server.body_limit_bytes
            ))
        } else {
            AppError::BadRequest("the request body could not be read".into())
        }
    })?;
    let mut value: Value =
        serde_json::from_slice(&bytes).map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?;
    if !value.is_object() {
        return Err(AppError::BadRequest("the body must be a JSON object".into()));
    }
    integral_floats_as_integers(&mut value);
    Ok(value)
}

/// JSON has one number type: `143.0` is the integer 143 to JSON Schema (and to a client
/// written in a language without integers), so it is read as one. Other fractions stay and
/// are refused where an integer is expected.
fn integral_floats_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f >= i64::MIN as f64
                && f < i64::MAX as f64
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// Deserializes `value` into `T`, collecting every field of the wrong type or format: each
/// failing field is recorded and removed, and deserialization retried without it. Request
/// types declare their fields optional, so a removed field only shows up as absent.
pub fn deserialize_collecting<T: DeserializeOwned>(mut value: Value) -> (Option<T>, FieldErrors) {
    let mut errors = FieldErrors::new();
    for _ in 0..64 {
        match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(t) => return (Some(t), errors),
            Err(e) => {
                let segments: Vec<String> = e
                    .path()
                    .iter()
                    .map(|s| match s {
                        serde_path_to_error::Segment::Seq { index } => index.to_string(),
                        serde_path_to_error::Segment::Map { key } => key.clone(),
                        serde_path_to_error::Segment::Enum { variant } => variant.clone(),
                        serde_path_to_error::Segment::Unknown => "?".into(),
                    })
                    .collect();
                let message = e.inner().to_string();
                let (field, problem) = match message.strip_prefix("missing field `") {
                    Some(rest) => {
                        let name = rest.trim_end_matches('`');
                        let mut path = segments.clone();
                        path.push(name.to_string());
                        (path.join("."), "is required".to_string())
                    }
                    None => (segments.join("."), describe_type_error(&message)),
                };
                errors.entry(if field.is_empty() { "body".into() } else { field }).or_default().push(problem);
                if segments.is_empty() || !remove_path(&mut value, &segments) {
                    return (None, errors);
                }
            }
        }
    }
    (None, errors)
}

/// serde's wording, trimmed of Rust type names where they would confuse a client.
fn describe_type_error(message: &str) -> String {
    let message = message.split(" at line ").next().unwrap_or(message);
    format!("has the wrong type or format ({message})")
}

fn remove_path(value: &mut Value, path: &[String]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut cursor = value;
    for segment in parents {
        cursor = match cursor {
            Value::Object(map) => match map.get_mut(segment) {
                Some(v) => v,
                None => return false,
            },
            Value::Array(items) => match segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match cursor {
        Value::Object(map) => map.remove(last).is_some(),
        Value::Array(items) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => {
                items.remove(i);
                true
            }
            _ => false,
        },
        _ => false,
    }
}

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let value = json_object(req, state).await?;
        match deserialize_collecting::<T>(value) {
            (Some(t), errors) if errors.is_empty() => Ok(Json(t)),
            (_, errors) => Err(AppError::validation(errors)),
        }
    }
}

/// A request body that parses itself into a typed command, reporting every bad field at once.
pub trait Validate: DeserializeOwned {
    type Output;
    fn validate(self, check: &mut Check, reference: &ReferenceSettings) -> Self::Output;
}

/// Extracts `T` from JSON and validates it: the handler receives `T::Output`, or the client a
/// single 422 listing both the fields of the wrong type and those failing validation.
pub struct Valid<T: Validate>(pub T::Output);

impl<T: Validate> FromRequest<AppState> for Valid<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let value = json_object(req, state).await?;
        let (parsed, type_errors) = deserialize_collecting::<T>(value);
        let mut check = Check::new();
        check.merge(type_errors);
        let Some(parsed) = parsed else {
            return Err(check.finish().err().unwrap_or_else(|| AppError::BadRequest("unreadable body".into())));
        };
        let output = parsed.validate(&mut check, &state.settings.reference);
        check.finish()?;
        Ok(Valid(output))
    }
}

/// A JSON body whose fields of the wrong type are not yet an error: the handler gets the body
/// (those fields absent) and a `Check` already holding their problems, so that it can first
/// answer 404/403/409 as the API orders them, then add its own checks and `finish` once.
pub struct Input<T> {
    pub body: T,
    pub check: Check,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Input<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let value = json_object(req, state).await?;
        let (parsed, type_errors) = deserialize_collecting::<T>(value);
        let mut check = Check::new();
        check.merge(type_errors);
        match parsed {
            Some(body) => Ok(Input { body, check }),
            None => Err(check.finish().err().unwrap_or_else(|| AppError::BadRequest("unreadable body".into()))),
        }
    }
}

impl<T: Validate> Input<T> {
    /// The body checked, once the handler has answered what comes first (404, 403, 409).
    pub fn validated(self, reference: &ReferenceSettings) -> Result<T::Output, AppError> {
        let mut check = self.check;
        let output = self.body.validate(&mut check, reference);
        check.finish()?;
        Ok(output)
    }
}

/// Query string extractor: a bad parameter answers 422 naming it.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(Query).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." { "query".to_string() } else { field };
            AppError::field(&field, describe_type_error(&e.inner().to_string()))
        })
    }
}

/// Path parameters; a malformed id is simply a record that does not exist (404).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| Path(t))
            .map_err(|_| AppError::NotFound)
    }
}

/// For PATCH bodies: tells an absent field (`None`) from an explicit `null` (`Some(None)`).
/// Use with `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

pub use crate::paging::{ListResponse, Page, PageParams};

/// The client's address, for sign-in throttling: the peer address, or behind a trusted load
/// balancer (`server.trust_forwarded_for`) the last entry of `X-Forwarded-For`.
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if state.settings.server.trust_forwarded_for
            && let Some(forwarded) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        {
            return Ok(ClientAddress(forwarded.to_string()));
        }
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddress(peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        name: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        a: Option<String>,
        b: Option<i64>,
        c: Option<uuid::Uuid>,
        inner: Option<Inner>,
    }

    #[test]
    fn every_wrongly_typed_field_is_named() {
        let value = serde_json::json!({"a": 5, "b": "x", "c": "not-a-uuid", "inner": {"name": []}});
        let (parsed, errors) = deserialize_collecting::<Body>(value);
        assert!(parsed.is_some());
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["a", "b", "c", "inner.name"]);
    }

    #[test]
    fn integral_floats_read_as_integers() {
        let mut value = serde_json::json!({"a": 143.0, "b": [2.0, 2.5], "c": {"d": -1e3}});
        integral_floats_as_integers(&mut value);
        assert_eq!(value, serde_json::json!({"a": 143, "b": [2, 2.5], "c": {"d": -1000}}));
    }
}
