//! HTTP fetching with the limits every source gets: a User-Agent that names praden and a
//! contact, connect and overall timeouts, a redirect limit and a cap on the body size (counted
//! after decompression, so a gzip bomb is cut off too).

use futures_util::StreamExt;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub contact: String,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub max_redirects: usize,
    pub max_body_bytes: usize,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            contact: "https://github.com/praden".into(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_redirects: 5,
            max_body_bytes: 15 << 20,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("request to {url} failed: {source}")]
    Request { url: String, source: reqwest::Error },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} sent more than {limit} bytes; the rest was not read")]
    TooLarge { url: String, limit: usize },
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_body_bytes: usize,
}

impl Fetcher {
    pub fn new(config: &FetchConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(format!(
                "praden/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                config.contact
            ))
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::limited(config.max_redirects))
            .build()?;
        Ok(Self {
            client,
            max_body_bytes: config.max_body_bytes,
        })
    }

    /// GETs `url` and returns the (decompressed) body, refusing non-2xx answers and bodies over
    /// the cap.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let request_err = |source| FetchError::Request {
            url: url.to_string(),
            source,
        };
        let response = self.client.get(url).send().await.map_err(request_err)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(request_err)?;
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(FetchError::TooLarge {
                    url: url.to_string(),
                    limit: self.max_body_bytes,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
