//! The relay's own edge: how viewers' connections are accepted, timed and
//! bounded, for every route at once.
//!
//! The upstream side refuses every bad answer; this module does the same
//! for what viewers send, so that no client can hold the process's file
//! descriptors or memory and take the dashboard away from everyone else:
//!
//! - **A cap on open connections** ([`Limits::max_connections`]). The
//!   accept loop always accepts, so the kernel's backlog never fills and
//!   accepting never fails for lack of room; beyond the cap a connection is
//!   answered `503` at once and closed. Refusals are logged once per burst
//!   (when the first is refused and when one is accepted again), never per
//!   connection, so a flood cannot fill the log either.
//! - **A header read timeout** ([`Limits::header_timeout`]): a request's
//!   head must arrive whole within it, counted from the connection's
//!   opening or from the first byte after an idle spell; trickling a byte
//!   now and then (slowloris) does not extend it.
//! - **An idle timeout** ([`Limits::idle_timeout`]): a kept-alive
//!   connection with no request, or an answer its viewer stopped reading,
//!   is closed once it has made no progress for that long.
//! - **A cap on request heads** ([`Limits::max_header_bytes`]): hyper
//!   answers a longer head (request line included) `431` and closes.
//! - **GET and HEAD only, without a body**: anything else is `405`, a body
//!   `413` ([`AppError`]), before any route sees it. A CORS preflight
//!   (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) passes
//!   through to the CORS layer, which answers it.
//! - **An accept error** (`EMFILE`, `ENFILE`, `ENOMEM`, …) is logged once
//!   per burst and retried after a pause, never fatal.
//!
//! Connections speak HTTP/1.1 only: browsers never speak cleartext HTTP/2,
//! so accepting it would add a second protocol's limits to keep right for
//! no viewer.
//!
//! When hyper closes a connection whose viewer may still be sending (after
//! a `431`, `405` or `413`), the socket is shut for writing and what
//! arrives is read and dropped for a moment ("lingering close", as nginx
//! does), so the viewer reads the answer instead of a reset.

use std::{
    convert::Infallible,
    future::Future,
    io,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard},
    task::{Context, Poll, Waker},
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    extract::Request,
    http::{Method, header},
    response::IntoResponse,
};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::{rt::TokioIo, service::TowerToHyperService};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
    time::{Instant, Sleep},
};

use crate::error::AppError;

/// Descriptors kept free of connections for everything else the process
/// opens: the listener, upstream and Prometheus connections, the app's
/// files, the runtime's own.
pub const RESERVED_DESCRIPTORS: u64 = 128;

/// Largest default connection cap, however many descriptors are allowed:
/// far more than a team's dashboard needs.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// How long a closing connection's late input is read and dropped so its
/// viewer can read the answer.
const LINGER: Duration = Duration::from_secs(2);

/// Pause after an accept error that is not the peer's, such as `EMFILE`:
/// the pending connection stays queued, so retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What a connection beyond the cap is told before it is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\n\
content-length: 0\r\nconnection: close\r\n\r\n";

/// The edge's limits; `zai-dash serve --help` names the flags that set
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time allowed for a request's head to arrive whole.
    pub header_timeout: Duration,
    /// Time a connection may go without progress between requests or
    /// while its answer is being written.
    pub idle_timeout: Duration,
    /// Largest request head, bytes, request line included (→ 431).
    pub max_header_bytes: usize,
    /// Connections open at once; more are refused.
    pub max_connections: usize,
}

impl Limits {
    /// The default connection cap for a process allowed `descriptors`
    /// open files (`None`: unknown): half of what is left after
    /// [`RESERVED_DESCRIPTORS`], as a connection may hold a file open
    /// too, and at most [`DEFAULT_MAX_CONNECTIONS`].
    pub fn default_max_connections(descriptors: Option<u64>) -> usize {
        descriptors.map_or(DEFAULT_MAX_CONNECTIONS, |limit| {
            let half = limit.saturating_sub(RESERVED_DESCRIPTORS) / 2;
            usize::try_from(half).map_or(DEFAULT_MAX_CONNECTIONS, |half| {
                half.clamp(1, DEFAULT_MAX_CONNECTIONS)
            })
        })
    }
}

