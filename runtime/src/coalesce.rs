//! Fewer socket writes per tool call over Streamable HTTP: the event stream that answers a POST
//! goes out in one piece when it ends quickly.
//!
//! In the session era (protocol versions before 2026-07-28) rmcp answers every POST with an
//! event stream: the response head and a priming event (an event id and a retry hint) at once,
//! the result when the handler has it, then the end of the stream. hyper writes each part as it
//! comes, so a quick call costs two sends to the client instead of one. On loopback and in VMs
//! each send is expensive — the kernel delivers it and wakes the reader in the sender's time — and
//! the sends to the client were the largest share of a call's server CPU in the throughput
//! benchmark (docs/benchmarks.md).
//!
//! So a POST's event stream is held for at most [`HOLD`]. When it ends within that time (a tool
//! that answers quickly: the common case), the whole stream is one body with a known length and
//! hyper sends it, head included, in one write. Otherwise what was held goes out at the deadline
//! and the rest streams as before: a slow call's priming event and progress notifications are
//! late by at most `HOLD`, which no client can tell from network delay. The events themselves,
//! their order and their ids are unchanged. GET streams (the standalone server-to-client
//! channel) and JSON answers pass untouched.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt as _;
use hyper::body::{Frame, SizeHint};

/// Longest a POST's event stream is held back: far below what an agent notices, and above what
/// a tool backed by a quick upstream takes under load (a few milliseconds), so those calls are
/// one write.
pub const HOLD: Duration = Duration::from_millis(20);

/// The layer: holds a POST's event stream for up to [`HOLD`] (see the module documentation).
pub async fn coalesce_events(request: Request, next: Next) -> Response {
    let post = request.method() == Method::POST;
    let response = next.run(request).await;
    if !post || !is_event_stream(&response) {
        return response;
    }
    let (parts, mut body) = response.into_parts();
    let mut held: Vec<u8> = Vec::new();
    let deadline = tokio::time::sleep(HOLD);
    tokio::pin!(deadline);
    let next_frame = loop {
        tokio::select! {
            biased;
            frame = body.frame() => match frame {
                None => return Response::from_parts(parts, Body::from(held)),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => held.extend_from_slice(&data),
                    Err(other) => break Some(Ok(other)),
                },
                Some(Err(err)) => break Some(Err(err)),
            },
            () = &mut deadline => break None,
        }
    };
    let held = (!held.is_empty()).then(|| Bytes::from(held));
    Response::from_parts(parts, Body::new(Resumed { held, next_frame, rest: body }))
}

fn is_event_stream(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

/// A held stream let go: what was held, the frame that ended the holding (trailers or an
/// error), then the rest of the stream.
struct Resumed {
    held: Option<Bytes>,
    next_frame: Option<Result<Frame<Bytes>, axum::Error>>,
    rest: Body,
}

impl hyper::body::Body for Resumed {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Some(held) = self.held.take() {
            return Poll::Ready(Some(Ok(Frame::data(held))));
        }
        if let Some(frame) = self.next_frame.take() {
            return Poll::Ready(Some(frame));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.held.is_none() && self.next_frame.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        // Unknown, as the stream's own: the response stays chunked.
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use hyper::body::Body as _;
    use tower::ServiceExt as _;

    /// A body of what a channel receives.
    struct Channel(tokio::sync::mpsc::Receiver<Bytes>);

    impl hyper::body::Body for Channel {
        type Data = Bytes;
        type Error = axum::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
            self.0.poll_recv(cx).map(|event| event.map(|bytes| Ok(Frame::data(bytes))))
        }
    }

    /// An event stream of `events`: all ready at once without a `gap`, else each sent after it.
    fn stream(events: &'static [&'static str], gap: Option<Duration>) -> Response {
        let (sender, receiver) = tokio::sync::mpsc::channel(events.len().max(1));
        match gap {
            None => {
                for event in events {
                    sender.try_send(Bytes::from_static(event.as_bytes())).unwrap();
                }
            }
            Some(gap) => {
                tokio::spawn(async move {
                    for event in events {
                        tokio::time::sleep(gap).await;
                        if sender.send(Bytes::from_static(event.as_bytes())).await.is_err() {
                            return;
                        }
                    }
                });
            }
        }
        let body = Body::new(Channel(receiver));
        Response::builder().header(header::CONTENT_TYPE, "text/event-stream").body(body).unwrap()
    }

    async fn answer(app: axum::Router, method: Method) -> Response {
        let request = Request::builder().method(method).uri("/mcp").body(Body::empty()).unwrap();
        app.layer(axum::middleware::from_fn(coalesce_events)).oneshot(request).await.unwrap()
    }

    #[tokio::test]
    async fn a_quick_event_stream_is_sent_whole_with_its_length() {
        let app = axum::Router::new()
            .route("/mcp", post(|| async { stream(&["data: \nid: 0\n\n", "data: {}\nid: 1\n\n"], None) }));
        let response = answer(app, Method::POST).await;
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
        let body = response.into_body();
        assert_eq!(body.size_hint().exact(), Some(30), "one body of known length");
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"data: \nid: 0\n\ndata: {}\nid: 1\n\n");
    }

    #[tokio::test]
    async fn a_slow_event_stream_streams_after_the_hold_with_nothing_lost() {
        // Far beyond the hold, so the stream is still open when the hold ends.
        let gap = Some(HOLD * 10);
        let app = axum::Router::new().route("/mcp", post(move || async move { stream(&["a\n\n", "b\n\n"], gap) }));
        let response = answer(app, Method::POST).await;
        let body = response.into_body();
        assert_eq!(body.size_hint().exact(), None, "still a stream");
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"a\n\nb\n\n");
    }
}
