//! Saved replies on the desktop: they reach the cache through the event
//! log (team ones and the agent's own personal ones, never another agent's
//! personal ones), a cache that never loaded them loads the whole list
//! once, and the picker's list and fill work from the cache with the
//! server stopped (an offline use is not counted).

use std::time::Duration;

use chrono::Utc;
use sqlx::Connection;
use switchboard_api::{
    Customer, MessageKind, NewConversation, NewSavedReply, ReplyScope, SavedReply, SavedReplyPatch,
    Session,
};
use switchboard_sync::{Cache, ConnectionState, NewFile, PendingFile};

use crate::helpers::*;
use crate::wait_until;

const REFUND: &str = "Hi {{customer.first_name}}, your refund is approved. {{agent.name}}";

async fn create(
    s: &Session,
    title: &str,
    body: &str,
    team: bool,
    category: Option<&str>,
) -> SavedReply {
    s.create_saved_reply(&NewSavedReply {
        title: title.into(),
        body: body.into(),
        scope: Some(if team {
            ReplyScope::Team
        } else {
            ReplyScope::Personal
        }),
        category_id: category.map(Into::into),
        attachments: vec![],
    })
    .await
    .expect("create saved reply")
}

async fn titles(cache: &Cache) -> Vec<String> {
    let mut t: Vec<String> = cache
        .saved_replies()
        .await
        .expect("saved replies")
        .into_iter()
        .map(|r| r.title)
        .collect();
    t.sort();
    t
}

/// Uses of the reply in the caller's metrics (0 when not listed).
async fn uses(s: &Session, reply_id: &str) -> u64 {
    let m = s.metrics(None, None).await.expect("metrics");
    m.saved_replies
        .iter()
        .find(|u| u.reply_id == reply_id)
        .map_or(0, |u| u.uses)
}

#[tokio::test]
async fn saved_replies_arrive_through_events_and_others_personal_ones_never() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let kim = srv.agent("Kim", &["billing"]).await;
    let engine = engine(&pat, &srv.cache_path("pat.db")).await;
    wait_online(&engine).await;
    let cache = engine.cache();
    assert!(
        cache.saved_replies_loaded().await.unwrap(),
        "loaded once, empty"
    );
    let mut changes = engine.subscribe();

    let refund = create(&srv.admin, "Refund approved", REFUND, true, Some("billing")).await;
    create(&kim, "Kim's own", "Only Kim sees this.", false, None).await;
    create(
        &srv.admin,
        "Admin's own",
        "Only the admin sees this.",
        false,
        None,
    )
    .await;
    create(&pat, "Pat's own", "Pat wrote this.", false, None).await;
    // Events arrive in order: once Pat's own is there, the earlier
    // personal ones of others would have been too.
    wait_until!(
        "the team reply and Pat's own",
        titles(cache).await == ["Pat's own", "Refund approved"]
    );
    let flagged = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if changes.recv().await.expect("changes").saved_replies {
                return;
            }
        }
    })
    .await;
    assert!(
        flagged.is_ok(),
        "a batch of changes said saved replies changed"
    );

    srv.admin
        .patch_saved_reply(
            &refund.id,
            &SavedReplyPatch {
                title: Some("Refund approved (card)".into()),
                ..Default::default()
            },
        )
        .await
        .expect("patch");
    wait_until!(
        "the new title",
        titles(cache).await == ["Pat's own", "Refund approved (card)"]
    );
    srv.admin
        .delete_saved_reply(&refund.id)
        .await
        .expect("delete");
    wait_until!("the reply gone", titles(cache).await == ["Pat's own"]);
    engine.shutdown().await;
}

