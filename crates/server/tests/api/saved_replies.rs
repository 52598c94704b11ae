//! Saved replies: CRUD and who may do what, variables refused when saving
//! and filled from the conversation, their events in `/sync` and `/events`
//! for the right agents only, and their use in the metrics.

use serde_json::{json, Value};
use switchboard_api::events::kinds;
use switchboard_api::{
    AgentStatus, Conversation, Customer, Event, NewConversation, NewSavedReply, ReplyScope,
    SavedReply, SavedReplyPatch, Session,
};

use crate::helpers::*;

fn new_reply(title: &str, body: &str, scope: Option<ReplyScope>) -> NewSavedReply {
    NewSavedReply {
        title: title.into(),
        body: body.into(),
        scope,
        category_id: None,
        attachments: vec![],
    }
}

async fn team_reply(admin: &Session, title: &str, body: &str) -> SavedReply {
    admin
        .create_saved_reply(&new_reply(title, body, Some(ReplyScope::Team)))
        .await
        .expect("create team reply")
}

async fn conversation_from(app: &TestApp, name: Option<&str>, category: &str) -> Conversation {
    app.admin
        .create_conversation(&NewConversation {
            customer: Customer {
                name: name.map(str::to_owned),
                email: Some(format!("c{}@example.com", app.unique())),
                phone: None,
            },
            subject: "Where is my refund?".into(),
            body: "I was promised a refund.".into(),
            category_id: Some(category.into()),
        })
        .await
        .expect("conversation")
}

