//! `GET /widget/v1/events`: the visitor's live stream (server-sent events).
//!
//! It follows the event log of the visitor's one conversation (the session
//! id is the conversation id, so this works before the hand-off too) and
//! turns each event into a visitor-safe frame; notes, system lines, summaries
//! with customer data and agent ids never leave. The frame's `id:` is the
//! event's `seq`, so a reconnect with `Last-Event-ID` resumes without gaps:
//! the stream subscribes to the live hub first, then reads the conversation's
//! events after the cursor from the table (indexed by conversation), then
//! follows live events, reading the table again whenever the live feed has
//! a gap. Typing signals arrive as frames without an id.
//!
//! Frames (`data:` JSON): `{"type":"message","message":{…}}`,
//! `{"type":"status","status":"queued|assigned|resolved","agent":{"name"}|null}`,
//! `{"type":"typing","agent":{"name"}}`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Extension;
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use switchboard_api::events::{Change, EventPayload};
use switchboard_api::{ConversationSummary, Event};
use switchboard_core::ConversationState;
use tokio::sync::broadcast::error::RecvError;

use super::visitor::{agent_first_name, visitor_message, Visitor, VisitorAgent, VisitorMessage};
use super::WidgetState;
use crate::app::{ApiQuery, AppState};
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::store::db::{self};

/// One frame of the visitor's stream.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frame {
    /// A customer, agent or bot message.
    Message {
        /// The message.
        message: VisitorMessage,
    },
    /// The conversation's state and who has it.
    Status {
        /// `queued`, `assigned` or `resolved`.
        status: String,
        /// The agent, while assigned.
        agent: Option<VisitorAgent>,
    },
    /// An agent is typing.
    Typing {
        /// Who.
        agent: VisitorAgent,
    },
}

/// Query of `GET /widget/v1/events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StreamQuery {
    /// Resume after this `seq` (the `Last-Event-ID` header wins).
    #[serde(default)]
    pub since: Option<i64>,
}

async fn conversation_events(
    reader: &AnyPool,
    conversation_id: &str,
    since: i64,
) -> AppResult<Vec<Event>> {
    let rows = db::query(
        "SELECT seq, kind, conversation_id, at, data FROM events WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT 1000",
    )
    .bind(conversation_id)
    .bind(since)
    .fetch_all(reader)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let data: String = r.try_get("data")?;
        out.push(Event {
            seq: r.try_get("seq")?,
            kind: r.try_get("kind")?,
            conversation_id: r.try_get("conversation_id")?,
            at: from_ms(r.try_get("at")?),
            data: serde_json::from_str(&data)?,
        });
    }
    Ok(out)
}

async fn status_frame(reader: &AnyPool, c: &ConversationSummary) -> AppResult<Frame> {
    let agent = match (&c.assignee_id, c.state) {
        (Some(a), ConversationState::Assigned) => {
            let mut conn = reader.acquire().await?;
            agent_first_name(&mut conn, a)
                .await?
                .map(|name| VisitorAgent { name })
        }
        _ => None,
    };
    Ok(Frame::Status {
        status: c.state.as_str().into(),
        agent,
    })
}

/// The visitor-safe frame for a logged event, if any.
async fn frame_of(reader: &AnyPool, e: &Event) -> AppResult<Option<Frame>> {
    let Ok(payload) = e.payload() else {
        return Ok(None);
    };
    Ok(match payload {
        EventPayload::MessageCreated(m) => {
            visitor_message(&m.message).map(|message| Frame::Message { message })
        }
        // A message again once its files are attached (a visitor's upload).
        EventPayload::MessageUpdated(m) if !m.message.attachments.is_empty() => {
            visitor_message(&m.message).map(|message| Frame::Message { message })
        }
        EventPayload::ConversationCreated(c) => Some(status_frame(reader, &c.conversation).await?),
        // Who has it and whether it is open; not re-categorizing, tags,
        // waiting times or overdue announcements (the team's business).
        EventPayload::ConversationUpdated(u) => match u.change {
            Change::Claimed
            | Change::Assigned
            | Change::Transferred
            | Change::Resolved
            | Change::Reopened => Some(status_frame(reader, &u.conversation).await?),
            Change::Recategorized
            | Change::Tagged
            | Change::Snoozed
            | Change::Woken
            | Change::Merged
            | Change::Touched
            | Change::Overdue => None,
        },
        _ => None,
    })
}

