//! What every page knows about its request — who is signed in, the language, the CSRF token —
//! and how pages answer errors: a page in the visitor's language, or a redirect to sign in.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::i18n::{Lang, Tr};
use super::session::Visitor;
use super::session::{self, CsrfToken};
use crate::auth::Role;
use crate::error::AppError;
use crate::state::AppState;

/// The page's view of its request.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub user: Option<Visitor>,
    pub csrf: String,
    pub t: Tr,
    /// Path and query, to come back to after signing in.
    pub here: String,
    pub multi_jurisdiction: bool,
    /// The office the pages speak for: the signed-in officer's jurisdiction, else the default.
    pub office: String,
    /// The visitor's access token, for the API calls the page makes on their behalf.
    pub token: Option<String>,
    /// Where the visitor connects from, passed on to those API calls (throttling counts the
    /// visitor's address, not the server's own).
    pub origin: super::api::ClientOrigin,
    /// The JSON API, called in-process.
    api: Option<super::api::PagesApi>,
}

impl std::fmt::Debug for super::api::PagesApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PagesApi")
    }
}

pub fn lang_of(state: &AppState, headers: &HeaderMap, user: Option<&Visitor>) -> Lang {
    session::cookie(state, headers, session::LANG)
        .and_then(|l| Lang::parse(&l))
        .or_else(|| user.and_then(|u| Lang::parse(&u.locale)))
        .unwrap_or(Lang::Zh)
}

/// 「高雄市政府消費者保護官室」 / "Kaohsiung City Consumer Protection Office".
pub fn office_name(state: &AppState, user: Option<&Visitor>, lang: Lang) -> String {
    let reference = &state.settings.reference;
    let code = user.map(|u| u.office(reference)).unwrap_or_else(|| reference.default_jurisdiction.clone());
    match reference.jurisdiction(&code) {
        Some(j) if lang == Lang::En => format!("{} Consumer Protection Office", j.name_en),
        Some(j) => format!("{}政府消費者保護官室", j.name_zh),
        None => Tr { lang }.s("site.name"),
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = parts.extensions.get::<Visitor>().cloned();
        let lang = lang_of(state, &parts.headers, user.as_ref());
        Ok(Ctx {
            office: office_name(state, user.as_ref(), lang),
            csrf: parts.extensions.get::<CsrfToken>().map(|c| c.0.clone()).unwrap_or_default(),
            t: Tr { lang },
            here: parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into()),
            user,
            multi_jurisdiction: state.settings.reference.is_multi_jurisdiction(),
            token: parts.extensions.get::<super::api::PageToken>().map(|t| t.0.clone()),
            origin: super::api::ClientOrigin::of(parts),
            api: parts.extensions.get::<super::api::PagesApi>().cloned(),
        })
    }
}

impl Ctx {
    /// A visitor nobody knows yet (pages answered before the request reached a handler).
    pub fn anonymous(state: &AppState, lang: Lang) -> Self {
        Ctx {
            office: office_name(state, None, lang),
            user: None,
            csrf: String::new(),
            t: Tr { lang },
            here: "/".into(),
            multi_jurisdiction: false,
            token: None,
            origin: super::api::ClientOrigin::default(),
            api: None,
        }
    }

    /// The JSON API, as this visitor (outside the pages' layer there is none: every call
    /// answers 404).
    pub fn api(&self) -> super::api::Api {
        let router = self.api.clone().map(|a| a.0).unwrap_or_default();
        super::api::Api::new(router, self.token.clone()).from(self.origin.clone())
    }

    /// `here`, for a `?next=` query value.
    pub fn here_encoded(&self) -> String {
        form_urlencoded::byte_serialize(self.here.as_bytes()).collect()
    }

    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }

    pub fn is(&self, role: &str) -> bool {
        self.role().is_some_and(|r| r.as_str() == role)
    }

    pub fn is_staff(&self) -> bool {
        self.role().is_some_and(|r| r.is_case_staff())
    }

    pub fn user_name(&self) -> String {
        self.user.as_ref().map(|u| u.name.clone()).unwrap_or_default()
    }

    /// The signed-in user, or a redirect to sign in and come back.
    pub fn require(&self) -> Result<&Visitor, PageError> {
        self.user.as_ref().ok_or_else(|| PageError::new(self, AppError::Unauthorized))
    }

    /// The signed-in user if their role is one of `roles`; others get 403, strangers sign in.
    pub fn require_role(&self, roles: &[Role]) -> Result<&Visitor, PageError> {
        let user = self.require()?;
        if roles.contains(&user.role) { Ok(user) } else { Err(PageError::new(self, AppError::forbidden())) }
    }

    pub fn err(&self, error: AppError) -> PageError {
        PageError::new(self, error)
    }
}

/// Path parameters of a page, typed (record ids are UUIDs). An address whose parameters do not
/// parse names no record: the visitor gets the not-found page, in their language.
pub struct PagePath<T>(pub T);

impl<T> FromRequestParts<AppState> for PagePath<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(PagePath(value)),
            Err(_) => {
                let Ok(ctx) = Ctx::from_request_parts(parts, state).await;
                Err(ctx.err(AppError::NotFound))
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Tr,
    ctx: Ctx,
    status: u16,
    message: String,
}

/// A failed page: an HTML page in the visitor's language, or a redirect to sign in.
/// Boxed: it travels in every page handler's `Err` and should stay one pointer wide.
#[derive(Debug)]
pub struct PageError(Box<(Ctx, AppError)>);

impl PageError {
    pub fn new(ctx: &Ctx, error: AppError) -> Self {
        Self(Box::new((ctx.clone(), error)))
    }
}

impl From<(Ctx, AppError)> for PageError {
    fn from(pair: (Ctx, AppError)) -> Self {
        Self(Box::new(pair))
    }
}

pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            plain_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

pub fn plain_error(status: StatusCode, message: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message.to_string()).into_response()
}

pub fn error_page(state: &AppState, lang: Lang, status: StatusCode, key: &str) -> Response {
    let t = Tr { lang };
    let page = ErrorPage { t, ctx: Ctx::anonymous(state, lang), status: status.as_u16(), message: t.s(key) };
    let mut response = render(&page);
    *response.status_mut() = status;
    response
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (ctx, error) = *self.0;
        let t = ctx.t;
        let (status, message) = match &error {
            AppError::Unauthorized => {
                let next: String = form_urlencoded::byte_serialize(ctx.here.as_bytes()).collect();
                return Redirect::to(&format!("/signin?next={next}")).into_response();
            }
            AppError::NotFound => (StatusCode::NOT_FOUND, t.s("error.not_found")),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, t.s("error.forbidden")),
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, t.s("error.generic"))
            }
            other => {
                let (status, _) = other.status_and_code();
                (status, other.to_string())
            }
        };
        let page = ErrorPage { t, ctx, status: status.as_u16(), message };
        let mut response = render(&page);
        *response.status_mut() = status;
        response
    }
}

pub type PageResult = Result<Response, PageError>;
