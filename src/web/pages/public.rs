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
use crate::auth::service::{LoginOutcome, MeView, TokenPair};
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
        Role::National => "/national",
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

/// What the password step of signing in gave.
pub enum Step {
    /// Signed in: the token pair, and the account's role and state (where it starts).
    Done(TokenPair, Box<MeView>),
    /// The account has a second factor: the token of the code step.
    Code(String),
}

/// Signs in through the API.
async fn sign_in(ctx: &Ctx, email: &str, password: &str) -> Result<Step, Refusal> {
    let api = ctx.api();
    let body = json!({ "email": email, "password": password });
    match api.post::<LoginOutcome>("/api/v1/auth/login", &body).await? {
        LoginOutcome::Tokens(pair) => {
            let me: MeView = api.with_token(&pair.access_token).get("/api/v1/me").await?;
            Ok(Step::Done(pair, Box::new(me)))
        }
        LoginOutcome::SecondFactor(challenge) => Ok(Step::Code(challenge.mfa_token)),
    }
}

/// Where a signed-in account goes first: its enrolment, when the office requires a second
/// factor it lacks; else where its role starts.
pub fn start_of(me: &MeView) -> &'static str {
    if me.mfa_enrolment_required { "/account" } else { home_of(me.role) }
}

/// The cookies of a new sign-in, on a redirect to `target`.
pub fn signed_in(state: &AppState, pair: &TokenPair, target: &str) -> Response {
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
        Ok(Step::Done(pair, me)) => {
            let next = form.opt("next").map(|n| safe_next(&n)).filter(|n| n != "/" && !me.mfa_enrolment_required);
            signed_in(&state, &pair, &next.unwrap_or_else(|| start_of(&me).to_string()))
        }
        Ok(Step::Code(mfa_token)) => {
            super::account::code_step(ctx, mfa_token, safe_next(form.get("next")), String::new())
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
    // Registered: sign straight in, and see the account page, which says to follow the link.
    match sign_in(&ctx, form.get("email"), form.get("password")).await.map_err(|r| refusal_error(&ctx, r))? {
        Step::Done(pair, _) => Ok(signed_in(&state, &pair, "/account?notice=registered")),
        Step::Code(_) => Ok(Redirect::to("/signin").into_response()),
    }
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
