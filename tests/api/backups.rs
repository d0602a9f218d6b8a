//! Backups taken while the office works, restored into an empty system.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn case_ids(app: &TestApp, token: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for page in 1.. {
        let list = expect_status(
            app.get(&format!("/api/v1/cases?per_page=100&page={page}"), Some(token)).await,
            StatusCode::OK,
        )
        .await;
        let items = list["items"].as_array().unwrap();
        ids.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_string()));
        if items.len() < 100 {
            return ids;
        }
    }
    unreachable!()
}

async fn download(app: &TestApp, token: &str, path: &str) -> Vec<u8> {
    let response = app.get(path, Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_backup_taken_while_filings_arrive_restores_into_an_empty_system_the_same() {
    let app = spawn_app().await;
    let c = app.cast().await;
    // Cases with evidence and a history.
    let mut filed = Vec::new();
    for i in 0..3 {
        let id = app.file_online(&c.citizen, &c.business_id).await["id"].as_str().unwrap().to_string();
        let pdf = format!("%PDF-1.7\n% receipt {i} of case {id}\n").into_bytes();
        expect_status(upload(&app, &c.citizen, &id, "receipt.pdf", pdf).await, StatusCode::CREATED).await;
        filed.push(id);
    }
    app.act_ok(&c.clerk, &filed[0], "forward", json!({})).await;

    // Filings go on before, during and after the backup.
    let dir = tempfile::tempdir().unwrap().keep().join("backup");
    let backup_started = AtomicBool::new(false);
    let backup_done = AtomicBool::new(false);
    let filing = async {
        let (mut before_backup, mut after_done) = (Vec::new(), 0);
        while after_done < 3 {
            let id = app.file_online(&c.citizen, &c.business_id).await["id"].as_str().unwrap().to_string();
            // Acknowledged before the backup began (a filing in flight as it began may be in
            // it or not).
            if !backup_started.load(Ordering::SeqCst) {
                before_backup.push(id);
            }
            if backup_done.load(Ordering::SeqCst) {
                after_done += 1;
            }
        }
        before_backup
    };
    let backing_up = async {
        while case_ids(&app, &c.clerk).await.len() < filed.len() + 3 {
            tokio::task::yield_now().await;
        }
        backup_started.store(true, Ordering::SeqCst);
        let manifest =
            consumer_protection::backup::backup(&app.state.settings, &app.state.db, &app.state.blobs, &dir).await;
        backup_done.store(true, Ordering::SeqCst);
        manifest.unwrap()
    };
    let (before_backup, manifest) = tokio::join!(filing, backing_up);
    assert_eq!(manifest.attachments, 3);
    // A second backup into the same directory is refused: nothing is overwritten.
    let again = consumer_protection::backup::backup(&app.state.settings, &app.state.db, &app.state.blobs, &dir).await;
    assert!(again.unwrap_err().to_string().contains("not empty"));

    let restored = spawn_app_after(vec![], async |settings| {
        consumer_protection::backup::restore(settings, &dir).await.expect("restore");
    })
    .await;
    let clerk = restored.token("clerk@cpo.test", PASSWORD).await;

    // Every case acknowledged before the backup began is there, and nothing the office never had.
    let original = case_ids(&app, &c.clerk).await;
    let back = case_ids(&restored, &clerk).await;
    assert!(back.is_subset(&original));
    for id in filed.iter().chain(&before_backup) {
        assert!(back.contains(id), "case {id}, acknowledged before the backup, is restored");
    }
    assert!(back.len() < original.len(), "filings after the backup are not in it");

    // The same cases, timelines and evidence.
    for id in &back {
        let (mut theirs, ours) = (app.case(&c.clerk, id).await, restored.case(&clerk, id).await);
        assert_eq!(ours, theirs, "case {id}");
        assert_eq!(restored.timeline(&clerk, id).await, app.timeline(&c.clerk, id).await, "timeline of {id}");
        for attachment in theirs["attachments"].as_array_mut().unwrap().drain(..) {
            let path = format!("/api/v1/cases/{id}/attachments/{}", attachment["id"].as_str().unwrap());
            assert_eq!(download(&restored, &clerk, &path).await, download(&app, &c.clerk, &path).await);
        }
    }

    // The figures agree with the restored records, and count exactly them.
    let db = &restored.state.db;
    assert!(consumer_protection::stats::recount::differences(db).await.unwrap().is_empty());
    assert!(consumer_protection::stats::rollups::differences(db).await.unwrap().is_empty());
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let summary: Value = expect_status(
        restored.get(&format!("/api/v1/stats/summary?from={today}&to={today}"), Some(&clerk)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(summary["first_complaints"], json!(back.len()), "{summary}");

    // A restore goes into an empty system only.
    let refused = consumer_protection::backup::restore(&restored.state.settings, &dir).await;
    assert!(refused.unwrap_err().to_string().contains("already holds"));
}
