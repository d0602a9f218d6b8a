//! The office's page, language switch, sign-in, registration and sign-out.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::cases::refusal_error;
use crate::auth::Role;
use crate::auth::service::{MeView, TokenPair};
use crate::state::AppState;
use crate::web::api::Refusal;
use crate::web::ctx::{Ctx, PageResult, render};
use crate::web::forms::FormValues;
use crate::web::i18n::{Lang, Tr};
use crate::web::session;

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    t: Tr,
    ctx: Ctx,
}

pub async fn home(ctx: Ctx) -> Response {
    render(&Home { t: ctx.t, ctx })
}

/// Only a path on this site, so that `next` cannot send anyone elsewhere.
/// A `next` address to return to: only a path on this site. Browsers drop tabs and newlines
/// from addresses (`/\t/evil.example` becomes `//evil.example`) and read `\\` as `/`, so any
/// of those, or anything else a header cannot carry, sends the visitor home instead.
pub fn safe_next(next: &str) -> String {
    let on_site =
        next.starts_with('/') && !next.starts_with("//") && next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    if on_site { next.to_string() } else { "/".into() }
}

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

pub async fn set_language(
    State(state): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<Next>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Zh);
    let mut response = Redirect::to(&safe_next(q.next.as_deref().unwrap_or("/"))).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, session::set_cookie(&state, session::LANG, lang.code(), 60 * 60 * 24 * 365, false));
    response
}

/// Where a role starts.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Citizen => "/cases",
        Role::Business => "/inbox",
        Role::Clerk | Role::Officer => "/workbench",
        Role::Mediator => "/meetings",
        Role::Admin => "/stats",
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignIn {
    t: Tr,
    ctx: Ctx,
    next: String,
    email: String,
    message: String,
}

pub async fn signin_page(ctx: Ctx, Query(q): Query<Next>) -> Response {
    let next = safe_next(q.next.as_deref().unwrap_or(""));
    render(&SignIn { t: ctx.t, ctx, next, email: String::new(), message: String::new() })
}

/// Signs in through the API: the token pair, and the account's role (where it starts).
async fn sign_in(ctx: &Ctx, email: &str, password: &str) -> Result<(TokenPair, Role), Refusal> {
    let api = ctx.api();
    let pair: TokenPair = api.post("/api/v1/auth/login", &json!({ "email": email, "password": password })).await?;
    let me: MeView = api.with_token(&pair.access_token).get("/api/v1/me").await?;
    Ok((pair, me.role))
}

/// The cookies of a new sign-in, on a redirect to `target`.
fn signed_in(state: &AppState, pair: &TokenPair, target: &str) -> Response {
    let mut response = Redirect::to(target).into_response();
    for cookie in session::sign_in_cookies(state, pair) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

pub async fn signin(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    use axum::http::StatusCode;
    let form = FormValues::parse(&body);
    let email = form.get("email").trim().to_string();
    match sign_in(&ctx, &email, form.get("password")).await {
        Ok((pair, role)) => {
            let next = form.opt("next").map(|n| safe_next(&n)).filter(|n| n != "/");
            signed_in(&state, &pair, &next.unwrap_or_else(|| home_of(role).to_string()))
        }
        Err(refusal) => {
            let (status, key) = match (refusal.status, refusal.code.as_str()) {
                (429, _) => (StatusCode::TOO_MANY_REQUESTS, "auth.throttled"),
                (_, "account_disabled") => (StatusCode::UNAUTHORIZED, "auth.disabled"),
                (401 | 422, _) => (StatusCode::UNAUTHORIZED, "auth.bad_credentials"),
                (status, code) => {
                    tracing::error!(status, code, "page sign-in failed");
                    (StatusCode::INTERNAL_SERVER_ERROR, "error.generic")
                }
            };
            let message = ctx.t.s(key);
            let page = SignIn { t: ctx.t, next: safe_next(form.get("next")), email, message, ctx };
            (status, render(&page)).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct Register {
    t: Tr,
    ctx: Ctx,
    form: FormValues,
    refusal: Refusal,
}

pub async fn register_page(ctx: Ctx) -> Response {
    render(&Register { t: ctx.t, ctx, form: FormValues::default(), refusal: Refusal::default() })
}

pub async fn register(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> PageResult {
    let form = FormValues::parse(&body);
    let request = json!({
        "email": form.get("email"), "password": form.get("password"), "name": form.get("name"),
        "phone": form.opt("phone"), "locale": form.opt("locale"),
    });
    if let Err(refusal) = ctx.api().send(Method::POST, "/api/v1/auth/register", &request).await {
        let status =
            axum::http::StatusCode::from_u16(refusal.status).unwrap_or(axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        return Ok((status, render(&Register { t: ctx.t, ctx, form, refusal })).into_response());
    }
    // Registered: sign straight in.
    let (pair, _) = sign_in(&ctx, form.get("email"), form.get("password")).await.map_err(|r| refusal_error(&ctx, r))?;
    Ok(signed_in(&state, &pair, "/cases/new"))
}

pub async fn signout(State(state): State<AppState>, ctx: Ctx, headers: axum::http::HeaderMap) -> Response {
    if let Some(refresh) = session::cookie(&state, &headers, session::REFRESH) {
        // Already revoked or expired is fine: the cookies go all the same.
        let _ = ctx.api().send(Method::POST, "/api/v1/auth/logout", &json!({ "refresh_token": refresh })).await;
    }
    let mut response = Redirect::to("/").into_response();
    for cookie in session::clear_session(&state) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

const CSS: &str = include_str!("../static/app.css");
const JS: &str = include_str!("../static/app.js");

pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600")),
        ],
        CSS,
    )
}

pub async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600")),
        ],
        JS,
    )
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_returned_to() {
        for good in ["/", "/cases?page=2", "/cases/0190-ab%20c"] {
            assert_eq!(safe_next(good), good);
        }
        for bad in
            ["//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example", "/a\nb", "/案件", ""]
        {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}
