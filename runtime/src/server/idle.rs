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
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;

/// What a connection's idle timer watches.
#[derive(Clone, Copy, Default)]
struct State {
    /// Requests whose answer is not ready yet.
    in_progress: usize,
    /// Whether a request was answered: until then, the header timeout alone applies.
    answered: bool,
}

impl State {
    fn idle(&self) -> bool {
        self.answered && self.in_progress == 0
    }
}

/// One connection's activity, shared by its socket, its service and its idle timer.
#[derive(Clone, Default)]
pub(super) struct Activity(watch::Sender<State>);

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
            activity.0.send_modify(|state| state.in_progress += 1);
            let answered = Answered(activity.clone());
            let answer = router.call(request);
            async move {
                let answer = answer.await;
                drop(answered);
                answer
            }
        })
    }

    /// Resolves once the connection is idle and nothing has arrived on it for `limit`.
    pub(super) async fn idle_for(&self, limit: Duration) {
        let mut state = self.0.subscribe();
        loop {
            // An error would mean the sender is gone, and `self` holds it.
            let _ = state.wait_for(State::idle).await;
            // A request starting, or a byte read while idle, starts the wait anew.
            if tokio::time::timeout(limit, state.changed()).await.is_err() {
                return;
            }
        }
    }
}

/// Marks a request answered when dropped, also when its handler is cancelled.
struct Answered(Activity);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.0.send_modify(|state| {
            state.in_progress -= 1;
            state.answered = true;
        });
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
            // Only the idle timer waits on this, and only while the connection is idle.
            self.activity.0.send_if_modified(|state| state.idle());
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

        activity.0.send_modify(|state| state.in_progress += 1);
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
