//! The published OpenAPI document covers the whole contract.

use serde_json::Value;

use crate::helpers::*;

/// Every path and verb of the API contract in DESIGN.md.
const CONTRACT: &[(&str, &str)] = &[
    ("/api/v1/health", "get"),
    ("/api/v1/auth/login", "post"),
    ("/api/v1/auth/logout", "post"),
    ("/api/v1/me", "get"),
    ("/api/v1/me/status", "put"),
    ("/api/v1/agents", "get"),
    ("/api/v1/agents", "post"),
    ("/api/v1/agents/{id}", "patch"),
    ("/api/v1/categories", "get"),
    ("/api/v1/categories", "post"),
    ("/api/v1/categories/{id}", "patch"),
    ("/api/v1/conversations", "get"),
    ("/api/v1/conversations", "post"),
    ("/api/v1/conversations/{id}", "get"),
    ("/api/v1/conversations/{id}", "patch"),
    ("/api/v1/conversations/{id}/claim", "post"),
    ("/api/v1/conversations/{id}/messages", "post"),
    ("/api/v1/conversations/{id}/customer_messages", "post"),
    ("/api/v1/conversations/{id}/transfer", "post"),
    ("/api/v1/conversations/{id}/resolve", "post"),
    ("/api/v1/conversations/{id}/reopen", "post"),
    ("/api/v1/sync", "get"),
    ("/api/v1/events", "get"),
    ("/api/v1/metrics", "get"),
    ("/api/v1/attachments/{id}", "get"),
    ("/channels/email/inbound", "post"),
    ("/channels/sms/twilio", "post"),
    ("/api/v1/bot/handoff", "post"),
];

#[tokio::test]
async fn openapi_lists_every_path_of_the_contract() {
    let app = spawn_app().await;
    // Public, like the health check: integrators read it before they have a token.
    let resp = app.http.get(app.api("/openapi.json")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')));
    let paths = doc["paths"].as_object().expect("paths");
    let mut missing = Vec::new();
    for (path, verb) in CONTRACT {
        if paths.get(*path).and_then(|p| p.get(*verb)).is_none() {
            missing.push(format!("{} {path}", verb.to_uppercase()));
        }
    }
    assert!(missing.is_empty(), "missing from openapi.json: {missing:?}");
    // The error shape and the main wire types are described.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "ErrorBody",
        "ConversationSummary",
        "Event",
        "SyncPage",
        "Metrics",
        "Agent",
        "Category",
        "Message",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
