//! Replies out: agents reply over the API, the outbox sends them to a local
//! Twilio stand-in that checks requests as Twilio does, and Twilio's status
//! callbacks move the delivery state read back over the API.

use switchboard_api::{DeliveryStatus, Message, MessageKind};

use crate::harness::*;
use crate::twilio::{Failure, FakeTwilio};

/// A server, the stand-in, an agent holding a fresh SMS conversation.
async fn setup(token_for_server: &str) -> (App, FakeTwilio, switchboard_api::Session, String) {
    let twilio = FakeTwilio::start(ACCOUNT_SID, AUTH_TOKEN, &[OUR_NUMBER]).await;
    let mut cfg = sms_config(&twilio.url);
    cfg.auth_token = Some(token_for_server.into());
    let app = spawn(cfg).await;
    let agent = app.agent("Sam").await;
    if token_for_server == AUTH_TOKEN {
        app.deliver(
            "SM10000000000000000000000000000001",
            "+14155550200",
            "where is my parcel?",
        )
        .await;
    } else {
        // The server checks webhooks with its own (wrong) token: sign with it.
        let params = text(
            "SM10000000000000000000000000000001",
            "+14155550200",
            "where is my parcel?",
        );
        let sig = twilio_signature(
            token_for_server,
            &format!("{PUBLIC_URL}/channels/sms/twilio"),
            &params,
        );
        let resp = app
            .post_form("/channels/sms/twilio", &params, Some(&sig))
            .await;
        assert_eq!(resp.status().as_u16(), 200);
    }
    let id = app.all().await[0].id.clone();
    agent.claim(&id).await.expect("claim");
    (app, twilio, agent, id)
}

async fn delivery_of(app: &App, conv: &str, msg: &str) -> Option<switchboard_api::Delivery> {
    let c = app.conversation(conv).await;
    c.messages.into_iter().find(|m| m.id == msg)?.delivery
}

async fn wait_status(
    app: &App,
    conv: &str,
    msg: &Message,
    want: DeliveryStatus,
) -> switchboard_api::Delivery {
    eventually(20, &format!("delivery {want:?}"), || async {
        delivery_of(app, conv, &msg.id)
            .await
            .filter(|d| d.status == want)
    })
    .await
}

#[tokio::test]
async fn a_reply_reaches_twilio_with_the_right_fields_and_callbacks_update_it() {
    let (app, twilio, agent, id) = setup(AUTH_TOKEN).await;
    agent
        .note(&id, "internal: check the depot")
        .await
        .expect("note");
    let reply = agent
        .reply(&id, "It left the depot this morning. Sam")
        .await
        .expect("reply");
    assert_eq!(
        reply.delivery.as_ref().map(|d| d.status),
        Some(DeliveryStatus::Sending)
    );
    let sent = eventually(20, "the reply at Twilio", || async {
        twilio.accepted().into_iter().next()
    })
    .await;
    assert_eq!(sent.to, "+14155550200");
    assert_eq!(sent.from, OUR_NUMBER);
    assert_eq!(sent.body, "It left the depot this morning. Sam");
    let callback = sent.status_callback.clone().expect("a StatusCallback");
    assert!(
        callback.starts_with(&format!("{PUBLIC_URL}/channels/sms/twilio/status")),
        "{callback}"
    );
    let d = wait_status(&app, &id, &reply, DeliveryStatus::Sent).await;
    assert_eq!(d.attempts, 1);
    assert!(d.sent_at.is_some());
    // The note never went out; nothing else was sent or refused.
    assert_eq!(twilio.accepted().len(), 1);
    assert!(twilio.refused().is_empty(), "{:?}", twilio.refused());
    let c = app.conversation(&id).await;
    assert!(c
        .messages
        .iter()
        .filter(|m| m.kind == MessageKind::Note)
        .all(|m| m.delivery.is_none()));

    // An unsigned callback is refused and changes nothing.
    let resp = app
        .post_form(
            callback.strip_prefix(PUBLIC_URL).unwrap(),
            &[
                ("MessageSid", sent.sid.as_str()),
                ("MessageStatus", "delivered"),
            ],
            None,
        )
        .await;
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(
        delivery_of(&app, &id, &reply.id).await.unwrap().status,
        DeliveryStatus::Sent
    );

    // Twilio reports delivery; a late `sent` does not undo it.
    let resp = app
        .status_callback(&callback, &sent.sid, "delivered", None)
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(
        delivery_of(&app, &id, &reply.id).await.unwrap().status,
        DeliveryStatus::Delivered
    );
    let resp = app
        .status_callback(&callback, &sent.sid, "sent", None)
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(
        delivery_of(&app, &id, &reply.id).await.unwrap().status,
        DeliveryStatus::Delivered
    );
    // Every change was announced to clients.
    let updates = app.message_updates(&reply.id).await;
    let states: Vec<DeliveryStatus> = updates
        .iter()
        .filter_map(|m| m.delivery.as_ref().map(|d| d.status))
        .collect();
    assert_eq!(states, [DeliveryStatus::Sent, DeliveryStatus::Delivered]);

    // A second reply the carrier could not deliver.
    let second = agent.reply(&id, "Tracking: 1Z999").await.expect("reply");
    let sent2 = eventually(20, "the second reply at Twilio", || async {
        twilio.accepted().into_iter().nth(1)
    })
    .await;
    assert_eq!(sent2.body, "Tracking: 1Z999");
    wait_status(&app, &id, &second, DeliveryStatus::Sent).await;
    let resp = app
        .status_callback(
            sent2.status_callback.as_deref().unwrap(),
            &sent2.sid,
            "undelivered",
            Some("30003"),
        )
        .await;
    assert_eq!(resp.status().as_u16(), 204);
    let d = delivery_of(&app, &id, &second.id).await.unwrap();
    assert_eq!(d.status, DeliveryStatus::Failed);
    assert!(d.error.as_deref().unwrap_or("").contains("30003"), "{d:?}");
    // A callback for a text we never sent.
    let resp = app
        .status_callback(
            &format!("{PUBLIC_URL}/channels/sms/twilio/status"),
            "SMffffffffffffffffffffffffffffffff",
            "delivered",
            None,
        )
        .await;
    assert_eq!(resp.status().as_u16(), 404);
    app.stop().await;
}

