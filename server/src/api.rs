//! The small JSON API the app starts from, and the health endpoints.
//!
//! Everything here names variants and target ids, never a URL, an address
//! or a discovered host name: the browser needs to know what to poll, not
//! where it is. Variants and targets are looked at concurrently, so one
//! slow DNS server or pod does not hold up the others' answers.

use std::{future::Future, sync::Arc};

use axum::{
    Json,
    extract::State,
    http::{StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use tokio::task::JoinHandle;

use crate::{
    error::AppError,
    relay::{Relay, TargetList, TargetState},
};

/// A target as the browser knows it: its id only.
#[derive(Serialize)]
struct TargetInfo {
    id: String,
}

/// The ids of `targets`, in their order.
fn ids(targets: &TargetList) -> Vec<TargetInfo> {
    targets
        .iter()
        .map(|t| TargetInfo {
            id: t.target.id.to_string(),
        })
        .collect()
}

/// Runs `check` on every item of `items` concurrently, each in its own
/// task, and returns the results in the order of `items`.
async fn each<I, T, F, Fut>(items: I, check: F) -> Vec<T>
where
    I: IntoIterator,
    F: Fn(I::Item) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<JoinHandle<T>> = items.into_iter().map(|i| tokio::spawn(check(i))).collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.expect("a check does not panic"));
    }
    results
}

/// One entry of `/api/variants`.
#[derive(Serialize)]
struct VariantInfo {
    name: String,
    /// `"static"` or `"dns"`.
    discovery: &'static str,
    /// Its targets now; empty when they could not be discovered.
    targets: Vec<TargetInfo>,
    /// Why its targets could not be discovered.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Body of `/api/variants`.
#[derive(Serialize)]
struct VariantsBody {
    variants: Vec<VariantInfo>,
    refresh_ms: u64,
    /// Whether `/history/{variant}` has a store to answer from.
    history: bool,
}

/// `GET /api/variants`: each configured variant with how its targets are
/// found and their ids now, the poll interval, and whether history can be
/// asked for.
pub async fn variants(State(relay): State<Arc<Relay>>) -> impl IntoResponse {
    let variants = each(0..relay.variant_count(), |index| {
        let relay = Arc::clone(&relay);
        async move {
            let spec = relay.spec(index);
            let (name, discovery) = (spec.name.clone(), spec.discovery.kind());
            let (targets, error) = match relay.targets(index).await {
                Ok(targets) => (ids(&targets), None),
                Err(e) => (Vec::new(), Some(e.message())),
            };
            VariantInfo {
                name,
                discovery,
                targets,
                error,
            }
        }
    })
    .await;
    let body = VariantsBody {
        variants,
        refresh_ms: relay.settings().refresh.as_millis() as u64,
        history: relay.history().is_some(),
    };
    ([(header::CACHE_CONTROL, "no-store")], Json(body))
}

/// Body of `/targets/{variant}`.
#[derive(Serialize)]
struct TargetsBody<'a> {
    variant: &'a str,
    targets: Vec<TargetInfo>,
}

/// `GET /targets/{variant}`: the variant's target ids now, in a stable
/// order (configuration order for URLs, by id for a DNS lookup).
pub async fn targets(State(relay): State<Arc<Relay>>, uri: Uri) -> Result<Response, AppError> {
    let name = uri.path().strip_prefix("/targets/").unwrap_or_default();
    let index = relay.find(name).ok_or(AppError::UnknownVariant)?;
    let targets = relay.targets(index).await?;
    let body = TargetsBody {
        variant: name,
        targets: ids(&targets),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// `GET /healthz`: the process is up. Touches nothing else.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// One target's entry in `/readyz`.
#[derive(Serialize)]
struct TargetReadiness {
    id: String,
    ready: bool,
    /// How long ago the target last answered successfully.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_ok_ms_ago: Option<u64>,
    /// Why it is not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// One variant's entry in `/readyz`.
#[derive(Serialize)]
struct Readiness {
    name: String,
    /// Whether every target is ready.
    ready: bool,
    /// Targets ready.
    up: usize,
    /// Targets in all.
    total: usize,
    targets: Vec<TargetReadiness>,
    /// Why its targets could not be discovered.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Body of `/readyz`.
#[derive(Serialize)]
struct ReadyBody {
    ready: bool,
    variants: Vec<Readiness>,
}

/// `GET /readyz`: 200 when every target of every variant answered
/// successfully within the refresh interval, else 503; with each target's
/// state. A target that has not answered recently is scraped now (through
/// the same coalescing as viewers), so an idle dashboard still reports the
/// truth.
pub async fn readyz(State(relay): State<Arc<Relay>>) -> Response {
    let variants = each(0..relay.variant_count(), |index| {
        let relay = Arc::clone(&relay);
        async move { readiness(relay, index).await }
    })
    .await;
    let ready = variants.iter().all(|v| v.ready);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = ReadyBody { ready, variants };
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// The readiness of variant `index`: of each of its targets now.
async fn readiness(relay: Arc<Relay>, index: usize) -> Readiness {
    let name = relay.spec(index).name.clone();
    let targets = match relay.targets(index).await {
        Ok(targets) => targets,
        Err(e) => {
            return Readiness {
                name,
                ready: false,
                up: 0,
                total: 0,
                targets: Vec::new(),
                error: Some(e.message()),
            };
        }
    };
    let checked = each(targets.iter().cloned(), |target: Arc<TargetState>| {
        let relay = Arc::clone(&relay);
        async move {
            let recent = target
                .last_ok()
                .is_some_and(|t| t.elapsed() < relay.settings().refresh);
            let result = if recent {
                Ok(())
            } else {
                relay.scrape(index, &target).await.map(drop)
            };
            TargetReadiness {
                id: target.target.id.to_string(),
                ready: result.is_ok(),
                last_ok_ms_ago: target.last_ok().map(|t| t.elapsed().as_millis() as u64),
                error: result.err().map(|e| e.message()),
            }
        }
    })
    .await;
    let up = checked.iter().filter(|t| t.ready).count();
    Readiness {
        name,
        ready: up == checked.len(),
        up,
        total: checked.len(),
        targets: checked,
        error: None,
    }
}
