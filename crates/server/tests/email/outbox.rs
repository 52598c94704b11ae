//! Several instances share one SMTP outbox (one database: the SQLite file,
//! or PostgreSQL with `SWITCHBOARD_TEST_DATABASE=postgres`) while the SMTP
//! server stalls: each reply is delivered exactly once, and a reply whose
//! sender died mid-send goes out again with the same Message-ID.
//!
//! The case is at production scale: an SMTP server that stalls for
//! 90 s before answering, against an outbox lease of 60 s, so the lease
//! moves to another instance in the middle of a send. Here is the same race
//! at test scale: the sink stalls 2 s before answering DATA, the outbox
//! lease lasts 1 s, the send timeout and the in-flight lease are seconds.

use std::time::{Duration, Instant};

use switchboard_api::{DeliveryStatus, Message};
use switchboard_server::channels::email::EmailConfig;

use crate::harness::{eventually, header, instance, spawn, App, SmtpSink};

/// How long the sink waits before answering DATA (it files the message first).
const STALL: Duration = Duration::from_secs(2);

/// Both senders' settings: the outbox lease (1 s) runs out during every
/// send (2 s), so the other instance takes it over mid-send.
fn senders(sink: &SmtpSink, in_flight: Duration) -> EmailConfig {
    let mut cfg = EmailConfig::new();
    cfg.smtp_url = Some(sink.url());
    cfg.smtp_from = Some("Acme Support <support@acme.test>".into());
    cfg.retry_base = Duration::from_secs(1);
    cfg.outbox_lease = Duration::from_secs(1);
    cfg.send_timeout = Duration::from_secs(5);
    cfg.in_flight = in_flight;
    cfg
}

/// The Message-ID the outbox gives reply `m` (`From`'s domain).
fn rfc_id(m: &Message) -> String {
    format!("<sb.{}@acme.test>", m.id)
}

/// A customer's mail, then the agent's claim and reply: (conversation, reply).
async fn replied(app: &App, agent: &switchboard_api::Session, i: usize) -> (String, Message) {
    let r = app
        .deliver(format!(
            "From: Customer {i} <customer{i}@example.com>\r\nTo: support@acme.test\r\n\
Subject: Question {i}\r\nMessage-ID: <q{i}@mail.example.com>\r\n\r\nHello, question {i}.\r\n"
        ))
        .await;
    let id = r["conversation_id"].as_str().unwrap().to_owned();
    agent.claim(&id).await.expect("claim");
    let reply = agent
        .reply(&id, &format!("Answer {i}"))
        .await
        .expect("reply");
    (id, reply)
}

async fn delivery(app: &App, conv: &str, msg: &str) -> Option<switchboard_api::Delivery> {
    let c = app.conversation(conv).await;
    c.messages.into_iter().find(|m| m.id == msg)?.delivery
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_each_reply_once_while_smtp_stalls() {
    const REPLIES: usize = 4;
    let Some(sink) = SmtpSink::start_stalling(STALL) else {
        return;
    };
    let cfg = senders(&sink, Duration::from_secs(10));
    let app = spawn(cfg.clone()).await;
    let other = instance(&app, cfg).await;
    let agent = app.agent("Sam").await;
    let mut replies = Vec::new();
    for i in 0..REPLIES {
        replies.push(replied(&app, &agent, i).await);
    }
    eventually(60, "every reply sent", || async {
        for (conv, m) in &replies {
            if delivery(&app, conv, &m.id).await?.status != DeliveryStatus::Sent {
                return None;
            }
        }
        Some(())
    })
    .await;
    // A second copy would be filed as soon as its data is in: give one the
    // time of a stall and a lease to show up.
    tokio::time::sleep(STALL + Duration::from_secs(2)).await;
    let counts = sink.counts_by_message_id();
    let arrived: usize = counts.values().sum();
    let delivered = replies
        .iter()
        .filter(|(_, m)| counts.contains_key(&rfc_id(m)))
        .count();
    eprintln!(
        "two instances, SMTP stalling {} s per message, outbox lease 1 s: sent {REPLIES}, delivered {delivered}, duplicated {}",
        STALL.as_secs(),
        arrived - counts.len()
    );
    for (i, (conv, m)) in replies.iter().enumerate() {
        assert_eq!(
            counts.get(&rfc_id(m)),
            Some(&1),
            "reply {i} delivered exactly once: {counts:?}"
        );
        let d = delivery(&app, conv, &m.id).await.expect("delivery");
        assert_eq!(d.attempts, 1, "reply {i} took one attempt");
    }
    assert_eq!(arrived, REPLIES, "nothing else arrived: {counts:?}");
    for raw in sink.received() {
        let id = header(&raw, "Message-ID").unwrap();
        let i = replies.iter().position(|(_, m)| rfc_id(m) == id).unwrap();
        assert_eq!(
            header(&raw, "X-Envelope-To").as_deref(),
            Some(format!("customer{i}@example.com").as_str())
        );
    }
    other.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_sent_again_after_its_sender_died_carries_the_same_message_id() {
    let Some(sink) = SmtpSink::start_stalling(STALL) else {
        return;
    };
    let in_flight = Duration::from_secs(8);
    let cfg = senders(&sink, in_flight);
    // The instance the agent talks to sends nothing (no SMTP settings); the
    // first sender dies mid-send, the second is started after it.
    let app = spawn(EmailConfig::new()).await;
    let first = instance(&app, cfg.clone()).await;
    let agent = app.agent("Sam").await;
    let (conv, reply) = replied(&app, &agent, 1).await;
    let first_copy = eventually(20, "the first copy at the sink", || async {
        (sink.received().len() == 1).then(Instant::now)
    })
    .await;
    // The sink has the message and is stalling before its answer: the
    // sender dies now, before it could record anything.
    first.stop().await;
    let second = instance(&app, cfg).await;
    let second_copy = eventually(30, "the copy sent again", || async {
        (sink.received().len() == 2).then(Instant::now)
    })
    .await;
    let d = eventually(20, "the reply recorded as sent", || async {
        delivery(&app, &conv, &reply.id)
            .await
            .filter(|d| d.status == DeliveryStatus::Sent)
    })
    .await;
    let waited = second_copy - first_copy;
    let counts = sink.counts_by_message_id();
    eprintln!(
        "a sender died mid-send: sent 1, delivered {} copies under {} Message-ID, duplicated {} (sent again {:.1} s later, the in-flight lease being {} s)",
        counts.values().sum::<usize>(),
        counts.len(),
        counts.values().sum::<usize>() - counts.len(),
        waited.as_secs_f64(),
        in_flight.as_secs()
    );
    assert!(
        waited >= in_flight - Duration::from_secs(1),
        "not sent again before its in-flight mark ran out (after {waited:?})"
    );
    let copies = sink.received();
    assert_eq!(copies.len(), 2);
    assert_eq!(counts.get(&rfc_id(&reply)), Some(&2), "{counts:?}");
    for h in [
        "Message-ID",
        "Subject",
        "In-Reply-To",
        "References",
        "X-Envelope-To",
    ] {
        assert_eq!(header(&copies[0], h), header(&copies[1], h), "{h}");
    }
    assert_eq!(
        header(&copies[1], "In-Reply-To").as_deref(),
        Some("<q1@mail.example.com>")
    );
    assert_eq!(d.attempts, 1, "the abandoned attempt recorded nothing");
    // Nothing more goes out.
    tokio::time::sleep(STALL + Duration::from_secs(1)).await;
    assert_eq!(sink.received().len(), 2);
    second.stop().await;
    app.stop().await;
}
