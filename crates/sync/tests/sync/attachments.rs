//! Files in the desktop's outbox: queued offline with a reply (copied, so
//! the originals may go), uploaded once and posted once when the server is
//! back — even when the POST's answer is lost — downloaded byte for byte,
//! shown on the cached message after the echo; a file over the server's
//! limit fails its item with `upload_too_large` and nothing else is lost.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use sqlx::Connection;
use switchboard_api::{MessageKind, Session};
use switchboard_sync::{ConnectionState, Engine, NewFile, PendingFile, SendState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::*;
use crate::wait_until;

/// The server's largest upload in these tests.
const LIMIT: u64 = 64 * 1024;

/// A PDF-like and a PNG-like file's bytes (several KiB, all byte values).
fn pdf_bytes() -> Vec<u8> {
    let mut b = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    b.extend((0..6000u32).map(|i| (i * 7 % 251) as u8));
    b.extend_from_slice(b"\n%%EOF\n");
    b
}

fn png_bytes() -> Vec<u8> {
    let mut b =
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
            .to_vec();
    b.extend((0..9000u32).map(|i| (i * 13 % 256) as u8));
    b
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> NewFile {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a test file");
    NewFile::Local {
        filename: name.to_owned(),
        path,
    }
}

/// The copies in a cache's outbox folder.
fn copies(cache_file: &Path) -> usize {
    let mut dir = cache_file.as_os_str().to_owned();
    dir.push("-outbox");
    std::fs::read_dir(PathBuf::from(dir)).map_or(0, |d| d.count())
}

/// Uploads stored by the server (attached or not).
async fn server_uploads(srv: &TestServer) -> i64 {
    let mut conn = sqlx::SqliteConnection::connect(&db_url(&srv.db))
        .await
        .expect("server database");
    sqlx::query_scalar("SELECT COUNT(*) FROM uploads")
        .fetch_one(&mut conn)
        .await
        .expect("count uploads")
}

/// What the proxy does to a message POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Drops the connection before the POST reaches the server.
    Request,
    /// Lets the POST reach the server, then drops the connection instead
    /// of giving its answer back.
    Answer,
}

/// A proxy in front of the server that cuts the next message POSTs as
/// planned: connections lost after the uploads, before and after the post.
struct LossyProxy {
    url: String,
    plan: Arc<Mutex<VecDeque<Cut>>>,
}

impl LossyProxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let plan = Arc::new(Mutex::new(VecDeque::new()));
        let cuts = plan.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let cuts = cuts.clone();
                tokio::spawn(async move {
                    // Server down: the client's connection just closes.
                    if let Ok(server) = TcpStream::connect(target).await {
                        pipe(client, server, cuts).await;
                    }
                });
            }
        });
        Self { url, plan }
    }

    fn plan(&self, cuts: &[Cut]) {
        self.plan.lock().unwrap().extend(cuts);
    }

    /// Cuts planned and not made yet.
    fn left(&self) -> usize {
        self.plan.lock().unwrap().len()
    }
}

async fn pipe(client: TcpStream, server: TcpStream, plan: Arc<Mutex<VecDeque<Cut>>>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let lose = Arc::new(AtomicBool::new(false));
    let lose_up = lose.clone();
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = cr.read(&mut buf).await {
            let chunk = &buf[..n];
            let post = chunk
                .windows(27)
                .any(|w| w == b"POST /api/v1/conversations/");
            let cut = if post {
                plan.lock().unwrap().pop_front()
            } else {
                None
            };
            match cut {
                Some(Cut::Request) => break,
                Some(Cut::Answer) => lose_up.store(true, Ordering::SeqCst),
                None => {}
            }
            if sw.write_all(chunk).await.is_err() {
                break;
            }
        }
    };
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = sr.read(&mut buf).await {
            if lose.load(Ordering::SeqCst) {
                // The server answered; the client never hears it.
                break;
            }
            if cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}

