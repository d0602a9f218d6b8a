//! The account pages: one's own profile, address, password, second factor, data and closing;
//! and the pages a mailed link opens (confirming an address, choosing a new password,
//! accepting an invitation) and the code step of signing in. Like every page, they only call
//! the JSON API.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::public::{safe_next, signed_in, start_of};
use crate::auth::mfa::Enrolment;
use crate::auth::service::{MeView, TokenPair, UserView};
use crate::privacy::export::MyData;
use crate::state::AppState;
use crate::web::api::Refusal;
use crate::web::ctx::{Ctx, PageResult, render};
use crate::web::forms::FormValues;
use crate::web::i18n::Tr;
use crate::web::session;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: Tr,
    ctx: Ctx,
    me: MeView,
    notice: String,
    refusal: Refusal,
    form: FormValues,
    enrolment: Option<Enrolment>,
}

#[derive(Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

/// The notices a redirect back to the account page may name.
const NOTICES: [&str; 6] = ["registered", "saved", "resent", "password_changed", "mfa_enabled", "email_pending"];

async fn account_page(
    ctx: Ctx,
    notice: String,
    refusal: Refusal,
    form: FormValues,
    enrolment: Option<Enrolment>,
) -> PageResult {
    ctx.require()?;
    let me: MeView = ctx.api().get("/api/v1/me").await.map_err(|r| super::cases::refusal_error(&ctx, r))?;
    let status = StatusCode::from_u16(refusal.status).ok().filter(|s| s.is_client_error()).unwrap_or(StatusCode::OK);
    Ok((status, render(&AccountPage { t: ctx.t, ctx, me, notice, refusal, form, enrolment })).into_response())
}

pub async fn show(ctx: Ctx, Query(q): Query<Notice>) -> PageResult {
    let notice = q.notice.filter(|n| NOTICES.contains(&n.as_str())).map(|n| ctx.t.k("account.notice", &n));
    account_page(ctx, notice.unwrap_or_default(), Refusal::default(), FormValues::default(), None).await
}

/// Sends a form's request to the API: back to the account page with `done`, or the page
/// again with the refusal beside the fields.
async fn submit(ctx: Ctx, method: Method, path: &str, body: Value, form: FormValues, done: &str) -> PageResult {
    ctx.require()?;
    match ctx.api().send(method, path, &body).await {
        Ok(()) => Ok(Redirect::to(&format!("/account?notice={done}")).into_response()),
        Err(refusal) => account_page(ctx, String::new(), refusal, form, None).await,
    }
}

pub async fn update_profile(ctx: Ctx, body: Bytes) -> PageResult {
    let form = FormValues::parse(&body);
    let new_email = form.opt("email");
    let request =
        json!({"name": form.get("name"), "phone": form.get("phone"), "locale": form.opt("locale"), "email": new_email});
    let done = if new_email.is_some() { "email_pending" } else { "saved" };
    submit(ctx, Method::PATCH, "/api/v1/me", request, form, done).await
}

pub async fn resend(ctx: Ctx) -> PageResult {
    submit(ctx, Method::POST, "/api/v1/me/verify-email", json!({}), FormValues::default(), "resent").await
}

pub async fn change_password(ctx: Ctx, body: Bytes) -> PageResult {
    let form = FormValues::parse(&body);
    let request = json!({"current_password": form.get("current_password"), "new_password": form.get("new_password")});
    submit(ctx, Method::POST, "/api/v1/me/password", request, FormValues::default(), "password_changed").await
}

/// Starts an enrolment: the page shows the secret and the recovery codes, once.
pub async fn enrol(ctx: Ctx) -> PageResult {
    ctx.require()?;
    match ctx.api().post::<Enrolment>("/api/v1/me/mfa/totp", &json!({})).await {
        Ok(enrolment) => {
            account_page(ctx, String::new(), Refusal::default(), FormValues::default(), Some(enrolment)).await
        }
        Err(refusal) => account_page(ctx, String::new(), refusal, FormValues::default(), None).await,
    }
}

