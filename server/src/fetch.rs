//! One scrape of one upstream, with every limit enforced and every fault
//! turned into a clear [`AppError`].
//!
//! The request is built from scratch: the configured URL, the variant's
//! own credential headers, `Accept`, `Accept-Encoding: gzip` and the
//! relay's `User-Agent`. Nothing from the viewer's request reaches the
//! upstream, and nothing but the checked body and content type comes back.
//!
//! A scrape is accepted only if it is a 2xx (redirects are never followed),
//! declares a Prometheus text content type, fits in `max_body` bytes on the
//! wire and again once decompressed, and is UTF-8. Gzip bodies are
//! decompressed once here, under the cap, to check them; viewers that
//! accept gzip are then handed the upstream's own compressed bytes, so the
//! relay never compresses anything.

use std::{
    io::Read,
    time::{Duration, Instant, SystemTime},
};

use axum::http::{HeaderValue, header};
use bytes::{Bytes, BytesMut};
use flate2::read::GzDecoder;

use crate::{config::VariantSpec, error::AppError, relay::Settings};

/// Content type of the Prometheus text format, used when the upstream
/// sends none.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the relay asks for: the classic text format first.
const ACCEPT_EXPOSITION: &str = "text/plain;version=0.0.4;q=1,*/*;q=0.1";

/// One successful upstream answer, shared by every viewer it is served to.
#[derive(Debug)]
pub struct Scrape {
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

    /// Scrapes `variant` once.
    pub async fn fetch(&self, variant: &VariantSpec) -> Result<Scrape, AppError> {
        let started = SystemTime::now();
        let clock = Instant::now();
        let max = self.settings.max_body;
        let upstream = |cause: String, upstream_status| AppError::Upstream {
            variant: variant.name.clone(),
            cause,
            upstream_status,
        };
        let failed = |e: reqwest::Error| {
            if !e.is_timeout() {
                return upstream(describe(&e), None);
            }
            let cause = if e.is_connect() {
                let ms = self.settings.connect_timeout.as_millis();
                format!("could not connect within {ms} ms")
            } else {
                let ms = self.settings.timeout.as_millis();
                format!("no complete answer within {ms} ms")
            };
            AppError::Timeout {
                variant: variant.name.clone(),
                cause,
            }
        };
        let mut res = self
            .client
            .get(variant.url.clone())
            .headers(variant.headers.clone())
            .header(header::ACCEPT, ACCEPT_EXPOSITION)
            .header(header::ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .map_err(failed)?;

        let status = res.status();
        let code = Some(status.as_u16());
        if status.is_redirection() {
            let cause = format!(
                "upstream redirected (HTTP {}); redirects are not followed",
                status.as_u16()
            );
            return Err(upstream(cause, code));
        }
        if !status.is_success() {
            return Err(upstream(
                format!("upstream answered HTTP {}", status.as_u16()),
                code,
            ));
        }
        let content_type = match res.headers().get(header::CONTENT_TYPE) {
            None => HeaderValue::from_static(PROMETHEUS_TEXT),
            Some(v) if is_exposition(v) => v.clone(),
            Some(v) => {
                let cause = format!("upstream sent {}, not Prometheus text", shown(v));
                return Err(upstream(cause, code));
            }
        };
        let gzip = match res.headers().get(header::CONTENT_ENCODING) {
            None => false,
            Some(v) => match v.as_bytes().trim_ascii().to_ascii_lowercase().as_slice() {
                b"identity" => false,
                b"gzip" | b"x-gzip" => true,
                _ => {
                    let cause = format!("upstream sent Content-Encoding {}", shown(v));
                    return Err(upstream(cause, code));
                }
            },
        };

        let too_large =
            |how: &str| upstream(format!("body larger than the {max} byte limit{how}"), code);
        if res.content_length().is_some_and(|len| len > max as u64) {
            return Err(too_large(""));
        }
        let capacity = res.content_length().map_or(0, |len| len as usize);
        let mut body = BytesMut::with_capacity(capacity);
        while let Some(chunk) = res.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > max {
                // Dropping `res` here closes the connection mid-body.
                return Err(too_large(""));
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();

        let (text, gzip) = if gzip {
            let compressed = body.clone();
            let text = tokio::task::spawn_blocking(move || gunzip(&compressed, max))
                .await
                .expect("decompression does not panic")
                .map_err(|e| match e {
                    GunzipError::TooLarge => too_large(" once decompressed"),
                    GunzipError::Corrupt(why) => {
                        upstream(format!("gzip body is corrupt or truncated: {why}"), code)
                    }
                })?;
            (text, Some(body))
        } else {
            (body, None)
        };
        if let Err(e) = std::str::from_utf8(&text) {
            let cause = format!(
                "body is not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            );
            return Err(upstream(cause, code));
        }
        Ok(Scrape {
            content_type,
            text,
            gzip,
            started,
            duration: clock.elapsed(),
            received: Instant::now(),
        })
    }
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
