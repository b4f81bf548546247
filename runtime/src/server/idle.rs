//! The idle keep-alive timeout: once a connection has answered a request and has none in
//! progress, it is closed when nothing arrives on it for the idle timeout.
//!
//! hyper has no such timeout of its own: its header timeout starts when a kept-alive connection
//! goes idle and ends with the next request's last header byte, so it bounds the wait and the
//! next head together, and a kept-alive connection is closed at whichever of the two comes first.

use axum::Router;
use hyper::body::Incoming;
use hyper::service::Service;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// One connection's activity, shared by its socket, its service and its idle timer. Plain
/// atomics, read only by the timer when it wakes: a request costs no wake-up and no timer.
#[derive(Clone)]
pub(super) struct Activity(Arc<Shared>);

struct Shared {
    /// When the connection was accepted; `last` counts from it.
    start: Instant,
    /// Milliseconds from `start` to the last byte read or the last answer.
    last: AtomicU64,
    /// Requests whose answer is not ready yet.
    in_progress: AtomicUsize,
    /// Whether a request was answered: until then, the header timeout alone applies.
    answered: AtomicBool,
}

impl Default for Activity {
    fn default() -> Self {
        Activity(Arc::new(Shared {
            start: Instant::now(),
            last: AtomicU64::new(0),
            in_progress: AtomicUsize::new(0),
            answered: AtomicBool::new(false),
        }))
    }
}

impl Activity {
    /// The socket, telling this activity of what it reads.
    pub(super) fn watch<S>(&self, stream: S) -> Watched<S> {
        Watched { stream, activity: self.clone() }
    }

    /// The router as hyper calls it, each call counted as a request in progress until it has its
    /// answer.
    pub(super) fn serve(
        &self,
        router: Router,
    ) -> impl Service<
        http::Request<Incoming>,
        Response = axum::response::Response,
        Error = Infallible,
        Future: Send + 'static,
    > + Send
    + 'static {
        let activity = self.clone();
        let router = TowerToHyperService::new(router);
        hyper::service::service_fn(move |request| {
            activity.0.in_progress.fetch_add(1, Ordering::AcqRel);
            let answered = Answered(activity.clone());
            let answer = router.call(request);
            async move {
                let answer = answer.await;
                drop(answered);
                answer
            }
        })
    }

    fn touch(&self) {
        let now = u64::try_from(self.0.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last.store(now, Ordering::Release);
    }

    /// Since when the connection has been idle: answered, nothing in progress, nothing read.
    fn quiet_since(&self) -> Option<Instant> {
        let shared = &self.0;
        let idle = shared.answered.load(Ordering::Acquire) && shared.in_progress.load(Ordering::Acquire) == 0;
        idle.then(|| shared.start + Duration::from_millis(shared.last.load(Ordering::Acquire)))
    }

    /// Resolves once the connection is idle and nothing has arrived on it for `limit`.
    pub(super) async fn idle_for(&self, limit: Duration) {
        loop {
            match self.quiet_since() {
                Some(since) if since.elapsed() >= limit => return,
                Some(since) => tokio::time::sleep_until(since + limit).await,
                // Busy, or before its first answer: look again later.
                None => tokio::time::sleep(limit).await,
            }
        }
    }
}

/// Marks a request answered when dropped, also when its handler is cancelled.
struct Answered(Activity);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.touch();
        self.0.0.answered.store(true, Ordering::Release);
        self.0.0.in_progress.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's socket, telling its [`Activity`] of each read that brings bytes.
pub(super) struct Watched<S> {
    stream: S,
    activity: Activity,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const LIMIT: Duration = Duration::from_millis(300);

    #[tokio::test]
    async fn a_connection_is_idle_only_between_requests_and_what_arrives_starts_the_wait_anew() {
        let activity = Activity::default();
        let idle = tokio::spawn({
            let activity = activity.clone();
            async move { activity.idle_for(LIMIT).await }
        });
        // No request answered yet: that wait is the header timeout's.
        tokio::time::sleep(LIMIT * 2).await;
        assert!(!idle.is_finished(), "idle before the first request");

        activity.0.in_progress.fetch_add(1, Ordering::AcqRel);
        tokio::time::sleep(LIMIT * 2).await;
        assert!(!idle.is_finished(), "idle with a request in progress");
        drop(Answered(activity.clone()));

        let (mut client, server) = tokio::io::duplex(64);
        let mut watched = activity.watch(server);
        for _ in 0..3 {
            tokio::time::sleep(LIMIT / 2).await;
            client.write_all(b"G").await.unwrap();
            watched.read_exact(&mut [0; 1]).await.unwrap();
        }
        assert!(!idle.is_finished(), "idle though bytes kept arriving");
        tokio::time::timeout(LIMIT * 3, idle).await.expect("idle once nothing arrived for the limit").unwrap();
    }
}
