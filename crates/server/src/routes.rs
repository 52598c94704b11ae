//! The whole server's HTTP surface in one place: the agents' API (`http`)
//! and every channel's routes (`channels`), with the OpenAPI document
//! generated from the same handlers and wire types.
//!
//! Every rejection (bad JSON, bad path, bad query, body too large, unknown
//! route) is rendered in the one JSON error shape of [`AppError`].

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app::{AppState, MAX_JSON_BODY};
use crate::channels;
use crate::error::AppError;
use crate::http::{agents, auth, categories, classifier, conversations, events, metrics};

/// Every route of the server: the API, the channels' routes (each with its
/// own body limit: email's, SMS's, the widget's — `/widget.js`,
/// `/widget/v1/…`, the agents' typing signal — and the bot's).
pub fn router(state: AppState, config: &crate::Config) -> Router {
    api_router(state.clone())
        .merge(channels::email::router(state.clone(), config.email.clone()))
        .merge(channels::sms::router(state.clone(), config.sms.clone()))
        .merge(channels::widget::router(
            state.clone(),
            config.widget.clone(),
            config.bot.clone(),
        ))
        .merge(channels::bot::router(state, config.bot.clone()))
}

/// The router of the agents' API (`/api/v1/…`).
pub fn api_router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(auth::health))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/me", get(auth::me))
        .route("/me/status", put(auth::set_status))
        .route("/agents", get(agents::list).post(agents::create))
        .route("/agents/{id}", patch(agents::update))
        .route(
            "/categories",
            get(categories::list).post(categories::create),
        )
        .route("/categories/{id}", patch(categories::update))
        .route(
            "/conversations",
            get(conversations::list).post(conversations::create),
        )
        .route(
            "/conversations/{id}",
            get(conversations::get_one).patch(conversations::recategorize),
        )
        .route("/conversations/{id}/claim", post(conversations::claim))
        .route(
            "/conversations/{id}/messages",
            post(conversations::post_message),
        )
        .route(
            "/conversations/{id}/customer_messages",
            post(conversations::customer_message),
        )
        .route(
            "/conversations/{id}/transfer",
            post(conversations::transfer),
        )
        .route("/conversations/{id}/resolve", post(conversations::resolve))
        .route("/conversations/{id}/reopen", post(conversations::reopen))
        .route("/classifier", get(classifier::status))
        .route("/classifier/train", post(classifier::train))
        .route("/sync", get(events::sync))
        .route("/events", get(events::stream))
        .route("/metrics", get(metrics::metrics))
        // Channel hook: inbound email attachments.
        .route(
            "/attachments/{id}",
            get(channels::email::attachments::download),
        )
        .route("/openapi.json", get(spec));
    Router::new()
        .nest("/api/v1", api)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
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
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard API", description = "Multi-agent support inbox: queue, routing, claims, transfer, notes, metrics and live sync."),
    modifiers(&Bearer),
    paths(
        auth::health, auth::login, auth::logout, auth::me, auth::set_status,
        agents::list, agents::create, agents::update,
        categories::list, categories::create, categories::update,
        conversations::create, conversations::list, conversations::get_one, conversations::claim,
        conversations::post_message, conversations::customer_message, conversations::transfer,
        conversations::resolve, conversations::reopen, conversations::recategorize,
        events::sync, events::stream, metrics::metrics,
        channels::email::inbound::endpoint, channels::email::attachments::download,
        channels::sms::inbound::endpoint, channels::sms::status::endpoint,
        channels::widget::typing::agent_typing,
        channels::bot::answers::list, channels::bot::answers::create,
        channels::bot::answers::update, channels::bot::answers::delete,
        channels::bot::handoff::endpoint,
        classifier::status, classifier::train,
    ),
    components(schemas(
        switchboard_api::ErrorBody, switchboard_api::ErrorDetail, switchboard_api::Event,
        switchboard_api::View, switchboard_core::Channel, switchboard_core::ConversationState,
        switchboard_core::MessageKind, switchboard_core::AgentStatus, switchboard_core::Role,
        switchboard_core::RoutingMode,
        channels::sms::inbound::TwilioInboundForm, channels::sms::status::TwilioStatusForm,
    ))
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn spec() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
