//! The built-in bot (answers, hand-off on request and on no answer), the
//! answers admin API, external hand-offs, and first response time.

use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use switchboard_api::{Channel, ConversationState, MessageKind, View};
use switchboard_server::channels::bot::BotConfig;
use switchboard_server::channels::widget::WidgetConfig;

use crate::harness::*;

fn kinds(conv: &Value) -> Vec<String> {
    conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn answers_are_admin_only_and_validated() {
    let app = spawn().await;
    let agent = app.agent("Alice Agent").await;
    let a = app
        .answer(&["What are your opening hours?"], "9 to 5")
        .await;
    let id = a["id"].as_str().unwrap();
    let r = app
        .call(
            Method::GET,
            "/api/v1/bot/answers",
            Some(agent.token()),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (403, Some("admin_only"))
    );
    let r = app
        .call(
            Method::POST,
            "/api/v1/bot/answers",
            Some(agent.token()),
            Some(json!({"questions": ["x"], "answer": "y"})),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .call(Method::GET, "/api/v1/bot/answers", None, None)
        .await;
    assert_eq!(r.status, 401);
    let r = app
        .call(
            Method::POST,
            "/api/v1/bot/answers",
            Some(app.admin.token()),
            Some(json!({"questions": [], "answer": "y"})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (422, Some("invalid_questions"))
    );
    let r = app
        .call(
            Method::POST,
            "/api/v1/bot/answers",
            Some(app.admin.token()),
            Some(json!({"questions": ["the how"], "answer": "y"})),
        )
        .await;
    assert_eq!(r.status, 422, "filler words only: {}", r.text);
    let r = app
        .call(
            Method::PATCH,
            &format!("/api/v1/bot/answers/{id}"),
            Some(app.admin.token()),
            Some(json!({"answer": "8 to 6"})),
        )
        .await;
    assert_eq!((r.status, r.body["answer"].as_str()), (200, Some("8 to 6")));
    assert_eq!(r.body["questions"][0], "What are your opening hours?");
    let r = app
        .call(
            Method::GET,
            "/api/v1/bot/answers",
            Some(app.admin.token()),
            None,
        )
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/bot/answers/{id}"),
            Some(app.admin.token()),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/bot/answers/{id}"),
            Some(app.admin.token()),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn the_bot_answers_outside_the_queue_and_hands_off_on_request() {
    let app = spawn().await;
    app.answer(
        &["What are your opening hours?", "When are you open?"],
        "We are open 9:00 to 17:00.",
    )
    .await;
    app.answer(
        &["How do I get a refund?"],
        "Use the refund form in your account.",
    )
    .await;
    let (token, conv) = app.visitor("when are you open").await;
    let id = conv["id"].as_str().unwrap().to_owned();
    assert_eq!(conv["status"], "bot");
    assert_eq!(kinds(&conv), ["customer", "bot"]);
    assert_eq!(conv["messages"][1]["body"], "We are open 9:00 to 17:00.");
    assert_eq!(conv["messages"][1]["author"], "Bot");
    // Not in the agents' queue, not visible at all yet.
    let all = app.admin.conversations(View::All).await.unwrap();
    assert!(all.iter().all(|c| c.id != id));
    assert_eq!(
        app.admin
            .conversation(&id)
            .await
            .unwrap_err()
            .status()
            .map(|s| s.as_u16()),
        Some(404)
    );

    let r = app.say(&token, "can I get a refund for my order").await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.body["conversation"]["messages"][3]["body"],
        "Use the refund form in your account."
    );
    let before: Vec<Value> = r.body["conversation"]["messages"]
        .as_array()
        .unwrap()
        .clone();

    let r = app.say(&token, "I want to talk to a human").await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["conversation"]["status"], "queued");
    // Into the queue, channel bot, with the whole transcript (same ids).
    let queue = app.admin.conversations(View::Queue).await.unwrap();
    let s = queue
        .iter()
        .find(|c| c.id == id)
        .expect("queued after the hand-off");
    assert_eq!(s.channel, Channel::Bot);
    let full = app.admin.conversation(&id).await.unwrap();
    let k: Vec<MessageKind> = full.messages.iter().map(|m| m.kind).collect();
    use MessageKind::*;
    assert_eq!(k, [Customer, Bot, Customer, Bot, Customer, Bot, System]);
    assert!(full.messages[6].body.contains("asked for a person"));
    for (old, new) in before.iter().zip(&full.messages) {
        assert_eq!(old["id"].as_str(), Some(new.id.as_str()));
    }
    // The visitor's history now comes from the conversation: no system line.
    let h = app.history(&token).await;
    assert_eq!(
        kinds(&h.body),
        ["customer", "bot", "customer", "bot", "customer", "bot"]
    );
    // Further messages go to the humans, not the bot.
    app.say(&token, "when are you open").await;
    let full = app.admin.conversation(&id).await.unwrap();
    assert_eq!(full.messages.last().unwrap().kind, Customer);
}

#[tokio::test]
async fn the_widget_button_hands_off_and_no_answer_hands_off_after_n_misses() {
    let app = spawn().await;
    app.answer(&["opening hours"], "9 to 5").await;
    // The button.
    let (token, conv) = app.visitor("opening hours").await;
    assert_eq!(conv["status"], "bot");
    let r = app
        .call(Method::POST, "/widget/v1/handoff", Some(&token), None)
        .await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("queued")));
    let again = app
        .call(Method::POST, "/widget/v1/handoff", Some(&token), None)
        .await;
    assert_eq!(
        again.body["messages"], r.body["messages"],
        "a second press changes nothing"
    );

    // Two messages in a row it cannot answer (the default): hand-off.
    let (token, conv) = app.visitor("my parcel arrived damaged").await;
    assert_eq!(conv["status"], "bot");
    assert_eq!(kinds(&conv), ["customer", "bot"]);
    assert!(conv["messages"][1]["body"]
        .as_str()
        .unwrap()
        .contains("rephrase"));
    let r = app.say(&token, "the box is crushed and wet").await;
    assert_eq!(r.body["conversation"]["status"], "queued");
    let id = conv["id"].as_str().unwrap();
    let full = app.admin.conversation(id).await.unwrap();
    assert_eq!(full.summary.channel, Channel::Bot);
    assert!(full
        .messages
        .last()
        .unwrap()
        .body
        .contains("no answer found"));
}