/// The soft limit on this process's open file descriptors (`ulimit -n`),
/// if it has one.
pub fn descriptor_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// Serves `router` on `listener` within `limits` until `shutdown`
/// resolves, then closes the listener, lets every connection finish the
/// request it is answering, and returns once all are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopped) = watch::channel(());
    let mut http = http1::Builder::new();
    http.max_header_size(limits.max_header_bytes)
        .header_read_timeout(None);
    let mut refused = Burst::default();
    let mut failed = Burst::default();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_peer_error(&e) => continue,
            Err(e) => {
                if failed.hit() {
                    tracing::error!(error = %e, "cannot accept connections: retrying");
                }
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        if let Some(errors) = failed.end() {
            tracing::info!(errors, "accepting connections again");
        }
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            if refused.hit() {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection cap reached: refusing new connections (503)"
                );
            }
            // Best effort: the socket is new, so its buffer has room.
            let _ = stream.try_write(REFUSAL);
            continue;
        };
        if let Some(refused) = refused.end() {
            tracing::info!(refused, "below the connection cap again");
        }
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            permit,
            router.clone(),
            http.clone(),
            limits,
            stopped.clone(),
        ));
    }
    drop(listener);
    drop(stop);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
    Ok(())
}

/// Whether an accept error is about that one connection (gone before it
/// was accepted), not about the process.
fn is_peer_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// A run of like events (refusals, accept errors) between two successes,
/// so each run is logged at its start and end only.
#[derive(Default)]
struct Burst(u64);

impl Burst {
    /// Counts one event; true for the first of a burst.
    fn hit(&mut self) -> bool {
        self.0 += 1;
        self.0 == 1
    }

    /// Ends the burst, if one was running: how many events it had.
    fn end(&mut self) -> Option<u64> {
        (self.0 > 0).then(|| std::mem::take(&mut self.0))
    }
}

/// Serves one connection until it closes, times out, or the server stops
/// (then the request being answered is finished first).
async fn connection(
    stream: TcpStream,
    permit: OwnedSemaphorePermit,
    router: Router,
    http: http1::Builder,
    limits: Limits,
    mut stopped: watch::Receiver<()>,
) {
    let clock = Arc::new(Clock::new(limits));
    let io = TokioIo::new(Watched::new(stream, permit, clock.clone(), limits));
    let router = TowerToHyperService::new(router);
    let service = service_fn(move |req: Request<Incoming>| {
        clock.busy();
        let answered = Answered(clock.clone());
        let routed = match refusal(&req) {
            Some(refusal) => Err(refusal),
            None => Ok(hyper::service::Service::call(&router, req)),
        };
        async move {
            let res = match routed {
                Err(refusal) => refusal.into_response(),
                Ok(routed) => routed.await?,
            };
            Ok::<_, Infallible>(res.map(|body| Tracked {
                body,
                _answered: answered,
            }))
        }
    });
    let conn = http.serve_connection(io, service);
    tokio::pin!(conn);
    let closed = tokio::select! {
        closed = conn.as_mut() => closed,
        _ = stopped.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = closed {
        tracing::debug!(error = %e, "connection closed");
    }
}

/// Why a request is refused before routing: a method other than GET and
/// HEAD (a CORS preflight aside), or a body.
fn refusal(req: &Request<Incoming>) -> Option<AppError> {
    let preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if !matches!(*req.method(), Method::GET | Method::HEAD) && !preflight {
        return Some(AppError::MethodNotAllowed);
    }
    (!http_body::Body::is_end_stream(req.body())).then_some(AppError::RequestBody)
}

/// Where a connection is in its life, and so when it is closed.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request's head, due by then.
    Head(Instant),
    /// Kept alive with nothing asked, until then.
    Idle(Instant),
    /// A request is being answered: the routes bound their own work.
    Busy,
}

/// A connection's phase, moved on by its reads and by its service.
struct Clock {
    state: Mutex<ClockState>,
    limits: Limits,
}

struct ClockState {
    phase: Phase,
    /// The connection task, as its last read saw it: woken when the
    /// phase gains a deadline the pending read does not wait for.
    reader: Option<Waker>,
}

impl Clock {
    /// A new connection: its first head is due within the header timeout.
    fn new(limits: Limits) -> Self {
        let state = ClockState {
            phase: Phase::Head(Instant::now() + limits.header_timeout),
            reader: None,
        };
        Clock {
            state: Mutex::new(state),
            limits,
        }
    }

    fn state(&self) -> MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// When the connection is closed if nothing changes; `reader` is
    /// woken if that changes to a deadline.
    fn deadline(&self, reader: &Waker) -> Option<Instant> {
        let mut state = self.state();
        match &mut state.reader {
            Some(known) => known.clone_from(reader),
            none => *none = Some(reader.clone()),
        }
        match state.phase {
            Phase::Head(due) | Phase::Idle(due) => Some(due),
            Phase::Busy => None,
        }
    }

    /// Bytes arrived: after an idle spell, a new head has begun.
    fn received(&self) {
        let mut state = self.state();
        if let Phase::Idle(_) = state.phase {
            state.phase = Phase::Head(Instant::now() + self.limits.header_timeout);
        }
    }

    /// A head was read whole: the request is being answered.
    fn busy(&self) {
        self.state().phase = Phase::Busy;
    }

