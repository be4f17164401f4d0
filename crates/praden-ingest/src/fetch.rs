//! HTTP fetching with the limits every source gets: a User-Agent that names praden and a
//! contact, connect and total timeouts (the total one also ends a server that trickles bytes),
//! a redirect limit, a cap on the body size (counted after decompression, so a gzip bomb is
//! cut off too), conditional GET, and no requests into private networks (see `address`).
//!
//! Redirects are followed here, hop by hop, not by reqwest: each hop that leaves the origin
//! (scheme, host and port) of the one before is checked as a new request. A source marked
//! `allow_private_network` may reach a private address at its own configured origin only; a
//! redirect from there to another port, `localhost` or any name that resolves privately goes
//! through the public-only client, whose resolver refuses it before connecting.

use crate::address::{self, ForbiddenAddress, PublicOnlyResolver};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub contact: String,
    pub connect_timeout: Duration,
    /// For the whole exchange, from connecting to the last byte of the body.
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
    #[error("request to {url} failed: {message}")]
    Request { url: String, message: String },
    #[error("{url} answered HTTP {status}")]
    Status {
        url: String,
        status: u16,
        /// The server's Retry-After (429, 503), as a delay from now.
        retry_after: Option<Duration>,
    },
    #[error("{url} sent more than {limit} bytes; the rest was not read")]
    TooLarge { url: String, limit: usize },
    #[error("{url} did not finish within {}s; the rest was not read", .after.as_secs_f64())]
    TimedOut { url: String, after: Duration },
    #[error("request to {url} refused: {reason}")]
    Forbidden {
        url: String,
        reason: ForbiddenAddress,
    },
    #[error("request to {url} failed: more than {limit} redirects")]
    TooManyRedirects { url: String, limit: usize },
}

/// The conditional-GET validators of the last answer with a body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum Fetched {
    /// 304: unchanged since the validators sent.
    NotModified,
    Body {
        bytes: Vec<u8>,
        /// The Content-Type header, for its charset.
        content_type: Option<String>,
        validators: Validators,
    },
}

#[derive(Clone)]
pub struct Fetcher {
    /// Refuses private addresses: for every request but those to a private source's origin.
    public_only: reqwest::Client,
    /// For the configured origin of a source marked `allow_private_network`.
    any_address: reqwest::Client,
    timeout: Duration,
    max_redirects: usize,
    max_body_bytes: usize,
}

impl Fetcher {
    pub fn new(config: &FetchConfig) -> Result<Self, reqwest::Error> {
        let build = |public_only: bool| {
            let builder = reqwest::Client::builder()
                .user_agent(format!(
                    "praden/{} (+{})",
                    env!("CARGO_PKG_VERSION"),
                    config.contact
                ))
                .connect_timeout(config.connect_timeout)
                .timeout(config.timeout)
                // Followed in `fetch_unbounded`, where each hop's address is checked.
                .redirect(reqwest::redirect::Policy::none());
            if public_only {
                builder
                    .dns_resolver(Arc::new(PublicOnlyResolver))
                    // A proxy from the environment would resolve the names itself.
                    .no_proxy()
                    .build()
            } else {
                builder.build()
            }
        };
        Ok(Self {
            public_only: build(true)?,
            any_address: build(false)?,
            timeout: config.timeout,
            max_redirects: config.max_redirects,
            max_body_bytes: config.max_body_bytes,
        })
    }

    /// GETs `url`, sending the validators so an unchanged feed costs a 304. Refuses non-2xx
    /// answers, bodies over the cap, exchanges over the time limit and private addresses —
    /// with `allow_private_network`, except at `url`'s own origin.
    pub async fn fetch(
        &self,
        url: &str,
        validators: &Validators,
        allow_private_network: bool,
    ) -> Result<Fetched, FetchError> {
        let own = url::Url::parse(url).ok();
        let private_origin = own.as_ref().filter(|_| allow_private_network);
        self.fetch_with_headers(url, validators, private_origin, &[])
            .await
    }