/// The saved-reply events among `events`: `(type, reply id)`.
fn reply_events(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|e| e.kind.starts_with("saved_reply."))
        .map(|e| {
            let id = e
                .data
                .get("saved_reply")
                .and_then(|r| r.get("id"))
                .or_else(|| e.data.get("id"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            (e.kind.clone(), id)
        })
        .collect()
}

fn ev(kind: &str, id: &str) -> (String, String) {
    (kind.to_owned(), id.to_owned())
}

#[tokio::test]
async fn crud_team_replies_for_admins_personal_ones_private() {
    let app = spawn_app().await;
    let pat = app.agent("pat", &["general"], AgentStatus::Available).await;
    let sam = app.agent("sam", &["general"], AgentStatus::Available).await;

    // Admins create team replies; everyone sees them.
    let team = team_reply(
        &app.admin,
        "  Refund approved ",
        "Hi {{customer.first_name}},\nyour refund is on its way.\n",
    )
    .await;
    assert_eq!(team.title, "Refund approved");
    assert_eq!(
        team.body,
        "Hi {{customer.first_name}},\nyour refund is on its way."
    );
    assert_eq!(team.scope, ReplyScope::Team);
    assert_eq!(team.owner_id, None);
    assert_eq!(
        pat.saved_reply(&team.id)
            .await
            .expect("agent reads a team reply"),
        team
    );

    // Agents create personal replies (the default scope), never team ones.
    let up1 = pat
        .upload("one.txt", b"one".to_vec())
        .await
        .expect("upload");
    let up2 = pat
        .upload("two.txt", b"two".to_vec())
        .await
        .expect("upload");
    let mine = pat
        .create_saved_reply(&NewSavedReply {
            category_id: Some("general".into()),
            attachments: vec![up1.id.clone(), format!(" {} ", up2.id), up1.id.clone()],
            ..new_reply("My sign-off", "Cheers, {{agent.name}}", None)
        })
        .await
        .expect("personal reply");
    assert_eq!(mine.scope, ReplyScope::Personal);
    assert_eq!(mine.owner_id.as_deref(), Some(pat.agent.id.as_str()));
    assert_eq!(mine.category_id.as_deref(), Some("general"));
    assert_eq!(mine.attachments, [up1.id.clone(), up2.id.clone()]);
    expect_err(
        pat.create_saved_reply(&new_reply("Ours", "text", Some(ReplyScope::Team)))
            .await,
        403,
        "admin_only",
    );

    // Lists: the team's and one's own, by title.
    let titles = |v: Vec<SavedReply>| v.into_iter().map(|r| r.title).collect::<Vec<_>>();
    assert_eq!(
        titles(pat.saved_replies().await.unwrap()),
        ["My sign-off", "Refund approved"]
    );
    assert_eq!(
        titles(sam.saved_replies().await.unwrap()),
        ["Refund approved"]
    );
    assert_eq!(
        titles(app.admin.saved_replies().await.unwrap()),
        ["Refund approved"]
    );

    // Another agent's personal reply does not exist for anyone else, admins included.
    for other in [&sam, &app.admin] {
        expect_err(other.saved_reply(&mine.id).await, 404, "not_found");
        expect_err(
            other
                .patch_saved_reply(
                    &mine.id,
                    &SavedReplyPatch {
                        title: Some("x".into()),
                        ..Default::default()
                    },
                )
                .await,
            404,
            "not_found",
        );
        expect_err(other.delete_saved_reply(&mine.id).await, 404, "not_found");
    }

    // An agent cannot change or delete a team reply.
    expect_err(
        pat.patch_saved_reply(
            &team.id,
            &SavedReplyPatch {
                body: Some("mine now".into()),
                ..Default::default()
            },
        )
        .await,
        403,
        "admin_only",
    );
    expect_err(pat.delete_saved_reply(&team.id).await, 403, "admin_only");
    assert_eq!(
        sam.saved_reply(&team.id).await.unwrap().body,
        team.body,
        "unchanged"
    );

    // The owner changes their own: fields given replace, null clears the category.
    app.advance(5);
    let changed = pat
        .patch_saved_reply(
            &mine.id,
            &SavedReplyPatch {
                title: Some("Sign-off".into()),
                ..Default::default()
            },
        )
        .await
        .expect("owner changes");
    assert_eq!(changed.title, "Sign-off");
    assert_eq!(changed.body, mine.body);
    assert_eq!(changed.category_id.as_deref(), Some("general"));
    assert!(changed.updated_at > mine.updated_at);
    let resp = app
        .http
        .patch(app.api(&format!("/saved_replies/{}", mine.id)))
        .bearer_auth(pat.token())
        .json(&json!({ "category_id": null, "attachments": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let cleared: SavedReply = resp.json().await.unwrap();
    assert_eq!(cleared.category_id, None);
    assert!(cleared.attachments.is_empty());
    // The scope is fixed at creation: a patch naming it is refused.
    let resp = app
        .http
        .patch(app.api(&format!("/saved_replies/{}", mine.id)))
        .bearer_auth(pat.token())
        .json(&json!({ "scope": "team" }))
        .send()
        .await
        .unwrap();
    expect_error_body(resp, 422, "invalid_body").await;

    // Admins change team replies; a category that does not exist is refused.
    let admin_changed = app
        .admin
        .patch_saved_reply(
            &team.id,
            &SavedReplyPatch {
                category_id: Some(Some("general".into())),
                ..Default::default()
            },
        )
        .await
        .expect("admin changes a team reply");
    assert_eq!(admin_changed.category_id.as_deref(), Some("general"));
    expect_err(
        app.admin
            .patch_saved_reply(
                &team.id,
                &SavedReplyPatch {
                    category_id: Some(Some("nope".into())),
                    ..Default::default()
                },
            )
            .await,
        422,
        "unknown_category",
    );
    expect_err(
        pat.create_saved_reply(&NewSavedReply {
            category_id: Some("nope".into()),
            ..new_reply("t", "b", None)
        })
        .await,
        422,
        "unknown_category",
    );
    expect_err(
        pat.create_saved_reply(&new_reply("  ", "b", None)).await,
        422,
        "invalid_title",
    );
    expect_err(
        pat.create_saved_reply(&new_reply("t", " \n ", None)).await,
        422,
        "invalid_reply_body",
    );
    expect_err(
        pat.create_saved_reply(&NewSavedReply {
            attachments: vec!["".into()],
            ..new_reply("t", "b", None)
        })
        .await,
        422,
        "invalid_attachments",
    );

    // The list filtered by category: replies offered there only.
    let billing = app.category("billing").await;
    let only_billing = app
        .admin
        .create_saved_reply(&NewSavedReply {
            category_id: Some(billing.id.clone()),
            ..new_reply("Invoice copy", "Attached.", Some(ReplyScope::Team))
        })
        .await
        .unwrap();
    let resp = app
        .http
        .get(app.api("/saved_replies?category_id=general"))
        .bearer_auth(sam.token())
        .send()
        .await
        .unwrap();
    assert_eq!(titles(resp.json().await.unwrap()), ["Refund approved"]);
    let resp = app
        .http
        .get(app.api("/saved_replies?category_id=billing"))
        .bearer_auth(sam.token())
        .send()
        .await
        .unwrap();
    assert_eq!(titles(resp.json().await.unwrap()), ["Invoice copy"]);
    assert_eq!(sam.saved_replies().await.unwrap().len(), 2);

    // Deleting.
    pat.delete_saved_reply(&mine.id)
        .await
        .expect("owner deletes");
    expect_err(pat.saved_reply(&mine.id).await, 404, "not_found");
    app.admin
        .delete_saved_reply(&only_billing.id)
        .await
        .expect("admin deletes");
    assert_eq!(
        titles(pat.saved_replies().await.unwrap()),
        ["Refund approved"]
    );
    expect_err(
        app.admin.delete_saved_reply(&only_billing.id).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn unknown_variables_and_malformed_braces_are_refused_by_name() {
    let app = spawn_app().await;
    let pat = app.agent("pat", &["general"], AgentStatus::Available).await;

    let detail = expect_err(
        pat.create_saved_reply(&new_reply("Hi", "Hello {{customer.email}}, thanks.", None))
            .await,
        422,
        "unknown_variable",
    );
    assert!(
        detail.message.contains("{{customer.email}}"),
        "{}",
        detail.message
    );
    assert!(
        detail.message.contains("{{customer.first_name}}"),
        "lists the known ones: {}",
        detail.message
    );
    let detail = expect_err(
        pat.create_saved_reply(&new_reply("Hi", "Hello {{customer.name, thanks.", None))
            .await,
        422,
        "malformed_variable",
    );
    assert!(detail.message.contains("character 7"), "{}", detail.message);
    expect_err(
        app.admin
            .create_saved_reply(&new_reply("Hi", "{{ }}", Some(ReplyScope::Team)))
            .await,
        422,
        "malformed_variable",
    );
    assert!(
        pat.saved_replies().await.unwrap().is_empty(),
        "nothing saved"
    );

    // A change is checked the same way and leaves the reply as it was.
    let ok = pat
        .create_saved_reply(&new_reply(
            "Hi",
            "Hello {{ customer.name }}, {} and }} are text.",
            None,
        ))
        .await
        .expect("known variables and plain braces");
    expect_err(
        pat.patch_saved_reply(
            &ok.id,
            &SavedReplyPatch {
                body: Some("Bye {{agent.email}}".into()),
                ..Default::default()
            },
        )
        .await,
        422,
        "unknown_variable",
    );
    assert_eq!(pat.saved_reply(&ok.id).await.unwrap().body, ok.body);
}

#[tokio::test]
async fn filling_uses_the_conversation_and_the_caller_and_leaves_missing_values_visible() {
    let app = spawn_app().await;
    app.category("billing").await;
    let pat = app
        .create_agent(
            &switchboard_testkit::accounts::new_agent(
                "Pat Doe",
                &format!("pat.doe.{}@test.switchboard", app.unique()),
                &["general"],
                5,
            ),
            AgentStatus::Available,
        )
        .await;
    let team = team_reply(
        &app.admin,
        "Refund approved",
        "Hi {{customer.first_name}} ({{customer.name}}), {{agent.name}} here about #{{conversation.id}}.",
    )
    .await;
    let with_name = conversation_from(&app, Some("Mary Jackson"), "general").await;
    let filled = pat
        .fill_saved_reply(&with_name.summary.id, &team.id)
        .await
        .expect("fill");
    assert_eq!(
        filled.text,
        format!(
            "Hi Mary (Mary Jackson), Pat Doe here about #{}.",
            with_name.summary.id
        )
    );
    assert!(filled.missing.is_empty());
    assert_eq!(filled.reply_id, team.id);
    assert_eq!(filled.conversation_id, with_name.summary.id);

    // A customer known by email only: the name stays a visible placeholder.
    let no_name = conversation_from(&app, None, "general").await;
    let filled = pat
        .fill_saved_reply(&no_name.summary.id, &team.id)
        .await
        .unwrap();
    assert_eq!(
        filled.text,
        format!(
            "Hi {{{{customer.first_name}}}} ({{{{customer.name}}}}), Pat Doe here about #{}.",
            no_name.summary.id
        )
    );
    assert_eq!(filled.missing, ["customer.first_name", "customer.name"]);

    // Personal replies fill for their owner, attachments come along.
    let up = pat.upload("sign.txt", b"sign".to_vec()).await.unwrap();
    let mine = pat
        .create_saved_reply(&NewSavedReply {
            attachments: vec![up.id.clone()],
            ..new_reply("Sign-off", "Cheers, {{agent.name}}", None)
        })
        .await
        .unwrap();
    let filled = pat
        .fill_saved_reply(&with_name.summary.id, &mine.id)
        .await
        .unwrap();
    assert_eq!(filled.text, "Cheers, Pat Doe");
    assert_eq!(filled.attachments, std::slice::from_ref(&up.id));

    // A conversation the caller may not see, or a reply that is not theirs: 404.
    let elsewhere = conversation_from(&app, Some("Bo"), "billing").await;
    expect_err(
        pat.fill_saved_reply(&elsewhere.summary.id, &team.id).await,
        404,
        "not_found",
    );
    expect_err(
        app.admin
            .fill_saved_reply(&with_name.summary.id, &mine.id)
            .await,
        404,
        "not_found",
    );
    expect_err(
        pat.fill_saved_reply(&with_name.summary.id, "nope").await,
        404,
        "not_found",
    );
    expect_err(
        pat.fill_saved_reply("nope", &team.id).await,
        404,
        "not_found",
    );
    // The admin sees every conversation and fills as themself.
    let filled = app
        .admin
        .fill_saved_reply(&elsewhere.summary.id, &team.id)
        .await
        .unwrap();
    assert!(filled.text.starts_with("Hi Bo (Bo), "), "{}", filled.text);
    assert!(
        filled
            .text
            .contains(&format!("{} here", app.admin.agent.name)),
        "{}",
        filled.text
    );
}

#[tokio::test]
async fn events_reach_everyone_for_team_replies_and_only_the_owner_for_personal_ones() {
    let app = spawn_app().await;
    let pat = app.agent("pat", &["general"], AgentStatus::Available).await;
    let sam = app.agent("sam", &["general"], AgentStatus::Available).await;
    let since = app.last_seq().await;
    let mut sam_stream = sam.events(Some(since)).await.expect("stream");

    let mine = pat
        .create_saved_reply(&new_reply("Mine", "Cheers", None))
        .await
        .unwrap();
    let team = team_reply(&app.admin, "Ours", "Hello {{customer.name}}").await;
    // Sam's live stream skips pat's personal reply and delivers the team one.
    let first = next_event(&mut sam_stream).await;
    assert_eq!(
        reply_events(std::slice::from_ref(&first)),
        [ev(kinds::SAVED_REPLY_UPDATED, &team.id)]
    );
    assert_eq!(first.conversation_id, None);
    let carried: SavedReply =
        serde_json::from_value(first.data["saved_reply"].clone()).expect("whole reply");
    assert_eq!(carried, team);

    pat.patch_saved_reply(
        &mine.id,
        &SavedReplyPatch {
            body: Some("Cheers!".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    pat.delete_saved_reply(&mine.id).await.unwrap();
    app.admin
        .patch_saved_reply(
            &team.id,
            &SavedReplyPatch {
                title: Some("Ours too".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    app.admin.delete_saved_reply(&team.id).await.unwrap();

    let team_events = [
        ev(kinds::SAVED_REPLY_UPDATED, &team.id),
        ev(kinds::SAVED_REPLY_UPDATED, &team.id),
        ev(kinds::SAVED_REPLY_DELETED, &team.id),
    ];
    assert_eq!(reply_events(&sync_all(&sam, since, 2).await), team_events);
    assert_eq!(
        reply_events(&sync_all(&app.admin, since, 500).await),
        team_events
    );
    assert_eq!(
        reply_events(&sync_all(&pat, since, 500).await),
        [
            ev(kinds::SAVED_REPLY_UPDATED, &mine.id),
            ev(kinds::SAVED_REPLY_UPDATED, &team.id),
            ev(kinds::SAVED_REPLY_UPDATED, &mine.id),
            ev(kinds::SAVED_REPLY_DELETED, &mine.id),
            ev(kinds::SAVED_REPLY_UPDATED, &team.id),
            ev(kinds::SAVED_REPLY_DELETED, &team.id),
        ]
    );
    // The deletion names the reply's scope and owner.
    let events = sync_all(&pat, since, 500).await;
    let deleted = events
        .iter()
        .find(|e| e.kind == kinds::SAVED_REPLY_DELETED)
        .expect("deleted");
    assert_eq!(deleted.data["id"], json!(mine.id));
    assert_eq!(deleted.data["scope"], json!("personal"));
    assert_eq!(deleted.data["owner_id"], json!(pat.agent.id));
    // The typed payloads decode.
    for e in &events {
        assert!(
            !matches!(
                e.payload(),
                Ok(switchboard_api::events::EventPayload::Unknown) | Err(_)
            ),
            "{e:?}"
        );
    }

    // Sam's stream goes on with the team's changes only.
    let rest = events_until(&mut sam_stream, |e| e.kind == kinds::SAVED_REPLY_DELETED).await;
    assert_eq!(reply_events(&rest), team_events[1..]);
}

#[tokio::test]
async fn metrics_count_each_replys_uses() {
    let app = spawn_app().await;
    let pat = app.agent("pat", &["general"], AgentStatus::Available).await;
    let sam = app.agent("sam", &["general"], AgentStatus::Available).await;
    let refund = team_reply(&app.admin, "Refund approved", "Hi {{customer.name}}").await;
    let hello = team_reply(&app.admin, "Hello", "Hello").await;
    let unused = team_reply(&app.admin, "Unused", "Never used").await;
    let mine = pat
        .create_saved_reply(&new_reply("Mine", "Cheers", None))
        .await
        .unwrap();
    let a = conversation_from(&app, Some("Ann"), "general")
        .await
        .summary
        .id;
    let b = conversation_from(&app, Some("Bob"), "general")
        .await
        .summary
        .id;

    let before = app.now();
    app.advance(60);
    pat.fill_saved_reply(&a, &refund.id).await.unwrap();
    pat.fill_saved_reply(&a, &refund.id).await.unwrap();
    sam.fill_saved_reply(&b, &refund.id).await.unwrap();
    sam.fill_saved_reply(&b, &hello.id).await.unwrap();
    pat.fill_saved_reply(&b, &mine.id).await.unwrap();

    let usage = |m: &switchboard_api::Metrics| {
        m.saved_replies
            .iter()
            .map(|u| (u.title.clone(), u.uses, u.conversations, u.agents))
            .collect::<Vec<_>>()
    };
    let admin = app.admin.metrics(None, None).await.unwrap();
    assert_eq!(
        usage(&admin),
        [
            ("Refund approved".to_owned(), 3, 2, 2),
            ("Hello".to_owned(), 1, 1, 1)
        ],
        "most used first; unused and others' personal replies left out"
    );
    assert_eq!(admin.saved_replies[0].reply_id, refund.id);
    assert_eq!(admin.saved_replies[0].scope, ReplyScope::Team);
    assert!(admin.saved_replies.iter().all(|u| u.reply_id != unused.id));
    // The owner sees their personal reply's use beside the team's.
    assert_eq!(
        usage(&pat.metrics(None, None).await.unwrap()),
        [
            ("Refund approved".to_owned(), 3, 2, 2),
            ("Hello".to_owned(), 1, 1, 1),
            ("Mine".to_owned(), 1, 1, 1)
        ]
    );
    // Only uses inside the period count.
    let earlier = app
        .admin
        .metrics(Some(before - chrono::Duration::hours(1)), Some(before))
        .await
        .unwrap();
    assert!(earlier.saved_replies.is_empty());
    // A deleted reply goes with its history.
    app.admin.delete_saved_reply(&hello.id).await.unwrap();
    assert_eq!(
        usage(&app.admin.metrics(None, None).await.unwrap()),
        [("Refund approved".to_owned(), 3, 2, 2)]
    );
    // The raw document carries the field.
    let raw: Value = app
        .http
        .get(app.api("/metrics"))
        .bearer_auth(sam.token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["saved_replies"][0]["uses"], json!(3));
}
