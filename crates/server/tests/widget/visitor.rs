//! The visitor's side: start, history, isolation, rate limits, CORS, SSE.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use switchboard_api::View;
use switchboard_server::channels::widget::WidgetConfig;

use crate::harness::*;

const WAIT: Duration = Duration::from_secs(10);

fn kinds(conv: &Value) -> Vec<String> {
    conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn without_bot_answers_a_visitor_goes_straight_to_the_queue_as_chat() {
    let app = spawn().await;
    let (token, conv) = app.visitor("Hello, is anyone there?").await;
    assert!(token.starts_with("wv_") && token.len() > 40);
    assert_eq!(conv["status"], "queued");
    assert_eq!(kinds(&conv), ["customer"]);
    let id = conv["id"].as_str().unwrap();
    let queue = app.admin.conversations(View::Queue).await.unwrap();
    let mine = queue.iter().find(|c| c.id == id).expect("in the queue");
    assert_eq!(mine.channel, switchboard_api::Channel::Chat);
    assert_eq!(mine.customer.name.as_deref(), Some("Vera Visitor"));
    // The widget is served, as JavaScript.
    let r = app
        .http
        .get(format!("{}/widget.js", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let js = r.text().await.unwrap();
    assert!(js.contains("/widget/v1/") && !js.contains("innerHTML"));
}

#[tokio::test]
async fn visitors_see_no_notes_system_lines_or_agent_emails() {
    let app = spawn().await;
    let agent = app.agent("Alice Longname").await;
    let (token, conv) = app.visitor("<img src=x onerror=alert(1)> help").await;
    let id = conv["id"].as_str().unwrap();
    agent.claim(id).await.unwrap();
    agent.note(id, "SECRET internal note").await.unwrap();
    agent.reply(id, "Hi, how can I help?").await.unwrap();
    let r = app.history(&token).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(kinds(&r.body), ["customer", "agent"]);
    assert_eq!(
        r.body["messages"][0]["body"],
        "<img src=x onerror=alert(1)> help"
    );
    assert_eq!(r.body["messages"][1]["author"], "Alice");
    assert_eq!(r.body["status"], "assigned");
    assert_eq!(r.body["agent"]["name"], "Alice");
    for leak in [
        "SECRET",
        "alice@",
        "Longname",
        "Claimed by",
        &agent.me().await.unwrap().id,
    ] {
        assert!(!r.text.contains(leak), "`{leak}` leaked: {}", r.text);
    }
    // The agents' view has all of it.
    let full = app.admin.conversation(id).await.unwrap();
    assert!(full.messages.iter().any(|m| m.body.contains("SECRET")));
}

#[tokio::test]
async fn a_visitor_cannot_reach_another_visitors_conversation() {
    let app = spawn().await;
    let (a, _) = app.visitor("I am A").await;
    let (b, conv_b) = app.visitor("I am B, my address is 1 Secret Lane").await;
    let b_id = conv_b["id"].as_str().unwrap();
    let r = app
        .call(
            Method::GET,
            &format!("/widget/v1/conversations/{b_id}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(!r.text.contains("Secret Lane"));
    let own = app
        .call(
            Method::GET,
            &format!("/widget/v1/conversations/{b_id}"),
            Some(&b),
            None,
        )
        .await;
    assert_eq!(own.status, 200);
    // A's token reads A's conversation only.
    let mine = app.history(&a).await;
    assert_eq!(mine.body["messages"][0]["body"], "I am A");
    // No token, a wrong token, an agent's token: 401.
    assert_eq!(
        app.call(Method::GET, "/widget/v1/conversation", None, None)
            .await
            .status,
        401
    );
    assert_eq!(app.history("wv_not-a-real-token").await.status, 401);
    assert_eq!(app.history(app.admin.token()).await.status, 401);
    // A visitor token is no agent token.
    let r = app
        .call(
            Method::GET,
            "/api/v1/conversations?view=all",
            Some(&a),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    // The token is stored hashed, never as given.
    let r = app
        .call(
            Method::GET,
            "/api/v1/sync?since=0",
            Some(app.admin.token()),
            None,
        )
        .await;
    assert!(!r.text.contains(&a));
}

#[tokio::test]
async fn messages_and_starts_are_rate_limited_with_retry_after() {
    let app = spawn_with(Setup {
        widget: WidgetConfig {
            starts_per_hour: 2,
            messages_per_minute: 3,
            ..WidgetConfig::default()
        },
        ..Setup::default()
    })
    .await;
    let (token, _) = app.visitor("one").await;
    for i in 0..3 {
        let r = app.say(&token, &format!("message {i}")).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = app.say(&token, "one too many").await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "rate_limited");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Nothing was stored for the refused message.
    let h = app.history(&token).await;
    assert!(!h.text.contains("one too many"));
    // Starts per address: the second passes, the third is refused.
    app.visitor("two").await;
    let r = app
        .call(
            Method::POST,
            "/widget/v1/conversations",
            None,
            Some(json!({"message": "three"})),
        )
        .await;
    assert_eq!(r.status, 429);
    assert!(r.headers.contains_key("retry-after"));
    // Bad tokens are limited per address too.
    let mut last = 0;
    for _ in 0..31 {
        last = app.history("wv_guess").await.status;
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn bad_visitor_input_gets_clear_errors() {
    let app = spawn().await;
    let r = app
        .call(
            Method::POST,
            "/widget/v1/conversations",
            None,
            Some(json!({"message": "   "})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (422, Some("empty_body"))
    );
    let r = app
        .call(
            Method::POST,
            "/widget/v1/conversations",
            None,
            Some(json!({"message": "x".repeat(10_001)})),
        )
        .await;
    assert_eq!(r.status, 422);
    let (token, _) = app.visitor("hello").await;
    // The same client_id twice is one message.
    let body = json!({"body": "only once", "client_id": "c-1"});
    let first = app
        .call(
            Method::POST,
            "/widget/v1/messages",
            Some(&token),
            Some(body.clone()),
        )
        .await;
    let again = app
        .call(
            Method::POST,
            "/widget/v1/messages",
            Some(&token),
            Some(body),
        )
        .await;
    assert_eq!((first.status, again.status), (201, 200));
    assert_eq!(first.body["message"]["id"], again.body["message"]["id"]);
    let h = app.history(&token).await;
    assert_eq!(h.text.matches("only once").count(), 1);
}

#[tokio::test]
async fn cors_preflight_and_allowed_origins() {
    let app = spawn_with(Setup {
        widget: WidgetConfig {
            allowed_origins: Some(vec!["https://shop.example".into()]),
            starts_per_hour: 100,
            messages_per_minute: 100,
            ..WidgetConfig::default()
        },
        ..Setup::default()
    })
    .await;
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, format!("{}/widget/v1/messages", app.url))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type",
            )
            .send()
    };
    let ok = preflight("https://shop.example").await.unwrap();
    assert!(ok.status().is_success());
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let allow = ok.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allow.contains("authorization") && allow.contains("content-type"));
    let other = preflight("https://evil.example").await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
    // A request from an origin not allowed is refused outright.
    let r = app
        .http
        .post(format!("{}/widget/v1/conversations", app.url))
        .header("Origin", "https://evil.example")
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = app
        .http
        .post(format!("{}/widget/v1/conversations", app.url))
        .header("Origin", "https://shop.example")
        .json(&json!({"message": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    // The agent API sends no CORS headers.
    let r = app
        .http
        .get(format!("{}/api/v1/me", app.url))
        .header("Origin", "https://shop.example")
        .bearer_auth(app.admin.token())
        .send()
        .await
        .unwrap();
    assert!(!r.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn replies_typing_and_joins_arrive_live_and_the_stream_resumes() {
    let app = spawn().await;
    let agent = app.agent("Bob Builder").await;
    let other = app.agent("Carol Other").await;
    let (token, conv) = app.visitor("Where is my order?").await;
    let id = conv["id"].as_str().unwrap().to_owned();
    // Someone else's conversation, to check nothing of it reaches this visitor.
    let (_t2, conv2) = app.visitor("Unrelated visitor").await;
    let id2 = conv2["id"].as_str().unwrap().to_owned();

    let mut sse = app
        .stream(&token, Some(conv["last_seq"].as_i64().unwrap()))
        .await;
    agent.claim(&id).await.unwrap();
    let (joined, _) = sse.until(WAIT, |f| f.data["type"] == "status").await;
    assert_eq!(joined.data["status"], "assigned");
    assert_eq!(joined.data["agent"]["name"], "Bob");
    other.claim(&id2).await.unwrap();
    other.reply(&id2, "not for you").await.unwrap();
    agent
        .note(&id, "internal: check the warehouse")
        .await
        .unwrap();
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{id}/typing"),
            Some(agent.token()),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let (typing, _) = sse.until(WAIT, |f| f.data["type"] == "typing").await;
    assert_eq!(typing.data["agent"]["name"], "Bob");
    assert!(typing.id.is_none(), "typing is not logged");
    agent.reply(&id, "It ships today.").await.unwrap();
    let (reply, skipped) = sse.until(WAIT, |f| f.data["type"] == "message").await;
    assert_eq!(reply.data["message"]["body"], "It ships today.");
    assert_eq!(reply.data["message"]["author"], "Bob");
    let last_id = reply.id.expect("message frames carry the seq");
    for f in &skipped {
        let text = f.data.to_string();
        assert!(
            !text.contains("warehouse") && !text.contains("not for you"),
            "{text}"
        );
    }
    // Only the assignee may signal typing.
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{id}/typing"),
            Some(other.token()),
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    drop(sse);

    // While disconnected: a note and a reply. Resuming delivers the reply
    // once, nothing from before the cursor, never the note.
    agent.note(&id, "second internal note").await.unwrap();
    agent.reply(&id, "Tracking number 123.").await.unwrap();
    let mut again = app.stream(&token, Some(last_id)).await;
    let (resumed, before) = again.until(WAIT, |f| f.data["type"] == "message").await;
    assert_eq!(resumed.data["message"]["body"], "Tracking number 123.");
    assert!(resumed.id.unwrap() > last_id);
    assert!(before
        .iter()
        .all(|f| !f.data.to_string().contains("internal")));
    assert!(
        again.next(Duration::from_millis(300)).await.is_none(),
        "nothing else to replay"
    );
    // A visitor message shows up on the stream too (other tabs see it).
    app.say(&token, "Thanks!").await;
    let (mine, _) = again.until(WAIT, |f| f.data["type"] == "message").await;
    assert_eq!(mine.data["message"]["kind"], "customer");
    assert!(mine.data["message"]["author"].is_null());
}

/// New conversations from the whole site are capped per minute besides the
/// cap per address: a flood from many addresses cannot fill the queue.
#[tokio::test]
async fn starts_are_capped_site_wide_whatever_the_addresses() {
    let app = switchboard_testkit::spawn_with(|c| {
        c.widget = WidgetConfig {
            starts_per_hour: 1000,
            starts_per_minute: 3,
            ..WidgetConfig::default()
        };
        // The test plays a proxy that says where each request came from.
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("address")];
    })
    .await;
    let mut statuses = Vec::new();
    for i in 1..=5 {
        let r = app
            .http
            .post(format!("{}/widget/v1/conversations", app.url))
            .header("X-Forwarded-For", format!("203.0.113.{i}"))
            .json(&json!({"message": format!("hello {i}")}))
            .send()
            .await
            .expect("start");
        statuses.push(r.status().as_u16());
    }
    assert_eq!(
        statuses,
        [201, 201, 201, 429, 429],
        "three a minute from the site"
    );
}

/// A visitor token stops working after the configured days without a
/// message in its conversation from either side; activity keeps it alive.
#[tokio::test]
async fn a_visitor_token_expires_after_the_idle_period() {
    let app = spawn_with(Setup {
        widget: WidgetConfig {
            starts_per_hour: 1000,
            messages_per_minute: 1000,
            visitor_idle_days: 2,
            ..WidgetConfig::default()
        },
        ..Setup::default()
    })
    .await;
    let (token, _) = app.visitor("hello").await;
    app.advance(36 * 3600);
    assert_eq!(
        app.history(&token).await.status,
        200,
        "a day and a half: still on"
    );
    assert_eq!(app.say(&token, "still there?").await.status, 201);
    app.advance(36 * 3600);
    assert_eq!(
        app.history(&token).await.status,
        200,
        "the message kept it alive"
    );
    app.advance(49 * 3600);
    let r = app.history(&token).await;
    assert_eq!(r.status, 401, "idle for more than two days: {}", r.text);
    assert!(r.text.contains("idle"), "{}", r.text);
}
