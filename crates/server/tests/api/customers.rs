//! Customer profiles: one person across email, SMS and the widget, the
//! profile API (who may change what), visibility of a customer's
//! conversations, and the `customer.updated` events.

use std::collections::BTreeSet;

use switchboard_api::{AgentStatus, CustomerPatch, CustomerQuery, IdentityKind, NewIdentity};
use switchboard_testkit::email::{deliver, enable_inbound};
use switchboard_testkit::twilio::{deliver_text, sms_config};
use switchboard_testkit::widget::start_chat;

use crate::helpers::*;

/// Texts the server as Twilio would, from `from`; the conversation's id.
async fn sms(app: &TestApp, sid: &str, from: &str, body: &str) -> String {
    assert_eq!(deliver_text(&app.url, sid, from, body).await, 200);
    let all = app
        .admin
        .conversations(switchboard_api::View::All)
        .await
        .expect("list");
    all.into_iter()
        .find(|c| c.customer.phone.as_deref() == Some(from))
        .map(|c| c.id)
        .expect("the SMS conversation")
}

async fn spawn_channels() -> TestApp {
    spawn_app_with(|c| {
        enable_inbound(c);
        // Inbound texts only: nothing is sent, so no Twilio is needed.
        c.sms = sms_config("http://127.0.0.1:9");
    })
    .await
}

fn email_from(from: &str, subject: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: support@example.test\r\nSubject: {subject}\r\n\
         Message-ID: <{}@mail.example.test>\r\nDate: Fri, 4 Dec 2026 09:00:00 +0000\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        subject.replace(' ', "-")
    )
}

/// The path: an email, an SMS from a phone an admin put on the
/// profile, and a widget chat giving the same email land on one customer,
/// whose details list all three, newest first.
#[tokio::test]
async fn one_customer_across_email_sms_and_the_widget() {
    let app = spawn_channels().await;
    let first = deliver(
        &app.url,
        email_from(
            "Ada Lovelace <Ada@Example.com>",
            "Invoice twice",
            "I was billed twice.",
        ),
    )
    .await;
    let c1 = first["conversation_id"].as_str().expect("id").to_owned();
    let conv = app.admin.conversation(&c1).await.expect("c1");
    let profile = conv.summary.customer_id.clone().expect("a profile");
    let details = app.admin.customer(&profile).await.expect("details");
    assert_eq!(details.customer.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        details
            .customer
            .identities
            .iter()
            .map(|i| (i.kind, i.value.as_str()))
            .collect::<Vec<_>>(),
        [(IdentityKind::Email, "ada@example.com")]
    );

    // An admin adds the phone Ada gave on the call, written as people do.
    let p = app
        .admin
        .add_identity(
            &profile,
            &NewIdentity {
                kind: IdentityKind::Phone,
                value: "+44 20 7123 4567".into(),
            },
        )
        .await
        .expect("add phone");
    assert!(p
        .identities
        .iter()
        .any(|i| i.kind == IdentityKind::Phone && i.value == "+442071234567"));

    app.advance(60);
    let c2 = sms(&app, "SM0001", "+442071234567", "Any news on the refund?").await;
    let conv2 = app.admin.conversation(&c2).await.expect("c2");
    assert_eq!(conv2.summary.customer_id.as_deref(), Some(profile.as_str()));
    assert_eq!(
        conv2.summary.customer.name.as_deref(),
        Some("Ada Lovelace"),
        "a text from a known number shows the profile's name"
    );

    app.advance(60);
    let c3 = start_chat(
        &app.url,
        "Ada",
        "ADA@example.com",
        "Chatting about my refund",
    )
    .await;
    let conv3 = app.admin.conversation(&c3).await.expect("c3");
    assert_eq!(conv3.summary.customer_id.as_deref(), Some(profile.as_str()));

    let details = app.admin.customer(&profile).await.expect("details");
    let ids: Vec<&str> = details
        .conversations
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, [c3.as_str(), c2.as_str(), c1.as_str()], "newest first");
    assert_eq!(details.hidden_conversations, 0);
    let kinds: BTreeSet<IdentityKind> =
        details.customer.identities.iter().map(|i| i.kind).collect();
    assert_eq!(
        kinds,
        [
            IdentityKind::Email,
            IdentityKind::Phone,
            IdentityKind::Visitor
        ]
        .into(),
        "the chat taught the profile its visitor"
    );
    assert_eq!(
        details.customer.name.as_deref(),
        Some("Ada Lovelace"),
        "a later channel's shorter name does not replace the profile's"
    );

    // Someone else entirely is someone else.
    app.advance(60);
    let other = deliver(&app.url, email_from("bob@example.com", "Hello", "Hi")).await;
    let other = app
        .admin
        .conversation(other["conversation_id"].as_str().expect("id"))
        .await
        .expect("other");
    assert_ne!(other.summary.customer_id.as_deref(), Some(profile.as_str()));
}

