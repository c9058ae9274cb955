//! Progress notifications for callers that ask for them (`_meta.progressToken`): what a call is
//! waiting for — a retry after an upstream failure, a rate limit, a free concurrency slot — so an
//! agent (and its user) see why a call takes long instead of a silent spinner.
//!
//! Messages go through a channel to one task per call that sends them in order, with a strictly
//! increasing `progress` (the MCP rule); the call awaits that task before returning its result, so
//! no notification is ever sent after the result.

use rmcp::RoleServer;
use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::service::Peer;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

/// Where a call reports what it is waiting for; silent when the caller asked for nothing.
#[derive(Default)]
pub struct Progress {
    sender: Option<UnboundedSender<String>>,
}

impl Progress {
    /// A reporter that drops every message.
    pub fn silent() -> Self {
        Self::default()
    }

    /// A reporter sending to `peer` under `token`, and the task that sends; await it (after
    /// dropping the reporter) before answering the request.
    pub fn to_peer(peer: Peer<RoleServer>, token: ProgressToken) -> (Self, JoinHandle<()>) {
        let (sender, mut messages) = unbounded_channel::<String>();
        let task = tokio::spawn(async move {
            let mut progress = 0.0;
            while let Some(message) = messages.recv().await {
                progress += 1.0;
                let notification = ProgressNotificationParam::new(token.clone(), progress).with_message(message);
                if let Err(err) = peer.notify_progress(notification).await {
                    tracing::debug!(error = %err, "could not send a progress notification");
                }
            }
        });
        (Self { sender: Some(sender) }, task)
    }

    /// A reporter that collects messages into the returned channel (for tests and embedding).
    pub fn channel() -> (Self, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let (sender, messages) = unbounded_channel();
        (Self { sender: Some(sender) }, messages)
    }

    /// Reports `message` (a sentence saying what the call waits for).
    pub fn report(&self, message: impl FnOnce() -> String) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(message());
        }
    }
}
