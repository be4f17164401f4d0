//! Evidence files, content-addressed through the `object_store` crate: a file is kept under
//! `evidence/<first two hex digits>/<SHA-256 of its bytes>`, on the local filesystem under
//! `data_dir` by default or in S3-compatible storage by configuration. The same bytes are
//! kept once however often they are sent; an object is never rewritten with other bytes.
//! The database (praden-store) holds what each file is and whose it is.

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the evidence directory {dir} cannot be used: {reason}")]
    Directory { dir: String, reason: String },
    #[error("the S3 evidence store cannot be set up: {0}")]
    S3(String),
    #[error("evidence object {key}: {source}")]
    Object {
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error("{0:?} is not a SHA-256 in hex")]
    BadDigest(String),
}

/// Where S3-compatible storage is: the bucket, its endpoint (empty for AWS itself) and region.
/// Credentials come from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, …),
/// never from praden.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    pub endpoint: String,
    pub region: String,
}

/// The evidence object store and the size limits praden keeps to.
#[derive(Clone)]
pub struct EvidenceStore {
    objects: Arc<dyn ObjectStore>,
    /// The largest file taken, in bytes.
    pub max_file_bytes: u64,
    /// The most all of one issue's files may hold together, in bytes.
    pub max_issue_bytes: u64,
}

impl std::fmt::Debug for EvidenceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvidenceStore")
            .field("objects", &self.objects.to_string())
            .field("max_file_bytes", &self.max_file_bytes)
            .field("max_issue_bytes", &self.max_issue_bytes)
            .finish()
    }
}

const MIB: u64 = 1024 * 1024;

impl EvidenceStore {
    /// Files under `data_dir` (in its `evidence/` directory), made if missing.
    pub fn local(data_dir: &Path, max_file_mb: u64, max_issue_mb: u64) -> Result<Self, BlobError> {
        let dir_error = |reason: String| BlobError::Directory {
            dir: data_dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(data_dir.join("evidence")).map_err(|e| dir_error(e.to_string()))?;
        let objects =
            LocalFileSystem::new_with_prefix(data_dir).map_err(|e| dir_error(e.to_string()))?;
        Ok(Self::with(Arc::new(objects), max_file_mb, max_issue_mb))
    }

    /// S3-compatible storage. Only builds the client: a wrong bucket or credential shows at
    /// the first upload; a missing bucket or region, or a malformed endpoint, here.
    pub fn s3(s: &S3Settings, max_file_mb: u64, max_issue_mb: u64) -> Result<Self, BlobError> {
        if s.bucket.trim().is_empty() {
            return Err(BlobError::S3("evidence.s3_bucket is empty".into()));
        }
        if s.region.trim().is_empty() {
            return Err(BlobError::S3("evidence.s3_region is empty".into()));
        }
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(s.bucket.trim())
            .with_region(s.region.trim());
        let endpoint = s.endpoint.trim();
        if !endpoint.is_empty() {
            let url = url::Url::parse(endpoint)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| {
                    BlobError::S3(format!(
                        "evidence.s3_endpoint {endpoint:?} is not an http(s) URL"
                    ))
                })?;
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(url.scheme() == "http");
        }
        let objects = builder.build().map_err(|e| BlobError::S3(e.to_string()))?;
        Ok(Self::with(Arc::new(objects), max_file_mb, max_issue_mb))
    }

    /// Any object store (tests use the in-memory one).
    pub fn with(objects: Arc<dyn ObjectStore>, max_file_mb: u64, max_issue_mb: u64) -> Self {
        Self {
            objects,
            max_file_bytes: max_file_mb * MIB,
            max_issue_bytes: max_issue_mb * MIB,
        }
    }

    /// Keeps `bytes` under their digest and returns it (hex). Bytes already kept are not sent
    /// again.
    pub async fn put(&self, bytes: Bytes) -> Result<String, BlobError> {
        let sha = hex::encode(Sha256::digest(&bytes));
        let key = key(&sha)?;
        let object = |source| BlobError::Object {
            key: key.to_string(),
            source,
        };
        match self.objects.head(&key).await {
            Ok(_) => return Ok(sha),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(object(e)),
        }
        self.objects
            .put(&key, PutPayload::from_bytes(bytes))
            .await
            .map_err(object)?;
        Ok(sha)
    }

    /// The bytes kept under `sha`.
    pub async fn get(&self, sha: &str) -> Result<Bytes, BlobError> {
        let key = key(sha)?;
        let object = |source| BlobError::Object {
            key: key.to_string(),
            source,
        };
        let got = self.objects.get(&key).await.map_err(object)?;
        got.bytes().await.map_err(object)
    }
}

/// `evidence/ab/abcdef…`: the object key of a digest (checked, so no other key is reachable).
fn key(sha: &str) -> Result<ObjectPath, BlobError> {
    if sha.len() != 64
        || !sha
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Err(BlobError::BadDigest(sha.to_string()));
    }
    Ok(ObjectPath::from(format!("evidence/{}/{sha}", &sha[..2])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_are_kept_under_their_digest_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = EvidenceStore::local(dir.path(), 1, 2).unwrap();
        assert_eq!(store.max_file_bytes, 1024 * 1024);
        let sha = store.put(Bytes::from_static(b"%PDF-1.4 x")).await.unwrap();
        assert_eq!(sha.len(), 64);
        let path = dir.path().join("evidence").join(&sha[..2]).join(&sha);
        assert_eq!(std::fs::read(&path).unwrap(), b"%PDF-1.4 x");
        assert_eq!(
            store.put(Bytes::from_static(b"%PDF-1.4 x")).await.unwrap(),
            sha
        );
        assert_eq!(&store.get(&sha).await.unwrap()[..], b"%PDF-1.4 x");
        assert!(matches!(
            store.get("../../etc/passwd").await,
            Err(BlobError::BadDigest(_))
        ));
    }

    #[test]
    fn s3_is_built_from_settings_and_refuses_half_of_them() {
        let ok = S3Settings {
            bucket: "praden-evidence".into(),
            endpoint: "http://127.0.0.1:9000".into(),
            region: "ap-southeast-1".into(),
        };
        assert!(EvidenceStore::s3(&ok, 50, 200).is_ok());
        let no_bucket = S3Settings {
            bucket: " ".into(),
            ..ok.clone()
        };
        let e = EvidenceStore::s3(&no_bucket, 50, 200).unwrap_err();
        assert!(e.to_string().contains("s3_bucket"), "{e}");
        let bad_endpoint = S3Settings {
            endpoint: "minio:9000".into(),
            ..ok
        };
        let e = EvidenceStore::s3(&bad_endpoint, 50, 200).unwrap_err();
        assert!(e.to_string().contains("s3_endpoint"), "{e}");
    }
}
