//! The event log: paged sync and the live SSE stream.
//!
//! Both filter by the caller's visibility. The SSE stream subscribes to the
//! live hub *before* reading the table from the caller's cursor, then skips
//! anything at or below the cursor, so the hand-over from table to live feed
//! neither skips nor repeats an event. If the live feed lags, the stream goes
//! back to the table.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use futures_util::Stream;
use serde::Deserialize;
use switchboard_api::{Event, SyncPage, SyncQuery};
use tokio::sync::broadcast::error::RecvError;

use super::{load_caller, ApiQuery, AppState, Auth};
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::store::{newest_seq, read_events, LoggedEvent};

/// Pages through the event log after `since`, filtered to what the caller may see.
#[utoipa::path(get, path = "/api/v1/sync", tag = "sync", security(("bearer" = [])), params(SyncQuery),
    responses((status = 200, body = SyncPage)))]
pub async fn sync(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<SyncQuery>,
) -> AppResult<Json<SyncPage>> {
    let since = q.since.unwrap_or(0).max(0);
    refuse_cursor_ahead(&st, since).await?;
    let limit = i64::from(q.limit.unwrap_or(500).clamp(1, 5000));
    let scanned = read_events(st.store.reader(), since, limit).await?;
    let mut more = scanned.len() as i64 == limit;
    let mut next = since;
    let viewer = caller.viewer();
    let mut events = Vec::new();
    let mut bytes = 0usize;
    for e in scanned {
        if e.visibility.allows(&viewer) {
            // A page is bounded in bytes as well as in events (a few huge
            // messages must not make one answer hundreds of MiB); at least
            // one event always goes, so a page never stalls.
            let size = json_len(&e.event.data) + 160;
            if bytes + size > MAX_PAGE_BYTES && !events.is_empty() {
                more = true;
                break;
            }
            bytes += size;
            next = e.event.seq;
            events.push(e.event);
        } else {
            next = e.event.seq;
        }
    }
    Ok(Json(SyncPage { events, next, more }))
}

/// The most bytes of event data one `/sync` page carries (about).
pub const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// The length of `v` as JSON, without building the string.
fn json_len(v: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

/// Query of `GET /api/v1/events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StreamQuery {
    /// Resume after this sequence number (the `Last-Event-ID` header wins).
    #[serde(default)]
    pub since: Option<i64>,
}

fn sse_of(ev: &LoggedEvent) -> Option<SseEvent> {
    Some(
        SseEvent::default()
            .id(ev.event.seq.to_string())
            .data(&*ev.wire()),
    )
}

/// Follows the event log live (server-sent events; `id:` is the `seq`).
/// Resumes after `Last-Event-ID` (or `?since=`); without either, starts at the newest event.
/// Between them come `event: presence` frames (`Presence`, no id: never in the log).
#[utoipa::path(get, path = "/api/v1/events", tag = "sync", security(("bearer" = [])), params(StreamQuery),
    responses((status = 200, description = "text/event-stream of Event", content_type = "text/event-stream")))]