#[tokio::test]
async fn a_cache_that_never_loaded_saved_replies_loads_them_once() {
    let srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let kim = srv.agent("Kim", &["billing"]).await;
    srv.conversation_in("billing").await;
    create(&srv.admin, "Refund approved", REFUND, true, Some("billing")).await;
    create(
        &srv.admin,
        "Thanks for waiting",
        "Thanks for waiting!",
        true,
        None,
    )
    .await;
    create(&pat, "Pat's own", "Pat wrote this.", false, None).await;
    create(&kim, "Kim's own", "Only Kim sees this.", false, None).await;
    let want = ["Pat's own", "Refund approved", "Thanks for waiting"];

    // A fresh cache is filled from the snapshot, whose head is past the
    // replies' events: only the whole load brings them.
    let path = srv.cache_path("pat.db");
    let first = engine(&pat, &path).await;
    wait_online(&first).await;
    wait_until!("the list loaded", titles(first.cache()).await == want);
    first.shutdown().await;

    // A cache of a version that did not keep saved replies: its cursor is
    // past their events, it holds none and was never loaded.
    {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("open cache file");
        sqlx::query("DELETE FROM saved_replies")
            .execute(&mut conn)
            .await
            .expect("empty");
        sqlx::query("DELETE FROM meta WHERE key = 'saved_replies_loaded'")
            .execute(&mut conn)
            .await
            .expect("unflag");
        conn.close().await.expect("close");
    }
    let again = engine(&pat, &path).await;
    wait_online(&again).await;
    wait_until!("the list loaded again", titles(again.cache()).await == want);
    assert!(again.cache().saved_replies_loaded().await.unwrap());

    // A reset (the server's log went back) drops them and the flag; the
    // rebuild loads them again.
    let cache = again.cache().clone();
    again.shutdown().await;
    cache.reset().await.expect("reset");
    assert!(!cache.saved_replies_loaded().await.unwrap());
    assert!(titles(&cache).await.is_empty());
    cache.close().await;
    let rebuilt = engine(&pat, &path).await;
    wait_online(&rebuilt).await;
    wait_until!(
        "the list after the rebuild",
        titles(rebuilt.cache()).await == want
    );
    rebuilt.shutdown().await;
}

#[tokio::test]
async fn the_picker_lists_and_fills_from_the_cache_with_the_server_stopped() {
    let mut srv = TestServer::spawn().await;
    srv.category("billing").await;
    srv.category("tech").await;
    let pat = srv.agent("Pat", &["billing", "tech"]).await;
    let named = srv.conversation_in("billing").await.summary;
    let nameless = srv
        .admin
        .create_conversation(&NewConversation {
            customer: Customer {
                name: None,
                email: Some("someone@example.com".into()),
                phone: None,
            },
            subject: "Password".into(),
            body: "I cannot sign in.".into(),
            category_id: Some("tech".into()),
        })
        .await
        .expect("conversation")
        .summary;
    let refund = create(&srv.admin, "Refund approved", REFUND, true, Some("billing")).await;
    create(
        &srv.admin,
        "Reset your password",
        "Hi {{customer.name}}, click the link.",
        true,
        Some("tech"),
    )
    .await;
    create(
        &srv.admin,
        "Thanks for waiting",
        "Thanks for waiting, {{customer.first_name}}!",
        true,
        None,
    )
    .await;

    let engine = engine(&pat, &srv.cache_path("pat.db")).await;
    wait_online(&engine).await;
    wait_until!("three replies", titles(engine.cache()).await.len() == 3);
    let now = Utc::now();
    let offered = |v: Vec<SavedReply>| v.into_iter().map(|r| r.title).collect::<Vec<_>>();

    // Online: filled from the cache, and the server counts the use.
    let f = engine
        .fill_saved_reply(&named.id, &refund.id, now)
        .await
        .expect("fill");
    let first = named
        .customer
        .name
        .as_deref()
        .and_then(|n| n.split_whitespace().next());
    assert_eq!(
        f.text,
        format!(
            "Hi {}, your refund is approved. Pat",
            first.unwrap_or_default()
        )
    );
    assert!(f.missing.is_empty());
    wait_until!("the use counted", uses(&srv.admin, &refund.id).await == 1);

    srv.stop().await;
    wait_until!("offline", engine.state() == ConnectionState::Offline);
    assert_eq!(
        offered(
            engine
                .saved_replies_for(&named.id, "ref", now)
                .await
                .unwrap()
        ),
        ["Refund approved"]
    );
    assert_eq!(
        offered(engine.saved_replies_for(&named.id, "", now).await.unwrap()),
        ["Refund approved", "Thanks for waiting"],
        "billing's and everyone's, not tech's"
    );
    assert_eq!(
        offered(
            engine
                .saved_replies_for(&nameless.id, "", now)
                .await
                .unwrap()
        ),
        ["Reset your password", "Thanks for waiting"]
    );
    let f = engine
        .fill_saved_reply(&named.id, &refund.id, now)
        .await
        .expect("fill offline");
    assert!(
        f.text.ends_with("your refund is approved. Pat"),
        "{}",
        f.text
    );
    let reset = engine
        .saved_replies_for(&nameless.id, "reset", now)
        .await
        .unwrap();
    let f = engine
        .fill_saved_reply(&nameless.id, &reset[0].id, now)
        .await
        .expect("fill offline");
    assert_eq!(f.text, "Hi {{customer.name}}, click the link.");
    assert_eq!(f.missing, ["customer.name"]);
    let gone = engine
        .fill_saved_reply(&named.id, "no-such-reply", now)
        .await;
    assert_eq!(
        gone.err().map(|e| e.code().to_owned()).as_deref(),
        Some("not_found")
    );

    // Back online: the offline fill was never counted.
    srv.start().await;
    wait_online(&engine).await;
    assert_eq!(uses(&srv.admin, &refund.id).await, 1);
    engine.shutdown().await;
}

