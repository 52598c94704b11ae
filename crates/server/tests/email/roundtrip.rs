//! The whole email loop with real peers: a customer's mail delivered into
//! Dovecot is polled into a conversation; an agent claims and replies over
//! the API; the SMTP sink receives it with the threading headers and the
//! reply token; the customer's answer (In-Reply-To) delivered into Dovecot
//! lands in the same conversation, reopening it when resolved. Then: a reply
//! with its headers stripped threads by the token, notes are never sent, and
//! a refused recipient ends as `failed` with the reason.

use std::time::Duration;

use switchboard_api::{ConversationState, DeliveryStatus, MessageKind};
use switchboard_server::channels::email::EmailConfig;

use crate::harness::{eventually, header, spawn, Dovecot, SmtpSink};

#[tokio::test]
async fn mail_in_over_imap_reply_out_over_smtp_and_the_answer_threads_back() {
    let (Some(dovecot), Some(sink)) = (Dovecot::start(), SmtpSink::start()) else {
        return;
    };
    let mut cfg = EmailConfig::new();
    cfg.imap_url = Some(dovecot.url());
    cfg.imap_poll = Duration::from_secs(1);
    cfg.smtp_url = Some(sink.url());
    cfg.smtp_from = Some("Acme Support <support@acme.test>".into());
    cfg.retry_base = Duration::from_millis(200);
    let app = spawn(cfg).await;
    let agent = app.agent("Sam").await;

    // 1. The customer writes; the mail sits unseen in Dovecot's INBOX.
    dovecot
        .deliver(
            b"From: Carla Customer <carla@example.com>\r\nTo: support@acme.test\r\n\
Subject: My order never arrived\r\nMessage-ID: <order-1@mail.example.com>\r\n\
Date: Mon, 2 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
Order 4711 has not arrived. Where is it?\r\n",
        )
        .await;
    let conv_id = eventually(20, "the polled conversation", || async {
        app.all().await.first().map(|c| c.id.clone())
    })
    .await;
    let conv = app.conversation(&conv_id).await;
    assert_eq!(conv.summary.subject, "My order never arrived");
    assert_eq!(
        conv.summary.customer.email.as_deref(),
        Some("carla@example.com")
    );
    assert_eq!(
        conv.messages[0].body,
        "Order 4711 has not arrived. Where is it?"
    );
    // Marked seen only once stored.
    eventually(10, "the message marked seen", || async {
        (dovecot.seen_flags().await == vec![true]).then_some(())
    })
    .await;

    // 2. The agent claims and replies; a note is written too (never sent).
    agent.claim(&conv_id).await.expect("claim");
    agent
        .note(&conv_id, "internal: check the warehouse")
        .await
        .expect("note");
    let reply = agent
        .reply(&conv_id, "Sorry! It ships today.\nSam")
        .await
        .expect("reply");
    assert_eq!(
        reply.delivery.as_ref().map(|d| d.status),
        Some(DeliveryStatus::Sending)
    );
    let sent = eventually(20, "the reply at the SMTP sink", || async {
        sink.received().into_iter().next()
    })
    .await;
    assert_eq!(
        header(&sent, "X-Envelope-To").as_deref(),
        Some("carla@example.com")
    );
    assert_eq!(
        header(&sent, "In-Reply-To").as_deref(),
        Some("<order-1@mail.example.com>")
    );
    assert_eq!(
        header(&sent, "References").as_deref(),
        Some("<order-1@mail.example.com>")
    );
    assert!(header(&sent, "From").unwrap().contains("support@acme.test"));
    assert!(header(&sent, "To").unwrap().contains("carla@example.com"));
    let subject = header(&sent, "Subject").unwrap();
    assert!(
        subject.starts_with("Re: My order never arrived [#SB-"),
        "{subject}"
    );
    let token = subject
        .split("[#SB-")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap()
        .to_owned();
    let our_id = header(&sent, "Message-ID").unwrap();
    assert!(
        our_id.starts_with('<') && our_id.ends_with("@acme.test>"),
        "{our_id}"
    );
    assert!(sent.contains("Sorry! It ships today."));
    assert!(!sent.contains("warehouse"), "notes are never sent");
    // The delivery status reads `sent`.
    eventually(10, "delivery sent", || async {
        let c = app.conversation(&conv_id).await;
        let m = c.messages.iter().find(|m| m.id == reply.id)?;
        (m.delivery.as_ref()?.status == DeliveryStatus::Sent).then_some(())
    })
    .await;
    let c = app.conversation(&conv_id).await;
    assert!(c
        .messages
        .iter()
        .filter(|m| m.kind == MessageKind::Note)
        .all(|m| m.delivery.is_none()));

    // 3. Resolved; the customer answers our message: back in, reopened.
    agent.resolve(&conv_id).await.expect("resolve");
    let answer = format!(
        "From: Carla Customer <carla@example.com>\r\nTo: support@acme.test\r\n\
Subject: Re: My order never arrived [#SB-{token}]\r\nMessage-ID: <order-2@mail.example.com>\r\n\
In-Reply-To: {our_id}\r\nReferences: <order-1@mail.example.com> {our_id}\r\n\r\n\
Still nothing, sorry.\r\n\r\nOn Mon, Acme Support wrote:\r\n> Sorry! It ships today.\r\n"
    );
    dovecot.deliver(answer.as_bytes()).await;
    eventually(20, "the answer in the same conversation", || async {
        let c = app.conversation(&conv_id).await;
        c.messages
            .iter()
            .any(|m| m.kind == MessageKind::Customer && m.body == "Still nothing, sorry.")
            .then_some(())
    })
    .await;
    let c = app.conversation(&conv_id).await;
    assert_ne!(c.summary.state, ConversationState::Resolved, "reopened");
    assert_eq!(app.all().await.len(), 1, "no second conversation");

    // 4. Headers stripped (a forwarding client): the token still threads it.
    dovecot
        .deliver(
            format!(
                "From: carla@example.com\r\nSubject: Fwd: Re: My order never arrived [#SB-{token}]\r\n\
Message-ID: <order-3@mail.example.com>\r\n\r\nAny news?\r\n"
            )
            .as_bytes(),
        )
        .await;
    eventually(20, "the token-threaded message", || async {
        let c = app.conversation(&conv_id).await;
        c.messages
            .iter()
            .any(|m| m.body == "Any news?")
            .then_some(())
    })
    .await;
    assert_eq!(app.all().await.len(), 1);

    // 5. The second reply threads on the whole conversation.
    let claimed = agent.claim(&conv_id).await;
    let _ = claimed; // may already be back with Sam
    agent
        .reply(&conv_id, "It arrives tomorrow.")
        .await
        .expect("reply 2");
    let second = eventually(20, "the second reply", || async {
        sink.received().get(1).cloned()
    })
    .await;
    assert_eq!(
        header(&second, "In-Reply-To").as_deref(),
        Some("<order-3@mail.example.com>")
    );
    let refs = header(&second, "References").unwrap();
    for id in [
        "<order-1@mail.example.com>",
        our_id.as_str(),
        "<order-2@mail.example.com>",
        "<order-3@mail.example.com>",
    ] {
        assert!(refs.contains(id), "{id} missing from References: {refs}");
    }
    assert_eq!(sink.received().len(), 2, "nothing else was sent");
    app.stop().await;
}

