//! The one error type of the HTTP surface.
//!
//! Every failure is answered with a JSON body the app can show as it is:
//! `{"error": ..., "variant": ..., "target": ..., "upstream_status": ...}`.
//! Causes are described without upstream URLs, which may carry
//! credentials, and without pod addresses or discovered host names: a
//! target is named by its opaque id only.
//!
//! Answering does not log: one upstream failure may be handed to hundreds
//! of coalesced viewers, so the relay logs it once, where it happened
//! ([`AppError::log`]).
//!
//! Causes are types, not text: an upstream failure is a [`FetchError`], a
//! failed lookup a [`DiscoveryError`], a refused history request a
//! [`HistoryError`] and a failed Prometheus query a [`PrometheusError`],
//! which alone word them, and the
//! HTTP status each error is answered with is decided in one match
//! ([`AppError::status`]).

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::{
    discovery::DiscoveryError, fetch::FetchError, history::HistoryError,
    prometheus::PrometheusError, target::TargetId,
};

/// Why a request to the relay failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// The name is not on the allow-list (404). The requested name is not
    /// kept: it is untrusted input and is never echoed back.
    UnknownVariant,
    /// The variant has no target with the requested id (404); the id is
    /// never echoed back either.
    UnknownTarget {
        /// The variant asked about.
        variant: String,
    },
    /// `/relay/{variant}` of a variant with several targets (409): which
    /// one is meant is for the caller to say.
    SeveralTargets {
        /// The variant asked about.
        variant: String,
        /// How many targets it has.
        count: usize,
    },
    /// The variant's targets could not be discovered (502).
    Discovery {
        /// The variant whose lookup failed.
        variant: String,
        /// The host looked up: logged, never answered.
        host: String,
        /// What went wrong.
        error: DiscoveryError,
    },
    /// The upstream could not be reached, answered badly (502), or did not
    /// answer in time (504).
    Upstream {
        /// The variant whose upstream failed.
        variant: String,
        /// The target that failed.
        target: TargetId,
        /// What went wrong.
        error: FetchError,
    },
    /// A `/history` request refused before reaching Prometheus: 404 when
    /// the relay has no Prometheus, else 400.
    History(HistoryError),
    /// Prometheus could not answer a `/history` query (502), or did not in
    /// time (504).
    Prometheus {
        /// The variant asked about.
        variant: String,
        /// What went wrong.
        error: PrometheusError,
    },
    /// A method other than GET and HEAD (405), refused at the
    /// [edge](crate::edge) before any route.
    MethodNotAllowed,
    /// A request with a body (413): no route reads one, so none is
    /// accepted, refused at the [edge](crate::edge).
    RequestBody,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upstream_status: Option<u16>,
}

/// What an error is about: the variant, target and upstream status, where
/// it has them.
#[derive(Default)]
struct Context<'a> {
    variant: Option<&'a str>,
    target: Option<&'a str>,
    upstream_status: Option<u16>,
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::UnknownVariant | AppError::UnknownTarget { .. } => StatusCode::NOT_FOUND,
            AppError::SeveralTargets { .. } => StatusCode::CONFLICT,
            AppError::Upstream {
                error: FetchError::ConnectTimeout { .. } | FetchError::AnswerTimeout { .. },
                ..
            } => StatusCode::GATEWAY_TIMEOUT,
            AppError::History(HistoryError::NoPrometheus) => StatusCode::NOT_FOUND,
            AppError::History(_) => StatusCode::BAD_REQUEST,
            AppError::Prometheus { error, .. } if error.is_timeout() => StatusCode::GATEWAY_TIMEOUT,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::RequestBody => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Discovery { .. }
            | AppError::Upstream { .. }
            | AppError::Prometheus { .. } => StatusCode::BAD_GATEWAY,
        }
    }

    /// The message shown to users, e.g. "canary: upstream answered HTTP 500".
    pub fn message(&self) -> String {
        match self {
            AppError::UnknownVariant => "unknown variant".to_owned(),
            AppError::UnknownTarget { variant } => format!("{variant}: unknown target"),
            AppError::SeveralTargets { variant, count } => {
                format!("{variant} has {count} targets: GET /targets/{variant} lists them")
            }
            AppError::Discovery { variant, error, .. } => format!("{variant}: {error}"),
            AppError::Upstream { variant, error, .. } => format!("{variant}: {error}"),
            AppError::History(error) => error.to_string(),
            AppError::Prometheus { variant, error } => format!("{variant}: {error}"),
            AppError::MethodNotAllowed => "only GET and HEAD are served".to_owned(),
            AppError::RequestBody => "requests may not carry a body".to_owned(),
        }
    }

    /// Writes one warning line: variant, target, statuses and message,
    /// which by construction hold no URL and no credential, and the host
    /// name of a failed lookup.
    pub fn log(&self) {
        let Context {
            variant,
            target,
            upstream_status,
        } = self.context();
        let host = match self {
            AppError::Discovery { host, .. } => Some(host.as_str()),
            _ => None,
        };
        tracing::warn!(
            variant,
            target,
            host,
            status = self.status().as_u16(),
            upstream_status,
            "{}",
            self.message()
        );
    }

    /// What this error is about.
    fn context(&self) -> Context<'_> {
        match self {
            AppError::UnknownVariant
            | AppError::History(_)
            | AppError::MethodNotAllowed
            | AppError::RequestBody => Context::default(),
            AppError::UnknownTarget { variant }
            | AppError::SeveralTargets { variant, .. }
            | AppError::Discovery { variant, .. } => Context {
                variant: Some(variant),
                ..Context::default()
            },
            AppError::Upstream {
                variant,
                target,
                error,
            } => Context {
                variant: Some(variant),
                target: Some(target.as_str()),
                upstream_status: error.upstream_status(),
            },
            AppError::Prometheus { variant, error } => Context {
                variant: Some(variant),
                target: None,
                upstream_status: error.upstream_status(),
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let context = self.context();
        let body = ErrorBody {
            error: self.message(),
            variant: context.variant,
            target: context.target,
            upstream_status: context.upstream_status,
        };
        let mut res = (self.status(), Json(body)).into_response();
        let headers = res.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self == AppError::MethodNotAllowed {
            headers.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        res
    }
}