/// An agent sees the customer's conversations they may see, and a count
/// of the rest; agents edit name, company and notes; identities are the
/// admins'; every change is a `customer.updated` event.
#[tokio::test]
async fn visibility_edits_and_identities() {
    let app = spawn_channels().await;
    app.category("billing").await;
    let agent = app
        .agent("Grace", &["general"], AgentStatus::Available)
        .await;
    let a = deliver(
        &app.url,
        email_from("Lin <lin@example.com>", "One", "first"),
    )
    .await;
    let a = a["conversation_id"].as_str().expect("id").to_owned();
    app.advance(60);
    let b = deliver(
        &app.url,
        email_from("Lin <lin@example.com>", "Two", "second"),
    )
    .await;
    let b = b["conversation_id"].as_str().expect("id").to_owned();
    app.admin
        .recategorize(&b, "billing")
        .await
        .expect("to billing");
    let profile = app
        .admin
        .conversation(&a)
        .await
        .expect("a")
        .summary
        .customer_id
        .expect("profile");
    assert_eq!(
        app.admin
            .conversation(&b)
            .await
            .expect("b")
            .summary
            .customer_id
            .as_deref(),
        Some(profile.as_str())
    );

    let seen = agent.customer(&profile).await.expect("details");
    assert_eq!(
        seen.conversations
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        [a.as_str()]
    );
    assert_eq!(
        seen.hidden_conversations, 1,
        "billing's is counted, not shown"
    );
    let all = app.admin.customer(&profile).await.expect("details");
    assert_eq!(all.conversations.len(), 2);

    // Agents edit the profile.
    let p = agent
        .patch_customer(
            &profile,
            &CustomerPatch {
                name: Some("Lin Chen".into()),
                company: Some("Chen & Co".into()),
                notes: Some("Prefers email. VIP since 2024.".into()),
            },
        )
        .await
        .expect("edit");
    assert_eq!(p.name.as_deref(), Some("Lin Chen"));
    assert_eq!(p.company.as_deref(), Some("Chen & Co"));
    let long = agent
        .patch_customer(
            &profile,
            &CustomerPatch {
                company: Some("x".repeat(201)),
                ..CustomerPatch::default()
            },
        )
        .await;
    expect_err(long, 422, "invalid_company");
    let cleared = agent
        .patch_customer(
            &profile,
            &CustomerPatch {
                company: Some("  ".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .expect("clear");
    assert_eq!(cleared.company, None);

    // Identities are the admins'.
    let phone = NewIdentity {
        kind: IdentityKind::Phone,
        value: "+15550109999".into(),
    };
    let refused = agent.add_identity(&profile, &phone).await;
    expect_err(refused, 403, "admin_only");
    let bad = app
        .admin
        .add_identity(
            &profile,
            &NewIdentity {
                kind: IdentityKind::Phone,
                value: "555 0109".into(),
            },
        )
        .await;
    expect_err(bad, 422, "invalid_identity");
    app.admin
        .add_identity(&profile, &phone)
        .await
        .expect("phone");
    // Someone else's email cannot be put on this profile: that is a merge.
    let c = deliver(&app.url, email_from("sam@example.com", "Hi", "hello")).await;
    let sam = app
        .admin
        .conversation(c["conversation_id"].as_str().expect("id"))
        .await
        .expect("sam")
        .summary
        .customer_id
        .expect("profile");
    let taken = app
        .admin
        .add_identity(
            &sam,
            &NewIdentity {
                kind: IdentityKind::Email,
                value: "LIN@example.com".into(),
            },
        )
        .await;
    expect_err(taken, 409, "identity_taken");

    // Removed, the email starts a new profile next time.
    let p = app
        .admin
        .remove_identity(&profile, IdentityKind::Email, "lin@example.com")
        .await
        .expect("remove");
    assert!(p.identities.iter().all(|i| i.kind != IdentityKind::Email));
    let gone = app
        .admin
        .remove_identity(&profile, IdentityKind::Email, "lin@example.com")
        .await;
    expect_err(gone, 404, "not_found");
    app.advance(60);
    let c = deliver(&app.url, email_from("lin@example.com", "Three", "third")).await;
    let next = app
        .admin
        .conversation(c["conversation_id"].as_str().expect("id"))
        .await
        .expect("third");
    assert_ne!(next.summary.customer_id.as_deref(), Some(profile.as_str()));

    // Found by name, company, email start and phone digits.
    for q in ["lin ch", "LIN", "+1 555 010", "sam@"] {
        let found = app
            .admin
            .customers(&CustomerQuery {
                q: Some(q.into()),
                limit: None,
            })
            .await
            .expect("search");
        assert!(!found.is_empty(), "{q}");
    }
    let found = agent
        .customers(&CustomerQuery {
            q: Some("+1555".into()),
            limit: None,
        })
        .await
        .expect("search");
    assert_eq!(
        found.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        [profile.as_str()]
    );

    // Every change was announced, to every agent.
    let events = sync_all(&agent, 0, 500).await;
    let updates: Vec<&switchboard_api::Event> = events
        .iter()
        .filter(|e| e.kind == "customer.updated")
        .collect();
    assert!(updates.len() >= 6, "{}", updates.len());
    let last = updates
        .iter()
        .rev()
        .find(|e| e.data["customer"]["id"] == profile.as_str())
        .expect("an update of Lin");
    assert_eq!(last.data["customer"]["name"], "Lin Chen");
    assert_eq!(
        last.data["customer"]["notes"],
        "Prefers email. VIP since 2024."
    );
    let missing = agent.customer("no-such-customer").await;
    expect_err(missing, 404, "not_found");
}

/// Conversations stored before profiles existed get theirs when the server
/// starts (the migration asks for it; here the profiles are emptied and the
/// request made again by hand), by the same rules as new ones.
#[tokio::test]
async fn conversations_from_before_profiles_get_theirs_at_start() {
    use switchboard_server::store::{db, op};
    let mut app = spawn_channels().await;
    let a = deliver(
        &app.url,
        email_from("Kim <kim@example.com>", "One", "first"),
    )
    .await;
    let a = a["conversation_id"].as_str().expect("id").to_owned();
    app.advance(60);
    let b = deliver(&app.url, email_from("KIM@example.com", "Two", "second")).await;
    let b = b["conversation_id"].as_str().expect("id").to_owned();
    app.advance(60);
    let c = deliver(&app.url, email_from("lee@example.com", "Three", "third")).await;
    let c = c["conversation_id"].as_str().expect("id").to_owned();
    app.server()
        .store()
        .write(op(|tx| {
            Box::pin(async move {
                for sql in [
                    "UPDATE conversations SET customer_id = NULL",
                    "DELETE FROM customer_identities",
                    "DELETE FROM customers",
                    "UPDATE counters SET value = 1 WHERE name = 'customers_backfill'",
                ] {
                    db::query(sql).execute(&mut *tx).await?;
                }
                Ok(())
            })
        }))
        .await
        .expect("profiles emptied");
    assert_eq!(
        app.admin
            .conversation(&a)
            .await
            .expect("a")
            .summary
            .customer_id,
        None
    );
    app.restart().await;
    let admin = app.client.resume(app.admin.token()).await.expect("resume");
    let profile = |id: String| {
        let admin = admin.clone();
        async move {
            admin
                .conversation(&id)
                .await
                .expect("conv")
                .summary
                .customer_id
                .expect("a profile after the start")
        }
    };
    let (pa, pb, pc) = (profile(a).await, profile(b).await, profile(c).await);
    assert_eq!(pa, pb, "one email, one customer");
    assert_ne!(pa, pc);
    let kim = admin.customer(&pa).await.expect("kim");
    assert_eq!(kim.customer.name.as_deref(), Some("Kim"));
    assert_eq!(kim.conversations.len(), 2);
}
