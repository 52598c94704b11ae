//! Agents' typing signals: `POST /api/v1/conversations/{id}/typing` by the
//! assignee, relayed to the visitor's stream of that conversation. Ephemeral:
//! never stored or logged as an event, and relayed by the instance that
//! received it (in a fleet, visitors connected elsewhere miss it — it is a
//! hint, and the reply itself always arrives).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use switchboard_core::Channel;
use tokio::sync::broadcast;

use super::WidgetState;
use crate::app::{ApiPath, AppState, Auth};
use crate::error::{AppError, AppResult};
use crate::rows;

/// One signal: this agent is typing in this conversation.
#[derive(Debug, Clone)]
pub struct Typing {
    /// The conversation.
    pub conversation_id: String,
    /// The agent's first name.
    pub agent: String,
}

/// The in-process fan-out of typing signals.
#[derive(Clone)]
pub struct TypingHub {
    tx: broadcast::Sender<Typing>,
}

impl TypingHub {
    /// A hub.
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(1024).0,
        }
    }

    /// Follows the signals from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Typing> {
        self.tx.subscribe()
    }

    fn send(&self, t: Typing) {
        let _ = self.tx.send(t);
    }
}

impl Default for TypingHub {
    fn default() -> Self {
        Self::new()
    }
}

/// How visitors see an agent: the first word of their name, never their email.
pub fn first_name(name: &str) -> String {
    match name.split_whitespace().next() {
        Some(w) if !w.contains('@') => w.chars().take(40).collect(),
        _ => "Agent".into(),
    }
}

/// The assignee is typing a reply: the visitor sees "… is typing" for a few seconds.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/typing", tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = switchboard_api::ErrorBody), (status = 404, body = switchboard_api::ErrorBody)))]
pub async fn agent_typing(
    State(st): State<AppState>,
    Extension(w): Extension<Arc<WidgetState>>,
    Auth(caller): Auth,
    ApiPath(id): ApiPath<String>,
) -> AppResult<StatusCode> {
    let mut conn = st.store.reader().acquire().await?;
    let conv = rows::conversation(&mut conn, &id)
        .await?
        .filter(|c| caller.viewer().can_view(c.scope()))
        .ok_or(AppError::NotFound("conversation"))?;
    if !caller.viewer().can_reply(conv.scope()) {
        return Err(AppError::forbidden(
            "not_assignee",
            "only the agent this conversation is assigned to may reply",
        ));
    }
    if matches!(conv.channel, Channel::Chat | Channel::Bot) {
        w.typing.send(Typing {
            conversation_id: conv.id,
            agent: first_name(&caller.name),
        });
    }
    Ok(StatusCode::NO_CONTENT)
}
