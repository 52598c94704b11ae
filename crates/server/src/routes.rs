//! The whole server's HTTP surface in one place: the agents' API (`http`)
//! and every channel's routes (`channels`), assembled from one list with the
//! OpenAPI document generated from the same handlers and wire types.
//!
//! Every route is added with utoipa-axum's `routes!`, which registers a
//! handler at the path and method its `#[utoipa::path]` names and adds that
//! operation to the document: a route cannot exist without its document
//! (`cargo xtask layers` refuses a plain `.route(` in the server's sources).
//! [`errors::document`] then lists on each operation the error answers the
//! shared machinery can give (bad JSON, a missing token, a store that cannot
//! be written…), beside the ones each handler names itself.
//!
//! Every rejection (bad JSON, bad path, bad query, body too large, unknown
//! route) is rendered in the one JSON error shape of [`AppError`].

pub mod errors;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::{AppState, MAX_JSON_BODY};
use crate::channels;
use crate::error::AppError;
use crate::http::search;
use crate::http::{
    agents, auth, categories, classifier, conversations, customers, events, health, merge, metrics,
    presence, prometheus, saved_replies, snooze, tags,
};

/// Every route of the server: the API, the channels' routes (each with its
/// own body limit: email's, SMS's, the widget's — `/widget.js`,
/// `/widget/v1/…`, the agents' typing signal — and the bot's), and
/// `/api/v1/openapi.json` describing all of them.
pub fn router(state: AppState, config: &crate::Config) -> Router {
    let (router, doc) = parts(state, config);
    let body = Arc::new(serde_json::to_string(&doc).unwrap_or_else(|_| "{}".to_owned()));
    router
        .layer(Extension(OpenApiJson(body)))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        // Every request gets an `x-request-id` (a caller's own is kept), in
        // its log lines and sent back with its answer.
        .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &axum::http::Request<axum::body::Body>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    // The path only: a query could carry a cursor or a filter
                    // nobody needs in the logs.
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %req.uri().path(),
                        request_id = %id
                    )
                },
            ),
        )
        .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
            tower_http::request_id::MakeRequestUuid,
        ))
}

/// The router and its document, from one list.
fn parts(state: AppState, config: &crate::Config) -> (Router, utoipa::openapi::OpenApi) {
    let (api, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::live))
        .routes(routes!(health::details))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::set_status))
        .routes(routes!(agents::list, agents::create))
        .routes(routes!(agents::update))
        .routes(routes!(categories::list, categories::create))
        .routes(routes!(categories::update))
        .routes(routes!(conversations::list, conversations::create))
        .routes(routes!(conversations::get_one, conversations::recategorize))
        .routes(routes!(conversations::claim))
        .routes(routes!(conversations::post_message))
        .routes(routes!(conversations::customer_message))
        .routes(routes!(conversations::transfer))
        .routes(routes!(conversations::resolve))
        .routes(routes!(conversations::reopen))
        .routes(routes!(saved_replies::list, saved_replies::create))
        .routes(routes!(
            saved_replies::get_one,
            saved_replies::update,
            saved_replies::delete
        ))
        .routes(routes!(saved_replies::fill))
        .routes(routes!(customers::list))
        .routes(routes!(customers::get_one, customers::update))
        .routes(routes!(customers::add_identity))
        .routes(routes!(customers::remove_identity))
        .routes(routes!(customers::merge))
        .routes(routes!(customers::unmerge))
        .routes(routes!(tags::list, tags::create))
        .routes(routes!(tags::update, tags::delete))
        .routes(routes!(tags::add, tags::remove))
        .routes(routes!(snooze::snooze, snooze::unsnooze))
        .routes(routes!(presence::report))
        .routes(routes!(merge::merge))
        .routes(routes!(merge::unmerge))
        .routes(routes!(classifier::status))
        .routes(routes!(classifier::train))
        .routes(routes!(events::sync))
        .routes(routes!(crate::http::snapshot::snapshot))
        .routes(routes!(events::stream))
        .routes(routes!(metrics::metrics))
        .routes(routes!(search::search))
        .routes(routes!(crate::http::uploads::upload))
        .routes(routes!(crate::http::attachments::download))
        .routes(routes!(crate::http::media::media))
        .routes(routes!(prometheus::public))
        .routes(routes!(spec))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .with_state(state.clone())
        .split_for_parts();
    // The API's own answers for unknown paths and methods, in the error
    // shape; the channels' routes keep theirs (set before their layers, so
    // the widget's CORS layer still answers preflights).
    let mut router = api
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    for channel in [
        channels::email::router(state.clone(), config.email.clone()),
        channels::sms::router(state.clone(), config.sms.clone()),
        channels::widget::router(state.clone(), config.widget.clone(), config.bot.clone()),
        channels::bot::router(state.clone(), config.bot.clone()),
    ] {
        let (r, d) = channel.split_for_parts();
        router = router.merge(r);
        doc.merge(d);
    }
    errors::document(&mut doc);
    let metrics_on = config.metrics_token.is_some() || config.metrics_listen.is_some();
    if metrics_on && prometheus::install().is_some() {
        router = router.route_layer(axum::middleware::from_fn(prometheus::record));
    }
    let router = router.layer(Extension(prometheus::MetricsAccess {
        token: config.metrics_token.clone(),
    }));
    (router, doc)
}

/// The separate metrics listener's router: `/metrics` only, no token.
pub fn metrics_router(state: AppState) -> Router {
    let (router, _) = OpenApiRouter::new()
        .routes(routes!(prometheus::private))
        .with_state(state)
        .split_for_parts();
    router
}

/// The document, serialized once.
#[derive(Clone)]
struct OpenApiJson(Arc<String>);

/// This document: every route of the server, its parameters, bodies and
/// every status it can answer.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of this server", content_type = "application/json")))]
async fn spec(Extension(OpenApiJson(body)): Extension<OpenApiJson>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.as_ref().clone(),
    )
}

/// A handler panic becomes a 500 in the usual error shape (never a dropped connection).
fn on_panic(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    AppError::Internal("a request handler panicked".into()).into_response()
}

async fn not_found() -> AppError {
    AppError::NotFound("route")
}

async fn method_not_allowed() -> (StatusCode, axum::Json<switchboard_api::ErrorBody>) {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(switchboard_api::ErrorBody {
            error: switchboard_api::ErrorDetail {
                code: "method_not_allowed".into(),
                message: "this method is not allowed on this path".into(),
                conversation_id: None,
                assignee_id: None,
                retry_after_secs: None,
            },
        }),
    )
}

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // The widget's visitors: the token `POST /widget/v1/conversations` gave.
        components.add_security_scheme(
            "visitor",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document's frame: its title, the bearer scheme and the schemas no
/// operation names; the paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard API", description = "Multi-agent support inbox: queue, routing, claims, transfer, notes, metrics and live sync."),
    modifiers(&Bearer),
    components(schemas(
        switchboard_api::ErrorBody, switchboard_api::ErrorDetail, switchboard_api::Event,
        switchboard_api::View, switchboard_core::Channel, switchboard_core::ConversationState,
        switchboard_core::MessageKind, switchboard_core::AgentStatus, switchboard_core::Role,
        switchboard_core::RoutingMode,
        channels::sms::inbound::TwilioInboundForm, channels::sms::status::TwilioStatusForm,
    ))
)]
pub struct ApiDoc;
