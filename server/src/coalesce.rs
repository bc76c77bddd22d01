//! One answer shared by every caller for a moment: what keeps many viewers
//! from costing the upstream (or the DNS server) more than one request.
//!
//! A [`Coalesced`] value is guarded by one async mutex:
//!
//! - a caller that finds a refresh in flight waits for it and shares its
//!   result, success or error;
//! - a result is reused for `reuse` (`--coalesce-ms`), so 200 viewers
//!   polling every second cause about one refresh per second;
//! - the refresh runs in its own task, so a caller that goes away does not
//!   cancel a refresh others are waiting for.
//!
//! The relay keeps one per target (its latest scrape) and one per DNS
//! variant (its latest lookup).

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::Mutex;

/// The latest result of a refresh, shared by concurrent and recent callers.
pub(crate) struct Coalesced<T> {
    latest: Arc<Mutex<Option<Kept<T>>>>,
}

/// A finished refresh and when it finished.
struct Kept<T> {
    value: T,
    finished: Instant,
}

impl<T> Default for Coalesced<T> {
    fn default() -> Self {
        Coalesced {
            latest: Arc::default(),
        }
    }
}

impl<T: Clone + Send + 'static> Coalesced<T> {
    /// The value in flight or younger than `reuse` if there is one,
    /// otherwise the value `refresh` makes, run in its own task and kept.
    pub(crate) async fn get<F, Fut>(&self, reuse: Duration, refresh: F) -> T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T> + Send + 'static,
    {
        let asked = Instant::now();
        let mut latest = Arc::clone(&self.latest).lock_owned().await;
        // A value that finished after we asked was in flight when we did.
        let reusable = |k: &&Kept<T>| k.finished >= asked || k.finished.elapsed() < reuse;
        if let Some(kept) = latest.as_ref().filter(reusable) {
            return kept.value.clone();
        }
        let refreshing = refresh();
        tokio::spawn(async move {
            let value = refreshing.await;
            *latest = Some(Kept {
                value: value.clone(),
                finished: Instant::now(),
            });
            value
        })
        .await
        .expect("a refresh does not panic")
    }
}
