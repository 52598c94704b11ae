//! The event log: `/sync` pages and the SSE stream, resumed with
//! `Last-Event-ID` across reconnects and server restarts.

use std::collections::BTreeSet;

use switchboard_api::{AgentStatus, Event, EventStream, Session};

use crate::helpers::*;

/// Some activity: every call appends several events.
async fn activity(app: &TestApp, agent: &Session, n: usize) {
    for i in 0..n {
        let c = app.conversation_in("billing").await.summary.id;
        if i % 2 == 0 {
            agent.claim(&c).await.unwrap();
            agent.reply(&c, &format!("answer {i}")).await.unwrap();
        }
        app.advance(1);
    }
}

#[track_caller]
fn assert_consecutive(events: &[Event], first: i64) {
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, first + i as i64, "gap or duplicate at index {i}");
    }
}

async fn read_n(stream: &mut EventStream, n: usize) -> Vec<Event> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(next_event(stream).await);
    }
    out
}

#[tokio::test]
async fn sync_pages_return_every_event_once_in_order() {
    let app = spawn_app().await;
    app.category("billing").await;
    let agent = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    activity(&app, &agent, 8).await;

    let whole = app.admin.sync(0, 5000).await.unwrap();
    assert!(!whole.more);
    let last = whole.events.last().unwrap().seq;
    assert_eq!(whole.next, last);
    assert!(last > 30, "enough events to page through: {last}");
    // The admin sees everything: 1, 2, 3, … with no hole.
    assert_consecutive(&whole.events, 1);

    for limit in [1u32, 3, 7, 10] {
        let mut since = 0;
        let mut got: Vec<Event> = Vec::new();
        let mut pages = 0;
        loop {
            let page = app.admin.sync(since, limit).await.unwrap();
            pages += 1;
            assert!(page.events.len() <= limit as usize);
            assert!(page.events.iter().all(|e| e.seq > since));
            if let Some(e) = page.events.last() {
                assert_eq!(page.next, e.seq, "next is the last seq of the page");
            } else {
                assert_eq!(page.next, since);
            }
            if page.more {
                assert_eq!(
                    page.events.len(),
                    limit as usize,
                    "a short page is the last"
                );
            }
            got.extend(page.events);
            since = page.next;
            if !page.more {
                break;
            }
        }
        assert_eq!(got, whole.events, "limit {limit}");
        assert!(pages >= got.len() / limit as usize);
    }

    // Resuming from the middle gives exactly the rest.
    let mid = whole.events[whole.events.len() / 2].seq;
    let rest = sync_all(&app.admin, mid, 4).await;
    assert_eq!(rest.as_slice(), &whole.events[(mid as usize)..]);

    // An agent's pages hold only what they may see, yet every one of those once.
    let mine = sync_all(&agent, 0, 3).await;
    let seqs: Vec<i64> = mine.iter().map(|e| e.seq).collect();
    let unique: BTreeSet<i64> = seqs.iter().copied().collect();
    assert_eq!(seqs.len(), unique.len());
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(sync_all(&agent, 0, 5000).await, mine);
}

#[tokio::test]
async fn sse_resumes_after_a_reconnect_with_no_gap_and_no_duplicate() {
    let app = spawn_app().await;
    app.category("billing").await;
    let agent = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    activity(&app, &agent, 3).await;

    // From the start: the stream replays the log, then follows it live.
    let mut stream = app.admin.events(Some(0)).await.unwrap();
    let first = read_n(&mut stream, 5).await;
    assert_consecutive(&first, 1);
    let seen = first.last().unwrap().seq;
    drop(stream);

    activity(&app, &agent, 3).await;
    let target = app.last_seq().await;
    let mut stream = app.admin.events(Some(seen)).await.unwrap();
    let rest = events_until(&mut stream, |e| e.seq >= target).await;
    assert_consecutive(&rest, seen + 1);
    assert_eq!(rest.last().unwrap().seq, target);
    // The replay matches the log.
    let log = app.all_events().await;
    assert_eq!(rest.as_slice(), &log[seen as usize..target as usize]);

    // Live events keep coming on the same connection, still consecutive.
    activity(&app, &agent, 2).await;
    let target2 = app.last_seq().await;
    let live = events_until(&mut stream, |e| e.seq >= target2).await;
    assert_consecutive(&live, target + 1);

    // The same through the `since` query parameter.
    let resp = app
        .http
        .get(app.api(&format!("/events?since={}", target2 - 2)))
        .bearer_auth(app.admin.token())
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream")));
}

#[tokio::test]
async fn sse_resumes_across_a_server_restart() {
    let mut app = spawn_app().await;
    app.category("billing").await;
    let agent = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    activity(&app, &agent, 3).await;

    let mut stream = app.admin.events(Some(0)).await.unwrap();
    let before = read_n(&mut stream, 7).await;
    assert_consecutive(&before, 1);
    let seen = before.last().unwrap().seq;
    let last_before = app.last_seq().await;

    app.restart().await;
    // The old connection ends with the old server.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            match stream.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(e)) => assert!(e.seq <= last_before),
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream of a stopped server ends");

    // Tokens live in the database: the agent's session works on the new server.
    let agent = app.client.resume(agent.token()).await.unwrap();
    activity(&app, &agent, 3).await;
    let target = app.last_seq().await;
    assert!(target > last_before, "the new server continues the log");

    let mut stream = app.admin.events(Some(seen)).await.unwrap();
    let rest = events_until(&mut stream, |e| e.seq >= target).await;
    assert_consecutive(&rest, seen + 1);
    let log = app.all_events().await;
    assert_consecutive(&log, 1);
    assert_eq!(rest.as_slice(), &log[seen as usize..target as usize]);
}

