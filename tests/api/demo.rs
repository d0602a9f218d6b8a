//! The demo year: made through the API, so it obeys every rule, at the volume asked for.

use consumer_protection::demo::{self, Volume};
use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_demo_fills_a_year_through_the_api_with_exactly_the_volume_asked() {
    let app = spawn_app().await;
    let last_year = chrono::Datelike::year(&chrono::Utc::now()) - 1;
    let volume = Volume {
        consultations: 25,
        first_complaints: 60,
        second_complaints: 15,
        mediation_applications: 4,
        meetings: 12,
        inspections: 5,
        education_events: 3,
    };
    demo::run(app.state.clone(), &app.state.settings, last_year, volume, 7).await.expect("the demo runs");
    let officer = app.token("demo.officer@demo.invalid", demo::DEMO_PASSWORD).await;
    let report =
        expect_status(app.get(&format!("/api/v1/stats/report?year={last_year}"), Some(&officer)).await, StatusCode::OK)
            .await;
    let f = &report["figures"];
    assert_eq!(
        [
            f["consultations"].as_i64(),
            f["first_complaints"].as_i64(),
            f["second_complaints"].as_i64(),
            f["mediation_applications"].as_i64(),
            f["mediation_meetings"].as_i64(),
            f["inspections"].as_i64(),
            f["education_events"].as_i64()
        ],
        [Some(25), Some(60), Some(15), Some(4), Some(12), Some(5), Some(3)]
    );
    assert!(consumer_protection::stats::recount::differences(&app.state.db).await.unwrap().is_empty());
    // A second run on the same year refuses, rather than doubling it.
    let again = demo::run(app.state.clone(), &app.state.settings, last_year, demo::OFFICE, 7).await;
    assert!(again.unwrap_err().to_string().contains("already has"));
}