async fn engine_via(proxy: &LossyProxy, session: &Session, cache_file: &Path) -> Engine {
    let through = switchboard_api::Client::new(&proxy.url)
        .expect("client")
        .resume(session.token())
        .await
        .expect("session through the proxy");
    let cache = switchboard_sync::Cache::open(cache_file)
        .await
        .expect("open cache");
    Engine::start(cache, through, fast_config())
        .await
        .expect("start engine")
}

#[tokio::test]
async fn files_queued_offline_are_uploaded_and_posted_once_when_the_server_is_back() {
    let mut srv = TestServer::spawn_limited(Some(LIMIT)).await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let c = srv.conversation_in("billing").await.summary.id;
    pat.claim(&c).await.unwrap();
    let proxy = LossyProxy::start(srv.addr).await;
    let cache_file = srv.cache_path("pat.db");
    let engine = engine_via(&proxy, &pat, &cache_file).await;
    wait_online(&engine).await;

    srv.stop().await;
    engine
        .watch_state()
        .wait_for(|s| *s == ConnectionState::Offline)
        .await
        .unwrap();
    let (pdf, png) = (pdf_bytes(), png_bytes());
    let originals = srv.dir.path().join("originals");
    std::fs::create_dir_all(&originals).unwrap();
    let files = vec![
        write(&originals, "invoice.pdf", &pdf),
        write(&originals, "screenshot.png", &png),
    ];
    let item = engine
        .queue_message_with_files(&c, "Here are both files.", false, files)
        .await
        .unwrap();
    let pending = vec![
        PendingFile {
            filename: "invoice.pdf".into(),
            size: pdf.len() as u64,
        },
        PendingFile {
            filename: "screenshot.png".into(),
            size: png.len() as u64,
        },
    ];
    assert_eq!(item.files, pending);
    assert_eq!(engine.cache().outbox().await.unwrap()[0].files, pending);
    let view = engine
        .cache()
        .conversation(&c, Utc::now())
        .await
        .unwrap()
        .unwrap();
    let mine = view.messages.last().expect("the pending reply");
    assert_eq!(mine.send_state, SendState::Pending);
    assert_eq!(mine.pending_files, pending, "shown while pending");
    assert!(mine.attachments.is_empty());
    assert_eq!(copies(&cache_file), 2, "copied beside the cache");
    // The originals may go: the outbox has its copies.
    std::fs::remove_dir_all(&originals).unwrap();

    // Back, but the connection is lost after the uploads, before the
    // reply's POST reaches the server; then the answer to the next POST is
    // lost on the way: the engine reconnects each time and settles it
    // without a second upload or message.
    proxy.plan(&[Cut::Request, Cut::Answer]);
    srv.start().await;
    wait_until!(
        "the outbox to empty",
        engine.cache().outbox().await.unwrap().is_empty()
    );
    assert_eq!(proxy.left(), 0, "both POSTs were cut");
    let history = pat.conversation(&c).await.unwrap().messages;
    let sent: Vec<_> = history
        .iter()
        .filter(|m| m.kind == MessageKind::Agent)
        .collect();
    assert_eq!(sent.len(), 1, "one message: {sent:?}");
    let names: Vec<_> = sent[0]
        .attachments
        .iter()
        .map(|a| a.filename.as_str())
        .collect();
    assert_eq!(
        names,
        ["invoice.pdf", "screenshot.png"],
        "attached once, in order"
    );
    assert_eq!(server_uploads(&srv).await, 2, "each file uploaded once");
    let pdf_id = &sent[0].attachments[0].id;
    let png_id = &sent[0].attachments[1].id;
    assert_eq!(engine.attachment_bytes(pdf_id).await.unwrap(), pdf);
    assert_eq!(engine.attachment_bytes(png_id).await.unwrap(), png);

    // The cached message, after the echo, shows the server's files.
    wait_until!("the files on the cached message", {
        let view = engine
            .cache()
            .conversation(&c, Utc::now())
            .await
            .unwrap()
            .unwrap();
        view.messages.iter().any(|m| {
            m.id.as_deref() == Some(sent[0].id.as_str()) && m.attachments == sent[0].attachments
        })
    });
    let view = engine
        .cache()
        .conversation(&c, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        view.messages
            .iter()
            .filter(|m| m.kind == MessageKind::Agent)
            .count(),
        1,
        "the outbox row became the server's message"
    );
    assert!(view.messages.iter().all(|m| m.pending_files.is_empty()));
    wait_until!("the copies removed", copies(&cache_file) == 0);

    // A restart of the engine sends nothing again.
    engine.shutdown().await;
    let again = engine_via(&proxy, &pat, &cache_file).await;
    wait_online(&again).await;
    assert!(again.cache().outbox().await.unwrap().is_empty());
    assert_eq!(server_uploads(&srv).await, 2);
    assert_eq!(
        pat.conversation(&c)
            .await
            .unwrap()
            .messages
            .iter()
            .filter(|m| m.kind == MessageKind::Agent)
            .count(),
        1
    );
    // Downloads need the server.
    srv.stop().await;
    let err = again.attachment_bytes(pdf_id).await.unwrap_err();
    assert_eq!(err.code(), "offline", "{err}");
}

