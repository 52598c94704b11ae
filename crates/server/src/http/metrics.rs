//! Metrics over a period, by the definitions in DESIGN.md.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::Json;
use chrono::Duration;
use switchboard_api::{
    AgentMetrics, FirstResponseMetrics, Metrics, MetricsQuery, QueueMetrics, TagMetrics,
};
use switchboard_core::metrics::{average, first_response_secs, resolution_rate, summarize};
use switchboard_core::waiting::waited_secs;

use super::{ApiQuery, AppState, Auth};
use crate::caller::Caller;
use crate::clock::from_ms;
use crate::error::{AppError, AppResult};
use crate::ops::saved_replies;
use crate::rows::{self, CONV_FROM};
use crate::store::db::{self, Db, Row};

/// The longest period one request may ask for: the work is linear in it.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// Queue now; first response time, per-agent conversations, resolution rate,
/// claim fairness, saved replies' use and tags over `[from, to)` (default: the
/// last 24 hours; at most [`MAX_PERIOD_DAYS`]).
/// Admins see every agent; agents see the queue they work and their own row.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics", security(("bearer" = [])), params(MetricsQuery),
    responses((status = 200, body = Metrics)))]
pub async fn metrics(
    State(st): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<MetricsQuery>,
) -> AppResult<Json<Metrics>> {
    let now = st.store.now();
    let to = q.to.unwrap_or(now);
    let from = q.from.unwrap_or(to - Duration::hours(24));
    if to - from > Duration::days(MAX_PERIOD_DAYS) {
        return Err(AppError::invalid(
            "period_too_long",
            format!("a period is at most {MAX_PERIOD_DAYS} days: ask for several and add them up"),
        ));
    }
    if from >= to {
        return Err(AppError::invalid(
            "invalid_period",
            "`from` must be before `to`",
        ));
    }
    let (f, t) = (from.timestamp_millis(), to.timestamp_millis());
    // The default period ends now and includes it: what happened this very
    // millisecond belongs to "the last 24 hours" (an explicit `to` is exclusive).
    let t = if q.to.is_none() { t + 1 } else { t };
    let mut conn = st.store.reader().acquire().await?;

    // The queue now, as the caller sees it.
    let visible = if caller.is_admin() {
        "($1 = $1)"
    } else {
        "(c.category_id IN (SELECT category_id FROM agent_categories WHERE agent_id = $1))"
    };
    let sql = format!(
        "SELECT COUNT(*) AS waiting, \
         CAST(COALESCE(SUM(CASE WHEN c.queued_at + COALESCE(k.wait_threshold_secs, 300) * 1000 < $2 THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue, \
         MIN(c.queued_at) AS oldest \
         FROM {CONV_FROM} WHERE c.state = 'queued' AND {visible}"
    );
    let q = db::query(&sql)
        .bind(&caller.id)
        .bind(now.timestamp_millis())
        .fetch_one(&mut *conn)
        .await?;
    let oldest: Option<i64> = q.try_get("oldest")?;
    let queue = QueueMetrics {
        waiting: q.try_get::<i64, _>("waiting")?.max(0) as u64,
        overdue: q.try_get::<i64, _>("overdue")?.max(0) as u64,
        oldest_wait_secs: waited_secs(oldest.map(crate::clock::from_ms), now),
    };

    // First responses in the period, credited to the agent who gave them.
    let frs = db::query(
        "SELECT first_response_agent_id, first_customer_at, handed_off_at, first_response_at FROM conversations \
         WHERE first_response_at >= $1 AND first_response_at < $2",
    )
    .bind(f)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    let mut all_fr = Vec::with_capacity(frs.len());
    let mut fr_by_agent: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in &frs {
        // Chatbot conversations count from the hand-off (switchboard-core).
        let secs = first_response_secs(
            from_ms(r.try_get("first_customer_at")?),
            r.try_get::<Option<i64>, _>("handed_off_at")?.map(from_ms),
            from_ms(r.try_get("first_response_at")?),
        );
        all_fr.push(secs);
        if let Some(a) = r.try_get::<Option<String>, _>("first_response_agent_id")? {
            fr_by_agent.entry(a).or_default().push(secs);
        }
    }
    let s = summarize(&all_fr);
    let first_response = FirstResponseMetrics {
        count: s.count,
        avg_secs: s.avg,
        median_secs: s.median,
        p90_secs: s.p90,
    };

    let count_by_agent = |rows: Vec<Row>| -> AppResult<BTreeMap<String, i64>> {
        let mut m = BTreeMap::new();
        for r in &rows {
            m.insert(
                r.try_get::<String, _>("agent_id")?,
                r.try_get::<i64, _>("n")?,
            );
        }
        Ok(m)
    };
    let assigned = count_by_agent(
        db::query(
            "SELECT agent_id, COUNT(DISTINCT conversation_id) AS n FROM assignments WHERE at >= $1 AND at < $2 GROUP BY agent_id",
        )
        .bind(f)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?,
    )?;
    let resolved = count_by_agent(
        db::query(
            "SELECT agent_id, COUNT(DISTINCT conversation_id) AS n FROM resolutions \
             WHERE at >= $1 AND at < $2 AND agent_id IS NOT NULL GROUP BY agent_id",
        )
        .bind(f)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?,
    )?;
    let claim_rows = db::query(
        "SELECT agent_id, COUNT(*) AS n, CAST(SUM(waited_secs) AS BIGINT) AS waited, CAST(SUM(skipped_older) AS BIGINT) AS skipped \
         FROM claims WHERE at >= $1 AND at < $2 GROUP BY agent_id",
    )
    .bind(f)
    .bind(t)
    .fetch_all(&mut *conn)
    .await?;
    let mut claims: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for r in &claim_rows {
        claims.insert(
            r.try_get("agent_id")?,
            (r.try_get("n")?, r.try_get("waited")?, r.try_get("skipped")?),
        );
    }
    let agent_ids: Vec<String> = db::query("SELECT id FROM agents ORDER BY name, id")
        .fetch_all_scalar(&mut *conn)
        .await?;
    let mut agents = Vec::new();
    for id in agent_ids {
        if !caller.is_admin() && id != caller.id {
            continue;
        }
        let conversations = assigned.get(&id).copied().unwrap_or(0).max(0) as u64;
        let done = resolved.get(&id).copied().unwrap_or(0).max(0) as u64;
        let (n_claims, waited, skipped) = claims.get(&id).copied().unwrap_or((0, 0, 0));
        agents.push(AgentMetrics {
            avg_first_response_secs: fr_by_agent.get(&id).and_then(|v| average(v)),
            agent_id: id,
            conversations,
            resolved: done,
            resolution_rate: resolution_rate(done, conversations),
            claims: n_claims.max(0) as u64,
            avg_claim_wait_secs: if n_claims > 0 {
                Some(waited as f64 / n_claims as f64)
            } else {
                None
            },
            skipped_older: skipped.max(0) as u64,
        });
    }
    // Which saved replies were used: the team's, and the caller's own.
    let saved_replies = saved_replies::usage(&mut *conn, &caller, f, t).await?;
    let tags = tag_counts(&mut *conn, &caller, f, t).await?;
    Ok(Json(Metrics {
        from,
        to,
        queue,
        first_response,
        agents,
        saved_replies,
        tags,
    }))
}

/// Per tag, the conversations that arrived in `[f, t)` and carry it (those
/// the caller may see), and how many of them are resolved; most first.
async fn tag_counts(
    conn: &mut impl Db,
    caller: &Caller,
    f: i64,
    t: i64,
) -> AppResult<Vec<TagMetrics>> {
    let visible = rows::visible_to(caller.is_admin());
    let sql = format!(
        "SELECT g.tag_id, COUNT(*) AS n, \
         CAST(COALESCE(SUM(CASE WHEN c.state = 'resolved' THEN 1 ELSE 0 END), 0) AS BIGINT) AS resolved \
         FROM conversation_tags g JOIN conversations c ON c.id = g.conversation_id \
         WHERE c.created_at >= $2 AND c.created_at < $3 AND {visible} \
         GROUP BY g.tag_id ORDER BY n DESC, g.tag_id"
    );
    db::query(&sql)
        .bind(&caller.id)
        .bind(f)
        .bind(t)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(TagMetrics {
                tag_id: r.try_get("tag_id")?,
                conversations: r.try_get::<i64, _>("n")?.max(0) as u64,
                resolved: r.try_get::<i64, _>("resolved")?.max(0) as u64,
            })
        })
        .collect()
}