    /// The answer is written: idle until the next request, and the read
    /// waiting for it must now wait for the idle deadline too.
    fn answered(&self) {
        let mut state = self.state();
        state.phase = Phase::Idle(Instant::now() + self.limits.idle_timeout);
        if let Some(reader) = &state.reader {
            reader.wake_by_ref();
        }
    }
}

/// Marks its connection answered when dropped, which hyper does once it
/// has written the body (or at once for HEAD).
struct Answered(Arc<Clock>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.answered();
    }
}

/// A response body that marks its connection answered when done with.
struct Tracked {
    body: Body,
    /// Held only to be dropped with the body.
    _answered: Answered,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A viewer's socket that enforces its connection's deadlines: reads fail
/// once the [`Clock`]'s deadline has passed, writes once they have made
/// no progress for the idle timeout. Holds the connection's permit until
/// the socket is closed, lingering included.
struct Watched {
    /// `None` once handed to the lingering close.
    stream: Option<TcpStream>,
    permit: Option<OwnedSemaphorePermit>,
    clock: Arc<Clock>,
    idle_timeout: Duration,
    /// Wakes a pending read at the deadline.
    read_timer: Pin<Box<Sleep>>,
    /// Running while a write is pending.
    write_timer: Option<Pin<Box<Sleep>>>,
    /// The viewer closed its side, or a deadline passed: nothing to
    /// linger for.
    done: bool,
}

impl Watched {
    fn new(
        stream: TcpStream,
        permit: OwnedSemaphorePermit,
        clock: Arc<Clock>,
        limits: Limits,
    ) -> Self {
        let due = Instant::now() + limits.header_timeout;
        Watched {
            stream: Some(stream),
            permit: Some(permit),
            clock,
            idle_timeout: limits.idle_timeout,
            read_timer: Box::pin(tokio::time::sleep_until(due)),
            write_timer: None,
            done: false,
        }
    }

    fn stream(&mut self) -> Pin<&mut TcpStream> {
        Pin::new(
            self.stream
                .as_mut()
                .expect("the stream is held until dropped"),
        )
    }

    /// The error that ends a connection past its deadline.
    fn timed_out(&mut self, what: &str) -> io::Error {
        self.done = true;
        io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
    }

    /// `written` as it came, or, when pending, a timeout once writes have
    /// been stuck for the idle timeout.
    fn watch_write(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        if written.is_ready() {
            self.write_timer = None;
            return written;
        }
        let idle = self.idle_timeout;
        let timer = self
            .write_timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(self.timed_out("writing the answer")));
        }
        Poll::Pending
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let deadline = self.clock.deadline(cx.waker());
        if deadline.is_some_and(|due| Instant::now() >= due) {
            return Poll::Ready(Err(self.timed_out("reading the request")));
        }
        let before = buf.filled().len();
        match self.stream().poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() == before => {
                self.done = true;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Ok(())) => {
                self.clock.received();
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(due) = deadline else {
                    return Poll::Pending;
                };
                if self.read_timer.deadline() != due {
                    self.read_timer.as_mut().reset(due);
                }
                if self.read_timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(self.timed_out("reading the request")));
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = self.stream().poll_write(cx, buf);
        self.watch_write(cx, written)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = self.stream().poll_write_vectored(cx, bufs);
        self.watch_write(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream().poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream().poll_shutdown(cx)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let (Some(stream), Ok(runtime)) =
            (self.stream.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(linger(stream, self.permit.take()));
        }
    }
}

/// Closes a connection whose viewer may still be sending: shuts it for
/// writing, then reads and drops its input until it closes too, for at
/// most [`LINGER`], so the viewer reads the last answer instead of a
/// reset. The permit is released once the socket is closed.
async fn linger(mut stream: TcpStream, permit: Option<OwnedSemaphorePermit>) {
    let _ = stream.shutdown().await;
    let mut sink = [0; 4096];
    let drain = async { while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {} };
    let _ = tokio::time::timeout(LINGER, drain).await;
    drop(stream);
    drop(permit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_leaves_room_below_the_descriptor_limit() {
        assert_eq!(Limits::default_max_connections(Some(1024)), 448);
        assert_eq!(Limits::default_max_connections(Some(20_000)), 4096);
        assert_eq!(Limits::default_max_connections(Some(100)), 1);
        assert_eq!(Limits::default_max_connections(None), 4096);
    }

    #[test]
    fn a_burst_is_reported_at_its_start_and_its_end() {
        let mut burst = Burst::default();
        assert_eq!(burst.end(), None);
        assert!(burst.hit());
        assert!(!burst.hit());
        assert!(!burst.hit());
        assert_eq!(burst.end(), Some(3));
        assert!(burst.hit());
    }
}
