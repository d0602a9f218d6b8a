//! The pages are clients of the JSON API, called in-process with the visitor's own token, so
//! every rule — roles, visibility, transitions, deadlines, validation — stays in one place.

use axum::Router;
use axum::body::Body;
use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tower::ServiceExt;

use crate::error::FieldErrors;

/// The visitor's access token, set by the session layer.
#[derive(Debug, Clone)]
pub struct PageToken(pub String);

#[derive(Clone)]
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

/// The API's error body (API.md), read leniently: whatever it lacks stays empty.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorAnswer {
    code: Option<String>,
    detail: String,
    fields: FieldErrors,
}

impl Refusal {
    pub fn from(status: StatusCode, body: &[u8]) -> Self {
        let answer: ErrorAnswer = serde_json::from_slice(body).unwrap_or_default();
        Self {
            status: status.as_u16(),
            code: answer.code.unwrap_or_else(|| "error".into()),
            detail: answer.detail,
            fields: answer.fields,
        }
    }

    /// A success the page could not read: the API and the pages disagree about a shape.
    fn unreadable(path: &str, error: &serde_json::Error) -> Self {
        tracing::error!(%path, %error, "the pages could not read an API answer");
        Self { status: 500, code: "internal".into(), detail: String::new(), fields: FieldErrors::new() }
    }

    pub fn field(&self, name: &str) -> String {
        self.fields.get(name).map(|v| v.join("; ")).unwrap_or_default()
    }
}

impl Api {
    pub fn new(router: Router, token: Option<String>) -> Self {
        Self { router, token, origin: ClientOrigin::default() }
    }

    /// The same API, called with another access token.
    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
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

    /// A JSON call: the answer's status and bytes.
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> (StatusCode, Bytes) {
        let (content_type, body) = match body {
            Some(b) => (Some("application/json"), Body::from(serde_json::to_vec(b).unwrap_or_default())),
            None => (None, Body::empty()),
        };
        let response = self.raw(method, path, content_type, body).await;
        let status = response.status();
        let bytes = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        (status, bytes)
    }

    /// A call whose answer the page reads as `T`.
    async fn typed<T: DeserializeOwned>(&self, method: Method, path: &str, body: Option<&Value>) -> Result<T, Refusal> {
        let (status, bytes) = self.call(method, path, body).await;
        if !status.is_success() {
            return Err(Refusal::from(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| Refusal::unreadable(path, &e))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Refusal> {
        self.typed(Method::GET, path, None).await
    }

    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T, Refusal> {
        self.typed(Method::POST, path, Some(body)).await
    }

    /// A call whose answer the page does not need (a 204, or a record it does not show).
    pub async fn send(&self, method: Method, path: &str, body: &Value) -> Result<(), Refusal> {
        let (status, bytes) = self.call(method, path, Some(body)).await;
        if status.is_success() { Ok(()) } else { Err(Refusal::from(status, &bytes)) }
    }
}