#[tokio::test]
async fn a_cursor_ahead_of_the_log_must_resync() {
    let app = spawn_app().await;
    let last = app.last_seq().await;
    expect_err(
        app.admin.sync(last + 1000, 100).await,
        409,
        "resync_required",
    );
    expect_err(
        app.admin.events(Some(last + 1000)).await,
        409,
        "resync_required",
    );
    assert!(
        app.admin.sync(last, 100).await.is_ok(),
        "the newest cursor itself is fine"
    );
}

/// A `/sync` page is bounded in bytes as well as in events: 20 notes of
/// 250 KB do not come back as one 5 MB answer, and paging still yields every
/// event once, in order.
#[tokio::test]
async fn a_sync_page_is_bounded_in_bytes() {
    let app = spawn_app().await;
    let c = app.conversation_in("general").await.summary.id;
    let big = "x".repeat(250 * 1024);
    for i in 0..20 {
        app.admin
            .post_message(
                &c,
                &switchboard_api::NewMessage {
                    body: format!("{i} {big}"),
                    internal: true,
                    client_id: None,
                    attachment_ids: vec![],
                },
            )
            .await
            .expect("a big note");
    }
    let first = app.admin.sync(0, 5000).await.expect("first page");
    assert!(first.more, "cut by size, not by count");
    let bytes = serde_json::to_vec(&first).expect("json").len();
    assert!(bytes < 5 * 1024 * 1024, "first page is {bytes} bytes");
    let all = sync_all(&app.admin, 0, 5000).await;
    let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
    let expected: Vec<i64> = (1..=app.last_seq().await).collect();
    assert_eq!(seqs, expected, "every event once, in order");
    assert!(first.events.len() < all.len());
}

/// Every page of one part of the snapshot, as `session` reads it.
async fn snapshot_part(
    session: &Session,
    part: switchboard_api::SnapshotPart,
    limit: u32,
) -> (Vec<switchboard_api::Conversation>, Option<u64>, i64) {
    let mut after: Option<String> = None;
    let mut out = Vec::new();
    let mut total = None;
    let mut head = -1;
    loop {
        let page = session
            .snapshot(part, after.as_deref(), limit)
            .await
            .unwrap();
        assert_eq!(page.part, part);
        assert!(page.conversations.len() <= limit as usize);
        if after.is_none() {
            total = page.total;
            head = page.head;
        } else {
            assert_eq!(page.total, None, "the total comes with the first page only");
        }
        assert_eq!(page.keep_resolved_days, 90);
        out.extend(page.conversations);
        if !page.more {
            return (out, total, head);
        }
        after = page.next_after;
    }
}

#[tokio::test]
async fn the_snapshot_gives_open_ones_then_recent_history_whole_and_only_what_the_caller_may_see() {
    use switchboard_api::SnapshotPart::{Open, Recent};
    let app = spawn_app().await;
    app.category("billing").await;
    app.category("tech").await;
    let agent = app.agent("Pat", &["billing"], AgentStatus::Available).await;
    // Resolved 100 days ago: outside the 90 days kept.
    app.advance(-100 * 86_400);
    let old = app.conversation_in("billing").await.summary.id;
    app.admin.resolve(&old).await.unwrap();
    app.advance(100 * 86_400);
    let mut open = BTreeSet::new();
    let mut resolved = BTreeSet::new();
    for i in 0..7 {
        let c = app.conversation_in("billing").await.summary.id;
        if i % 2 == 0 {
            agent.claim(&c).await.unwrap();
            agent.reply(&c, &format!("answer {i}")).await.unwrap();
            agent.resolve(&c).await.unwrap();
            resolved.insert(c);
        } else {
            open.insert(c);
        }
    }
    let tech = app.conversation_in("tech").await.summary.id;
    let head_before = app.admin.sync(0, 5000).await.unwrap().next;

    let (got, total, head) = snapshot_part(&agent, Open, 2).await;
    let ids: BTreeSet<String> = got.iter().map(|c| c.summary.id.clone()).collect();
    assert_eq!(ids, open, "the agent's open ones, not another category's");
    assert_eq!(total, Some(open.len() as u64));
    assert!(head >= head_before, "the head covers what the pages show");
    let ordered: Vec<&String> = got.iter().map(|c| &c.summary.id).collect();
    let mut sorted = ordered.clone();
    sorted.sort();
    assert_eq!(ordered, sorted, "in id order, each page after the last");

    let (got, total, _) = snapshot_part(&agent, Recent, 2).await;
    let ids: BTreeSet<String> = got.iter().map(|c| c.summary.id.clone()).collect();
    assert_eq!(
        ids, resolved,
        "resolved within the 90 days, not the old one"
    );
    assert_eq!(total, Some(resolved.len() as u64));
    for c in &got {
        let whole = agent.conversation(&c.summary.id).await.unwrap();
        assert_eq!(
            c.messages, whole.messages,
            "whole, as GET /conversations/{{id}} gives it"
        );
    }

    // The admin sees every category.
    let (got, _, _) = snapshot_part(&app.admin, Open, 500).await;
    assert!(got.iter().any(|c| c.summary.id == tech));
    assert!(!got.iter().any(|c| c.summary.id == old));
}
