//! `PUT /api/v1/presence`: what a desktop shows now, fanned out over the
//! event stream to those who may see that conversation (never logged).

use axum::extract::State;
use axum::Json;
use switchboard_api::{ErrorBody, Presence, PresenceReport};

use super::{ApiJson, AppState, Auth};
use crate::error::{AppError, AppResult};
use crate::rows;
use crate::store::db;
use crate::store::presence::{PresenceNote, PRESENCE_CHANNEL};
use crate::store::Backend;

/// Reports the conversation this client shows and what its agent writes in
/// it. Followers of the event stream who may see the conversation receive
/// it as an `event: presence` frame; others learn only that the agent is
/// elsewhere. It holds until `expires_at` (15 s): clients repeat it every
/// 5 s, and a client that goes away disappears when it runs out.
#[utoipa::path(put, path = "/api/v1/presence", tag = "sync", security(("bearer" = [])),
    request_body = PresenceReport,
    responses((status = 200, body = Presence), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn report(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiJson(req): ApiJson<PresenceReport>,
) -> AppResult<Json<Presence>> {
    if req.composing.is_some() && req.conversation_id.is_none() {
        return Err(AppError::invalid(
            "invalid_presence",
            "composing needs the conversation it is written in",
        ));
    }
    let mut conn = st.store.reader().acquire().await?;
    let (category_id, assignee_id) = match &req.conversation_id {
        Some(id) => {
            let conv = rows::conversation(&mut *conn, id)
                .await?
                .filter(|c| caller.viewer().can_view(c.scope()))
                .ok_or(AppError::NotFound("conversation"))?;
            (conv.category_id, conv.assignee_id)
        }
        None => (None, None),
    };
    let frame = Presence {
        agent_id: caller.id.clone(),
        agent_name: caller.name.clone(),
        conversation_id: req.conversation_id,
        composing: req.composing,
        expires_at: switchboard_core::presence::expires_at(st.store.now()),
    };
    let note = PresenceNote {
        frame: frame.clone(),
        category_id,
        assignee_id,
    };
    match st.store.backend() {
        // Every instance hears it, this one included.
        Backend::Postgres => {
            db::query("SELECT pg_notify($1, $2)")
                .bind(PRESENCE_CHANNEL)
                .bind(serde_json::to_string(&note)?)
                .execute(&mut *conn)
                .await?;
        }
        Backend::Sqlite => st.store.hub().presence().publish(note),
    }
    Ok(Json(frame))
}