pub async fn stream(
    State(st): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> AppResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let from_header = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
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
    let start = from_header
        .or(q.since)
        .unwrap_or_else(|| st.store.hub().last_seq())
        .max(0);
    refuse_cursor_ahead(&st, start).await?;
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
        .unwrap_or_default();
    let mut rx = st.store.hub().subscribe();
    let mut presence = st.store.hub().presence().subscribe();
    let hub = st.store.hub().clone();
    let open = st
        .probes
        .open_stream(&format!("agent:{}", caller.token_hash))?;
    let stream = async_stream::stream! {
        // Counted in /health/details while the stream lives.
        let _open = open;
        // A stopping server ends its streams (axum's graceful shutdown would
        // otherwise wait forever for them, and stop() leaves them running).
        let mut closed = std::pin::pin!(hub.closed());
        let mut caller: Caller = caller;
        let mut cursor = start;
        let mut check = tokio::time::interval(Duration::from_secs(30));
        check.tick().await;
        // Catch up from the table.
        loop {
            let page = match read_events(st.store.reader(), cursor, 1000).await {
                Ok(p) => p,
                Err(e) => { tracing::warn!(error = %e, "event catch-up failed"); return; }
            };
            let n = page.len();
            for e in page {
                cursor = e.event.seq;
                // The stream's body is first polled after its headers went
                // out: a change to this agent's skills may already be in the
                // table, and what follows it must be judged by it.
                if e.event.kind == switchboard_api::events::kinds::AGENT_UPDATED {
                    refresh_self(&mut caller, &e.event);
                }
                if e.visibility.allows(&caller.viewer()) {
                    if let Some(s) = sse_of(&e) { yield Ok(s); }
                }
            }
            if n < 1000 { break; }
        }
        loop {
            tokio::select! {
                got = rx.recv() => {
                    let mut backlog: Vec<Arc<LoggedEvent>> = Vec::new();
                    match got {
                        Ok(e) if e.event.seq <= cursor => continue,
                        Ok(e) if e.event.seq == cursor + 1 => backlog.push(e),
                        Ok(_) | Err(RecvError::Lagged(_)) => {
                            // A gap: go back to the table from the cursor.
                            loop {
                                match read_events(st.store.reader(), cursor, 1000).await {
                                    Ok(p) => {
                                        let n = p.len();
                                        cursor = p.last().map(|e| e.event.seq).unwrap_or(cursor);
                                        backlog.extend(p.into_iter().map(Arc::new));
                                        if n < 1000 { break; }
                                    }
                                    Err(e) => { tracing::warn!(error = %e, "event catch-up failed"); return; }
                                }
                            }
                        }
                        Err(RecvError::Closed) => return,
                    }
                    for e in backlog {
                        cursor = cursor.max(e.event.seq);
                        if e.event.kind == switchboard_api::events::kinds::AGENT_UPDATED {
                            refresh_self(&mut caller, &e.event);
                        }
                        if e.visibility.allows(&caller.viewer()) {
                            if let Some(s) = sse_of(&e) { yield Ok(s); }
                        }
                    }
                }
                got = presence.recv() => {
                    // Presence is not in the log: no id, and a missed frame
                    // is set right by the next one or its expiry.
                    if let Ok(note) = got {
                        if note.frame.agent_id != caller.id {
                            let frame = note.for_viewer(&caller.viewer());
                            if let Ok(data) = serde_json::to_string(&frame) {
                                yield Ok(SseEvent::default().event("presence").data(data));
                            }
                        }
                    }
                }
                _ = &mut closed => {
                    // This server is stopping: reconnect in a second (to
                    // another instance, or to this one restarted), from the
                    // last event id as always.
                    yield Ok(axum::response::sse::Event::default()
                        .retry(Duration::from_secs(1))
                        .comment("server stopping"));
                    return;
                }
                _ = check.tick() => {
                    // A logged-out or expired session stops receiving events.
                    if load_caller(&st, crate::auth::token_hash(&token)).await.is_err() { return; }
                }
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// A cursor past the end of this server's log (a database restored from an
/// older backup, or a different server) cannot be resumed: the client must
/// drop its cache and sync again from 0, rather than silently miss events.
async fn refuse_cursor_ahead(st: &AppState, cursor: i64) -> AppResult<()> {
    let last = newest_seq(st.store.reader()).await?;
    if cursor > last {
        return Err(AppError::conflict(
            "resync_required",
            format!("your sync cursor {cursor} is past this server's newest event {last}; clear the local cache and sync again from 0"),
        ));
    }
    Ok(())
}

/// Follows changes to the caller's own skills so visibility stays right.
fn refresh_self(caller: &mut Caller, ev: &Event) {
    if let Ok(switchboard_api::events::EventPayload::AgentUpdated(u)) = ev.payload() {
        if u.agent.id == caller.id {
            caller.categories = u.agent.categories;
            caller.role = u.agent.role;
            caller.status = u.agent.status;
        }
    }
}
