//! The pages are clients of the JSON API, called in-process with the visitor's own token, so
//! every rule — roles, visibility, transitions, deadlines, validation — stays in one place.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::error::FieldErrors;

/// The visitor's access token, set by the session layer.
#[derive(Debug, Clone)]
pub struct PageToken(pub String);

pub struct Api {
    router: Router,
    token: Option<String>,
    origin: ClientOrigin,
}

/// The JSON API the pages call, put in each page request by the session layer.
#[derive(Clone)]
pub struct PagesApi(pub Router);

/// The visitor's connection, as the API sees a direct caller's: the peer address, behind a
/// trusted load balancer its `X-Forwarded-For`, and the page request's id (so the API's log
/// lines of a page load carry it).
#[derive(Debug, Clone, Default)]
pub struct ClientOrigin {
    peer: Option<axum::extract::ConnectInfo<std::net::SocketAddr>>,
    forwarded_for: Option<axum::http::HeaderValue>,
    request_id: Option<axum::http::HeaderValue>,
}

impl ClientOrigin {
    pub fn of(parts: &axum::http::request::Parts) -> Self {
        Self {
            peer: parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().cloned(),
            forwarded_for: parts.headers.get("x-forwarded-for").cloned(),
            request_id: parts.headers.get(crate::telemetry::REQUEST_ID).cloned(),
        }
    }
}

/// An API refusal, as the pages show it.
#[derive(Debug, Clone, Default)]
pub struct Refusal {
    pub status: u16,
    pub code: String,
    pub detail: String,
    pub fields: FieldErrors,
}

impl Refusal {
    fn from(status: StatusCode, body: &Value) -> Self {
        Self {
            status: status.as_u16(),
            code: body["code"].as_str().unwrap_or("error").to_string(),
            detail: body["detail"].as_str().unwrap_or_default().to_string(),
            fields: serde_json::from_value(body["fields"].clone()).unwrap_or_default(),
        }
    }

    pub fn field(&self, name: &str) -> String {
        self.fields.get(name).map(|v| v.join("; ")).unwrap_or_default()
    }
}

impl Api {
    pub fn new(router: Router, token: Option<String>) -> Self {
        Self { router, token, origin: ClientOrigin::default() }
    }

    /// Calls made for a visitor carry the visitor's connection.
    pub fn from(mut self, origin: ClientOrigin) -> Self {
        self.origin = origin;
        self
    }

    /// A raw call, for streaming answers (downloads, exports).
    pub async fn raw(&self, method: Method, path: &str, content_type: Option<&str>, body: Body) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = &self.token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(forwarded) = &self.origin.forwarded_for {
            request = request.header("x-forwarded-for", forwarded.clone());
        }
        if let Some(id) = &self.origin.request_id {
            request = request.header(crate::telemetry::REQUEST_ID, id.clone());
        }
        if let Some(peer) = self.origin.peer {
            request = request.extension(peer);
        }
        // Pages type their ids and encode their query values, so this should not happen; an
        // address that is not a valid URI names no record all the same.
        let request = match request.body(body) {
            Ok(r) => r,
            Err(_) => return crate::error::AppError::NotFound.into_response(),
        };
        match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Value) {
        let (content_type, body) = match body {
            Some(b) => (Some("application/json"), Body::from(serde_json::to_vec(b).unwrap_or_default())),
            None => (None, Body::empty()),
        };
        let response = self.raw(method, path, content_type, body).await;
        let status = response.status();
        let bytes = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> Result<Value, Refusal> {
        let (status, value) = self.call(Method::GET, path, None).await;
        if status.is_success() { Ok(value) } else { Err(Refusal::from(status, &value)) }
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, Refusal> {
        let (status, value) = self.call(Method::POST, path, Some(body)).await;
        if status.is_success() { Ok(value) } else { Err(Refusal::from(status, &value)) }
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Result<Value, Refusal> {
        let (status, value) = self.call(Method::PATCH, path, Some(body)).await;
        if status.is_success() { Ok(value) } else { Err(Refusal::from(status, &value)) }
    }
}
