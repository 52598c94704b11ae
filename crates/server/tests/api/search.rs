//! `GET /api/v1/search`: accents, scripts and prefixes; who finds what
//! (categories, assignment, notes); filters; pages; and the index built for
//! conversations that existed before it.

use std::collections::BTreeSet;

use switchboard_api::{
    AgentStatus, Conversation, Customer, NewConversation, SearchField, SearchPage, SearchResult,
    Session, TransferRequest,
};

use crate::helpers::*;

async fn get(app: &TestApp, token: &str, params: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .get(app.api("/search"))
        .query(params)
        .bearer_auth(token)
        .send()
        .await
        .expect("send")
}

async fn search(app: &TestApp, who: &Session, params: &[(&str, &str)]) -> SearchPage {
    let resp = get(app, who.token(), params).await;
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(status.as_u16(), 200, "{params:?}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

async fn found(app: &TestApp, who: &Session, q: &str) -> Vec<String> {
    search(app, who, &[("q", q)])
        .await
        .results
        .into_iter()
        .map(|r| r.conversation_id)
        .collect()
}

/// Exactly this conversation.
fn one(id: &str) -> Vec<String> {
    vec![id.to_owned()]
}

/// The highlighted pieces of a result's snippet (offsets are UTF-16 units).
fn highlighted(r: &SearchResult) -> Vec<String> {
    let units: Vec<u16> = r.snippet.encode_utf16().collect();
    r.highlights
        .iter()
        .map(|h| String::from_utf16(&units[h.start as usize..h.end as usize]).expect("utf-16"))
        .collect()
}

async fn create(
    app: &TestApp,
    customer: Customer,
    subject: &str,
    body: &str,
    category: &str,
) -> Conversation {
    app.admin
        .create_conversation(&NewConversation {
            customer,
            subject: subject.into(),
            body: body.into(),
            category_id: Some(category.into()),
        })
        .await
        .expect("create")
}

fn named(name: &str) -> Customer {
    Customer {
        name: Some(name.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn accents_scripts_prefixes_and_customer_fields_are_found() {
    let app = spawn_app().await;
    let admin = &app.admin;
    let cafe = create(
        &app,
        named("Léa"),
        "Commande",
        "Je voudrais un café crème, s'il vous plaît.",
        "general",
    )
    .await;
    let tokyo = create(
        &app,
        named("佐藤"),
        "配送について",
        "東京都に住んでいます。注文した商品が届きません。",
        "general",
    )
    .await;
    let moscow = create(
        &app,
        named("Иван"),
        "Заказ",
        "Здравствуйте, мой заказ ещё не пришёл.",
        "general",
    )
    .await;
    let refund = create(
        &app,
        Customer {
            name: Some("Zoë Ångström".into()),
            email: Some("zoe.angstrom@example.com".into()),
            phone: Some("+15550102030".into()),
        },
        "Refund request",
        "Please refund my order #A-1234.",
        "general",
    )
    .await;
    let (cafe, tokyo, moscow, refund) = (
        cafe.summary.id,
        tokyo.summary.id,
        moscow.summary.id,
        refund.summary.id,
    );

    // Accents and case fold both ways.
    assert_eq!(found(&app, admin, "cafe").await, one(&cafe));
    assert_eq!(found(&app, admin, "CAFÉ CREME").await, one(&cafe));
    let page = search(&app, admin, &[("q", "cafe")]).await;
    let r = &page.results[0];
    assert_eq!(r.matched, SearchField::Message);
    assert!(r.message_id.is_some());
    assert_eq!(highlighted(r), ["café"], "{r:?}");
    assert!(!r.snippet.contains('<'), "text, never markup");

    // Japanese: any run of characters inside the text, subject included.
    assert_eq!(found(&app, admin, "東京").await, one(&tokyo));
    assert_eq!(found(&app, admin, "注文").await, one(&tokyo));
    assert_eq!(found(&app, admin, "配送").await, one(&tokyo));
    let page = search(&app, admin, &[("q", "届きません")]).await;
    assert_eq!(highlighted(&page.results[0]), ["届きません"]);
    assert!(found(&app, admin, "大阪").await.is_empty());

    // Cyrillic, with and without ё, and by prefix.
    assert_eq!(found(&app, admin, "заказ").await, one(&moscow));
    assert_eq!(found(&app, admin, "пришел").await, one(&moscow));
    assert_eq!(found(&app, admin, "ЗДРАВСТ").await, one(&moscow));
    assert_eq!(found(&app, admin, "иван").await, one(&moscow));

    // Prefixes, every word required, phrases exact.
    assert_eq!(found(&app, admin, "ref").await, one(&refund));
    assert_eq!(found(&app, admin, "refun ord").await, one(&refund));
    assert!(found(&app, admin, "refund café").await.is_empty());
    assert_eq!(found(&app, admin, "\"my order\"").await, one(&refund));
    assert!(found(&app, admin, "\"order my\"").await.is_empty());
    assert!(found(&app, admin, "\"refun\"").await.is_empty());
    assert_eq!(found(&app, admin, "a-1234").await, one(&refund));

    // The customer's name, email and phone.
    let page = search(&app, admin, &[("q", "angstrom")]).await;
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].matched, SearchField::CustomerName);
    assert_eq!(highlighted(&page.results[0]), ["Ångström"]);
    let page = search(&app, admin, &[("q", "zoe.angstrom@exa")]).await;
    assert_eq!(page.results[0].matched, SearchField::CustomerEmail);
    for phone in ["555-010-2030", "+1 555 010 2030", "0102030", "15550102030"] {
        let page = search(&app, admin, &[("q", phone)]).await;
        assert_eq!(page.results.len(), 1, "{phone}");
        assert_eq!(page.results[0].conversation_id, refund, "{phone}");
        assert_eq!(
            page.results[0].matched,
            SearchField::CustomerPhone,
            "{phone}"
        );
    }
    assert!(found(&app, admin, "xyzzy").await.is_empty());

    // What cannot be a search.
    let long = "a".repeat(501);
    for bad in ["", "   ", "!!!", long.as_str()] {
        let resp = get(&app, admin.token(), &[("q", bad)]).await;
        expect_error_body(resp, 400, "invalid_query").await;
    }
    let resp = get(&app, admin.token(), &[]).await;
    expect_error_body(resp, 400, "invalid_query").await;
    let resp = get(&app, admin.token(), &[("q", "cafe"), ("cursor", "garbage")]).await;
    expect_error_body(resp, 400, "invalid_cursor").await;
    let resp = app
        .http
        .get(app.api("/search"))
        .query(&[("q", "cafe")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn agents_find_only_conversations_they_may_see() {
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("technical").await;
    let biller = app
        .agent("Biller", &["billing"], AgentStatus::Available)
        .await;
    let techie = app
        .agent("Techie", &["technical"], AgentStatus::Available)
        .await;
    let body = "My invoice is wrong";
    let billing = create(&app, named("A"), "Invoice", body, "billing")
        .await
        .summary
        .id;
    let technical = create(&app, named("B"), "Invoice", body, "technical")
        .await
        .summary
        .id;

    assert_eq!(found(&app, &biller, "invoice").await, one(&billing));
    assert_eq!(found(&app, &techie, "invoice").await, one(&technical));
    let all: BTreeSet<String> = found(&app, &app.admin, "invoice")
        .await
        .into_iter()
        .collect();
    assert_eq!(all, BTreeSet::from([billing.clone(), technical.clone()]));
    // A filter never widens the view.
    let page = search(
        &app,
        &biller,
        &[("q", "invoice"), ("category_id", "technical")],
    )
    .await;
    assert!(page.results.is_empty());

    // Assigned to them from another category: now they find it.
    techie.claim(&technical).await.expect("claim");
    techie
        .transfer(
            &technical,
            &TransferRequest {
                to_agent_id: Some(biller.agent.id.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("transfer");
    let mine: BTreeSet<String> = found(&app, &biller, "invoice").await.into_iter().collect();
    assert_eq!(mine, BTreeSet::from([billing.clone(), technical.clone()]));
    // And the techie, still skilled in `technical`, keeps it too.
    assert_eq!(found(&app, &techie, "invoice").await, one(&technical));
    // Moved to billing's queue: the techie no longer finds it.
    biller
        .transfer(
            &technical,
            &TransferRequest {
                to_category_id: Some("billing".into()),
                ..Default::default()
            },
        )
        .await
        .expect("to billing");
    assert!(found(&app, &techie, "invoice").await.is_empty());
}

#[tokio::test]
async fn notes_are_found_by_agents_and_never_for_customers() {
    let app = spawn_app().await;
    let agent = app
        .agent("Noter", &["general"], AgentStatus::Available)
        .await;
    let conv = create(&app, named("C"), "Help", "Hello there", "general")
        .await
        .summary
        .id;
    let note = agent
        .note(&conv, "Customer is on the Zanzibar plan")
        .await
        .expect("note");

    let page = search(&app, &agent, &[("q", "zanzibar")]).await;
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].matched, SearchField::Note);
    assert_eq!(
        page.results[0].message_id.as_deref(),
        Some(note.id.as_str())
    );
    assert_eq!(highlighted(&page.results[0]), ["Zanzibar"]);
    assert_eq!(found(&app, &app.admin, "zanzibar").await, one(&conv));

    // On behalf of a customer (switchboard_core::search::may_find_notes), the
    // store never matches a note.
    let query = switchboard_core::search::query::Query::parse("zanzibar").unwrap();
    let audience = switchboard_core::search::Audience::Customer;
    let store = app.server().store();
    let find = |notes: bool| switchboard_server::store::search::Find {
        query: &query,
        order: switchboard_server::store::search::Order::Newest,
        notes,
        viewer: None,
        channel: None,
        state: None,
        category_id: None,
        assignee_id: None,
        tag: None,
        from: None,
        to: None,
        cursor: None,
        limit: 10,
    };
    let f = find(switchboard_core::search::may_find_notes(audience));
    let hits = switchboard_server::store::search::find(store.reader(), store.backend(), &f)
        .await
        .expect("find");
    assert!(hits.is_empty(), "{hits:?}");
    let hits =
        switchboard_server::store::search::find(store.reader(), store.backend(), &find(true))
            .await
            .expect("find");
    assert_eq!(hits.len(), 1);

    // A widget visitor's token does not open the agents' search.
    let resp = app
        .http
        .post(format!("{}/widget/v1/conversations", app.url))
        .json(&serde_json::json!({"message": "zanzibar?", "client_id": "v1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let v: serde_json::Value = resp.json().await.unwrap();
    let visitor = v["visitor_token"].as_str().expect("visitor token");
    let resp = get(&app, visitor, &[("q", "zanzibar")]).await;
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn filters_and_pages() {
    let app = spawn_app().await;
    app.category("billing").await;
    let agent = app
        .agent("Pager", &["general", "billing"], AgentStatus::Available)
        .await;
    let mut ids = Vec::new();
    let start = app.now();
    for i in 0..25 {
        app.advance(60);
        let category = if i % 5 == 0 { "billing" } else { "general" };
        let c = create(
            &app,
            named(&format!("P{i}")),
            &format!("Parcel {i}"),
            "Where is my parcel?",
            category,
        )
        .await;
        ids.push(c.summary.id);
    }
    // Newest first by default: the later a match, the earlier it comes.
    let mut pages = Vec::new();
    let mut got = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![("q", "parcel".to_owned()), ("limit", "10".to_owned())];
        if let Some(c) = &cursor {
            params.push(("cursor", c.clone()));
        }
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = search(&app, &agent, &params).await;
        pages.push(page.results.len());
        cursor = page.next_cursor.clone();
        for r in page.results {
            // At the same instant, the message is shown rather than the subject.
            assert_eq!(r.matched, SearchField::Message);
            got.push(r.conversation_id);
        }
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(pages, [10, 10, 5]);
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(got, newest_first);

    // Order: newest first.
    let page = search(&app, &agent, &[("q", "parcel"), ("limit", "25")]).await;
    let times: Vec<_> = page.results.iter().map(|r| r.at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(page.results.len(), 25);
    assert!(page.next_cursor.is_none());

    // Relevance: every conversation once, across pages.
    let mut seen = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![
            ("q", "parcel 1".to_owned()),
            ("order", "relevance".to_owned()),
            ("limit", "4".to_owned()),
        ];
        if let Some(c) = &cursor {
            params.push(("cursor", c.clone()));
        }
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = search(&app, &agent, &params).await;
        for r in page.results {
            assert!(seen.insert(r.conversation_id), "twice");
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    // A one-letter word still being typed ("1") waits for the next letter
    // (core's query rule): every parcel is found.
    assert_eq!(seen.len(), 25);

    // A cursor of one order is refused by the other.
    let page = search(&app, &agent, &[("q", "parcel"), ("limit", "2")]).await;
    let newest_cursor = page.next_cursor.expect("more");
    let resp = get(
        &app,
        agent.token(),
        &[
            ("q", "parcel"),
            ("order", "relevance"),
            ("cursor", &newest_cursor),
        ],
    )
    .await;
    expect_error_body(resp, 400, "invalid_cursor").await;

    // Filters: category, state, assignee, channel, dates.
    let page = search(&app, &agent, &[("q", "parcel"), ("category_id", "billing")]).await;
    assert_eq!(page.results.len(), 5);
    assert!(page
        .results
        .iter()
        .all(|r| r.category_id.as_deref() == Some("billing")));
    // The oldest (billing, overdue by now: no overdue_first refusal).
    let first = ids[0].clone();
    assert!(page.results.iter().any(|r| r.conversation_id == first));
    agent.claim(&first).await.expect("claim");
    agent.resolve(&first).await.expect("resolve");
    let page = search(&app, &agent, &[("q", "parcel"), ("state", "resolved")]).await;
    assert_eq!(page.results.len(), 1);
    assert_eq!(page.results[0].conversation_id, first);
    let page = search(
        &app,
        &agent,
        &[("q", "parcel"), ("assignee_id", &agent.agent.id)],
    )
    .await;
    assert_eq!(page.results.len(), 1);
    let page = search(
        &app,
        &agent,
        &[("q", "parcel"), ("state", "queued"), ("limit", "100")],
    )
    .await;
    assert_eq!(page.results.len(), 24);
    assert!(
        search(&app, &agent, &[("q", "parcel"), ("channel", "email")])
            .await
            .results
            .is_empty()
    );
    assert_eq!(
        search(
            &app,
            &agent,
            &[("q", "parcel"), ("channel", "api"), ("limit", "100")]
        )
        .await
        .results
        .len(),
        25
    );
    // Created at start + 60 s × (i + 1): from the 11th to the 20th minute.
    let from = (start + chrono::Duration::seconds(60 * 11)).to_rfc3339();
    let to = (start + chrono::Duration::seconds(60 * 21)).to_rfc3339();
    let page = search(
        &app,
        &agent,
        &[
            ("q", "parcel"),
            ("from", &from),
            ("to", &to),
            ("limit", "100"),
        ],
    )
    .await;
    assert_eq!(
        page.results.len(),
        10,
        "{:?}",
        page.results.iter().map(|r| r.at).collect::<Vec<_>>()
    );
    let resp = get(
        &app,
        agent.token(),
        &[("q", "parcel"), ("from", "yesterday")],
    )
    .await;
    expect_error_body(resp, 400, "invalid_query").await;
}

/// Every page of a search, concatenated (`limit` per page).
async fn all_pages(app: &TestApp, who: &Session, q: &str, order: &str, limit: &str) -> Vec<String> {
    let mut got = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut params = vec![("q", q), ("order", order), ("limit", limit)];
        if let Some(c) = &cursor {
            params.push(("cursor", c.as_str()));
        }
        let page = search(app, who, &params).await;
        got.extend(page.results.into_iter().map(|r| r.conversation_id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            return got;
        }
    }
}

/// Pages when conversations match many times, at interleaved moments, and
/// most matches belong to conversations the agent may not see (the store
/// reads matches newest first in batches and stops at a full page).
#[tokio::test]
async fn pages_over_interleaved_and_hidden_matches() {
    let app = spawn_app().await;
    app.category("billing").await;
    let agent = app
        .agent("Reader", &["general"], AgentStatus::Available)
        .await;
    let mut mine = Vec::new();
    let mut hidden = Vec::new();
    for i in 0..12 {
        app.advance(60);
        let category = if i % 4 == 0 { "general" } else { "billing" };
        let c = create(&app, named("W"), "Hello", "a widget question", category).await;
        if category == "general" {
            mine.push(c.summary.id);
        } else {
            hidden.push(c.summary.id);
        }
    }
    // Older conversations come back with newer matches, in a mixed order;
    // the hidden ones match far more often than a page's batch.
    for round in 0..10 {
        for (k, id) in hidden.iter().enumerate() {
            app.advance(1);
            app.customer_message(id, &format!("widget again {round} {k}"))
                .await;
        }
        if round % 3 == 0 {
            app.advance(1);
            let id = &mine[(round / 3) % mine.len()];
            app.customer_message(id, "widget still broken").await;
        }
    }
    let whole = search(&app, &agent, &[("q", "widget"), ("limit", "100")]).await;
    let whole: Vec<String> = whole
        .results
        .into_iter()
        .map(|r| r.conversation_id)
        .collect();
    assert_eq!(
        whole.iter().collect::<BTreeSet<_>>(),
        mine.iter().collect::<BTreeSet<_>>(),
        "exactly the visible ones"
    );
    // The newest match decides: written to last (rounds 9, 6, 3), first.
    assert_eq!(whole, [mine[0].clone(), mine[2].clone(), mine[1].clone()]);
    for limit in ["1", "2"] {
        assert_eq!(
            all_pages(&app, &agent, "widget", "newest", limit).await,
            whole
        );
        let by_rank = all_pages(&app, &agent, "widget", "relevance", limit).await;
        let set: BTreeSet<&String> = by_rank.iter().collect();
        assert_eq!(set.len(), by_rank.len(), "no conversation twice");
        assert_eq!(set, whole.iter().collect(), "none missing");
    }
    // The admin sees them all, with no gap or repeat across pages either.
    let everything = all_pages(&app, &app.admin, "widg", "newest", "5").await;
    assert_eq!(everything.len(), 12);
    assert_eq!(everything.iter().collect::<BTreeSet<_>>().len(), 12);
    let whole = search(&app, &app.admin, &[("q", "widg"), ("limit", "100")]).await;
    let whole: Vec<String> = whole
        .results
        .into_iter()
        .map(|r| r.conversation_id)
        .collect();
    assert_eq!(everything, whole);
    // A long prefix spelled out as its words finds the same.
    assert_eq!(
        all_pages(&app, &app.admin, "widge", "newest", "5").await,
        whole
    );
    assert!(found(&app, &app.admin, "widgetz").await.is_empty());
}

/// Conversations stored before the index existed are indexed when the
/// server starts (the migration asks for it; here the index is emptied and
/// the request made again by hand), and new writes go on being indexed.
#[tokio::test]
async fn the_index_is_built_for_what_existed_before_it() {
    use switchboard_server::store::{db, op};
    let mut app = spawn_app().await;
    let old = create(
        &app,
        named("Old"),
        "Lost luggage",
        "My suitcase never arrived",
        "general",
    )
    .await
    .summary
    .id;
    let agent = app
        .agent("Oldhand", &["general"], AgentStatus::Available)
        .await;
    agent
        .note(&old, "Checked with the airline")
        .await
        .expect("note");
    assert_eq!(found(&app, &agent, "suitcase").await, one(&old));
    app.server()
        .store()
        .write(op(|tx| {
            Box::pin(async move {
                db::query("DELETE FROM search_docs")
                    .execute(&mut *tx)
                    .await?;
                db::query("UPDATE counters SET value = 1 WHERE name = 'search_backfill'")
                    .execute(&mut *tx)
                    .await?;
                Ok(())
            })
        }))
        .await
        .expect("empty the index");
    assert!(found(&app, &agent, "suitcase").await.is_empty());
    app.restart().await;
    let agent = app.client.resume(agent.token()).await.expect("resume");
    assert_eq!(found(&app, &agent, "suitcase").await, one(&old));
    assert_eq!(found(&app, &agent, "airline").await, one(&old));
    assert_eq!(found(&app, &agent, "luggage").await, one(&old));
    let page = search(&app, &agent, &[("q", "airline")]).await;
    assert_eq!(page.results[0].matched, SearchField::Note);
    let new = create(
        &app,
        named("New"),
        "Luggage again",
        "Another suitcase",
        "general",
    )
    .await
    .summary
    .id;
    assert_eq!(found(&app, &agent, "suitcase").await, [new, old]);
}