#[tokio::test]
async fn a_file_over_the_limit_fails_its_item_and_nothing_else_is_lost() {
    let srv = TestServer::spawn_limited(Some(LIMIT)).await;
    srv.category("billing").await;
    let pat = srv.agent("Pat", &["billing"]).await;
    let c = srv.conversation_in("billing").await.summary.id;
    pat.claim(&c).await.unwrap();
    let cache_file = srv.cache_path("pat.db");
    let engine = engine(&pat, &cache_file).await;
    wait_online(&engine).await;
    let dir = srv.dir.path();

    // An unreadable file: refused at once, naming it; nothing queued.
    let missing = NewFile::Local {
        filename: "gone.txt".into(),
        path: dir.join("no-such-file.txt"),
    };
    let small = write(dir, "small.txt", b"a small text file\n");
    let err = engine
        .queue_message_with_files(&c, "never queued", false, vec![small.clone(), missing])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unreadable_file", "{err}");
    assert!(err.to_string().contains("gone.txt"), "{err}");
    assert!(engine.cache().outbox().await.unwrap().is_empty());
    assert_eq!(copies(&cache_file), 0, "the copy already made is removed");

    let big = vec![7u8; usize::try_from(LIMIT).unwrap() + 1024];
    let refused = engine
        .queue_message_with_files(
            &c,
            "Too big to send",
            false,
            vec![small.clone(), write(dir, "huge.bin", &big)],
        )
        .await
        .unwrap();
    // The rest of the outbox goes on: a note with a file, a plain reply.
    engine
        .queue_message_with_files(&c, "A note with a file", true, vec![small])
        .await
        .unwrap();
    engine.queue_reply(&c, "Still here").await.unwrap();
    wait_until!(
        "the outbox to settle",
        engine
            .cache()
            .outbox()
            .await
            .unwrap()
            .iter()
            .all(|o| o.send_state != SendState::Pending)
    );
    let outbox = engine.cache().outbox().await.unwrap();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    let failed = &outbox[0];
    assert_eq!(failed.client_id, refused.client_id);
    assert_eq!(failed.body, "Too big to send");
    match &failed.send_state {
        SendState::Failed { code, message } => {
            assert_eq!(code, "upload_too_large");
            assert!(!message.is_empty());
        }
        other => panic!("expected failed, got {other:?}"),
    }
    assert_eq!(failed.files, refused.files, "its files are kept");
    assert_eq!(copies(&cache_file), 2, "with their copies");
    let history = pat.conversation(&c).await.unwrap().messages;
    assert!(history.iter().all(|m| m.body != "Too big to send"));
    let note = history
        .iter()
        .find(|m| m.body == "A note with a file")
        .expect("the note");
    assert_eq!(note.kind, MessageKind::Note);
    assert_eq!(note.attachments.len(), 1);
    assert!(history.iter().any(|m| m.body == "Still here"));

    // Discarding the failed item removes its copies.
    engine.discard_outbox(&refused.client_id).await.unwrap();
    assert!(engine.cache().outbox().await.unwrap().is_empty());
    assert_eq!(copies(&cache_file), 0);
}

