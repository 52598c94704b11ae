//! The OpenAPI document, generated from the handlers and wire types.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{agents, auth, categories, classifier, conversations, events, metrics};

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
        crate::channels::email::inbound::endpoint, crate::channels::email::attachments::download,
        crate::channels::sms::inbound::endpoint, crate::channels::sms::status::endpoint,
        crate::channels::widget::typing::agent_typing,
        crate::channels::bot::answers::list, crate::channels::bot::answers::create,
        crate::channels::bot::answers::update, crate::channels::bot::answers::delete,
        crate::channels::bot::handoff::endpoint,
        classifier::status, classifier::train,
    ),
    components(schemas(
        switchboard_api::ErrorBody, switchboard_api::ErrorDetail, switchboard_api::Event,
        switchboard_api::View, switchboard_core::Channel, switchboard_core::ConversationState,
        switchboard_core::MessageKind, switchboard_core::AgentStatus, switchboard_core::Role,
        switchboard_core::RoutingMode,
        crate::channels::sms::inbound::TwilioInboundForm, crate::channels::sms::status::TwilioStatusForm,
    ))
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn spec() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