#[tokio::test]
async fn with_the_bot_off_or_without_answers_the_visitor_gets_a_human_chat() {
    let app = spawn_with(Setup {
        bot: BotConfig {
            enabled: false,
            ..BotConfig::default()
        },
        ..Setup::default()
    })
    .await;
    app.answer(&["opening hours"], "9 to 5").await;
    let (_, conv) = app.visitor("opening hours").await;
    assert_eq!(conv["status"], "queued");
    let s = app
        .admin
        .conversation(conv["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(s.summary.channel, Channel::Chat);
}

#[tokio::test]
async fn external_bots_hand_off_with_their_token() {
    let app = spawn().await;
    let body = json!({
        "customer": {"name": "Eve Example", "email": "eve@example.com"},
        "subject": "Refund for order 42",
        "transcript": [
            {"kind": "customer", "body": "I want a refund", "at": "2026-03-02T08:55:00Z"},
            {"kind": "bot", "body": "Which order?", "at": "2026-03-02T08:56:00Z"},
            {"kind": "customer", "body": "Order 42"}
        ],
        "external_id": "ext-1"
    });
    let r = app
        .call(
            Method::POST,
            "/api/v1/bot/handoff",
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = app
        .call(
            Method::POST,
            "/api/v1/bot/handoff",
            Some("wrong-token"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = app
        .call(
            Method::POST,
            "/api/v1/bot/handoff",
            Some(app.admin.token()),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 401, "an agent token is not the bot token");
    let r = app
        .call(
            Method::POST,
            "/api/v1/bot/handoff",
            Some(BOT_TOKEN),
            Some(body.clone()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["channel"], "bot");
    assert_eq!(r.body["state"], "queued");
    assert_eq!(r.body["subject"], "Refund for order 42");
    let k: Vec<&str> = r.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    // What the customer saw: the hand-off's system line stays with the agents.
    assert_eq!(k, ["customer", "bot", "customer"]);
    assert_eq!(r.body["messages"][0]["created_at"], "2026-03-02T08:55:00Z");
    let id = r.body["id"].as_str().unwrap().to_owned();
    // The same hand-off again is the same conversation.
    let again = app
        .call(
            Method::POST,
            "/api/v1/bot/handoff",
            Some(BOT_TOKEN),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        (again.status, again.body["id"].as_str()),
        (200, Some(id.as_str()))
    );
    let queue = app.admin.conversations(View::Queue).await.unwrap();
    assert_eq!(queue.iter().filter(|c| c.id == id).count(), 1);
    // Once an agent has it, the bot's repeat still sees only what the
    // customer sees: no internal note, no system line, no agent id.
    let agent = app.agent("Zoe Agent").await;
    agent.claim(&id).await.expect("claim");
    agent
        .post_message(
            &id,
            &switchboard_api::NewMessage {
                body: "internal: customer is a VIP".into(),
                internal: true,
                client_id: None,
                attachment_ids: vec![],
            },
        )
        .await
        .expect("note");
    agent.reply(&id, "Refund on its way").await.expect("reply");
    let repeat = app
        .call(
            Method::POST,
            "/api/v1/bot/handoff",
            Some(BOT_TOKEN),
            Some(body),
        )
        .await;
    assert_eq!(repeat.status, 200);
    assert!(
        !repeat.text.contains("VIP"),
        "no internal note: {}",
        repeat.text
    );
    let agent_id = agent.me().await.expect("me").id;
    assert!(
        !repeat.text.contains(&agent_id),
        "no agent id: {}",
        repeat.text
    );
    assert!(repeat.body["assignee_id"].is_null());
    let kinds: Vec<&str> = repeat.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["customer", "bot", "customer", "agent"]);
    assert_eq!(repeat.body["messages"][3]["author"], "Zoe");
    // Bad transcripts are refused clearly.
    let r = app
        .call(
            Method::POST,
            "/api/v1/bot/handoff",
            Some(BOT_TOKEN),
            Some(json!({"transcript": [{"kind": "bot", "body": "hi"}]})),
        )
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (422, Some("empty_transcript"))
    );
    let r = app
        .call(
            Method::POST,
            "/api/v1/bot/handoff",
            Some(BOT_TOKEN),
            Some(json!({"transcript": [{"kind": "agent", "body": "hi"}]})),
        )
        .await;
    assert_eq!(r.status, 422);
}

#[tokio::test]
async fn first_response_time_of_a_bot_conversation_counts_from_the_hand_off() {
    let app = spawn_with(Setup {
        widget: WidgetConfig {
            starts_per_hour: 100,
            messages_per_minute: 100,
            ..WidgetConfig::default()
        },
        ..Setup::default()
    })
    .await;
    let agent = app.agent("Dana Agent").await;
    app.answer(&["opening hours"], "9 to 5").await;
    // Bot conversation: 10 minutes with the bot, then 30 s to the first reply.
    let (token, conv) = app.visitor("opening hours").await;
    let bot_id = conv["id"].as_str().unwrap().to_owned();
    app.advance(600);
    app.say(&token, "talk to a human").await;
    app.advance(30);
    agent.claim(&bot_id).await.unwrap();
    agent.reply(&bot_id, "Hi, Dana here").await.unwrap();
    let m = app.admin.metrics(None, None).await.unwrap();
    assert_eq!(m.first_response.count, 1);
    assert_eq!(m.first_response.avg_secs, Some(30.0));

    // An external hand-off whose transcript started 20 minutes earlier: also from the hand-off.
    let r = app
        .call(
            Method::POST,
            "/api/v1/bot/handoff",
            Some(BOT_TOKEN),
            Some(json!({"transcript": [{"kind": "customer", "body": "help", "at": (app.clock.now() - Duration::minutes(20)).to_rfc3339()}]})),
        )
        .await;
    let ext = r.body["id"].as_str().unwrap().to_owned();
    // A plain chat: from the first customer message.
    app.answer(&["unused"], "x").await;
    let chat = app
        .admin
        .create_conversation(&switchboard_api::NewConversation {
            customer: switchboard_api::Customer {
                name: Some("Sam".into()),
                ..Default::default()
            },
            subject: "api".into(),
            body: "hello".into(),
            category_id: None,
        })
        .await
        .unwrap();
    app.advance(90);
    for id in [&ext, &chat.summary.id] {
        agent.claim(id).await.unwrap();
        agent.reply(id, "hello").await.unwrap();
    }
    let m = app.admin.metrics(None, None).await.unwrap();
    assert_eq!(m.first_response.count, 3);
    // 30 s, 90 s (from the hand-off, not the 20-minute-old line), 90 s.
    assert_eq!(m.first_response.median_secs, Some(90.0));
    assert_eq!(m.first_response.avg_secs, Some(70.0));
    let row = m
        .agents
        .iter()
        .find(|a| a.avg_first_response_secs.is_some())
        .unwrap();
    assert_eq!(row.avg_first_response_secs, Some(70.0));
    let full = app.admin.conversation(&bot_id).await.unwrap();
    assert_eq!(full.summary.state, ConversationState::Assigned);
}

/// Every channel's conversations start in one constructor: the same
/// customer, subject and words through the API channel and through an
/// external bot's hand-off give the same category, the same categorization
/// (source and confidence) and the same customer message rows; the hand-off
/// adds only its system line.
#[tokio::test]
async fn a_bot_handoff_and_the_api_channel_make_the_same_conversation() {
    let app = spawn().await;
    let billing = app
        .admin
        .create_category(&switchboard_api::NewCategory {
            name: "Billing".into(),
            id: Some("billing".into()),
            routing: None,
            wait_threshold_secs: None,
            keywords: vec!["refund".into(), "invoice".into()],
        })
        .await
        .expect("category");
    let cases = [
        (
            "Refund please",
            "I was charged twice, I want a refund",
            None,
        ),
        ("Hello", "Nothing to match here at all", None),
        ("Anything", "Put this in billing", Some(billing.id.clone())),
    ];
    for (n, (subject, body, category_id)) in cases.into_iter().enumerate() {
        let customer =
            json!({"name": format!("Cara Customer {n}"), "email": format!("cara{n}@example.com")});
        let mut api_req = json!({"customer": customer, "subject": subject, "body": body});
        let mut bot_req = json!({
            "customer": customer,
            "subject": subject,
            "transcript": [{"kind": "customer", "body": body}],
        });
        if let Some(c) = &category_id {
            api_req["category_id"] = json!(c);
            bot_req["category_id"] = json!(c);
        }
        let api = app
            .call(
                Method::POST,
                "/api/v1/conversations",
                Some(app.admin.token()),
                Some(api_req),
            )
            .await;
        assert_eq!(api.status, 201, "{}", api.text);
        let bot = app
            .call(
                Method::POST,
                "/api/v1/bot/handoff",
                Some(BOT_TOKEN),
                Some(bot_req),
            )
            .await;
        assert_eq!(bot.status, 201, "{}", bot.text);
        // What a read gives back, not only what the create answered.
        let read = |v: &Value| {
            let id = v["id"].as_str().unwrap().to_owned();
            let client = app.admin.clone();
            async move { serde_json::to_value(client.conversation(&id).await.unwrap()).unwrap() }
        };
        let (api, bot) = (read(&api.body).await, read(&bot.body).await);
        assert_eq!(api["category_id"], bot["category_id"], "case {n}");
        assert_eq!(api["categorized_by"], bot["categorized_by"], "case {n}");
        assert!(
            api["categorized_by"]["source"].is_string(),
            "case {n}: {api}"
        );
        let customer_rows = |v: &Value| -> Vec<Value> {
            v["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["kind"] == "customer")
                .map(|m| {
                    json!([
                        m["kind"],
                        m["author"],
                        m["body"],
                        m["author_id"],
                        m["client_id"]
                    ])
                })
                .collect()
        };
        assert_eq!(customer_rows(&api), customer_rows(&bot), "case {n}");
        assert_eq!(kinds(&api), ["customer"], "case {n}");
        assert_eq!(kinds(&bot), ["customer", "system"], "case {n}");
    }
}
