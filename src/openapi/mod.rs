//! The OpenAPI document, generated from the handlers' annotations, and the offline docs page.

pub mod contract;
pub mod fields;

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "consumer-protection",
        description = "Case tracking for a municipal consumer protection office (消費者保護官室).",
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Registration, sign-in, tokens and one's own account"),
        (name = "users", description = "Account management (admin)"),
        (name = "reference", description = "Configured reference lists"),
        (name = "businesses", description = "The business registry (企業經營者)"),
        (name = "consultations", description = "Consultations (諮詢), counted apart from complaints"),
        (name = "cases", description = "Disputes: filing, the workflow, timeline, notes, evidence"),
        (name = "calendar", description = "Office calendar and closures, for deadlines"),
        (name = "mediation", description = "Mediation meetings (調解會議), agendas and outcomes"),
        (name = "documents", description = "Letters, notices, mediation records, certificates and summaries as PDF"),
        (name = "inspections", description = "Inspections (查核)"),
        (name = "education", description = "Public-education events (宣導)"),
        (name = "admin", description = "Mail deliveries (admin)"),
        (name = "statistics", description = "Report figures, breakdowns, closed months, public figures"),
        (name = "accountability", description = "Public business scorecards and their open data"),
        (name = "exports", description = "Exports of cases and every other kind of record (CSV, XLSX, ODS)"),
        (name = "imports", description = "The history import's dry run (the import itself is on the command line)"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}