/// A customer's mail with a PDF attached (Base64 of [`STATEMENT`]).
const MAIL_WITH_FILE: &str = "From: Carla <carla@example.com>\r\nTo: support@acme.test\r\n\
Subject: Statement\r\nMessage-ID: <st-1@example.com>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
--b1\r\nContent-Type: application/pdf; name=\"statement.pdf\"\r\n\
Content-Disposition: attachment; filename=\"statement.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERi0xLjQKJeLjz9MKVGhlIHN0YXRlbWVudCBmb3IgTWFyY2gKJSVFT0YK\r\n--b1--\r\n";

const STATEMENT: &[u8] = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nThe statement for March\n%%EOF\n";

#[tokio::test]
async fn an_old_cache_with_email_is_rebuilt_with_the_mails_files() {
    let srv = TestServer::spawn().await;
    let got = switchboard_testkit::email::deliver(srv.client.base(), MAIL_WITH_FILE).await;
    let conv = got["conversation_id"].as_str().expect("id").to_owned();
    let mail = srv.admin.conversation(&conv).await.unwrap().messages[0].clone();
    assert_eq!(mail.attachments.len(), 1, "{mail:?}");

    // What the previous version cached: migrations up to 0008, the mail
    // without its file, the cursor at the end of the log.
    let path = srv.cache_path("old.db");
    let pool = cache_at_version(&path, 8).await;
    let now = Utc::now().timestamp_millis();
    sqlx::query(
        "INSERT INTO conversations (id, channel, customer_name, customer_email, subject, state, \
         created_at, updated_at, waiting_since, preview, complete) \
         VALUES (?, 'email', 'Carla', 'carla@example.com', 'Statement', 'queued', ?, ?, ?, 'See attached.', 1)",
    )
    .bind(&conv)
    .bind(now)
    .bind(now)
    .bind(now)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, kind, author, body, created_at) \
         VALUES (?, ?, 'customer', ?, ?, ?)",
    )
    .bind(&mail.id)
    .bind(&conv)
    .bind(&mail.author)
    .bind(&mail.body)
    .bind(mail.created_at.timestamp_millis())
    .execute(&pool)
    .await
    .unwrap();
    let me = serde_json::to_string(&srv.admin.agent).unwrap();
    let last = srv.last_seq().await.to_string();
    for (key, value) in [
        ("cursor", last.as_str()),
        ("server_url", srv.admin.client().base()),
        ("agent_id", srv.admin.agent.id.as_str()),
        ("me", me.as_str()),
    ] {
        sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?)")
            .bind(key)
            .bind(value)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;

    // Opened by this version: rebuilt, and filled again with the file.
    let cache = switchboard_sync::Cache::open(&path).await.unwrap();
    assert_eq!(cache.cursor().await.unwrap(), 0, "the cursor went back");
    let engine = Engine::start(cache, srv.admin.clone(), fast_config())
        .await
        .unwrap();
    wait_online(&engine).await;
    wait_until!("the mail's file in the cache", {
        engine
            .cache()
            .conversation(&conv, Utc::now())
            .await
            .unwrap()
            .is_some_and(|v| v.messages.iter().any(|m| m.attachments == mail.attachments))
    });
    let id = &mail.attachments[0].id;
    assert_eq!(engine.attachment_bytes(id).await.unwrap(), STATEMENT);
}
