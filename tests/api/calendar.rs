//! The office calendar, closures, and the background job on deadlines.

use consumer_protection::calendar::{Closures, OfficeCalendar};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_calendar_shows_working_days_and_their_reasons() {
    let app = spawn_app().await;
    let days =
        expect_status(app.get("/api/v1/calendar?from=2026-02-13&to=2026-02-23", None).await, StatusCode::OK).await;
    let days = days["days"].as_array().unwrap();
    assert_eq!(days.len(), 11);
    assert_eq!((days[0]["working"].as_bool(), days[0]["reason"].as_str()), (Some(true), Some("")));
    assert_eq!(
        (days[3]["date"].as_str(), days[3]["working"].as_bool(), days[3]["reason"].as_str()),
        (Some("2026-02-16"), Some(false), Some("農曆除夕"))
    );
    assert_eq!(days[10]["working"], true);
    let fallback =
        expect_status(app.get("/api/v1/calendar?from=2031-01-04&to=2031-01-05", None).await, StatusCode::OK).await;
    assert_eq!(fallback["days"][0]["source"], "weekend_fallback");
    assert_eq!(fallback["days"][0]["working"], false, "4 Jan 2031 is a Saturday");
    for bad in [
        "from=2026-01-01",
        "from=2026-02-01&to=2026-01-01",
        "from=2026-01-01&to=2027-06-01",
        "from=x&to=y",
        "from=2026-01-01&to=2026-01-02&jurisdiction=mars",
    ] {
        expect_error(
            app.get(&format!("/api/v1/calendar?{bad}"), None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
}

#[tokio::test]
async fn a_typhoon_closure_moves_the_deadlines_that_end_on_it() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap();
    let forwarded = app.act_ok(&c.clerk, id, "forward", json!({})).await;
    let due = instant(forwarded["due_at"].as_str().unwrap());
    let taipei = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let due_day = due.with_timezone(&taipei).date_naive();

    let body = json!({"date": due_day, "reason": "颱風停止上班"});
    expect_error(
        app.post("/api/v1/calendar/closures", Some(&c.clerk), &body).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let closure =
        expect_status(app.post("/api/v1/calendar/closures", Some(&c.officer), &body).await, StatusCode::CREATED).await;
    assert_eq!(closure["deadlines_moved"], 1);
    expect_error(
        app.post("/api/v1/calendar/closures", Some(&c.officer), &body).await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;

    let mut closures = Closures::new();
    closures.insert(due_day, "颱風停止上班".into());
    let expected =
        consumer_protection::calendar::end_of_day(OfficeCalendar::load(None).unwrap().roll_forward(due_day, &closures));
    let moved = app.case(&c.clerk, id).await;
    assert_eq!(instant(moved["due_at"].as_str().unwrap()), expected);
    assert!(instant(moved["due_at"].as_str().unwrap()) > due);
    let day =
        expect_status(app.get(&format!("/api/v1/calendar?from={due_day}&to={due_day}"), None).await, StatusCode::OK)
            .await;
    assert_eq!(
        (day["days"][0]["working"].as_bool(), day["days"][0]["source"].as_str()),
        (Some(false), Some("closure"))
    );
    // A new deadline counted over the closed day rolls past it too.
    let timeline = app.timeline(&c.citizen, id).await;
    assert_eq!(timeline.last().unwrap()["action"], "deadline_moved");
}

async fn overdue_paper_case(app: &TestApp, c: &Cast, name: &str) -> String {
    let body = json!({"business_id": c.business_id, "category": "food", "description": "d", "requested_resolution": "r",
        "consumer": {"name": name}, "received_at": days_ago(40, 9)});
    let case = expect_status(app.post("/api/v1/cases", Some(&c.clerk), &body).await, StatusCode::CREATED).await;
    let id = case["id"].as_str().unwrap().to_string();
    app.act_ok(&c.clerk, &id, "forward", json!({"occurred_at": days_ago(39, 9)})).await;
    id
}

#[tokio::test]
async fn two_instances_running_the_job_at_once_mark_each_case_once() {
    // The default interval (60 s) keeps the timers out of the way: only the explicit runs act.
    let app = spawn_app().await;
    let c = app.cast().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(overdue_paper_case(&app, &c, &format!("民眾{i}")).await);
    }
    let second = app.another_instance(vec![]).await;
    let (a, b) = tokio::join!(app.run_jobs(), second.run_jobs());
    assert_eq!(a.overdue + b.overdue, 6, "each case marked exactly once ({a:?}, {b:?})");
    for id in &ids {
        let overdue_events = app.timeline(&c.clerk, id).await.into_iter().filter(|e| e["action"] == "overdue").count();
        assert_eq!(overdue_events, 1);
        assert_eq!(app.case(&c.clerk, id).await["status"], "overdue");
    }
}

#[tokio::test]
async fn the_job_runs_on_its_own_timer() {
    let app = spawn_app_with(vec![("jobs.interval_seconds", 1.into())]).await;
    let c = app.cast().await;
    let id = overdue_paper_case(&app, &c, "晚到的").await;
    let mut status = String::new();
    for _ in 0..50 {
        status = app.case(&c.clerk, &id).await["status"].as_str().unwrap().to_string();
        if status == "overdue" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "overdue");
}
