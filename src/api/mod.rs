//! The JSON API: one module per resource, each handler thin — it extracts, checks who may
//! call, and hands over to its capability's service. `routes()` lists them all, with their
//! OpenAPI descriptions.

pub mod account;
pub mod auth;
pub mod businesses;
pub mod calendar;
pub mod cases;
pub mod committee;
pub mod consultations;
pub mod documents;
pub mod education;
pub mod exports;
pub mod health;
pub mod imports;
pub mod inspections;
pub mod meetings;
pub mod messages;
pub mod national;
pub mod reference;
pub mod scorecards;
pub mod signals;
pub mod stats;
pub mod users;

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::openapi::ApiDoc;
use crate::state::AppState;

/// Every route of the JSON API with its OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::routes())
        .merge(reference::routes())
        .merge(auth::routes())
        .merge(account::routes())
        .merge(users::routes())
        .merge(businesses::routes())
        .merge(consultations::routes())
        .merge(cases::routes())
        .merge(documents::routes())
        .merge(calendar::routes())
        .merge(meetings::routes())
        .merge(committee::routes())
        .merge(inspections::routes())
        .merge(education::routes())
        .merge(messages::routes())
        .merge(stats::routes())
        .merge(scorecards::routes())
        .merge(signals::routes())
        .merge(national::routes())
        .merge(exports::routes())
        .merge(imports::routes())
}
