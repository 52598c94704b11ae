//! Texts in: `POST /channels/sms/twilio` over HTTP against a real server.

use switchboard_api::{Channel, ConversationState, MessageKind, NewCategory};
use switchboard_server::channels::sms::SmsConfig;

use crate::harness::*;

#[test]
fn the_test_signer_matches_twilios_documented_example() {
    // Twilio's "Validating Requests are coming from Twilio" worked example.
    let params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ];
    assert_eq!(
        twilio_signature(
            "12345",
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            &params
        ),
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    );
}

#[tokio::test]
async fn a_signed_text_starts_an_auto_categorized_sms_conversation() {
    let app = spawn(sms_config("http://127.0.0.1:9")).await;
    app.admin
        .create_category(&NewCategory {
            name: "Billing".into(),
            id: Some("billing".into()),
            routing: None,
            wait_threshold_secs: None,
            keywords: vec!["refund".into(), "invoice".into()],
        })
        .await
        .expect("category");
    app.deliver(
        "SM00000000000000000000000000000001",
        "+14155550100",
        "I want a refund for order 12 <b>now</b>",
    )
    .await;
    let all = app.all().await;
    assert_eq!(all.len(), 1);
    let s = &all[0];
    assert_eq!(s.channel, Channel::Sms);
    assert_eq!(s.customer.phone.as_deref(), Some("+14155550100"));
    assert_eq!(
        s.category_id.as_deref(),
        Some("billing"),
        "auto-categorized"
    );
    assert_eq!(s.state, ConversationState::Queued);
    let c = app.conversation(&s.id).await;
    assert_eq!(c.messages.len(), 1);
    assert_eq!(c.messages[0].kind, MessageKind::Customer);
    // Stored as sent: plain text, never interpreted.
    assert_eq!(
        c.messages[0].body,
        "I want a refund for order 12 <b>now</b>"
    );
    app.stop().await;
}

