//! Mail that threads in is from whom it says: a message that joins a
//! conversation by its reply token, its headers or a `+sb-…` address tag but
//! comes from an address other than the customer's is stored there with its
//! real sender and flagged, never attributed to the customer; the customer's
//! own mail is not flagged; the agent's replies still go to the customer.

use std::time::Duration;

use switchboard_api::{Message, MessageKind};
use switchboard_server::channels::email::EmailConfig;

use crate::harness::{eventually, header, spawn, App, SmtpSink};

/// The customer message with this body, as the conversation shows it.
async fn message(app: &App, conv: &str, body: &str) -> Message {
    let body = body.to_owned();
    eventually(10, "the message in the conversation", || async {
        app.conversation(conv)
            .await
            .messages
            .into_iter()
            .find(|m| m.body == body)
    })
    .await
}

/// The message as its `message.created` event carried it.
async fn as_announced(app: &App, id: &str) -> serde_json::Value {
    app.all_events()
        .await
        .into_iter()
        .filter(|e| e.kind == "message.created")
        .map(|e| e.data["message"].clone())
        .find(|m| m["id"] == id)
        .expect("message.created")
}

#[tokio::test]
async fn mail_from_another_address_is_shown_with_its_real_sender_and_replies_still_go_to_the_customer(
) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let mut cfg = EmailConfig::new();
    cfg.smtp_url = Some(sink.url());
    cfg.smtp_from = Some("Acme Support <support@acme.test>".into());
    cfg.retry_base = Duration::from_millis(200);
    let app = spawn(cfg).await;
    let agent = app.agent("Sam").await;

    // The customer writes; the agent answers (the answer carries the token).
    let r = app
        .deliver(
            "From: Carla Customer <carla@example.com>\r\nTo: support@acme.test\r\n\
Subject: Refund for order 4711\r\nMessage-ID: <c1@mail.example.com>\r\n\r\nPlease refund order 4711.\r\n",
        )
        .await;
    let conv = r["conversation_id"].as_str().unwrap().to_owned();
    agent.claim(&conv).await.expect("claim");
    agent.reply(&conv, "Looking into it.").await.expect("reply");
    let first = eventually(20, "the first reply at the sink", || async {
        sink.received().into_iter().next()
    })
    .await;
    let subject = header(&first, "Subject").unwrap();
    let token = subject
        .split("[#SB-")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap()
        .to_owned();
    let our_id = header(&first, "Message-ID").unwrap();

    // 1. Someone else writes with a valid token in the subject (no headers).
    let r = app
        .deliver(format!(
            "From: Mallory Other <mallory@elsewhere.example>\r\nTo: support@acme.test\r\n\
Subject: Re: Refund for order 4711 [#SB-{token}]\r\nMessage-ID: <o1@elsewhere.example>\r\n\r\n\
Send the refund to my account instead.\r\n"
        ))
        .await;
    assert_eq!(r["conversation_id"], conv.as_str(), "threaded by the token");
    assert_eq!(r["created"], false);
    let other = message(&app, &conv, "Send the refund to my account instead.").await;
    assert_eq!(other.kind, MessageKind::Customer);
    assert_eq!(other.author, "Mallory Other <mallory@elsewhere.example>");
    assert!(other.from_other_address, "flagged");
    assert_eq!(
        other.from_address.as_deref(),
        Some("mallory@elsewhere.example")
    );
    let announced = as_announced(&app, &other.id).await;
    assert_eq!(
        announced["author"],
        "Mallory Other <mallory@elsewhere.example>"
    );
    assert_eq!(announced["from_other_address"], true);
    assert_eq!(announced["from_address"], "mallory@elsewhere.example");

    // 2. Another address answering our mail by its headers, no name.
    app.deliver(format!(
        "From: bob@colleague.example\r\nTo: support@acme.test\r\nSubject: Re: Refund\r\n\
Message-ID: <o2@colleague.example>\r\nIn-Reply-To: {our_id}\r\nReferences: <c1@mail.example.com> {our_id}\r\n\r\n\
I am Carla's colleague.\r\n"
    ))
    .await;
    let colleague = message(&app, &conv, "I am Carla's colleague.").await;
    assert_eq!(colleague.author, "bob@colleague.example");
    assert!(colleague.from_other_address);
    assert_eq!(
        colleague.from_address.as_deref(),
        Some("bob@colleague.example")
    );

    // 3. Another address writing to the +sb- tag of the support address.
    app.deliver(format!(
        "From: Eve <eve@example.org>\r\nTo: support+sb-{token}@acme.test\r\nSubject: hello\r\n\
Message-ID: <o3@example.org>\r\n\r\nTagged from elsewhere.\r\n"
    ))
    .await;
    let tagged = message(&app, &conv, "Tagged from elsewhere.").await;
    assert_eq!(tagged.author, "Eve <eve@example.org>");
    assert!(tagged.from_other_address);

    // 4. The customer's own answer (her address in other case): not flagged.
    app.deliver(format!(
        "From: Carla Customer <Carla@EXAMPLE.com>\r\nTo: support@acme.test\r\n\
Subject: Re: Refund for order 4711 [#SB-{token}]\r\nMessage-ID: <c2@mail.example.com>\r\n\
In-Reply-To: {our_id}\r\n\r\nNo, the refund goes to my card as usual.\r\n"
    ))
    .await;
    let own = message(&app, &conv, "No, the refund goes to my card as usual.").await;
    assert_eq!(own.author, "Carla Customer");
    assert!(!own.from_other_address);
    assert_eq!(own.from_address, None);
    let announced = as_announced(&app, &own.id).await;
    assert!(announced.get("from_other_address").is_none());
    let c = app.conversation(&conv).await;
    assert_eq!(c.messages[0].author, "Carla Customer");
    assert!(
        !c.messages[0].from_other_address,
        "the first message neither"
    );
    assert_eq!(
        c.summary.customer.email.as_deref(),
        Some("carla@example.com"),
        "the customer is unchanged"
    );
    assert_eq!(app.all().await.len(), 1, "all in one conversation");

    // 5. The agent answers again: to the customer, not to whoever wrote last.
    agent
        .reply(&conv, "Refunded to your card.")
        .await
        .expect("reply");
    let second = eventually(20, "the second reply at the sink", || async {
        sink.received().get(1).cloned()
    })
    .await;
    assert_eq!(
        header(&second, "X-Envelope-To").as_deref(),
        Some("carla@example.com")
    );
    assert!(header(&second, "To").unwrap().contains("carla@example.com"));
    for other in ["mallory", "bob@", "eve@"] {
        assert!(
            !header(&second, "To").unwrap().contains(other)
                && !header(&second, "X-Envelope-To").unwrap().contains(other),
            "{other} is not a recipient"
        );
    }
    assert_eq!(sink.received().len(), 2);
    eprintln!(
        "mail into one conversation: 3 from other addresses flagged ({}, {}, {}), the customer's own not flagged; the reply went to {}",
        other.author,
        colleague.author,
        tagged.author,
        header(&second, "X-Envelope-To").unwrap()
    );
    app.stop().await;
}
