//! Merging two conversations of one customer: the kept one holds both
//! histories interleaved by time, the other is closed pointing to it, the
//! customer's next words on the old one land in the kept one, search finds
//! the moved messages there; an admin undoes it within the period; what is
//! refused, and why.

use switchboard_api::{
    AgentStatus, ConversationState, Customer, MessageKind, NewConversation, Session,
};

use crate::helpers::*;

async fn ada_writes(admin: &Session, subject: &str, body: &str, email: &str) -> String {
    admin
        .create_conversation(&NewConversation {
            customer: Customer {
                name: Some("Ada".into()),
                email: Some(email.into()),
                phone: None,
            },
            subject: subject.into(),
            body: body.into(),
            category_id: Some("billing".into()),
        })
        .await
        .expect("conversation")
        .summary
        .id
}

fn customer_lines(c: &switchboard_api::Conversation) -> Vec<String> {
    c.messages
        .iter()
        .filter(|m| m.kind == MessageKind::Customer)
        .map(|m| m.body.clone())
        .collect()
}

#[tokio::test]
async fn merged_histories_interleave_by_time_and_an_admin_undoes_it() {
    let app = spawn_app().await;
    app.category("billing").await;
    let admin = &app.admin;
    let a = ada_writes(admin, "Invoice", "A1 invoice question", "ada@example.com").await;
    app.advance(10);
    let b = ada_writes(admin, "Refund", "B1 zanzibar refund", "ADA@example.com").await;
    app.advance(10);
    app.customer_message(&a, "A2").await;
    app.advance(10);
    app.customer_message(&b, "B2").await;
    app.advance(10);
    let since = app.last_seq().await;

    let kept = admin.merge(&a, &b).await.expect("merge");
    assert_eq!(kept.id, a);
    let a_now = admin.conversation(&a).await.expect("a");
    assert_eq!(
        customer_lines(&a_now),
        ["A1 invoice question", "B1 zanzibar refund", "A2", "B2"],
        "by time"
    );
    assert!(a_now
        .messages
        .iter()
        .any(|m| m.kind == MessageKind::System && m.body.starts_with("Merged with “Refund”")));
    let b_now = admin.conversation(&b).await.expect("b");
    assert_eq!(b_now.summary.state, ConversationState::Resolved);
    assert_eq!(b_now.summary.merged_into.as_deref(), Some(a.as_str()));
    assert_eq!(
        b_now.messages.iter().map(|m| m.kind).collect::<Vec<_>>(),
        [MessageKind::System],
        "only the line pointing to the kept one"
    );
    // One event moves the messages; then both conversations' own.
    let events = sync_all(admin, since, 500).await;
    let merged = events
        .iter()
        .find(|e| e.kind == "conversation.merged")
        .expect("merged event");
    assert_eq!(merged.data["kept_id"], a.as_str());
    assert_eq!(merged.data["absorbed_id"], b.as_str());
    assert_eq!(merged.data["moved"].as_array().map(Vec::len), Some(2));
    let changed: Vec<&str> = events
        .iter()
        .filter(|e| change_of(e) == Some("merged"))
        .filter_map(|e| e.conversation_id.as_deref())
        .collect();
    assert_eq!(changed, [b.as_str(), a.as_str()]);

    // The customer answers on the old thread: it lands in the kept one.
    app.customer_message(&b, "B3 on the old thread").await;
    let a_now = admin.conversation(&a).await.expect("a");
    assert_eq!(
        customer_lines(&a_now).last().map(String::as_str),
        Some("B3 on the old thread")
    );
    // Search finds the moved words in the kept conversation.
    let resp = app
        .http
        .get(app.api("/search"))
        .bearer_auth(admin.token())
        .query(&[("q", "zanzibar")])
        .send()
        .await
        .expect("search");
    let page: switchboard_api::SearchPage = resp.json().await.expect("page");
    assert_eq!(
        page.results
            .iter()
            .map(|r| r.conversation_id.as_str())
            .collect::<Vec<_>>(),
        [a.as_str()]
    );

    // Undone by an admin: B's messages go back, B is as it was.
    let agent = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    expect_err(agent.unmerge(&b).await, 403, "admin_only");
    let b_back = admin.unmerge(&b).await.expect("undo");
    assert_eq!(b_back.state, ConversationState::Queued);
    assert_eq!(b_back.merged_into, None);
    let b_now = admin.conversation(&b).await.expect("b");
    assert_eq!(customer_lines(&b_now), ["B1 zanzibar refund", "B2"]);
    let a_now = admin.conversation(&a).await.expect("a");
    assert_eq!(
        customer_lines(&a_now),
        ["A1 invoice question", "A2", "B3 on the old thread"],
        "what came after the merge stays"
    );
    expect_err(admin.unmerge(&b).await, 409, "not_merged");
}

#[tokio::test]
async fn what_cannot_be_merged_and_an_undo_too_late() {
    let app = spawn_app().await;
    app.category("billing").await;
    let admin = &app.admin;
    let a = ada_writes(admin, "One", "first", "ada@example.com").await;
    let b = ada_writes(admin, "Two", "second", "ada@example.com").await;
    let other = ada_writes(admin, "Three", "third", "grace@example.com").await;
    expect_err(admin.merge(&a, &a).await, 422, "same_conversation");
    expect_err(admin.merge(&a, &other).await, 409, "different_customers");
    // An agent merges into the one they hold, never what a colleague holds.
    let pat = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    let sam = app.agent("Sam", &["billing"], AgentStatus::Available).await;
    expect_err(pat.merge(&a, &b).await, 403, "not_assignee");
    pat.claim(&a).await.expect("claim");
    sam.claim(&b).await.expect("claim");
    expect_err(pat.merge(&a, &b).await, 403, "held_by_another");
    let c = ada_writes(admin, "Four", "fourth", "ada@example.com").await;
    pat.merge(&a, &c)
        .await
        .expect("a queued one merges into the holder's");
    sam.resolve(&b).await.expect("resolve");
    pat.merge(&a, &b).await.expect("a resolved one too");
    expect_err(admin.merge(&a, &b).await, 409, "already_merged");
    app.advance(8 * 24 * 3600);
    expect_err(admin.unmerge(&b).await, 409, "undo_too_late");
}
