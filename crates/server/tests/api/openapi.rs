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
    ("/api/v1/uploads", "post"),
    ("/public/media/{id}", "get"),
    ("/api/v1/search", "get"),
    ("/api/v1/saved_replies", "get"),
    ("/api/v1/saved_replies", "post"),
    ("/api/v1/saved_replies/{id}", "get"),
    ("/api/v1/saved_replies/{id}", "patch"),
    ("/api/v1/saved_replies/{id}", "delete"),
    (
        "/api/v1/conversations/{id}/saved_replies/{reply_id}/fill",
        "post",
    ),
    ("/channels/email/inbound", "post"),
    ("/channels/sms/twilio", "post"),
    ("/api/v1/bot/handoff", "post"),
    ("/api/v1/openapi.json", "get"),
    // The widget's script and its visitors' API.
    ("/widget.js", "get"),
    ("/widget/v1/conversations", "post"),
    ("/widget/v1/conversation", "get"),
    ("/widget/v1/conversations/{id}", "get"),
    ("/widget/v1/messages", "post"),
    ("/widget/v1/handoff", "post"),
    ("/widget/v1/events", "get"),
    ("/widget/v1/uploads", "post"),
    ("/widget/v1/attachments/{id}", "get"),
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
        "SavedReply",
        "FilledReply",
        "SavedReplyUsage",
        "ReplyScope",
        "SearchPage",
        "SearchResult",
        "Upload",
        "AttachmentInfo",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// Hostile requests to every operation of the document (no token, a
/// visitor's token, a plain agent's and the admin's; no body, broken JSON,
/// an empty object, a body over the limit; ids that name nothing, malformed
/// query values): every status answered is one the document lists for that
/// operation, and every error comes in the error shape.
#[tokio::test]
async fn every_answer_of_every_operation_is_in_the_document() {
    let app = spawn_app().await;
    let agent = app
        .agent("pat", &["general"], switchboard_api::AgentStatus::Available)
        .await;
    let doc: Value = app
        .http
        .get(app.api("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let big = format!("{{\"body\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let bodies: [Option<&str>; 4] = [None, Some("{not json"), Some("{}"), Some(big.as_str())];
    let tokens = [
        None,
        Some("not-a-token"),
        Some(agent.token()),
        Some(app.admin.token()),
    ];
    let mut undocumented = Vec::new();
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            let documented: Vec<&str> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let ids = ["does-not-exist", "%FF%FE", &"9".repeat(300)];
            for id in ids {
                let url = format!("{}{}", app.url, path.replace("{id}", id));
                let url = if op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"))
                {
                    format!("{url}?since=abc&limit=-1&view=bogus&from=yesterday&to=1")
                } else {
                    url
                };
                for token in tokens {
                    for body in bodies {
                        let method =
                            reqwest::Method::from_bytes(verb.to_uppercase().as_bytes()).unwrap();
                        if method == reqwest::Method::GET && body.is_some() {
                            continue;
                        }
                        let mut req = app.http.request(method, &url);
                        if let Some(t) = token {
                            req = req.bearer_auth(t);
                        }
                        if let Some(b) = body {
                            req = req
                                .header("content-type", "application/json")
                                .body(b.to_owned());
                        }
                        let resp = req.send().await.unwrap();
                        tried += 1;
                        let status = resp.status();
                        let code = status.as_u16().to_string();
                        if !documented.contains(&code.as_str()) {
                            undocumented.push(format!(
                                "{} {path} answered {code} ({id}, token {}, body {})",
                                verb.to_uppercase(),
                                token.is_some(),
                                body.map_or(0, str::len)
                            ));
                        }
                        if status.is_client_error() || status.is_server_error() {
                            let text = resp.text().await.unwrap_or_default();
                            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                            assert!(
                                v["error"]["code"].is_string(),
                                "{} {path} {code}: not the error shape: {text}",
                                verb.to_uppercase()
                            );
                        }
                    }
                }
                if !path.contains("{id}") {
                    break;
                }
            }
        }
    }
    assert!(tried > 300, "only {tried} requests");
    undocumented.sort();
    undocumented.dedup();
    assert!(
        undocumented.is_empty(),
        "{} answers not in the document:\n{}",
        undocumented.len(),
        undocumented.join("\n")
    );
}
