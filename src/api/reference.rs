//! `GET /api/v1/reference`: the configured reference lists.

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::Json;
use crate::reference::ReferenceLists;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_reference))
}

/// The configured reference lists. No sign-in needed.
#[utoipa::path(get, path = "/api/v1/reference", tag = "reference",
    responses((status = 200, body = ReferenceLists)))]
async fn get_reference(State(state): State<AppState>) -> Json<ReferenceLists> {
    Json(ReferenceLists::from_settings(&state.settings.reference))
}
