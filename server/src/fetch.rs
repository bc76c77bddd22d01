//! One scrape of one upstream, with every limit enforced and every fault
//! named by a [`FetchError`].
//!
//! The request is built from scratch: the target's URL (and, for a
//! discovered pod, the `Host` it was discovered under), the variant's own
//! credential headers, `Accept`, `Accept-Encoding: gzip` and the relay's
//! `User-Agent`. Nothing from the viewer's request reaches the
//! upstream, and nothing but the checked body and content type comes back.
//!
//! A scrape is accepted only if it is a 2xx (redirects are never followed),
//! declares a Prometheus text content type, fits in `max_body` bytes on the
//! wire and again once decompressed, and is UTF-8. Gzip bodies are
//! decompressed once here, under the cap, to check them; viewers that
//! accept gzip are then handed the upstream's own compressed bytes, so the
//! relay never compresses anything.
//!
//! Each check is its own small step and each refusal its own
//! [`FetchError`] variant, so callers branch on what went wrong (a timeout
//! is a 504, anything else a 502) and the wording lives in one place, its
//! `Display`.

use std::{
    fmt,
    io::Read,
    time::{Duration, Instant, SystemTime},
};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use bytes::{Bytes, BytesMut};
use flate2::read::GzDecoder;

use crate::{config::Settings, target::Target};

/// Content type of the Prometheus text format, used when the upstream
/// sends none.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the relay asks for: the classic text format first.
const ACCEPT_EXPOSITION: &str = "text/plain;version=0.0.4;q=1,*/*;q=0.1";

/// One successful upstream answer, shared by every viewer it is served to.
#[derive(Debug)]
pub struct Fetched {
    /// The upstream's content type (checked), or [`PROMETHEUS_TEXT`].
    pub content_type: HeaderValue,
    /// The exposition, decompressed and checked to be UTF-8.
    pub text: Bytes,
    /// The upstream's own gzip body, when it sent one.
    pub gzip: Option<Bytes>,
    /// When the request was sent (wall clock).
    pub started: SystemTime,
    /// From sending the request to holding the checked body.
    pub duration: Duration,
    /// When the answer was complete (monotonic clock).
    pub received: Instant,
}

/// Why one scrape failed. Every variant is worded without the upstream
/// URL, which may carry credentials; `status` is the HTTP status the
/// upstream answered with, for refusals made after it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// No connection within the connect timeout.
    ConnectTimeout {
        /// The connect timeout.
        limit: Duration,
    },
    /// No complete answer within the total timeout.
    AnswerTimeout {
        /// The total timeout.
        limit: Duration,
    },
    /// The exchange failed in transit (refused, reset, bad HTTP), before
    /// or during the body.
    Transport {
        /// The error and its causes, e.g. "error sending request: ...".
        detail: String,
    },
    /// A 3xx: redirects are never followed.
    Redirected {
        /// The upstream's status.
        status: u16,
    },
    /// Any other status that is not a 2xx.
    HttpStatus {
        /// The upstream's status.
        status: u16,
    },
    /// A `Content-Type` that is not Prometheus text (an HTML login page,
    /// JSON, ...).
    NotExposition {
        /// The upstream's status.
        status: u16,
        /// The content type as received.
        content_type: HeaderValue,
    },
    /// A `Content-Encoding` other than gzip or identity.
    UnknownEncoding {
        /// The upstream's status.
        status: u16,
        /// The encoding as received.
        encoding: HeaderValue,
    },
    /// More than `max` bytes on the wire.
    TooLarge {
        /// The upstream's status.
        status: u16,
        /// The byte limit.
        max: usize,
    },
    /// A gzip body that inflates past `max` bytes (a decompression bomb).
    TooLargeDecompressed {
        /// The upstream's status.
        status: u16,
        /// The byte limit.
        max: usize,
    },
    /// A gzip body that does not decompress.
    CorruptGzip {
        /// The upstream's status.
        status: u16,
        /// The decoder's error.
        detail: String,
    },
    /// A body that is not UTF-8.
    NotUtf8 {
        /// The upstream's status.
        status: u16,
        /// Offset of the first invalid byte.
        offset: usize,
    },
}

