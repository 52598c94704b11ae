//! `GET /metrics` for operators' monitoring, in Prometheus' text format:
//! requests and their latency per route, and the figures of
//! `/api/v1/health/details` (writer queue, outbox backlog, open streams, the
//! jobs' last runs).
//!
//! Off unless configured: with `metrics_token` it is served on the public
//! listener to a request bearing that token; with `metrics_listen` on a
//! separate address (for a private network) to anyone who reaches it.
//! Without either, `/metrics` answers 404 and nothing is recorded.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;
use crate::error::AppError;

/// Latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same).
/// `None` if another recorder was installed first.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    BUCKETS,
                )
                .and_then(|b| b.install_recorder());
            match built {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics cannot be recorded");
                    None
                }
            }
        })
        .clone()
}

/// Counts each request and its latency under its route's pattern (never the
/// raw path: ids would make every conversation a series of its own).
pub async fn record(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Who may read `/metrics` on the public listener.
#[derive(Clone, Default)]
pub struct MetricsAccess {
    /// The bearer token it takes; none: off on the public listener.
    pub token: Option<String>,
}

/// The metrics (`Authorization: Bearer <metrics_token>`, a token of its own,
/// not an agent's).
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain; version=0.0.4", body = String),
        (status = 401, description = "`unauthorized`: missing or wrong metrics token", body = switchboard_api::ErrorBody),
        (status = 404, description = "`not_found`: metrics are not configured on this listener", body = switchboard_api::ErrorBody),
    ))]
pub async fn public(
    State(st): State<AppState>,
    axum::Extension(access): axum::Extension<MetricsAccess>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = access.token else {
        return AppError::NotFound("route").into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        token.as_bytes(),
    )) {
        return AppError::Unauthorized("a valid metrics token is required").into_response();
    }
    render(&st).await
}

/// The metrics, on the separate metrics listener (no token).
#[utoipa::path(get, path = "/metrics", tag = "health",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain; version=0.0.4", body = String)))]
pub async fn private(State(st): State<AppState>) -> Response {
    render(&st).await
}

async fn render(st: &AppState) -> Response {
    let Some(handle) = install() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics cannot be recorded in this process\n",
        )
            .into_response();
    };
    let details = super::health::gather(st).await;
    let gauge = |name: &'static str, v: f64| metrics::gauge!(name).set(v);
    gauge("switchboard_ready", f64::from(u8::from(details.ready)));
    gauge(
        "switchboard_writer_queue_depth",
        details.writer.queue_depth as f64,
    );
    gauge(
        "switchboard_writer_failing",
        f64::from(u8::from(details.writer.failing)),
    );
    gauge("switchboard_sse_clients", details.sse_clients as f64);
    gauge("switchboard_last_event_seq", details.last_seq as f64);
    let now = details.now;
    for o in &details.outboxes {
        metrics::gauge!("switchboard_outbox_backlog", "channel" => o.channel.clone())
            .set(o.backlog as f64);
        let oldest = o
            .oldest_since
            .map(|t| (now - t).num_milliseconds() as f64 / 1000.0)
            .unwrap_or(0.0);
        metrics::gauge!("switchboard_outbox_oldest_seconds", "channel" => o.channel.clone())
            .set(oldest);
    }
    for j in &details.jobs {
        if let Some(t) = j.last_run {
            metrics::gauge!("switchboard_job_last_run_timestamp_seconds", "job" => j.name.clone())
                .set(t.timestamp_millis() as f64 / 1000.0);
        }
    }
    if let Some(t) = details.imap.as_ref().and_then(|i| i.last_success) {
        gauge(
            "switchboard_imap_last_success_timestamp_seconds",
            t.timestamp_millis() as f64 / 1000.0,
        );
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}
