//! `GET /api/v1/sync/snapshot`: what a new desktop cache starts from,
//! instead of replaying the whole event log — the caller's open
//! conversations first (part `open`), then the resolved ones within the
//! team's retention for desktop caches (part `recent`), whole (summary and
//! messages), in id order, a page at a time (keyset on the id: each page
//! costs its own rows, however far in). The log's newest `seq` read before
//! each page goes with it; a client keeps the first page's and follows the
//! log from there (see `switchboard_api::SnapshotPage`).

use std::collections::HashMap;

use axum::extract::State;
use axum::Json;
use switchboard_api::{Conversation, Message, SnapshotPage, SnapshotPart, SnapshotQuery};
use switchboard_core::Channel;

use super::{ApiQuery, AppState, Auth};
use crate::error::AppResult;
use crate::rows::{self, ConvRow, CONV_COLS, CONV_FROM, MSG_COLS};
use crate::store::db::{self};

/// The most conversations in one page.
pub const MAX_SNAPSHOT_PAGE: u32 = 2000;

/// A page of the caller's conversations, whole: open ones, or resolved ones
/// updated within the team's retention for desktop caches.
#[utoipa::path(get, path = "/api/v1/sync/snapshot", tag = "sync", security(("bearer" = [])),
    params(SnapshotQuery),
    responses((status = 200, body = SnapshotPage),
              (status = 400, description = "a malformed query", body = switchboard_api::ErrorBody),
              (status = 401, description = "no valid token", body = switchboard_api::ErrorBody)))]
pub async fn snapshot(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<SnapshotQuery>,
) -> AppResult<Json<SnapshotPage>> {
    let part = q.part.unwrap_or(SnapshotPart::Open);
    let limit = i64::from(q.limit.unwrap_or(500).clamp(1, MAX_SNAPSHOT_PAGE));
    let after = q.after.clone().unwrap_or_default();
    let keep_days = st.desktop_cache_days;
    let cutoff = (st.store.now() - chrono::Duration::days(i64::from(keep_days))).timestamp_millis();
    let mut conn = st.store.reader().acquire().await?;
    // First: every event up to `head` is reflected in what is read next.
    let head = crate::store::newest_seq(&mut *conn).await?;
    // `$1` the caller, `$2` the cutoff (part `recent`).
    let visible = rows::visible_to(caller.is_admin());
    let in_part = match part {
        SnapshotPart::Open => "c.state <> 'resolved' AND $2 = $2",
        SnapshotPart::Recent => "c.state = 'resolved' AND c.updated_at >= $2",
    };
    let total = if q.after.is_none() {
        let n: i64 = db::query(&format!(
            "SELECT COUNT(*) FROM conversations c WHERE {in_part} AND {visible}"
        ))
        .bind(&caller.id)
        .bind(cutoff)
        .fetch_scalar(&mut *conn)
        .await?;
        Some(u64::try_from(n).unwrap_or(0))
    } else {
        None
    };
    let found = db::query(&format!(
        "SELECT {CONV_COLS} FROM {CONV_FROM} WHERE {in_part} AND {visible} AND c.id > $3 \
         ORDER BY c.id LIMIT $4"
    ))
    .bind(&caller.id)
    .bind(cutoff)
    .bind(&after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let convs = found
        .iter()
        .map(ConvRow::from_row)
        .collect::<AppResult<Vec<_>>>()?;
    let more = convs.len() as i64 == limit;
    let next_after = convs.last().map(|c| c.id.clone());
    let mut messages = messages_of(&mut *conn, convs.iter().map(|c| c.id.as_str())).await?;
    let now = st.store.now();
    let mut conversations = Vec::with_capacity(convs.len());
    for c in convs {
        let mut msgs = messages.remove(&c.id).unwrap_or_default();
        if matches!(c.channel, Channel::Email | Channel::Sms) {
            crate::outbox::attach_delivery(&mut *conn, &c.id, &mut msgs).await?;
        }
        conversations.push(Conversation {
            summary: c.summary(now),
            messages: msgs,
        });
    }
    Ok(Json(SnapshotPage {
        head,
        part,
        conversations,
        next_after,
        more,
        total,
        keep_resolved_days: keep_days,
    }))
}

/// The messages of `ids`, by conversation, each list in the order
/// `GET /conversations/{id}` gives: one query for them all.
async fn messages_of<'a>(
    conn: &mut impl db::Db,
    ids: impl Iterator<Item = &'a str>,
) -> AppResult<HashMap<String, Vec<Message>>> {
    let ids: Vec<&str> = ids.collect();
    let mut out: HashMap<String, Vec<Message>> = HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(out);
    }
    let marks = (1..=ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {MSG_COLS} FROM messages WHERE conversation_id IN ({marks}) \
         ORDER BY conversation_id, seq, created_at, id"
    );
    let mut query = db::query(&sql);
    for id in &ids {
        query = query.bind(*id);
    }
    for r in query.fetch_all(&mut *conn).await? {
        let m = rows::message_from_row(&r)?;
        out.entry(m.conversation_id.clone()).or_default().push(m);
    }
    for (conv, message_id, info) in crate::store::files::infos_of(&mut *conn, &ids).await? {
        if let Some(m) = out
            .get_mut(&conv)
            .and_then(|ms| ms.iter_mut().find(|m| m.id == message_id))
        {
            m.attachments.push(info);
        }
    }
    Ok(out)
}