fn sse(frame: &Frame, seq: Option<i64>) -> SseEvent {
    let ev = SseEvent::default().data(serde_json::to_string(frame).unwrap_or_default());
    match seq {
        Some(s) => ev.id(s.to_string()),
        None => ev,
    }
}

/// Follows the visitor's conversation live: server-sent events whose `id:`
/// is the log position (resume with `Last-Event-ID` or `?since=`) and whose
/// data is a [`Frame`].
#[utoipa::path(get, path = "/widget/v1/events", tag = "widget", security(("visitor" = [])), params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", body = Frame, description = "The stream; each event's data is one frame")))]
pub async fn events(
    State(st): State<AppState>,
    Extension(w): Extension<Arc<WidgetState>>,
    v: Visitor,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> AppResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let from_header = match headers.get("last-event-id") {
        Some(h) => Some(
            h.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    AppError::bad_request(
                        "invalid_last_event_id",
                        "Last-Event-ID must be an integer",
                    )
                })?,
        ),
        None => None,
    };
    let hub = st.store.hub().clone();
    let mut rx = hub.subscribe();
    let mut typing = w.typing.subscribe();
    // Without a cursor: from now on (the widget loads the history first).
    let start = from_header
        .or(q.since)
        .unwrap_or_else(|| hub.last_seq())
        .max(0);
    let conv_id = v.session.id.clone();
    let reader = st.store.reader().clone();
    let open = st
        .probes
        .open_stream(&format!("visitor:{}", v.session.id))?;
    let stream = async_stream::stream! {
        // Counted in /health/details while the stream lives.
        let _open = open;
        let mut closed = std::pin::pin!(hub.closed());
        // `global`: the newest seq seen from the hub (any conversation), to
        // notice gaps; `cursor`: the newest of this conversation delivered.
        let mut global = hub.last_seq();
        let mut cursor = start;
        let mut catch_up = true;
        loop {
            if catch_up {
                catch_up = false;
                loop {
                    let page = match conversation_events(&reader, &conv_id, cursor).await {
                        Ok(p) => p,
                        Err(e) => { tracing::warn!(error = %e, "visitor catch-up failed"); return; }
                    };
                    let n = page.len();
                    for e in page {
                        cursor = e.seq;
                        match frame_of(&reader, &e).await {
                            Ok(Some(f)) => yield Ok(sse(&f, Some(e.seq))),
                            Ok(None) => {}
                            Err(err) => { tracing::warn!(error = %err, "visitor frame failed"); return; }
                        }
                    }
                    if n < 1000 { break; }
                }
            }
            tokio::select! {
                got = rx.recv() => match got {
                    Ok(e) => {
                        let seq = e.event.seq;
                        if seq > global + 1 {
                            // Something was not seen live: read the table.
                            catch_up = true;
                        } else if seq > cursor && e.event.conversation_id.as_deref() == Some(conv_id.as_str()) {
                            cursor = seq;
                            match frame_of(&reader, &e.event).await {
                                Ok(Some(f)) => yield Ok(sse(&f, Some(seq))),
                                Ok(None) => {}
                                Err(err) => { tracing::warn!(error = %err, "visitor frame failed"); return; }
                            }
                        }
                        global = global.max(seq);
                    }
                    Err(RecvError::Lagged(_)) => catch_up = true,
                    Err(RecvError::Closed) => return,
                },
                t = typing.recv() => match t {
                    Ok(t) if t.conversation_id == conv_id => {
                        yield Ok(sse(&Frame::Typing { agent: VisitorAgent { name: t.agent } }, None));
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                },
                _ = &mut closed => {
                    // This server is stopping: reconnect in a second (to
                    // another instance, or to this one restarted), from the
                    // last event id as always.
                    yield Ok(axum::response::sse::Event::default()
                        .retry(Duration::from_secs(1))
                        .comment("server stopping"));
                    return;
                }
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