    /// `fetch` with extra request headers (a JSON API's credential), sent to `url`'s origin
    /// only, never after a redirect leaves it. Mark secret values sensitive
    /// (`HeaderValue::set_sensitive`) so that no debug output shows them. `private_origin`
    /// is the origin (scheme, host, port) of a URL that may be a private address: the
    /// configured URL of a source marked `allow_private_network`; every other request, redirects
    /// included, must reach a public address.
    pub async fn fetch_with_headers(
        &self,
        url: &str,
        validators: &Validators,
        private_origin: Option<&url::Url>,
        headers: &[(String, reqwest::header::HeaderValue)],
    ) -> Result<Fetched, FetchError> {
        // reqwest's own timeout covers each hop too; ours names the cause in the error.
        match tokio::time::timeout(
            self.timeout,
            self.fetch_unbounded(url, validators, private_origin, headers),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(FetchError::TimedOut {
                url: url.to_string(),
                after: self.timeout,
            }),
        }
    }

    async fn fetch_unbounded(
        &self,
        url: &str,
        validators: &Validators,
        private_origin: Option<&url::Url>,
        headers: &[(String, reqwest::header::HeaderValue)],
    ) -> Result<Fetched, FetchError> {
        let mut current = url::Url::parse(url).map_err(|e| FetchError::Request {
            url: url.to_string(),
            message: format!("not a URL: {e}"),
        })?;
        let first_origin = current.origin();
        let private_origin = private_origin
            .map(url::Url::origin)
            .filter(url::Origin::is_tuple);
        let mut redirects = 0;
        let response = loop {
            let client = if private_origin.as_ref() == Some(&current.origin()) {
                &self.any_address
            } else {
                // IP literals are never looked up: checked here. Names go through the
                // public-only resolver, which refuses private answers.
                address::check_url(&current).map_err(|reason| FetchError::Forbidden {
                    url: url.to_string(),
                    reason,
                })?;
                &self.public_only
            };
            let mut request = client.get(current.clone());
            if current.origin() == first_origin {
                for (name, value) in headers {
                    request = request.header(name.as_str(), value.clone());
                }
            }
            if let Some(etag) = &validators.etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &validators.last_modified {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, lm);
            }
            let response = request
                .send()
                .await
                .map_err(|e| self.request_error(url, e))?;
            let status = response.status().as_u16();
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                break response;
            }
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| current.join(l.trim()).ok())
                .filter(|next| matches!(next.scheme(), "http" | "https"));
            let Some(next) = location else {
                return Err(FetchError::Request {
                    url: url.to_string(),
                    message: format!(
                        "{current} answered HTTP {status} without a usable http(s) Location"
                    ),
                });
            };
            if redirects == self.max_redirects {
                return Err(FetchError::TooManyRedirects {
                    url: url.to_string(),
                    limit: self.max_redirects,
                });
            }
            redirects += 1;
            current = next;
        };
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, OffsetDateTime::now_utc()));
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after,
            });
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let validators = Validators {
            etag: header(reqwest::header::ETAG),
            last_modified: header(reqwest::header::LAST_MODIFIED),
        };
        let mut bytes = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.request_error(url, e))?;
            if bytes.len() + chunk.len() > self.max_body_bytes {
                return Err(FetchError::TooLarge {
                    url: url.to_string(),
                    limit: self.max_body_bytes,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            bytes,
            content_type,
            validators,
        })
    }

    /// Turns reqwest's error into ours, recognising the refusals raised inside reqwest (by the
    /// redirect policy and the resolver) and naming every cause in the chain.
    fn request_error(&self, url: &str, e: reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        let mut message = String::new();
        while let Some(err) = source {
            if let Some(forbidden) = err.downcast_ref::<ForbiddenAddress>() {
                return FetchError::Forbidden {
                    url: url.to_string(),
                    reason: forbidden.clone(),
                };
            }
            let text = err.to_string();
            if !message.contains(&text) {
                if !message.is_empty() {
                    message.push_str(": ");
                }
                message.push_str(&text);
            }
            source = err.source();
        }
        if e.is_timeout() {
            return FetchError::TimedOut {
                url: url.to_string(),
                after: self.timeout,
            };
        }
        FetchError::Request {
            url: url.to_string(),
            message,
        }
    }
}

/// Retry-After is either a number of seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    Some((at - now).try_into().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = datetime!(2024-03-05 02:00 UTC);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Tue, 05 Mar 2024 02:30:00 GMT", now),
            Some(Duration::from_secs(1800))
        );
        assert_eq!(
            parse_retry_after("Tue, 05 Mar 2024 01:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