pub async fn confirm_mfa(ctx: Ctx, body: Bytes) -> PageResult {
    let form = FormValues::parse(&body);
    let request = json!({"code": form.get("code").trim()});
    submit(ctx, Method::POST, "/api/v1/me/mfa/totp/confirm", request, FormValues::default(), "mfa_enabled").await
}

#[derive(Template)]
#[template(path = "my_data.html")]
struct MyDataPage {
    t: Tr,
    ctx: Ctx,
    data: MyData,
}

pub async fn my_data(ctx: Ctx) -> PageResult {
    ctx.require()?;
    let data: MyData = ctx.api().get("/api/v1/me/data").await.map_err(|r| super::cases::refusal_error(&ctx, r))?;
    Ok(render(&MyDataPage { t: ctx.t, ctx, data }))
}

/// The same data as a JSON file to keep.
pub async fn my_data_file(ctx: Ctx) -> PageResult {
    ctx.require()?;
    let data: MyData = ctx.api().get("/api/v1/me/data").await.map_err(|r| super::cases::refusal_error(&ctx, r))?;
    let bytes = serde_json::to_vec_pretty(&data).unwrap_or_default();
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
        (header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"my-data.json\"")),
    ];
    Ok((headers, bytes).into_response())
}

pub async fn close(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> PageResult {
    ctx.require()?;
    let form = FormValues::parse(&body);
    match ctx.api().send(Method::DELETE, "/api/v1/me", &json!({"password": form.get("password")})).await {
        Ok(()) => {
            let mut response = Redirect::to("/?closed=1").into_response();
            for cookie in session::clear_session(&state) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            Ok(response)
        }
        Err(refusal) => account_page(ctx, String::new(), refusal, FormValues::default(), None).await,
    }
}

/// The one-form pages a step of its own needs: `request` (ask for a reset link), `reset`
/// (choose a new password), `verify` (confirm an address), `invitation` (claim a business's
/// account), `code` (the second step of signing in).
#[derive(Template)]
#[template(path = "step.html")]
struct StepPage {
    t: Tr,
    ctx: Ctx,
    step: &'static str,
    token: String,
    next: String,
    notice: String,
    refusal: Refusal,
    form: FormValues,
}

impl StepPage {
    fn action(&self) -> &'static str {
        match self.step {
            "request" => "/password-reset",
            "reset" => "/password-reset/confirm",
            "verify" => "/account/verify",
            "invitation" => "/invitations/accept",
            _ => "/signin/mfa",
        }
    }
}

fn step_page(
    ctx: Ctx,
    step: &'static str,
    token: String,
    notice: String,
    refusal: Refusal,
    form: FormValues,
) -> Response {
    let status = StatusCode::from_u16(refusal.status).ok().filter(|s| s.is_client_error()).unwrap_or(StatusCode::OK);
    let next = safe_next(form.get("next"));
    (status, render(&StepPage { t: ctx.t, ctx, step, token, next, notice, refusal, form })).into_response()
}

#[derive(Deserialize)]
pub struct Link {
    token: Option<String>,
}

/// The code step of signing in, after a right password.
pub fn code_step(ctx: Ctx, mfa_token: String, next: String, message: String) -> Response {
    let mut form = FormValues::default();
    form.insert("next", next);
    let refusal = if message.is_empty() {
        Refusal::default()
    } else {
        Refusal { status: 401, detail: message, ..Default::default() }
    };
    step_page(ctx, "code", mfa_token, String::new(), refusal, form)
}

