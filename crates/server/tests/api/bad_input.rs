//! Hostile and broken requests: each gets its status and the one JSON error
//! shape, and none of them takes the server down.

use reqwest::{Method, RequestBuilder};
use serde_json::json;
use switchboard_api::AgentStatus;

use crate::helpers::*;

impl TestApp {
    fn raw(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let r = self.http.request(method, self.api(path));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    fn raw_json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: impl Into<reqwest::Body>,
    ) -> RequestBuilder {
        self.raw(method, path, Some(token))
            .header("Content-Type", "application/json")
            .body(body)
    }
}

async fn send(r: RequestBuilder) -> reqwest::Response {
    r.send().await.expect("the server answers")
}

#[tokio::test]
async fn bad_input_gets_a_status_and_a_json_error() {
    let app = spawn_app().await;
    app.category("billing").await;
    let agent = app.agent("Eve", &["billing"], AgentStatus::Available).await;
    let admin = app.admin.token().to_owned();
    let conv = app.conversation_in("billing").await.summary.id;
    use Method as M;

    // Malformed JSON: 400.
    let r = send(app.raw_json(M::POST, "/categories", &admin, r#"{"name": "x""#)).await;
    expect_error_body(r, 400, "malformed_json").await;
    let r = send(app.raw_json(M::POST, "/auth/login", &admin, "not json at all")).await;
    expect_error_body(r, 400, "malformed_json").await;
    // Wrong field types: 422.
    let r = send(app.raw_json(M::POST, "/categories", &admin, r#"{"name": 5}"#)).await;
    expect_error_body(r, 422, "invalid_body").await;
    let r = send(app.raw_json(
        M::POST,
        "/conversations",
        &admin,
        json!({"customer": {"name": "x"}, "subject": ["no"], "body": "b"}).to_string(),
    ))
    .await;
    expect_error_body(r, 422, "invalid_body").await;
    let r = send(app.raw_json(
        M::PUT,
        "/me/status",
        agent.token(),
        r#"{"status": "asleep"}"#,
    ))
    .await;
    expect_error_body(r, 422, "invalid_body").await;
    // Invalid UTF-8 in the body: 400.
    let mut bytes = br#"{"name": ""#.to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, 0xc3]);
    bytes.extend_from_slice(br#""}"#);
    let r = send(app.raw_json(M::POST, "/categories", &admin, bytes)).await;
    expect_error_body(r, 400, "malformed_json").await;
    // JSON bodies over 1 MiB: 413 (with and without a declared length).
    let big = json!({
        "customer": {"name": "Big"},
        "subject": "big",
        "body": "x".repeat(1024 * 1024 + 10),
    })
    .to_string();
    let r = send(app.raw_json(M::POST, "/conversations", &admin, big.clone())).await;
    expect_error_body(r, 413, "payload_too_large").await;
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .into_bytes()
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let r = send(app.raw_json(M::POST, "/conversations", &admin, body)).await;
    expect_error_body(r, 413, "payload_too_large").await;

    // Authentication: missing, garbage, malformed, logged out: 401.
    let r = send(app.raw(M::GET, "/me", None)).await;
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    expect_error_body(r, 401, "unauthorized").await;
    let r = send(app.raw(M::GET, "/me", Some("sb_garbage-token"))).await;
    expect_error_body(r, 401, "unauthorized").await;
    let r = send(
        app.raw(M::GET, "/conversations", None)
            .header("Authorization", "Basic Zm9vOmJhcg=="),
    )
    .await;
    expect_error_body(r, 401, "unauthorized").await;
    let r = send(app.raw(M::GET, "/me", Some(&"x".repeat(5000)))).await;
    expect_error_body(r, 401, "unauthorized").await;
    let gone = app
        .client
        .login(&agent.agent.email, PASSWORD)
        .await
        .unwrap();
    gone.me().await.unwrap();
    gone.logout().await.unwrap();
    let r = send(app.raw(M::GET, "/me", Some(gone.token()))).await;
    expect_error_body(r, 401, "unauthorized").await;
    let r = send(app.raw(M::GET, "/events", Some(gone.token()))).await;
    expect_error_body(r, 401, "unauthorized").await;
    // The other session of the same agent is untouched.
    agent.me().await.unwrap();
    // Wrong password: 401 too.
    let r = send(
        app.http
            .post(app.api("/auth/login"))
            .json(&json!({"email": agent.agent.email, "password": "wrong-password"})),
    )
    .await;
    expect_error_body(r, 401, "unauthorized").await;

    // An agent on admin routes: 403.
    let t = agent.token();
    let r = send(app.raw_json(
        M::POST,
        "/agents",
        t,
        json!({"name": "Mallory", "email": "m@x.io", "password": "long-enough-pw"}).to_string(),
    ))
    .await;
    expect_error_body(r, 403, "admin_only").await;
    let r = send(app.raw_json(
        M::POST,
        "/categories",
        t,
        json!({"name": "Mine"}).to_string(),
    ))
    .await;
    expect_error_body(r, 403, "admin_only").await;
    let r = send(app.raw_json(
        M::POST,
        "/conversations",
        t,
        json!({"customer": {"name": "x"}, "subject": "s", "body": "b"}).to_string(),
    ))
    .await;
    expect_error_body(r, 403, "admin_only").await;
    let r = send(app.raw_json(
        M::PATCH,
        &format!("/agents/{}", agent.agent.id),
        t,
        json!({"role": "admin"}).to_string(),
    ))
    .await;
    expect_error_body(r, 403, "admin_only").await;
    let r = send(app.raw_json(
        M::PATCH,
        "/categories/billing",
        t,
        json!({"wait_threshold_secs": 1}).to_string(),
    ))
    .await;
    expect_error_body(r, 403, "admin_only").await;
    let r = send(app.raw_json(
        M::POST,
        &format!("/conversations/{conv}/customer_messages"),
        t,
        json!({"body": "spoofed customer"}).to_string(),
    ))
    .await;
    expect_error_body(r, 403, "admin_only").await;
    assert_eq!(agent.me().await.unwrap().role, switchboard_api::Role::Agent);

    // Unknown ids: 404.
    for (method, path, body) in [
        (
            M::GET,
            "/conversations/no-such-conversation".to_owned(),
            None,
        ),
        (
            M::POST,
            "/conversations/no-such-conversation/claim".to_owned(),
            None,
        ),
        (
            M::POST,
            "/conversations/no-such-conversation/resolve".to_owned(),
            None,
        ),
        (
            M::POST,
            "/conversations/no-such-conversation/reopen".to_owned(),
            None,
        ),
        (
            M::POST,
            "/conversations/no-such-conversation/messages".to_owned(),
            Some(json!({"body": "hi", "internal": true})),
        ),
        (
            M::POST,
            "/conversations/no-such-conversation/customer_messages".to_owned(),
            Some(json!({"body": "hi"})),
        ),
        (
            M::POST,
            "/conversations/no-such-conversation/transfer".to_owned(),
            Some(json!({"to_category_id": "billing"})),
        ),
        (
            M::PATCH,
            "/conversations/no-such-conversation".to_owned(),
            Some(json!({"category_id": "billing"})),
        ),
        (
            M::PATCH,
            "/agents/no-such-agent".to_owned(),
            Some(json!({"name": "x"})),
        ),
        (
            M::PATCH,
            "/categories/no-such-category".to_owned(),
            Some(json!({"name": "x"})),
        ),
    ] {
        let mut r = app.raw(method.clone(), &path, Some(&admin));
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = send(r).await;
        let v = expect_error_body(resp, 404, "not_found").await;
        assert!(v["error"]["message"].is_string(), "{method} {path}");
    }
    // Unknown routes: 404 in the same shape, inside and outside /api/v1.
    let r = send(app.raw(M::GET, "/no/such/route", Some(&admin))).await;
    expect_error_body(r, 404, "not_found").await;
    let r = send(app.http.get(format!("{}/definitely-not-here", app.url))).await;
    expect_error_body(r, 404, "not_found").await;
    // A known path with the wrong verb: 405, still JSON.
    let r = send(app.raw(M::DELETE, "/conversations", Some(&admin))).await;
    expect_error_body(r, 405, "method_not_allowed").await;

    // Rule violations: 422.
    let r = send(app.raw_json(
        M::POST,
        "/categories",
        &admin,
        json!({"name": "Zero", "wait_threshold_secs": 0}).to_string(),
    ))
    .await;
    expect_error_body(r, 422, "invalid_threshold").await;
    let r = send(app.raw_json(
        M::PATCH,
        "/categories/billing",
        &admin,
        json!({"wait_threshold_secs": 0}).to_string(),
    ))
    .await;
    expect_error_body(r, 422, "invalid_threshold").await;
    let r = send(app.raw_json(
        M::POST,
        "/categories",
        &admin,
        json!({"name": "Regex", "keywords": ["/([unclosed/"]}).to_string(),
    ))
    .await;
    expect_error_body(r, 422, "invalid_rule").await;
    let r = send(app.raw_json(
        M::PATCH,
        "/categories/billing",
        &admin,
        json!({"keywords": ["ok", "/a{2,1}/"]}).to_string(),
    ))
    .await;
    expect_error_body(r, 422, "invalid_rule").await;
    // The refused rule left the category as it was.
    let cats = app.admin.categories().await.unwrap();
    let billing = cats.iter().find(|c| c.id == "billing").unwrap();
    assert_eq!(billing.wait_threshold_secs, 300);
    assert!(billing.keywords.is_empty());
    assert!(!cats.iter().any(|c| c.name == "Zero" || c.name == "Regex"));

    // Transfer: exactly one target.
    agent.claim(&conv).await.unwrap();
    for body in [
        json!({"to_agent_id": app.admin.agent.id, "to_category_id": "billing", "note": "both"}),
        json!({"note": "neither"}),
        json!({}),
    ] {
        let r = send(app.raw_json(
            M::POST,
            &format!("/conversations/{conv}/transfer"),
            agent.token(),
            body.to_string(),
        ))
        .await;
        expect_error_body(r, 422, "invalid_transfer").await;
    }
    // Nothing of the refused transfers stuck (not even their notes).
    let c = agent.conversation(&conv).await.unwrap();
    assert_eq!(
        c.summary.assignee_id.as_deref(),
        Some(agent.agent.id.as_str())
    );
    assert!(!c
        .messages
        .iter()
        .any(|m| m.body == "both" || m.body == "neither"));
    let r = send(app.raw_json(
        M::POST,
        &format!("/conversations/{conv}/transfer"),
        agent.token(),
        json!({"to_category_id": "nope"}).to_string(),
    ))
    .await;
    expect_error_body(r, 422, "unknown_category").await;

    // More odd corners, each with a 4xx and the same shape.
    let r = send(app.raw(M::GET, "/conversations?view=everything", Some(&admin))).await;
    expect_error_body(r, 400, "invalid_query").await;
    let r = send(app.raw(M::GET, "/sync?since=abc", Some(&admin))).await;
    expect_error_body(r, 400, "invalid_query").await;
    let r = send(
        app.raw(M::GET, "/events", Some(&admin))
            .header("Last-Event-ID", "yesterday"),
    )
    .await;
    expect_error_body(r, 400, "invalid_last_event_id").await;
    let r = send(app.raw(
        M::GET,
        "/metrics?from=2026-03-02T10:00:00Z&to=2026-03-02T09:00:00Z",
        Some(&admin),
    ))
    .await;
    expect_error_body(r, 422, "invalid_period").await;
    // A period is at most 366 days (the work grows with it).
    let r = send(app.raw(
        M::GET,
        "/metrics?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        Some(&admin),
    ))
    .await;
    expect_error_body(r, 422, "period_too_long").await;
    let r = send(app.raw(M::GET, "/metrics?from=not-a-date", Some(&admin))).await;
    expect_error_body(r, 400, "invalid_query").await;
    let r = send(
        app.raw(M::POST, "/categories", Some(&admin))
            .body(r#"{"name":"x"}"#),
    )
    .await;
    expect_error_body(r, 400, "unsupported_media_type").await;
    let r = send(app.raw_json(
        M::POST,
        &format!("/conversations/{conv}/messages"),
        agent.token(),
        json!({"body": "   "}).to_string(),
    ))
    .await;
    expect_error_body(r, 422, "empty_body").await;
    let r = send(app.raw_json(
        M::POST,
        &format!("/conversations/{conv}/messages"),
        agent.token(),
        json!({"body": "x", "client_id": ""}).to_string(),
    ))
    .await;
    expect_error_body(r, 422, "invalid_client_id").await;
    let r = send(app.raw_json(
        M::POST,
        "/conversations",
        &admin,
        json!({"customer": {}, "subject": "s", "body": "b"}).to_string(),
    ))
    .await;
    expect_error_body(r, 422, "unknown_customer").await;
    let r = send(
        app.raw_json(
            M::POST,
            "/conversations",
            &admin,
            json!({"customer": {"name": "x"}, "subject": "s", "body": "b", "category_id": "nope"})
                .to_string(),
        ),
    )
    .await;
    expect_error_body(r, 422, "unknown_category").await;
    let r = send(app.raw_json(
        M::POST,
        "/agents",
        &admin,
        json!({"name": "Short", "email": "s@x.io", "password": "short"}).to_string(),
    ))
    .await;
    expect_error_body(r, 422, "weak_password").await;
    let r = send(
        app.raw_json(
            M::POST,
            "/agents",
            &admin,
            json!({"name": "Dup", "email": agent.agent.email, "password": "long-enough-pw"})
                .to_string(),
        ),
    )
    .await;
    expect_error_body(r, 409, "email_taken").await;
    let r = send(app.raw(M::POST, "/conversations/%ff%fe/claim", Some(&admin))).await;
    expect_error_body(r, 400, "invalid_path").await;
    let r = send(app.raw(M::POST, "/conversations/%00/claim", Some(&admin))).await;
    expect_error_body(r, 404, "not_found").await;
    let r = send(app.raw(
        M::GET,
        "/conversations/..%2F..%2Fetc%2Fpasswd",
        Some(&admin),
    ))
    .await;
    expect_error_body(r, 404, "not_found").await;
    let r = send(app.raw(
        M::POST,
        &format!("/conversations/{conv}/reopen"),
        Some(agent.token()),
    ))
    .await;
    expect_error_body(r, 409, "not_resolved").await;

    // Still standing.
    let h = app.client.health().await.unwrap();
    assert_eq!(h.status, "ok");
    agent.me().await.unwrap();
}

#[tokio::test]
async fn nul_characters_are_refused_on_every_backend_and_lose_nothing() {
    let app = spawn_app().await;
    let conv = app.conversation_in("general").await.summary.id;
    let resp = app
        .http
        .post(app.api(&format!("/conversations/{conv}/messages")))
        .bearer_auth(app.admin.token())
        .header("content-type", "application/json")
        .body(r#"{"body":"hello\u0000world","internal":true}"#)
        .send()
        .await
        .expect("send");
    expect_error_body(resp, 422, "invalid_text").await;
    let resp = app
        .http
        .get(app.api("/conversations/abc%00def"))
        .bearer_auth(app.admin.token())
        .send()
        .await
        .expect("send");
    expect_error_body(resp, 404, "not_found").await;
    // The conversation is untouched and the server keeps answering.
    let c = app.admin.conversation(&conv).await.expect("still there");
    assert_eq!(c.messages.len(), 1);
    app.admin
        .note(&conv, "a plain note still works")
        .await
        .expect("note");
}