#[tokio::test]
async fn a_refused_recipient_is_failed_with_the_reason_and_a_down_server_is_retried() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    // First: an SMTP server that is not there. The reply stays `sending`
    // with the error and its attempts count up.
    let dead_port = crate::harness::free_port();
    let mut cfg = EmailConfig::new();
    cfg.smtp_url = Some(format!("smtp://127.0.0.1:{dead_port}"));
    cfg.smtp_from = Some("support@acme.test".into());
    cfg.retry_base = Duration::from_millis(100);
    cfg.max_attempts = 3;
    let app = spawn(cfg).await;
    let agent = app.agent("Rita").await;
    let r = app
        .deliver(
            "From: reject-me@example.com\r\nSubject: Hi\r\nMessage-ID: <r1@x>\r\n\r\nHello\r\n",
        )
        .await;
    let id = r["conversation_id"].as_str().unwrap().to_owned();
    agent.claim(&id).await.unwrap();
    let msg = agent.reply(&id, "Hello back").await.unwrap();
    let failed = eventually(30, "the reply to fail", || async {
        let c = app.conversation(&id).await;
        let d = c
            .messages
            .iter()
            .find(|m| m.id == msg.id)?
            .delivery
            .clone()?;
        (d.status == DeliveryStatus::Failed).then_some(d)
    })
    .await;
    assert_eq!(failed.attempts, 3);
    assert!(failed.error.unwrap().contains("gave up after 3 attempts"));
    app.stop().await;

    // Then: a live server that refuses the recipient (550): failed at once.
    let mut cfg = EmailConfig::new();
    cfg.smtp_url = Some(sink.url());
    cfg.smtp_from = Some("support@acme.test".into());
    let app = spawn(cfg).await;
    let agent = app.agent("Rita").await;
    let r = app
        .deliver(
            "From: reject-me@example.com\r\nSubject: Hi\r\nMessage-ID: <r2@x>\r\n\r\nHello\r\n",
        )
        .await;
    let id = r["conversation_id"].as_str().unwrap().to_owned();
    agent.claim(&id).await.unwrap();
    let msg = agent.reply(&id, "Hello back").await.unwrap();
    let failed = eventually(20, "the refused reply", || async {
        let c = app.conversation(&id).await;
        let d = c
            .messages
            .iter()
            .find(|m| m.id == msg.id)?
            .delivery
            .clone()?;
        (d.status == DeliveryStatus::Failed).then_some(d)
    })
    .await;
    assert_eq!(failed.attempts, 1);
    assert!(failed.error.unwrap().contains("550"), "the reason is kept");
    assert!(sink.received().is_empty());
    app.stop().await;
}
