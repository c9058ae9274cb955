//! The stdio transport's output: one JSON-RPC message per line, with U+2028 and U+2029 escaped,
//! and `tools/list` pages written in place of their placeholders (see [`super::pages`]).
//!
//! Both are legal unescaped inside JSON strings, but many line readers (JavaScript's, editors',
//! naive `split` on Unicode line breaks) treat them as line ends and would cut a message in two.
//! In JSON they can only occur inside strings, where `\u2028` means the same character, so
//! rewriting them is invisible to a JSON parser. Pages are spliced first, so their text is
//! escaped too.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio::io::AsyncWrite;

use super::pages::Pages;

/// UTF-8 of U+2028 (LINE SEPARATOR) and U+2029 (PARAGRAPH SEPARATOR) share these two bytes.
const PREFIX: [u8; 2] = [0xE2, 0x80];

/// Wraps a writer so U+2028/U+2029 are written as `\u2028`/`\u2029`.
pub struct LineSafe<W> {
    inner: W,
    /// Escaped bytes not yet accepted by `inner`.
    pending: Vec<u8>,
    /// The end of the last write when it may be the start of a separator split across writes.
    carry: Vec<u8>,
    /// The pages to splice, and the end of the last write when it may start a placeholder.
    pages: Option<(Arc<Pages>, Vec<u8>)>,
}

impl<W> LineSafe<W> {
    /// Escaping writes to `inner`.
    pub fn new(inner: W) -> Self {
        Self { inner, pending: Vec::new(), carry: Vec::new(), pages: None }
    }

    /// The writer wrapped (what was written reached it once flushed).
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// Also writes the `tools/list` pages of `pages` in place of their placeholders.
    pub fn with_pages(mut self, pages: Arc<Pages>) -> Self {
        self.pages = Some((pages, Vec::new()));
        self
    }
}

/// Standard output for the stdio transport.
pub fn stdout() -> LineSafe<tokio::io::Stdout> {
    LineSafe::new(tokio::io::stdout())
}

impl<W: AsyncWrite + Unpin> LineSafe<W> {
    /// Writes `pending` to `inner` until it is empty.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let written = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..written);
        }
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for LineSafe<W> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        // At most one write is buffered: the next waits until it is out.
        ready!(this.drain(cx))?;
        let mut input = std::mem::take(&mut this.carry);
        match &mut this.pages {
            Some((pages, held)) => pages.feed(held, buf, &mut input),
            None => input.extend_from_slice(buf),
        }
        let keep = if input.ends_with(&PREFIX) {
            2
        } else if input.ends_with(&PREFIX[..1]) {
            1
        } else {
            0
        };
        let (complete, rest) = input.split_at(input.len() - keep);
        escape(complete, &mut this.pending);
        this.carry = rest.to_vec();
        // The bytes are taken (buffered); start sending them now, finish on the next call.
        if let Poll::Ready(Err(err)) = this.drain(cx) {
            return Poll::Ready(Err(err));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        // A flush ends the output so far: a carried partial sequence is not a separator, nor
        // a held partial placeholder (rmcp flushes after whole messages only).
        let mut carry = std::mem::take(&mut this.carry);
        if let Some((_, held)) = &mut this.pages {
            carry.append(held);
        }
        escape(&carry, &mut this.pending);
        ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Appends `bytes` to `out` with each U+2028/U+2029 written as its JSON escape.
fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    let mut rest = bytes;
    while let Some(at) = memchr::memmem::find(rest, &PREFIX) {
        let escaped: Option<&[u8]> = match rest.get(at + 2) {
            Some(0xA8) => Some(b"\\u2028"),
            Some(0xA9) => Some(b"\\u2029"),
            _ => None,
        };
        match escaped {
            Some(escaped) => {
                out.extend_from_slice(&rest[..at]);
                out.extend_from_slice(escaped);
                rest = &rest[at + 3..];
            }
            None => {
                out.extend_from_slice(&rest[..at + 2]);
                rest = &rest[at + 2..];
            }
        }
    }
    out.extend_from_slice(rest);
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt as _;

    use super::*;

    #[tokio::test]
    async fn separators_are_escaped_even_when_split_across_writes() {
        let message = serde_json::json!({"text": "a\u{2028}b\u{2029}c – ok"}).to_string() + "\n";
        let bytes = message.as_bytes();
        for split in 0..bytes.len() {
            let mut out = LineSafe::new(Vec::new());
            out.write_all(&bytes[..split]).await.unwrap();
            out.write_all(&bytes[split..]).await.unwrap();
            out.flush().await.unwrap();
            let written = String::from_utf8(out.inner).unwrap();
            assert_eq!(written, "{\"text\":\"a\\u2028b\\u2029c – ok\"}\n", "split at {split}");
            let parsed: serde_json::Value = serde_json::from_str(&written).unwrap();
            assert_eq!(parsed["text"], "a\u{2028}b\u{2029}c – ok");
        }
    }
}