pub async fn signin_code(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let form = FormValues::parse(&body);
    let (token, next) = (form.get("token").to_string(), safe_next(form.get("next")));
    let request = json!({"mfa_token": token, "code": form.get("code").trim()});
    match ctx.api().post::<TokenPair>("/api/v1/auth/login/mfa", &request).await {
        Ok(pair) => {
            let me: Option<MeView> = ctx.api().with_token(&pair.access_token).get("/api/v1/me").await.ok();
            let start = me.as_ref().map(start_of).unwrap_or("/");
            signed_in(&state, &pair, if next != "/" { &next } else { start })
        }
        Err(refusal) if refusal.status == 401 && refusal.code == "unauthorized" => {
            // The step expired: start again.
            Redirect::to("/signin").into_response()
        }
        Err(refusal) => {
            let key = if refusal.status == 429 { "auth.throttled" } else { "auth.bad_code" };
            let message = ctx.t.s(key);
            code_step(ctx, token, next, message)
        }
    }
}

pub async fn verify_page(ctx: Ctx, Query(link): Query<Link>) -> Response {
    step_page(ctx, "verify", link.token.unwrap_or_default(), String::new(), Refusal::default(), FormValues::default())
}

/// Confirms an address. (Only a form sends it: mail scanners that open links change nothing.)
pub async fn verify(ctx: Ctx, body: Bytes) -> Response {
    let form = FormValues::parse(&body);
    let token = form.get("token").to_string();
    match ctx.api().send(Method::POST, "/api/v1/auth/verify-email", &json!({"token": token})).await {
        Ok(()) => {
            let notice = ctx.t.s("account.verified_now");
            step_page(ctx, "done", String::new(), notice, Refusal::default(), form)
        }
        Err(refusal) => step_page(ctx, "verify", token, String::new(), refusal, form),
    }
}

pub async fn reset_request_page(ctx: Ctx) -> Response {
    step_page(ctx, "request", String::new(), String::new(), Refusal::default(), FormValues::default())
}

pub async fn reset_request(ctx: Ctx, body: Bytes) -> Response {
    let form = FormValues::parse(&body);
    match ctx.api().send(Method::POST, "/api/v1/auth/password-reset", &json!({"email": form.get("email").trim()})).await
    {
        Ok(()) => {
            let notice = ctx.t.s("reset.sent");
            step_page(ctx, "done", String::new(), notice, Refusal::default(), form)
        }
        Err(refusal) => step_page(ctx, "request", String::new(), String::new(), refusal, form),
    }
}

pub async fn reset_page(ctx: Ctx, Query(link): Query<Link>) -> Response {
    step_page(ctx, "reset", link.token.unwrap_or_default(), String::new(), Refusal::default(), FormValues::default())
}

pub async fn reset(ctx: Ctx, body: Bytes) -> Response {
    let form = FormValues::parse(&body);
    let token = form.get("token").to_string();
    let request = json!({"token": token, "password": form.get("password")});
    match ctx.api().send(Method::POST, "/api/v1/auth/password-reset/confirm", &request).await {
        Ok(()) => {
            let notice = ctx.t.s("reset.done");
            step_page(ctx, "done", String::new(), notice, Refusal::default(), FormValues::default())
        }
        Err(refusal) => step_page(ctx, "reset", token, String::new(), refusal, FormValues::default()),
    }
}

pub async fn invitation_page(ctx: Ctx, Query(link): Query<Link>) -> Response {
    step_page(
        ctx,
        "invitation",
        link.token.unwrap_or_default(),
        String::new(),
        Refusal::default(),
        FormValues::default(),
    )
}

/// Accepts an invitation and signs the new business account straight in.
pub async fn accept_invitation(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> Response {
    let form = FormValues::parse(&body);
    let token = form.get("token").to_string();
    let request = json!({"token": token, "name": form.get("name"), "password": form.get("password"), "locale": ctx.t.lang.code()});
    let account: UserView = match ctx.api().post("/api/v1/auth/invitations/accept", &request).await {
        Ok(account) => account,
        Err(refusal) => return step_page(ctx, "invitation", token, String::new(), refusal, form),
    };
    let login = json!({"email": account.email, "password": form.get("password")});
    match ctx.api().post::<TokenPair>("/api/v1/auth/login", &login).await {
        Ok(pair) => signed_in(&state, &pair, "/inbox"),
        Err(_) => Redirect::to("/signin").into_response(),
    }
}
