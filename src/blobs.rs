//! Where evidence files' bytes live: a local directory (the embedded default) or an
//! S3-compatible bucket that several instances share (`attachments.store`). Files are kept by
//! the SHA-256 of their bytes (`ab/abcdef…`), written whole or not at all — a local file is
//! renamed into place, an S3 object exists once its multipart upload completes — and streamed
//! both ways in bounded pieces.

use std::path::Path as FsPath;
use std::sync::Arc;

use anyhow::Context;
use axum::body::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::config::{AttachmentSettings, AttachmentStore};

/// Bytes read from a staged file at a time, and the parts an upload sends (S3's smallest part
/// but the last is 5 MiB).
const READ_BYTES: usize = 256 * 1024;
const PART_BYTES: usize = 5 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

impl Blobs {
    /// The store `settings` name; `data_dir/attachments` for the local one.
    pub fn open(settings: &AttachmentSettings, data_dir: &FsPath) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match settings.store {
            AttachmentStore::Local => {
                let root = data_dir.join("attachments");
                std::fs::create_dir_all(&root)
                    .with_context(|| format!("creating the attachments directory {}", root.display()))?;
                Arc::new(LocalFileSystem::new_with_prefix(&root)?.with_automatic_cleanup(true))
            }
            AttachmentStore::S3 => {
                // The bucket's client takes its TLS from the process's default provider; set it
                // to ring, the one the rest of the program uses (an error means already set).
                let _ = rustls::crypto::ring::default_provider().install_default();
                // `Settings::validate` has checked that these are all given.
                let endpoint = settings.s3_endpoint.clone().unwrap_or_default();
                let builder = AmazonS3Builder::new()
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_endpoint(endpoint)
                    .with_bucket_name(settings.s3_bucket.clone().unwrap_or_default())
                    .with_region(settings.s3_region.clone())
                    .with_access_key_id(settings.s3_access_key.as_ref().map(|k| k.expose()).unwrap_or_default())
                    .with_secret_access_key(settings.s3_secret_key.as_ref().map(|k| k.expose()).unwrap_or_default())
                    // Path-style addressing (`endpoint/bucket/key`), which every S3-compatible
                    // server answers.
                    .with_virtual_hosted_style_request(false);
                Arc::new(builder.build().context("configuring the attachments' S3 bucket")?)
            }
        };
        Ok(Self { store })
    }

    fn path(sha256: &str) -> Path {
        debug_assert!(is_sha256(sha256));
        Path::from(format!("{}/{sha256}", &sha256[..2]))
    }

    /// Whether the file of `sha256` is stored.
    pub async fn has(&self, sha256: &str) -> anyhow::Result<bool> {
        match self.store.head(&Self::path(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Stores the staged file at `staged` as the file of `sha256`, unless it is there already.
    /// Nothing is visible under the name until every byte is written; a failed upload is
    /// abandoned.
    pub async fn keep(&self, sha256: &str, staged: &FsPath) -> anyhow::Result<()> {
        if self.has(sha256).await? {
            return Ok(());
        }
        let mut file = tokio::fs::File::open(staged).await.context("opening a staged upload")?;
        let upload = self.store.put_multipart(&Self::path(sha256)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let mut buffer = vec![0u8; READ_BYTES];
        let written: anyhow::Result<()> = async {
            loop {
                let n = file.read(&mut buffer).await.context("reading a staged upload")?;
                if n == 0 {
                    return Ok(());
                }
                // At most two parts in flight: memory stays bounded whatever the file's size.
                writer.wait_for_capacity(2).await?;
                writer.write(&buffer[..n]);
            }
        }
        .await;
        match written {
            Ok(()) => {
                writer.finish().await?;
                Ok(())
            }
            Err(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    /// The bytes of `sha256`, as a stream.
    pub async fn read(&self, sha256: &str) -> anyhow::Result<impl Stream<Item = std::io::Result<Bytes>> + use<>> {
        let found = self.store.get(&Self::path(sha256)).await?;
        Ok(found.into_stream().map_err(std::io::Error::other))
    }

    /// Removes the file of `sha256`; one already gone is not an error.
    pub async fn remove(&self, sha256: &str) -> anyhow::Result<()> {
        match self.store.delete(&Self::path(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored file's SHA-256 (for backups and checks).
    pub fn list(&self) -> impl Stream<Item = anyhow::Result<String>> + '_ {
        self.store.list(None).filter_map(|meta| async move {
            match meta {
                Ok(meta) => {
                    let name = meta.location.filename().unwrap_or_default();
                    is_sha256(name).then(|| Ok(name.to_string()))
                }
                Err(e) => Some(Err(e.into())),
            }
        })
    }
}

/// Whether `name` is a SHA-256 as files are named: 64 lowercase hexadecimal digits.
pub fn is_sha256(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
