//! The one error type of the HTTP surface.
//!
//! Every failure is answered with a JSON body the app can show as it is:
//! `{"error": ..., "variant": ..., "upstream_status": ...}`. Causes are
//! described without upstream URLs, which may carry credentials.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// Why a request to the relay failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// The name is not on the allow-list (404).
    UnknownVariant(String),
    /// The upstream could not be reached or answered badly (502).
    Upstream {
        /// The variant whose upstream failed.
        variant: String,
        /// What went wrong, fit to show to a user.
        cause: String,
        /// The upstream's HTTP status, when it answered with one.
        upstream_status: Option<u16>,
    },
    /// The upstream did not answer within the timeout (504).
    Timeout {
        /// The variant whose upstream was too slow.
        variant: String,
        /// Which limit was hit, e.g. "no answer within 3000 ms".
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
    fn status(&self) -> StatusCode {
        match self {
            AppError::UnknownVariant(_) => StatusCode::NOT_FOUND,
            AppError::Upstream { .. } => StatusCode::BAD_GATEWAY,
            AppError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    fn body(&self) -> ErrorBody<'_> {
        match self {
            AppError::UnknownVariant(_) => ErrorBody {
                error: "unknown variant".to_owned(),
                variant: None,
                upstream_status: None,
            },
            AppError::Upstream {
                variant,
                cause,
                upstream_status,
            } => ErrorBody {
                error: format!("{variant}: {cause}"),
                variant: Some(variant),
                upstream_status: *upstream_status,
            },
            AppError::Timeout { variant, cause } => ErrorBody {
                error: format!("{variant}: upstream timed out: {cause}"),
                variant: Some(variant),
                upstream_status: None,
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = self.body();
        // Unknown names are client noise; upstream faults are worth a line.
        if !matches!(self, AppError::UnknownVariant(_)) {
            tracing::warn!(status = self.status().as_u16(), "{}", body.error);
        }
        let mut res = (self.status(), Json(&body)).into_response();
        res.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        res
    }
}
