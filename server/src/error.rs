//! The one error type of the HTTP surface.
//!
//! Every failure is answered with a JSON body the app can show as it is:
//! `{"error": ..., "variant": ..., "upstream_status": ...}`. Causes are
//! described without upstream URLs, which may carry credentials.
//!
//! Answering does not log: one upstream failure may be handed to hundreds
//! of coalesced viewers, so the relay logs it once, where it happened
//! ([`AppError::log`]).

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// Why a request to the relay failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// The name is not on the allow-list (404). The requested name is not
    /// kept: it is untrusted input and is never echoed back.
    UnknownVariant,
    /// The upstream could not be reached or answered badly (502).
    Upstream {
        /// The variant whose upstream failed.
        variant: String,
        /// What went wrong, fit to show to a user.
        cause: String,
        /// The upstream's HTTP status, when it answered with one.
        upstream_status: Option<u16>,
    },
    /// The upstream did not answer within a timeout (504).
    Timeout {
        /// The variant whose upstream was too slow.
        variant: String,
        /// Which limit was hit, e.g. "no complete answer within 3000 ms".
        cause: String,
    },
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream_status: Option<u16>,
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::UnknownVariant => StatusCode::NOT_FOUND,
            AppError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            AppError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The message shown to users, e.g. "canary: upstream answered HTTP 500".
    pub fn message(&self) -> String {
        match self {
            AppError::UnknownVariant => "unknown variant".to_owned(),
            AppError::Upstream { variant, cause, .. } => format!("{variant}: {cause}"),
            AppError::Timeout { variant, cause } => {
                format!("{variant}: upstream timed out: {cause}")
            }
        }
    }

    /// Writes one warning line: variant, statuses and message, which by
    /// construction hold no URL and no credential.
    pub fn log(&self) {
        let (variant, upstream_status) = self.context();
        tracing::warn!(
            variant,
            status = self.status().as_u16(),
            upstream_status,
            "{}",
            self.message()
        );
    }

    /// The variant and upstream status this error is about, if any.
    fn context(&self) -> (Option<&str>, Option<u16>) {
        match self {
            AppError::UnknownVariant => (None, None),
            AppError::Upstream {
                variant,
                upstream_status,
                ..
            } => (Some(variant), *upstream_status),
            AppError::Timeout { variant, .. } => (Some(variant), None),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (variant, upstream_status) = self.context();
        let body = ErrorBody {
            error: self.message(),
            variant,
            upstream_status,
        };
        let mut res = (self.status(), Json(body)).into_response();
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res
    }
}