/// A saved reply's file, chosen offline: it waits in the outbox by its
/// upload id (no copy, nothing to upload) and goes once with the reply,
/// which gets a copy of its own; the saved reply keeps its file.
#[tokio::test]
async fn a_saved_replys_file_goes_with_a_reply_queued_offline_once() {
    let mut srv = TestServer::spawn().await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let c = srv.conversation_in("billing").await.summary.id;
    pat.claim(&c).await.unwrap();
    let pdf: Vec<u8> = b"%PDF-1.4\n% a return label\n"
        .iter()
        .copied()
        .chain((0..5000u32).map(|i| (i * 7 % 251) as u8))
        .collect();
    let up = pat.upload("return-label.pdf", pdf.clone()).await.unwrap();
    let reply = pat
        .create_saved_reply(&NewSavedReply {
            title: "Return label".into(),
            body: "Here is your return label.".into(),
            scope: Some(ReplyScope::Personal),
            category_id: None,
            attachments: vec![up.id.clone()],
        })
        .await
        .unwrap();
    assert_eq!(reply.files.len(), 1);
    assert_eq!(
        (reply.files[0].id.as_str(), reply.files[0].filename.as_str()),
        (up.id.as_str(), "return-label.pdf")
    );
    assert_eq!(reply.files[0].size, pdf.len() as u64);

    let cache_file = srv.cache_path("pat.db");
    let engine = engine(&pat, &cache_file).await;
    wait_online(&engine).await;
    wait_until!(
        "the reply's files in the cache",
        engine.saved_reply_files(&reply.id).await.unwrap() == reply.files
    );

    srv.stop().await;
    engine
        .watch_state()
        .wait_for(|s| *s == ConnectionState::Offline)
        .await
        .unwrap();
    let files = engine.saved_reply_files(&reply.id).await.unwrap();
    let held: Vec<NewFile> = files
        .iter()
        .map(|f| NewFile::Held {
            filename: f.filename.clone(),
            upload_id: f.id.clone(),
            size: f.size,
        })
        .collect();
    let item = engine
        .queue_message_with_files(&c, "Here is your return label.", false, held)
        .await
        .unwrap();
    assert_eq!(
        item.files,
        vec![PendingFile {
            filename: "return-label.pdf".into(),
            size: pdf.len() as u64
        }]
    );
    let mut outbox_dir = cache_file.as_os_str().to_owned();
    outbox_dir.push("-outbox");
    assert!(
        std::fs::read_dir(&outbox_dir).map_or(true, |d| d.count() == 0),
        "a held file is not copied"
    );

    srv.start().await;
    wait_until!(
        "the outbox to empty",
        engine.cache().outbox().await.unwrap().is_empty()
    );
    let sent: Vec<_> = pat
        .conversation(&c)
        .await
        .unwrap()
        .messages
        .into_iter()
        .filter(|m| m.kind == MessageKind::Agent)
        .collect();
    assert_eq!(sent.len(), 1, "sent once: {sent:?}");
    assert_eq!(sent[0].attachments.len(), 1);
    let copy = &sent[0].attachments[0];
    assert_eq!(copy.filename, "return-label.pdf");
    assert_ne!(copy.id, up.id, "the message has a copy of its own");
    assert_eq!(engine.attachment_bytes(&copy.id).await.unwrap(), pdf);
    // The saved reply still holds its file.
    let kept = pat.saved_reply(&reply.id).await.unwrap();
    assert_eq!(kept.files, reply.files);
    engine.shutdown().await;
}
