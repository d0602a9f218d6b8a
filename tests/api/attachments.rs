//! Evidence files: kinds, sizes, storage and who may download them.

use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::helpers::*;

#[tokio::test]
async fn evidence_is_stored_by_its_hash_and_served_to_those_who_see_the_case() {
    let app = spawn_app().await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap();
    let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec();
    let created =
        expect_status(upload(&app, &c.citizen, id, "../../發票 2026.pdf", pdf.clone()).await, StatusCode::CREATED)
            .await;
    let sha = hex::encode(Sha256::digest(&pdf));
    assert_eq!(created["sha256"], sha);
    assert_eq!(created["size"], pdf.len());
    assert_eq!(created["filename"], "發票 2026.pdf", "no path survives");
    assert!(app.state.blobs.has(&sha).await.unwrap(), "content-addressed in the store");
    if app.s3_bucket.is_none() {
        assert!(app.data_dir.join("attachments").join(&sha[..2]).join(&sha).is_file(), "under the data directory");
    }

    // The same bytes again are stored once.
    expect_status(upload(&app, &c.clerk, id, "copy.pdf", pdf.clone()).await, StatusCode::CREATED).await;
    let stored: Vec<String> = futures_util::TryStreamExt::try_collect(app.state.blobs.list()).await.unwrap();
    assert_eq!(stored, std::slice::from_ref(&sha));

    let download =
        app.get(&format!("/api/v1/cases/{id}/attachments/{}", created["id"].as_str().unwrap()), Some(&c.clerk)).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''%E7%99%BC%E7%A5%A8%202026.pdf")
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), pdf.as_slice());

    let listed = app.case(&c.citizen, id).await;
    assert_eq!(listed["attachments"].as_array().unwrap().len(), 2);
    let timeline = app.timeline(&c.citizen, id).await;
    assert!(timeline.iter().any(|e| e["action"] == "attachment" && e["note"] == "發票 2026.pdf"));
}

#[tokio::test]
async fn disallowed_and_oversized_files_are_refused() {
    let app = spawn_app_with(vec![("attachments.max_bytes", 2048.into())]).await;
    let c = app.cast().await;
    let case = app.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap();

    // Judged by the bytes: an executable named .pdf, a script, an HTML page.
    for (name, bytes) in [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00".to_vec()),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n".to_vec()),
        ("page.html", b"<html><script>alert(1)</script></html>".to_vec()),
    ] {
        expect_error(
            upload(&app, &c.citizen, id, name, bytes).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
    }
    let mut big = PNG.to_vec();
    big.resize(2049, 0);
    expect_error(
        upload(&app, &c.citizen, id, "big.png", big).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    let mut fits = PNG.to_vec();
    fits.resize(2048, 0);
    expect_status(upload(&app, &c.citizen, id, "fits.png", fits).await, StatusCode::CREATED).await;
    expect_error(
        upload(&app, &c.citizen, id, "empty.png", Vec::new()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    // A body that is not multipart, or has no `file` field.
    let response = app
        .client
        .post(app.url(&format!("/api/v1/cases/{id}/attachments")))
        .bearer_auth(&c.citizen)
        .json(&serde_json::json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type").await;
    let form = reqwest::multipart::Form::new().text("other", "x");
    let response = app
        .client
        .post(app.url(&format!("/api/v1/cases/{id}/attachments")))
        .bearer_auth(&c.citizen)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert!(body["fields"]["file"].is_array());

    assert_eq!(
        app.case(&c.citizen, id).await["attachments"].as_array().unwrap().len(),
        1,
        "only the allowed file was kept"
    );
    let leftovers = std::fs::read_dir(app.data_dir.join("uploads")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(leftovers, 0, "refused uploads leave no temporary files");
}

#[tokio::test]
async fn instances_with_data_directories_of_their_own_share_evidence_through_the_bucket() {
    if s3_endpoint().is_none() {
        eprintln!("skipped: set TEST_S3_ENDPOINT to an S3-compatible server (.ci/run starts moto)");
        return;
    }
    let one = spawn_app().await;
    let two = one.instance_elsewhere().await;
    assert_ne!(one.data_dir, two.data_dir);
    let c = one.cast().await;
    let case = one.file_online(&c.citizen, &c.business_id).await;
    let id = case["id"].as_str().unwrap();

    // Larger than one part of a multipart upload (5 MiB), with bytes no other test has.
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let seed = uuid::Uuid::new_v4();
    while pdf.len() < 6 * 1024 * 1024 + 123 {
        pdf.extend_from_slice(seed.as_bytes());
        pdf.extend_from_slice(&(pdf.len() as u64).to_le_bytes());
    }
    let created =
        expect_status(upload(&one, &c.citizen, id, "receipt.pdf", pdf.clone()).await, StatusCode::CREATED).await;
    let path = format!("/api/v1/cases/{id}/attachments/{}", created["id"].as_str().unwrap());
    let download = two.get(&path, Some(&c.clerk)).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-length"], pdf.len().to_string().as_str());
    let got = download.bytes().await.unwrap();
    assert!(
        got.as_ref() == pdf.as_slice(),
        "the second instance serves the same bytes ({} of {})",
        got.len(),
        pdf.len()
    );
    // Neither instance kept the file in its own directory.
    for app in [&one, &two] {
        assert!(!app.data_dir.join("attachments").join(&created["sha256"].as_str().unwrap()[..2]).exists());
    }
}
