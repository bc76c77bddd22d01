//! The one error type of the HTTP surface.
//!
//! Every failure is answered with a JSON body the app can show as it is:
//! `{"error": ..., "variant": ..., "upstream_status": ...}`. Causes are
//! described without upstream URLs, which may carry credentials.
//!
//! Answering does not log: one upstream failure may be handed to hundreds
//! of coalesced viewers, so the relay logs it once, where it happened
//! ([`AppError::log`]).
//!
//! Causes are types, not text: an upstream failure is a [`FetchError`],
//! which alone words it, and the HTTP status each error is answered with
//! is decided in one match ([`AppError::status`]).

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::fetch::FetchError;

/// Why a request to the relay failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// The name is not on the allow-list (404). The requested name is not
    /// kept: it is untrusted input and is never echoed back.
    UnknownVariant,
    /// The upstream could not be reached, answered badly (502), or did not
    /// answer in time (504).
    Upstream {
        /// The variant whose upstream failed.
        variant: String,
        /// What went wrong.
        error: FetchError,
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
    /// An upstream failure of `variant`.
    pub fn upstream(variant: &str, error: FetchError) -> Self {
        AppError::Upstream {
            variant: variant.to_owned(),
            error,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::UnknownVariant => StatusCode::NOT_FOUND,
            AppError::Upstream {
                error: FetchError::ConnectTimeout { .. } | FetchError::AnswerTimeout { .. },
                ..
            } => StatusCode::GATEWAY_TIMEOUT,
            AppError::Upstream { .. } => StatusCode::BAD_GATEWAY,
        }
    }

    /// The message shown to users, e.g. "canary: upstream answered HTTP 500".
    pub fn message(&self) -> String {
        match self {
            AppError::UnknownVariant => "unknown variant".to_owned(),
            AppError::Upstream { variant, error } => format!("{variant}: {error}"),
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
            AppError::Upstream { variant, error } => (Some(variant), error.upstream_status()),
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
