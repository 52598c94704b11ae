//! Tags: the admin's list (validation, rename, delete), agents putting them
//! on the conversations they may see, auto-tags by rule on arrival, and the
//! queue filter, search filter, metrics and events that follow.

use switchboard_api::{AgentStatus, NewTag, TagPatch, View};

use crate::helpers::*;

fn new_tag(name: &str, colour: Option<&str>, keywords: &[&str]) -> NewTag {
    NewTag {
        name: name.to_owned(),
        id: None,
        colour: colour.map(str::to_owned),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
    }
}

async fn search_ids(app: &TestApp, token: &str, params: &[(&str, &str)]) -> Vec<String> {
    let resp = app
        .http
        .get(app.api("/search"))
        .bearer_auth(token)
        .query(params)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 200);
    let page: switchboard_api::SearchPage = resp.json().await.expect("page");
    let mut ids: Vec<String> = page
        .results
        .into_iter()
        .map(|r| r.conversation_id)
        .collect();
    ids.sort();
    ids
}

/// The admin defines tags; what is wrong with one is said, field by field.
#[tokio::test]
async fn admins_define_tags_and_bad_ones_are_refused() {
    let app = spawn_app().await;
    let agent = app
        .agent("Tess", &["general"], AgentStatus::Available)
        .await;
    let vip = app
        .admin
        .create_tag(&new_tag(" VIP ", Some("#F5C16C"), &[]))
        .await
        .expect("vip");
    assert_eq!(
        (vip.id.as_str(), vip.name.as_str(), vip.colour.as_str()),
        ("vip", "VIP", "#f5c16c")
    );
    // No colour: the palette's next one.
    let bug = app
        .admin
        .create_tag(&new_tag("Bug report", None, &["crash"]))
        .await
        .expect("bug");
    assert_eq!(bug.id, "bug-report");
    assert!(bug.colour.starts_with('#') && bug.colour.len() == 7);

    expect_err(
        agent.create_tag(&new_tag("Mine", None, &[])).await,
        403,
        "admin_only",
    );
    expect_err(
        app.admin.create_tag(&new_tag("VIP", None, &[])).await,
        409,
        "tag_exists",
    );
    expect_err(
        app.admin
            .create_tag(&new_tag("Red", Some("red"), &[]))
            .await,
        422,
        "invalid_colour",
    );
    expect_err(
        app.admin.create_tag(&new_tag("  ", None, &[])).await,
        422,
        "invalid_name",
    );
    expect_err(
        app.admin.create_tag(&new_tag("Odd", None, &["/(/"])).await,
        422,
        "invalid_rule",
    );

    let renamed = app
        .admin
        .patch_tag(
            "vip",
            &TagPatch {
                name: Some("Very important".into()),
                colour: Some("#A0C4FF".into()),
                keywords: None,
            },
        )
        .await
        .expect("patch");
    assert_eq!(
        (renamed.name.as_str(), renamed.colour.as_str()),
        ("Very important", "#a0c4ff")
    );
    expect_err(
        app.admin.patch_tag("nope", &TagPatch::default()).await,
        404,
        "not_found",
    );
    let listed = agent.tags().await.expect("list");
    assert_eq!(listed, vec![renamed.clone(), bug.clone()]);

    // Every agent hears of tags: they are the team's labels.
    let kinds: Vec<(String, String)> = sync_all(&agent, 0, 500)
        .await
        .into_iter()
        .filter(|e| e.kind.starts_with("tag."))
        .map(|e| {
            (
                e.kind,
                e.data["tag"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("tag.updated".to_owned(), "VIP".to_owned()),
            ("tag.updated".to_owned(), "Bug report".to_owned()),
            ("tag.updated".to_owned(), "Very important".to_owned()),
        ]
    );
}

/// The list: set, filter, search, metrics, and the auto-tag rule;
/// with the visibility rules, and a deletion that takes a tag off everything.
#[tokio::test]
async fn tags_are_set_filtered_searched_and_counted() {
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("shipping").await;
    let holder = app.agent("Holder", &["billing"], AgentStatus::Busy).await;
    let outsider = app
        .agent("Outsider", &["shipping"], AgentStatus::Busy)
        .await;
    app.admin
        .create_tag(&new_tag("VIP", None, &[]))
        .await
        .expect("vip");
    app.admin
        .create_tag(&new_tag("Refund", None, &["refund", "money back"]))
        .await
        .expect("refund");

    // The rule tags on arrival: every tag with a matching rule.
    let a = app
        .conversation("Order 1138", "I want my money back", Some("billing"))
        .await;
    assert_eq!(a.summary.tags, ["refund"]);
    let b = app
        .conversation("Order 2187", "Where is my parcel?", Some("billing"))
        .await;
    assert!(b.summary.tags.is_empty());
    let a_id = a.summary.id.clone();
    let b_id = b.summary.id.clone();

    // An agent who may see it tags it; an event says so to those who may see it.
    let since = app.last_seq().await;
    let s = holder.set_tag(&b_id, "vip", true).await.expect("tag");
    assert_eq!(s.tags, ["vip"]);
    let again = holder.set_tag(&b_id, "vip", true).await.expect("again");
    assert_eq!(again.tags, ["vip"]);
    let s = holder.set_tag(&b_id, "refund", true).await.expect("refund");
    assert_eq!(s.tags, ["refund", "vip"], "sorted");
    let seen: Vec<Vec<String>> = sync_all(&holder, since, 500)
        .await
        .iter()
        .filter(|e| change_of(e) == Some("tagged"))
        .map(|e| serde_json::from_value(e.data["conversation"]["tags"].clone()).expect("tags"))
        .collect();
    assert_eq!(
        seen,
        [vec!["vip".to_owned()], vec!["refund".into(), "vip".into()]],
        "one event per change; the repeat said nothing"
    );
    assert!(
        sync_all(&outsider, since, 500)
            .await
            .iter()
            .all(|e| change_of(e) != Some("tagged")),
        "not to an agent who may not see it"
    );
    expect_err(
        outsider.set_tag(&b_id, "vip", false).await,
        404,
        "not_found",
    );
    let d = expect_err(holder.set_tag(&b_id, "nope", true).await, 404, "not_found");
    assert!(d.message.contains("tag"), "{d:?}");

    // The queue filter, for the admin and for the agent.
    let ids = |v: Vec<switchboard_api::ConversationSummary>| {
        let mut v: Vec<String> = v.into_iter().map(|c| c.id).collect();
        v.sort();
        v
    };
    let mut both = vec![a_id.clone(), b_id.clone()];
    both.sort();
    assert_eq!(
        ids(app
            .admin
            .conversations_tagged(View::All, "refund")
            .await
            .expect("list")),
        both
    );
    assert_eq!(
        ids(holder
            .conversations_tagged(View::Queue, "vip")
            .await
            .expect("list")),
        std::slice::from_ref(&b_id)
    );
    assert!(outsider
        .conversations_tagged(View::All, "vip")
        .await
        .expect("list")
        .is_empty());

    // The search filter.
    assert_eq!(
        search_ids(&app, holder.token(), &[("q", "order")]).await,
        both
    );
    assert_eq!(
        search_ids(&app, holder.token(), &[("q", "order"), ("tag", "vip")]).await,
        std::slice::from_ref(&b_id)
    );
    assert!(
        search_ids(&app, outsider.token(), &[("q", "order"), ("tag", "vip")])
            .await
            .is_empty()
    );

    // Metrics: conversations of the period carrying each tag, and resolved.
    holder.claim(&b_id).await.expect("claim");
    holder.resolve(&b_id).await.expect("resolve");
    let m = app.admin.metrics(None, None).await.expect("metrics");
    let counts: Vec<(String, u64, u64)> = m
        .tags
        .iter()
        .map(|t| (t.tag_id.clone(), t.conversations, t.resolved))
        .collect();
    assert_eq!(
        counts,
        [("refund".to_owned(), 2, 1), ("vip".to_owned(), 1, 1)]
    );
    let m = outsider.metrics(None, None).await.expect("metrics");
    assert!(
        m.tags.is_empty(),
        "only what the caller may see: {:?}",
        m.tags
    );

    // Taking one off.
    let s = holder.set_tag(&b_id, "vip", false).await.expect("untag");
    assert_eq!(s.tags, ["refund"]);

    // Deleting a tag takes it off every conversation, in one event.
    let since = app.last_seq().await;
    app.admin.delete_tag("refund").await.expect("delete");
    for id in [&a_id, &b_id] {
        let c = app.admin.conversation(id).await.expect("read");
        assert!(c.summary.tags.is_empty(), "{:?}", c.summary.tags);
    }
    let events = sync_all(&holder, since, 500).await;
    assert_eq!(
        events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["tag.deleted"]
    );
    assert_eq!(events[0].data["id"], "refund");
    expect_err(app.admin.delete_tag("refund").await, 404, "not_found");
    assert!(app
        .admin
        .conversations_tagged(View::All, "refund")
        .await
        .expect("list")
        .is_empty());
    // A new conversation the old rule would have tagged gets nothing.
    let c = app
        .conversation("Refund", "money back please", Some("billing"))
        .await;
    assert!(c.summary.tags.is_empty(), "{:?}", c.summary.tags);
}
