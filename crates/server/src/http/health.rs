//! Health: readiness (`/health`), liveness (`/health/live`) and the
//! operator's view (`/health/details`, admins).

use axum::extract::State;
use axum::Json;
use switchboard_api::{
    Health, HealthDetails, JobDetails, OutboxDetails, TimedError, WriterDetails,
};

use super::{AppState, Auth};
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::store::db;
use crate::store::Backend;

fn alive(st: &AppState) -> Health {
    Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        last_seq: st.store.hub().last_seq(),
        now: st.store.now(),
    }
}

/// Readiness: 200 when the database takes a read and a write now (checked
/// with a real round trip of each, kept for a second), else 503 with the
/// error shape. Also the server's clock, for clients to correct their skew.
#[utoipa::path(get, path = "/api/v1/health", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = switchboard_api::ErrorBody)))]
pub async fn health(State(st): State<AppState>) -> AppResult<Json<Health>> {
    st.store.ready().await.map_err(|why| {
        AppError::Unavailable(format!(
            "the database cannot be used ({why}); the server keeps trying"
        ))
    })?;
    Ok(Json(alive(&st)))
}

/// Liveness: 200 while the process answers, whatever the database does.
#[utoipa::path(get, path = "/api/v1/health/live", tag = "health",
    responses((status = 200, body = Health)))]
pub async fn live(State(st): State<AppState>) -> Json<Health> {
    Json(alive(&st))
}

/// What an operator watches (admins): the writer, each background job's
/// lease, each outbox's backlog, the IMAP poller, open event streams.
#[utoipa::path(get, path = "/api/v1/health/details", tag = "health", security(("bearer" = [])),
    responses((status = 200, body = HealthDetails), (status = 403, body = switchboard_api::ErrorBody)))]
pub async fn details(
    State(st): State<AppState>,
    Auth(caller): Auth,
) -> AppResult<Json<HealthDetails>> {
    caller.require_admin()?;
    Ok(Json(gather(&st).await))
}

/// What `/health/details` and `/metrics` show.
pub(crate) async fn gather(st: &AppState) -> HealthDetails {
    let ready = st.store.ready().await;
    let writer = st.store.writer_health();
    let writer = WriterDetails {
        queue_depth: st.store.queue_depth() as u64,
        failing: writer.failing(),
        last_error: writer
            .last_error()
            .map(|(at, message)| TimedError { at, message }),
    };
    // The database's share is read only while it answers.
    let (jobs, outboxes) = if ready.is_ok() {
        (
            jobs(st).await.unwrap_or_default(),
            outboxes(st).await.unwrap_or_default(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    HealthDetails {
        instance: st.instance.to_string(),
        ready: ready.is_ok(),
        not_ready_because: ready.err(),
        backend: match st.store.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
        .into(),
        writer,
        jobs,
        outboxes,
        imap: st.probes.imap(),
        sse_clients: st.probes.sse_clients(),
        last_seq: st.store.hub().last_seq(),
        now: st.store.now(),
    }
}

async fn jobs(st: &AppState) -> AppResult<Vec<JobDetails>> {
    let rows = db::query("SELECT name, holder, renewed_at, expires_at FROM leases ORDER BY name")
        .fetch_all(st.store.reader())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(JobDetails {
                name: r.try_get("name")?,
                holder: r.try_get("holder")?,
                last_run: r.try_get::<Option<i64>, _>("renewed_at")?.map(from_ms),
                expires_at: from_ms(r.try_get("expires_at")?),
            })
        })
        .collect()
}

async fn outboxes(st: &AppState) -> AppResult<Vec<OutboxDetails>> {
    let mut out = Vec::new();
    for (channel, table) in [("email", "email_outbox"), ("sms", "sms_outbox")] {
        // The table name is one of the two above, never input.
        let sql = format!(
            "SELECT COUNT(*), MIN(m.created_at) FROM {table} o JOIN messages m ON m.id = o.message_id \
             WHERE o.status = 'sending'"
        );
        let r = db::query(&sql).fetch_one(st.store.reader()).await?;
        out.push(OutboxDetails {
            channel: channel.into(),
            backlog: r.try_get::<i64, _>(0)?.max(0) as u64,
            oldest_since: r.try_get::<Option<i64>, _>(1)?.map(from_ms),
        });
    }
    Ok(out)
}