#[tokio::test]
async fn missing_or_wrong_signatures_are_refused_and_create_nothing() {
    let app = spawn(sms_config("http://127.0.0.1:9")).await;
    let params = text(
        "SM00000000000000000000000000000002",
        "+14155550101",
        "hello",
    );
    let check = |resp: reqwest::Response| async move {
        assert_eq!(resp.status().as_u16(), 403);
        let body: serde_json::Value = resp.json().await.expect("json error");
        assert_eq!(body["error"]["code"], "invalid_signature");
    };
    // No header.
    check(app.post_form("/channels/sms/twilio", &params, None).await).await;
    // Signed with another token.
    let other = twilio_signature(
        "not-the-token",
        &format!("{PUBLIC_URL}/channels/sms/twilio"),
        &params,
    );
    check(
        app.post_form("/channels/sms/twilio", &params, Some(&other))
            .await,
    )
    .await;
    // Signed over the address the request was sent to (the Host header),
    // not the configured public URL.
    let by_host = twilio_signature(
        AUTH_TOKEN,
        &format!("{}/channels/sms/twilio", app.url),
        &params,
    );
    check(
        app.post_form("/channels/sms/twilio", &params, Some(&by_host))
            .await,
    )
    .await;
    // A good signature over other parameters (the body was tampered with).
    let good = twilio_signature(
        AUTH_TOKEN,
        &format!("{PUBLIC_URL}/channels/sms/twilio"),
        &params,
    );
    let mut tampered = params.clone();
    tampered.retain(|(k, _)| *k != "Body");
    tampered.push(("Body", "send me everything"));
    check(
        app.post_form("/channels/sms/twilio", &tampered, Some(&good))
            .await,
    )
    .await;
    // An extra parameter is tampering too.
    let mut extra = params.clone();
    extra.push(("Extra", "1"));
    check(
        app.post_form("/channels/sms/twilio", &extra, Some(&good))
            .await,
    )
    .await;
    // Garbage.
    check(
        app.post_form("/channels/sms/twilio", &params, Some("%%%"))
            .await,
    )
    .await;
    assert!(app.all().await.is_empty(), "nothing was created");
    // The untampered request with that signature goes through.
    let resp = app
        .post_form("/channels/sms/twilio", &params, Some(&good))
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(app.all().await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_same_message_sid_twice_is_one_message() {
    let app = spawn(sms_config("http://127.0.0.1:9")).await;
    let sid = "SM00000000000000000000000000000003";
    app.deliver(sid, "+14155550102", "first").await;
    app.deliver(sid, "+14155550102", "first").await;
    let all = app.all().await;
    assert_eq!(all.len(), 1);
    let c = app.conversation(&all[0].id).await;
    assert_eq!(
        c.messages
            .iter()
            .filter(|m| m.kind == MessageKind::Customer)
            .count(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn texts_from_one_number_join_its_open_conversation() {
    let app = spawn(sms_config("http://127.0.0.1:9")).await;
    app.deliver(
        "SM00000000000000000000000000000004",
        "+14155550103",
        "hi, my router is down",
    )
    .await;
    app.deliver(
        "SM00000000000000000000000000000005",
        "+14155550103",
        "the light is red",
    )
    .await;
    app.deliver(
        "SM00000000000000000000000000000006",
        "+14155550999",
        "someone else",
    )
    .await;
    let all = app.all().await;
    assert_eq!(all.len(), 2, "one conversation per number");
    let mine = all
        .iter()
        .find(|c| c.customer.phone.as_deref() == Some("+14155550103"))
        .expect("the first number's conversation");
    let c = app.conversation(&mine.id).await;
    let bodies: Vec<&str> = c
        .messages
        .iter()
        .filter(|m| m.kind == MessageKind::Customer)
        .map(|m| m.body.as_str())
        .collect();
    assert_eq!(bodies, ["hi, my router is down", "the light is red"]);
    app.stop().await;
}

#[tokio::test]
async fn a_text_on_a_resolved_conversation_reopens_it_to_its_agent() {
    let app = spawn(sms_config("http://127.0.0.1:9")).await;
    let agent = app.agent("Sam").await;
    app.deliver(
        "SM00000000000000000000000000000007",
        "+14155550104",
        "can't log in",
    )
    .await;
    let id = app.all().await[0].id.clone();
    agent.claim(&id).await.expect("claim");
    agent.resolve(&id).await.expect("resolve");
    assert_eq!(
        app.conversation(&id).await.summary.state,
        ConversationState::Resolved
    );
    app.deliver(
        "SM00000000000000000000000000000008",
        "+14155550104",
        "it broke again",
    )
    .await;
    let all = app.all().await;
    assert_eq!(all.len(), 1, "no new conversation");
    let c = app.conversation(&id).await;
    assert_eq!(c.summary.state, ConversationState::Assigned);
    assert_eq!(
        c.summary.assignee_id.as_deref(),
        Some(agent.me().await.unwrap().id.as_str())
    );
    assert!(c
        .messages
        .iter()
        .any(|m| m.kind == MessageKind::System && m.body.starts_with("Reopened")));
    assert_eq!(
        c.messages
            .iter()
            .filter(|m| m.kind == MessageKind::Customer)
            .count(),
        2
    );
    // With its agent offline, the next reopen goes to the queue.
    agent.resolve(&id).await.expect("resolve again");
    agent
        .set_status(switchboard_api::AgentStatus::Offline)
        .await
        .expect("offline");
    app.deliver(
        "SM00000000000000000000000000000009",
        "+14155550104",
        "hello?",
    )
    .await;
    let c = app.conversation(&id).await;
    assert_eq!(c.summary.state, ConversationState::Queued);
    assert_eq!(app.all().await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn media_are_kept_as_links_in_the_text() {
    let app = spawn(sms_config("http://127.0.0.1:9")).await;
    let sid = "MM00000000000000000000000000000010";
    let url0 = format!(
        "https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media/ME1"
    );
    let mut params = text(sid, "+14155550105", "see photo");
    params.retain(|(k, _)| *k != "NumMedia");
    params.push(("NumMedia", "1"));
    params.push(("MediaUrl0", &url0));
    params.push(("MediaContentType0", "image/jpeg"));
    let resp = app.post_signed("/channels/sms/twilio", &params).await;
    assert_eq!(resp.status().as_u16(), 200);
    let id = app.all().await[0].id.clone();
    let c = app.conversation(&id).await;
    assert_eq!(
        c.messages[0].body,
        format!("see photo\n\n[Media: image/jpeg {url0}]")
    );
    app.stop().await;
}

#[tokio::test]
async fn missing_and_malformed_fields_get_clear_errors_and_create_nothing() {
    let app = spawn(sms_config("http://127.0.0.1:9")).await;
    let expect = |resp: reqwest::Response,
                  status: u16,
                  code: &'static str,
                  mention: &'static str| async move {
        assert_eq!(resp.status().as_u16(), status);
        let body: serde_json::Value = resp.json().await.expect("json error");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(mention),
            "{body}"
        );
    };
    let no_sid = [("From", "+14155550106"), ("Body", "hi")];
    expect(
        app.post_signed("/channels/sms/twilio", &no_sid).await,
        422,
        "missing_field",
        "MessageSid",
    )
    .await;
    let no_from = [
        ("MessageSid", "SM00000000000000000000000000000011"),
        ("Body", "hi"),
    ];
    expect(
        app.post_signed("/channels/sms/twilio", &no_from).await,
        422,
        "missing_field",
        "From",
    )
    .await;
    let bad_media = [
        ("MessageSid", "SM00000000000000000000000000000012"),
        ("From", "+14155550106"),
        ("Body", "hi"),
        ("NumMedia", "two"),
    ];
    expect(
        app.post_signed("/channels/sms/twilio", &bad_media).await,
        422,
        "invalid_field",
        "NumMedia",
    )
    .await;
    let empty = [
        ("MessageSid", "SM00000000000000000000000000000013"),
        ("From", "+14155550106"),
        ("Body", ""),
    ];
    expect(
        app.post_signed("/channels/sms/twilio", &empty).await,
        422,
        "empty_message",
        "Body",
    )
    .await;
    // Not a form at all.
    let resp = app
        .http
        .post(format!("{}/channels/sms/twilio", app.url))
        .header("content-type", "application/json")
        .header("X-Twilio-Signature", "c29tZXRoaW5n")
        .body(r#"{"MessageSid":"SM1"}"#)
        .send()
        .await
        .unwrap();
    expect(resp, 400, "unsupported_media_type", "form").await;
    assert!(app.all().await.is_empty(), "nothing was created");
    app.stop().await;
}

#[tokio::test]
async fn without_twilio_settings_the_endpoints_say_so() {
    let app = spawn(SmsConfig::new()).await;
    for path in ["/channels/sms/twilio", "/channels/sms/twilio/status"] {
        let params = text("SM00000000000000000000000000000014", "+14155550107", "hi");
        let resp = app.post_signed(path, &params).await;
        assert_eq!(resp.status().as_u16(), 503, "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "sms_not_configured");
    }
    assert!(app.all().await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_sms_endpoints_are_in_the_openapi_document() {
    let app = spawn(SmsConfig::new()).await;
    let doc: serde_json::Value = app
        .http
        .get(format!("{}/api/v1/openapi.json", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in ["/channels/sms/twilio", "/channels/sms/twilio/status"] {
        assert!(doc["paths"][path]["post"].is_object(), "{path} missing");
    }
    app.stop().await;
}
