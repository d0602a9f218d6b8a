//! Security headers on every response — the JSON API, the docs page and the web pages alike:
//! nothing is sniffed into another type, framed (clickjacking), sent on as a referrer, or
//! cached where personal data could outlive the request. The pages set their own stricter
//! policy first (`web::session`); what a handler set is kept.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// JSON and files: no content of theirs may run or load anything.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/// The offline docs page: the vendored Swagger UI (its own scripts, inline styles, data: icons).
const DOCS_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                           object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

fn insert_missing(headers: &mut HeaderMap, name: header::HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

pub async fn security_headers(request: Request, next: Next) -> Response {
    let docs = request.uri().path().starts_with("/docs");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    insert_missing(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    insert_missing(headers, header::X_FRAME_OPTIONS, "DENY");
    insert_missing(headers, header::REFERRER_POLICY, "no-referrer");
    insert_missing(headers, header::CONTENT_SECURITY_POLICY, if docs { DOCS_POLICY } else { API_POLICY });
    insert_missing(headers, header::CACHE_CONTROL, "no-store");
    response
}
