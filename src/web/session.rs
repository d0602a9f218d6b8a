//! Sign-in for the pages: the same accounts and tokens as the API, carried in `Secure`,
//! `HttpOnly`, `SameSite=Lax` cookies — named `__Host-…` when secure, so no other site or
//! subdomain can set them. An expired access token is renewed with the refresh token on the
//! way in. Every POST to a page carries a CSRF token (a form field, or `?csrf=` for file
//! uploads), checked here before any handler runs: the HMAC of the CSRF cookie's random nonce
//! and the sign-in session it belongs to, so a planted cookie is useless; a new nonce is
//! issued at every sign-in.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use serde_json::json;
use uuid::Uuid;

use super::api::{Api, ClientOrigin};
use crate::auth::Role;
use crate::auth::service::{MeView, TokenPair};
use crate::state::AppState;

pub const ACCESS: &str = "cp_at";
pub const REFRESH: &str = "cp_rt";
pub const CSRF: &str = "cp_csrf";
pub const LANG: &str = "cp_lang";

/// A cookie's name as sent: `__Host-` first when cookies are secure (the browser then takes
/// it only over HTTPS, for this host alone, for the whole path).
pub fn cookie_name(state: &AppState, base: &str) -> String {
    if state.settings.server.secure_cookies { format!("__Host-{base}") } else { base.to_string() }
}

/// The signed-in visitor, as the API's `/api/v1/me` describes them, and the sign-in session
/// their forms' CSRF tokens are bound to.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub jurisdiction: Option<String>,
    pub locale: String,
    pub session_id: Uuid,
    /// Staff who must enrol a second factor before anything else.
    pub must_enrol: bool,
}

impl Visitor {
    fn new(me: MeView, session_id: Uuid) -> Self {
        Self {
            id: me.id,
            name: me.name,
            role: me.role,
            jurisdiction: me.jurisdiction,
            locale: me.locale,
            session_id,
            must_enrol: me.mfa_enrolment_required,
        }
    }

    /// The jurisdiction whose office the visitor works for (else the default one).
    pub fn office(&self, reference: &crate::reference::ReferenceSettings) -> String {
        self.jurisdiction.clone().unwrap_or_else(|| reference.default_jurisdiction.clone())
    }
}

/// Who holds `access`: a token this server signed, for a session the API still honours.
async fn visitor(state: &AppState, api: &Api, access: &str) -> Option<Visitor> {
    let claims = state.keys.verify(access)?;
    let me: MeView = api.clone().with_token(access).get("/api/v1/me").await.ok()?;
    Some(Visitor::new(me, claims.sid))
}

/// The request's CSRF token, to put in every form.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

pub fn cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// The value of our cookie `base` (under its `__Host-` name when cookies are secure).
pub fn cookie(state: &AppState, headers: &HeaderMap, base: &str) -> Option<String> {
    let name = cookie_name(state, base);
    cookies(headers).into_iter().find(|(k, _)| *k == name).map(|(_, v)| v).filter(|v| !v.is_empty())
}