impl FetchError {
    /// The HTTP status the upstream answered with, when it answered.
    pub fn upstream_status(&self) -> Option<u16> {
        match self {
            FetchError::ConnectTimeout { .. }
            | FetchError::AnswerTimeout { .. }
            | FetchError::Transport { .. } => None,
            FetchError::Redirected { status }
            | FetchError::HttpStatus { status }
            | FetchError::NotExposition { status, .. }
            | FetchError::UnknownEncoding { status, .. }
            | FetchError::TooLarge { status, .. }
            | FetchError::TooLargeDecompressed { status, .. }
            | FetchError::CorruptGzip { status, .. }
            | FetchError::NotUtf8 { status, .. } => Some(*status),
        }
    }

    /// This error with `host` taken out of a transport fault's detail (a
    /// TLS error, for one, names the host it expected): a pod's address
    /// is never shown to viewers.
    fn hiding(self, host: &str) -> Self {
        match self {
            FetchError::Transport { detail } if !host.is_empty() => FetchError::Transport {
                detail: detail.replace(host, "<target>"),
            },
            other => other,
        }
    }
}

/// `url`'s host as errors name it (an IPv6 address without brackets).
fn bare_host(url: &reqwest::Url) -> &str {
    url.host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
}

/// The cause as users see it, after the variant's name:
/// "upstream answered HTTP 500".
impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::ConnectTimeout { limit } => write!(
                f,
                "upstream timed out: could not connect within {} ms",
                limit.as_millis()
            ),
            FetchError::AnswerTimeout { limit } => write!(
                f,
                "upstream timed out: no complete answer within {} ms",
                limit.as_millis()
            ),
            FetchError::Transport { detail } => f.write_str(detail),
            FetchError::Redirected { status } => write!(
                f,
                "upstream redirected (HTTP {status}); redirects are not followed"
            ),
            FetchError::HttpStatus { status } => write!(f, "upstream answered HTTP {status}"),
            FetchError::NotExposition { content_type, .. } => {
                write!(
                    f,
                    "upstream sent {}, not Prometheus text",
                    shown(content_type)
                )
            }
            FetchError::UnknownEncoding { encoding, .. } => {
                write!(f, "upstream sent Content-Encoding {}", shown(encoding))
            }
            FetchError::TooLarge { max, .. } => write!(f, "body larger than the {max} byte limit"),
            FetchError::TooLargeDecompressed { max, .. } => {
                write!(f, "body larger than the {max} byte limit once decompressed")
            }
            FetchError::CorruptGzip { detail, .. } => {
                write!(f, "gzip body is corrupt or truncated: {detail}")
            }
            FetchError::NotUtf8 { offset, .. } => write!(
                f,
                "body is not UTF-8 text (invalid byte at offset {offset})"
            ),
        }
    }
}

impl std::error::Error for FetchError {}

/// The pooled HTTP client every upstream request goes through.
pub struct Fetcher {
    client: reqwest::Client,
    settings: Settings,
}