#[tokio::test]
async fn a_500_and_a_dropped_connection_are_retried_and_sent_once() {
    let (app, twilio, agent, id) = setup(AUTH_TOKEN).await;
    twilio.fail_next(&[Failure::Status500, Failure::Close]);
    let reply = agent.reply(&id, "On its way!").await.expect("reply");
    let d = wait_status(&app, &id, &reply, DeliveryStatus::Sent).await;
    assert_eq!(d.attempts, 3, "two failures, then the send");
    assert_eq!(twilio.failed_500(), 1);
    assert_eq!(twilio.closed(), 1);
    let accepted = twilio.accepted();
    assert_eq!(accepted.len(), 1, "sent exactly once: {accepted:?}");
    assert_eq!(accepted[0].body, "On its way!");
    // Clients saw it waiting for a retry, with the reason, before it went.
    let updates = app.message_updates(&reply.id).await;
    let retrying: Vec<_> = updates
        .iter()
        .filter_map(|m| m.delivery.clone())
        .filter(|d| d.status == DeliveryStatus::Sending)
        .collect();
    assert_eq!(retrying.len(), 2, "{updates:?}");
    assert!(
        retrying[0].error.as_deref().unwrap_or("").contains("500"),
        "{retrying:?}"
    );
    assert!(retrying[0].next_attempt_at.is_some());
    assert!(retrying[1].error.is_some());
    app.stop().await;
}

#[tokio::test]
async fn twilio_refusing_the_credentials_leaves_the_reply_retrying_not_lost() {
    let (app, twilio, agent, id) = setup("a-wrong-auth-token").await;
    let reply = agent
        .reply(&id, "Hello from the wrong account")
        .await
        .expect("reply");
    let d = eventually(20, "a refused attempt recorded", || async {
        delivery_of(&app, &id, &reply.id)
            .await
            .filter(|d| d.attempts >= 1)
    })
    .await;
    assert_eq!(
        d.status,
        DeliveryStatus::Sending,
        "still to be retried: {d:?}"
    );
    assert!(
        d.error.as_deref().unwrap_or("").contains("credentials"),
        "{d:?}"
    );
    assert!(twilio.accepted().is_empty());
    assert!(
        twilio.refused().contains(&(401, 20003)),
        "{:?}",
        twilio.refused()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_long_reply_is_split_into_requests_twilio_accepts_in_order() {
    let (app, twilio, agent, id) = setup(AUTH_TOKEN).await;
    let words: Vec<String> = (0..450).map(|i| format!("step{i}")).collect();
    let long = words.join(" ");
    assert!(long.chars().count() > 3200, "needs three requests");
    let reply = agent.reply(&id, &long).await.expect("reply");
    wait_status(&app, &id, &reply, DeliveryStatus::Sent).await;
    let accepted = twilio.accepted();
    assert_eq!(
        accepted.len(),
        3,
        "{:?}",
        accepted.iter().map(|a| a.body.len()).collect::<Vec<_>>()
    );
    assert!(
        twilio.refused().is_empty(),
        "every part within Twilio's limit"
    );
    for a in &accepted {
        assert!(a.body.chars().count() <= 1600);
    }
    // In order, cut between words, nothing lost.
    let back: Vec<String> = accepted
        .iter()
        .flat_map(|a| a.body.split(' ').map(str::to_owned))
        .collect();
    assert_eq!(back, words);
    // Each part reports on its own; the reply is delivered once all are.
    for (i, a) in accepted.iter().enumerate() {
        let resp = app
            .status_callback(
                a.status_callback.as_deref().unwrap(),
                &a.sid,
                "delivered",
                None,
            )
            .await;
        assert_eq!(resp.status().as_u16(), 204);
        let d = delivery_of(&app, &id, &reply.id).await.unwrap();
        let want = if i + 1 == accepted.len() {
            DeliveryStatus::Delivered
        } else {
            DeliveryStatus::Sent
        };
        assert_eq!(d.status, want, "after part {i}");
    }
    // Far too long for SMS: refused up front, nothing stored.
    let huge = "word ".repeat(4000);
    let err = agent.reply(&id, &huge).await.expect_err("refused");
    assert_eq!(err.code(), Some("sms_too_long"));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    let c = app.conversation(&id).await;
    assert_eq!(
        c.messages
            .iter()
            .filter(|m| m.kind == MessageKind::Agent)
            .count(),
        1
    );
    app.stop().await;
}