pub fn set_cookie(state: &AppState, base: &str, value: &str, max_age: i64, http_only: bool) -> HeaderValue {
    let name = cookie_name(state, base);
    let secure = if state.settings.server.secure_cookies { "; Secure" } else { "" };
    let http_only = if http_only { "; HttpOnly" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age={max_age}; SameSite=Lax{http_only}{secure}"))
        .unwrap_or(HeaderValue::from_static(""))
}

const CSRF_COOKIE_SECONDS: i64 = 60 * 60 * 24 * 30;

/// A fresh CSRF nonce cookie: at first visit, and at every sign-in.
pub fn new_csrf_cookie(state: &AppState) -> (String, HeaderValue) {
    let nonce = random_token();
    let cookie = set_cookie(state, CSRF, &nonce, CSRF_COOKIE_SECONDS, true);
    (nonce, cookie)
}

pub fn session_cookies(state: &AppState, pair: &TokenPair) -> [HeaderValue; 2] {
    [
        set_cookie(state, ACCESS, &pair.access_token, state.settings.auth.access_token_seconds as i64, true),
        set_cookie(state, REFRESH, &pair.refresh_token, state.settings.auth.refresh_token_seconds as i64, true),
    ]
}

/// The cookies of a new sign-in: the tokens, and a new CSRF nonce (rotated at sign-in).
pub fn sign_in_cookies(state: &AppState, pair: &TokenPair) -> [HeaderValue; 3] {
    let [access, refresh] = session_cookies(state, pair);
    [access, refresh, new_csrf_cookie(state).1]
}

pub fn clear_session(state: &AppState) -> [HeaderValue; 2] {
    [set_cookie(state, ACCESS, "", 0, true), set_cookie(state, REFRESH, "", 0, true)]
}

fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Resolves the signed-in user (renewing tokens if needed) and enforces CSRF on POSTs.
pub async fn layer(State(web): State<super::WebState>, request: Request, next: Next) -> Response {
    let state = web.app;
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(super::api::PagesApi(web.api.clone()));
    let mut set: Vec<HeaderValue> = Vec::new();

    let nonce = match cookie(&state, &parts.headers, CSRF) {
        Some(nonce) if nonce.len() >= 20 => nonce,
        _ => {
            let (nonce, cookie) = new_csrf_cookie(&state);
            set.push(cookie);
            nonce
        }
    };

    let api = Api::new(web.api, None).from(ClientOrigin::of(&parts));
    let mut user = None;
    let mut token = None;
    if let Some(access) = cookie(&state, &parts.headers, ACCESS) {
        user = visitor(&state, &api, &access).await;
        token = user.as_ref().map(|_| access);
    }
    // Only a page load renews the session. A script's background request (app.js suggestions)
    // racing a form submission would otherwise present the same refresh token twice, which
    // counts as reuse and ends the sign-in — losing the form being sent.
    let navigation =
        parts.headers.get("sec-fetch-mode").is_none_or(|mode| mode.as_bytes() == b"navigate" || mode.is_empty());
    if user.is_none()
        && navigation
        && let Some(refresh) = cookie(&state, &parts.headers, REFRESH)
    {
        match api.post::<TokenPair>("/api/v1/auth/refresh", &json!({ "refresh_token": refresh })).await {
            Ok(pair) => {
                user = visitor(&state, &api, &pair.access_token).await;
                token = user.as_ref().map(|_| pair.access_token.clone());
                set.extend(session_cookies(&state, &pair));
            }
            Err(_) => set.extend(clear_session(&state)),
        }
    }
    // Staff without the second factor the office requires see only their account page (where
    // they enrol) until they have one.
    let path = parts.uri.path();
    let enrolling = path.starts_with("/account") || path == "/signout" || path.starts_with("/lang/");
    if user.as_ref().is_some_and(|u| u.must_enrol) && !enrolling {
        let mut response = axum::response::IntoResponse::into_response(axum::response::Redirect::to("/account"));
        response.headers_mut().extend(set.into_iter().map(|v| (header::SET_COOKIE, v)));
        return response;
    }
    let binding = user.as_ref().map(|u| u.session_id.to_string()).unwrap_or_else(|| "anonymous".into());
    let csrf = state.keys.csrf_token(&nonce, &binding);
    if let (Some(user), Some(token)) = (user, token) {
        parts.extensions.insert(user);
        parts.extensions.insert(super::api::PageToken(token));
    }
    parts.extensions.insert(CsrfToken(csrf.clone()));

    // CSRF: a form carries the token as a field; a file upload in the query string.
    let body = if parts.method == Method::POST {
        let content_type =
            parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        let (presented, body) = if content_type.starts_with("application/x-www-form-urlencoded") {
            let bytes = match axum::body::to_bytes(body, state.settings.server.body_limit_bytes).await {
                Ok(bytes) => bytes,
                Err(_) => {
                    return super::ctx::plain_error(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "payload too large");
                }
            };
            (form_field(&bytes, "csrf"), Body::from(bytes))
        } else {
            let query = parts.uri.query().unwrap_or("");
            (form_field(query.as_bytes(), "csrf"), body)
        };
        if !presented.is_some_and(|p| constant_time_eq(&p, &csrf)) {
            tracing::warn!(path = %parts.uri.path(), "page form without a valid CSRF token");
            let lang = super::ctx::lang_of(&state, &parts.headers, parts.extensions.get());
            let mut response = super::ctx::error_page(&state, lang, axum::http::StatusCode::FORBIDDEN, "error.csrf");
            response.headers_mut().extend(set.into_iter().map(|v| (header::SET_COOKIE, v)));
            return response;
        }
        body
    } else {
        body
    };

    let mut response = next.run(Request::from_parts(parts, body)).await;
    let headers = response.headers_mut();
    // A handler that set a cookie of its own (a sign-in's new CSRF nonce) has the last word.
    let csrf_prefix = format!("{}=", cookie_name(&state, CSRF));
    let handler_set_csrf =
        headers.get_all(header::SET_COOKIE).iter().any(|v| v.as_bytes().starts_with(csrf_prefix.as_bytes()));
    for value in set {
        if handler_set_csrf && value.as_bytes().starts_with(csrf_prefix.as_bytes()) {
            continue;
        }
        headers.append(header::SET_COOKIE, value);
    }
    protect(headers);
    response
}

/// Pages carry personal data: never cached by shared caches or the browser's history, never
/// framed (clickjacking), scripts and styles only from this site.
fn protect(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
}
