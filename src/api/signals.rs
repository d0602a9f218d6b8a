//! `/api/v1/signals/*`: complaints that rose sharply, to steer inspections (clerk, officer).

use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::Auth;
use crate::auth::extract::CaseStaff;
use crate::error::{AppResult, ErrorBody};
use crate::extract::Json;
use crate::signals::{self, SpikeReport};
use crate::state::AppState;
use crate::time::{now, taipei_date};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_spikes))
}

/// The businesses and complaint categories of the caller's office whose first complaints this
/// month reached `signals.spike_ratio` times the mean of their previous `signals.baseline_months`
/// months, and at least `signals.spike_min_complaints`; each with the inspection recorded from
/// it (`POST /api/v1/inspections {signal}`), if any.
#[utoipa::path(get, path = "/api/v1/signals/spikes", tag = "inspections", security(("bearer" = [])),
    responses((status = 200, body = SpikeReport), (status = 403, body = ErrorBody)))]
async fn get_spikes(State(state): State<AppState>, auth: Auth<CaseStaff>) -> AppResult<Json<SpikeReport>> {
    let jurisdiction = auth.office(&state.settings.reference);
    let report = signals::spikes(
        &state.db,
        &state.settings.reference,
        &state.settings.signals,
        &jurisdiction,
        taipei_date(now()),
    )
    .await?;
    Ok(Json(report))
}