impl Fetcher {
    /// A client with `settings`' timeouts that never follows redirects and
    /// never decompresses on its own (reqwest is built without `gzip`).
    pub fn new(settings: Settings) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            // An upstream redirect must not lead the relay anywhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("zai-dash/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the TLS backend initialises");
        Fetcher { client, settings }
    }

    /// Scrapes `target` once, with `headers` (its variant's credentials):
    /// send, check the head, read the body under the cap, decompress it if
    /// gzip, check it is text.
    pub async fn fetch(&self, target: &Target, headers: &HeaderMap) -> Result<Fetched, FetchError> {
        let host = bare_host(&target.url);
        self.scrape(target, headers)
            .await
            .map_err(|e| e.hiding(host))
    }

    /// [`Fetcher::fetch`], before its errors are cleaned of the host.
    async fn scrape(&self, target: &Target, headers: &HeaderMap) -> Result<Fetched, FetchError> {
        let started = SystemTime::now();
        let clock = Instant::now();
        let res = self.send(target, headers).await?;
        let status = res.status();
        check_status(status)?;
        let status = status.as_u16();
        let content_type = content_type(res.headers(), status)?;
        let gzip = is_gzip(res.headers(), status)?;
        let body = self.read_body(res, status).await?;
        let (text, gzip) = if gzip {
            (self.decompress(body.clone(), status).await?, Some(body))
        } else {
            (body, None)
        };
        check_utf8(&text, status)?;
        Ok(Fetched {
            content_type,
            text,
            gzip,
            started,
            duration: clock.elapsed(),
            received: Instant::now(),
        })
    }

    /// `GET url` with `headers`, accepting `accept`: the status and the
    /// whole body, read under the cap whatever the status (an API explains
    /// its refusals in the body). Redirects are refused, as for a scrape.
    pub async fn get(
        &self,
        url: reqwest::Url,
        headers: &HeaderMap,
        accept: &'static str,
    ) -> Result<(StatusCode, Bytes), FetchError> {
        let host = bare_host(&url).to_owned();
        let answer = async {
            let res = self
                .client
                .get(url)
                .headers(headers.clone())
                .header(header::ACCEPT, accept)
                .send()
                .await
                .map_err(|e| self.failed(&e))?;
            let status = res.status();
            if status.is_redirection() {
                return Err(FetchError::Redirected {
                    status: status.as_u16(),
                });
            }
            Ok((status, self.read_body(res, status.as_u16()).await?))
        };
        answer.await.map_err(|e| e.hiding(&host))
    }

    /// Sends the request, built from the target and its variant's headers
    /// alone.
    async fn send(
        &self,
        target: &Target,
        headers: &HeaderMap,
    ) -> Result<reqwest::Response, FetchError> {
        let mut request = self.client.get(target.url.clone()).headers(headers.clone());
        if let Some(host) = &target.host {
            request = request.header(header::HOST, host);
        }
        request
            .header(header::ACCEPT, ACCEPT_EXPOSITION)
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .map_err(|e| self.failed(&e))
    }

    /// Reads the whole body, refusing it as soon as it passes the cap.
    async fn read_body(
        &self,
        mut res: reqwest::Response,
        status: u16,
    ) -> Result<Bytes, FetchError> {
        let max = self.settings.max_body;
        let too_large = FetchError::TooLarge { status, max };
        if res.content_length().is_some_and(|len| len > max as u64) {
            return Err(too_large);
        }
        let capacity = res.content_length().map_or(0, |len| len as usize);
        let mut body = BytesMut::with_capacity(capacity);
        while let Some(chunk) = res.chunk().await.map_err(|e| self.failed(&e))? {
            if body.len() + chunk.len() > max {
                // Dropping `res` here closes the connection mid-body.
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    }

    /// Decompresses a gzip body off the async threads, under the cap.
    async fn decompress(&self, compressed: Bytes, status: u16) -> Result<Bytes, FetchError> {
        let max = self.settings.max_body;
        tokio::task::spawn_blocking(move || gunzip(&compressed, max))
            .await
            .expect("decompression does not panic")
            .map_err(|e| match e {
                GunzipError::TooLarge => FetchError::TooLargeDecompressed { status, max },
                GunzipError::Corrupt(e) => FetchError::CorruptGzip {
                    status,
                    detail: e.to_string(),
                },
            })
    }

    /// A reqwest failure as a timeout (which one, with its limit) or a
    /// transport fault.
    fn failed(&self, e: &reqwest::Error) -> FetchError {
        if !e.is_timeout() {
            FetchError::Transport {
                detail: describe(e),
            }
        } else if e.is_connect() {
            FetchError::ConnectTimeout {
                limit: self.settings.connect_timeout,
            }
        } else {
            FetchError::AnswerTimeout {
                limit: self.settings.timeout,
            }
        }
    }
}

/// Refuses redirects and every other status that is not a 2xx.
fn check_status(status: StatusCode) -> Result<(), FetchError> {
    let code = status.as_u16();
    if status.is_redirection() {
        Err(FetchError::Redirected { status: code })
    } else if !status.is_success() {
        Err(FetchError::HttpStatus { status: code })
    } else {
        Ok(())
    }
}

/// The upstream's content type if it is Prometheus text, the default if it
/// sent none.
fn content_type(headers: &HeaderMap, status: u16) -> Result<HeaderValue, FetchError> {
    match headers.get(header::CONTENT_TYPE) {
        None => Ok(HeaderValue::from_static(PROMETHEUS_TEXT)),
        Some(v) if is_exposition(v) => Ok(v.clone()),
        Some(v) => Err(FetchError::NotExposition {
            status,
            content_type: v.clone(),
        }),
    }
}

/// Whether the body is gzip; any coding but gzip and identity is refused.
fn is_gzip(headers: &HeaderMap, status: u16) -> Result<bool, FetchError> {
    let Some(v) = headers.get(header::CONTENT_ENCODING) else {
        return Ok(false);
    };
    match v.as_bytes().trim_ascii().to_ascii_lowercase().as_slice() {
        b"identity" => Ok(false),
        b"gzip" | b"x-gzip" => Ok(true),
        _ => Err(FetchError::UnknownEncoding {
            status,
            encoding: v.clone(),
        }),
    }
}

/// Refuses a body that is not UTF-8.
fn check_utf8(text: &[u8], status: u16) -> Result<(), FetchError> {
    std::str::from_utf8(text)
        .map(drop)
        .map_err(|e| FetchError::NotUtf8 {
            status,
            offset: e.valid_up_to(),
        })
}

/// Whether a `Content-Type` is one of the Prometheus text formats.
fn is_exposition(content_type: &HeaderValue) -> bool {
    let Ok(value) = content_type.to_str() else {
        return false;
    };
    let media = value.split(';').next().unwrap_or("").trim();
    media.eq_ignore_ascii_case("text/plain")
        || media.eq_ignore_ascii_case("application/openmetrics-text")
}

/// A header as received, quoted and shortened for an error message.
fn shown(value: &HeaderValue) -> String {
    match value.to_str() {
        Ok(s) => format!("{:?}", s.chars().take(80).collect::<String>()),
        Err(_) => "a header that is not ASCII".to_owned(),
    }
}

/// Why a gzip body was refused.
enum GunzipError {
    TooLarge,
    Corrupt(std::io::Error),
}

/// Decompresses `gz`, reading at most one byte past `max`, so a gzip bomb
/// costs no more than a body at the limit.
fn gunzip(gz: &[u8], max: usize) -> Result<Bytes, GunzipError> {
    let mut out = Vec::new();
    GzDecoder::new(gz)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(GunzipError::Corrupt)?;
    if out.len() > max {
        return Err(GunzipError::TooLarge);
    }
    Ok(out.into())
}

/// A reqwest error and its causes, without the URL (which may hold
/// credentials): "error sending request: connection refused".
fn describe(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    let mut first = true;
    while let Some(err) = cur {
        let text = if first {
            // reqwest's own message ends with " for url (...)".
            let s = err.to_string();
            s.split(" for url (").next().unwrap_or("").to_owned()
        } else {
            err.to_string()
        };
        if !text.is_empty() && !out.ends_with(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        first = false;
        cur = err.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::{Compression, write::GzEncoder};

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gunzip_stops_one_byte_past_the_cap() {
        let gz = gzip(&[b'a'; 1000]);
        assert_eq!(gunzip(&gz, 1000).ok().map(|b| b.len()), Some(1000));
        assert!(matches!(gunzip(&gz, 999), Err(GunzipError::TooLarge)));
    }

    #[test]
    fn gunzip_refuses_a_truncated_stream() {
        let gz = gzip(b"# TYPE a counter\na 1\n");
        assert!(matches!(
            gunzip(&gz[..gz.len() - 6], 1 << 20),
            Err(GunzipError::Corrupt(_))
        ));
    }

    #[test]
    fn only_prometheus_text_types_are_expositions() {
        for ok in [
            "text/plain",
            "text/plain; version=0.0.4; charset=utf-8",
            "Text/Plain;version=0.0.4",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ] {
            assert!(is_exposition(&HeaderValue::from_static(ok)), "{ok}");
        }
        for bad in [
            "text/html; charset=utf-8",
            "application/json",
            "application/octet-stream",
            "",
        ] {
            assert!(!is_exposition(&HeaderValue::from_static(bad)), "{bad}");
        }
    }
}
