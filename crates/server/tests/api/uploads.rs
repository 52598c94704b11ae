//! Files in replies: `POST /api/v1/uploads` (streamed, limited, sniffed),
//! `attachment_ids` on a reply (the agent's own uploads only, once, and
//! idempotent with `client_id`), `Message.attachments`, and downloads from
//! `GET /api/v1/attachments/{id}` (bytes equal, always a download, 404 for
//! those who cannot see the conversation). Inbound email attachments show
//! on their message the same way.

use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use switchboard_api::events::EventPayload;
use switchboard_api::{AgentStatus, NewMessage, Session, Upload};

use crate::helpers::*;

/// A PNG's signature and header, then `len` bytes of a pattern.
fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    v.extend((0..len).map(|i| (i * 31 % 251) as u8));
    v
}

fn sha(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An agent in `general` holding a fresh conversation.
async fn holding(app: &TestApp, name: &str) -> (Session, String) {
    let agent = app.agent(name, &["general"], AgentStatus::Available).await;
    let c = app.conversation_in("general").await;
    agent.claim(&c.summary.id).await.expect("claim");
    (agent, c.summary.id)
}

/// Rows in `uploads` and `upload_chunks`.
async fn stored_rows(app: &TestApp) -> (i64, i64) {
    let reader = app.server().store().reader();
    let uploads: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uploads")
        .fetch_one(reader)
        .await
        .expect("count uploads");
    let chunks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM upload_chunks")
        .fetch_one(reader)
        .await
        .expect("count chunks");
    (uploads, chunks)
}

async fn raw_download(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.http
        .get(app.api(&format!("/attachments/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("download")
}

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn an_upload_goes_out_with_a_reply_and_downloads_byte_for_byte() {
    let app = spawn_app().await;
    let (pat, conv) = holding(&app, "Pat").await;
    // Over two chunks of 256 KiB, so the bytes come back from three rows.
    let bytes = png(600 * 1024);
    let up = pat
        .upload("screen shot.png", bytes.clone())
        .await
        .expect("upload");
    assert_eq!(up.filename, "screen shot.png");
    assert_eq!(up.name, up.filename);
    assert_eq!(up.content_type, "image/png");
    assert_eq!(up.size, bytes.len() as u64);
    assert_eq!(up.sha256, sha(&bytes));
    assert_eq!(stored_rows(&app).await, (1, 3));

    let reply = pat
        .reply_with(
            &conv,
            "Here is the screen you asked for.",
            &[up.id.as_str()],
        )
        .await
        .expect("reply");
    assert_eq!(reply.attachments.len(), 1);
    let info = &reply.attachments[0];
    assert_eq!(
        (
            info.id.as_str(),
            info.filename.as_str(),
            info.content_type.as_str(),
            info.size
        ),
        (
            up.id.as_str(),
            "screen shot.png",
            "image/png",
            bytes.len() as u64
        )
    );
    // Read back with the conversation, and carried by the event.
    let c = pat.conversation(&conv).await.expect("conversation");
    let m = c.messages.iter().find(|m| m.id == reply.id).expect("reply");
    assert_eq!(m.attachments, reply.attachments);
    let events = sync_all(&pat, 0, 500).await;
    let created = events
        .iter()
        .find_map(|e| match e.payload() {
            Ok(EventPayload::MessageCreated(mc)) if mc.message.id == reply.id => Some(mc.message),
            _ => None,
        })
        .expect("message.created");
    assert_eq!(created.attachments, reply.attachments);

    let resp = raw_download(&app, pat.token(), &up.id).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "content-type"), "image/png");
    assert!(header(&resp, "content-disposition").starts_with("attachment;"));
    assert!(header(&resp, "content-disposition").contains("screen shot.png"));
    assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
    assert!(header(&resp, "content-security-policy").contains("sandbox"));
    let got = resp.bytes().await.expect("bytes");
    assert_eq!(sha(&got), up.sha256, "the same bytes");
    // The admin sees every conversation, so may download it too.
    assert_eq!(app.admin.download(&up.id).await.expect("admin"), bytes);
    // The name may come in a header instead of the query.
    let resp = app
        .http
        .post(app.api("/uploads"))
        .bearer_auth(pat.token())
        .header("x-filename", "notes.txt")
        .body("plain words")
        .send()
        .await
        .expect("upload");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let up: Upload = resp.json().await.expect("json");
    assert_eq!(
        (up.filename.as_str(), up.content_type.as_str()),
        ("notes.txt", "text/plain")
    );
    let resp = app
        .http
        .post(app.api("/uploads"))
        .bearer_auth(pat.token())
        .body("no name")
        .send()
        .await
        .expect("upload");
    expect_error_body(resp, 400, "missing_filename").await;
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (pat, _) = holding(&app, "Pat").await;
    let big = vec![7u8; 30 * 1024 * 1024];
    let resp = app
        .http
        .post(app.api("/uploads?filename=huge.bin"))
        .bearer_auth(pat.token())
        .body(big)
        .send()
        .await
        .expect("the answer arrives");
    let v = expect_error_body(resp, 413, "upload_too_large").await;
    let message = v["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("25 MiB"), "{message}");
    assert_eq!(stored_rows(&app).await, (0, 0), "nothing half-stored");
    // Exactly the limit is taken.
    let up = pat
        .upload("exact.bin", vec![1u8; 25 * 1024 * 1024])
        .await
        .expect("25 MiB");
    assert_eq!(up.size, 25 * 1024 * 1024);
    assert_eq!(stored_rows(&app).await, (1, 100));
}

#[tokio::test]
async fn html_named_like_a_pdf_is_served_as_a_download_never_as_a_page() {
    let app = spawn_app().await;
    let (pat, conv) = holding(&app, "Pat").await;
    let page = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
    let up = pat
        .upload("invoice.pdf", page.to_vec())
        .await
        .expect("upload");
    assert_eq!(
        up.content_type, "text/html",
        "sniffed, not taken from the name"
    );
    pat.reply_with(&conv, "Your invoice.", &[up.id.as_str()])
        .await
        .expect("reply");
    let resp = raw_download(&app, app.admin.token(), &up.id).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "content-type"), "application/octet-stream");
    assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
    assert!(header(&resp, "content-disposition").starts_with("attachment;"));
    assert!(header(&resp, "content-disposition").contains("invoice.pdf"));
    assert!(header(&resp, "content-security-policy").contains("sandbox"));
    assert_eq!(resp.bytes().await.expect("bytes").as_ref(), page);
}

#[tokio::test]
async fn only_your_own_unattached_uploads_can_be_attached() {
    let app = spawn_app().await;
    let (pat, conv) = holding(&app, "Pat").await;
    let sam = app.agent("Sam", &["general"], AgentStatus::Available).await;
    let sams = sam.upload("sam.png", png(10)).await.expect("upload");
    let e = expect_err(
        pat.reply_with(&conv, "With Sam's file", &[sams.id.as_str()])
            .await,
        422,
        "unknown_upload",
    );
    assert!(e.message.contains(&sams.id), "{}", e.message);
    expect_err(
        pat.reply_with(&conv, "With nothing", &["no-such-upload"])
            .await,
        422,
        "unknown_upload",
    );
    let mine = pat.upload("mine.png", png(10)).await.expect("upload");
    expect_err(
        pat.reply_with(&conv, "Twice", &[mine.id.as_str(), mine.id.as_str()])
            .await,
        422,
        "duplicate_attachment",
    );
    let many: Vec<&str> = vec![mine.id.as_str(); 11];
    expect_err(
        pat.reply_with(&conv, "Eleven", &many).await,
        422,
        "too_many_attachments",
    );
    // Refused replies wrote nothing: the upload is still free.
    let reply = pat
        .reply_with(&conv, "With mine", &[mine.id.as_str()])
        .await
        .expect("reply");
    assert_eq!(reply.attachments.len(), 1);
    expect_err(
        pat.reply_with(&conv, "Again", &[mine.id.as_str()]).await,
        422,
        "upload_already_attached",
    );
    // An upload not attached yet is its uploader's alone.
    let resp = raw_download(&app, pat.token(), &sams.id).await;
    expect_error_body(resp, 404, "not_found").await;
    assert_eq!(sam.download(&sams.id).await.expect("own"), png(10));
    // Notes take files too (never sent anywhere).
    let note = pat
        .post_message(
            &conv,
            &NewMessage {
                body: "internal: the customer's screen".into(),
                internal: true,
                client_id: None,
                attachment_ids: vec![pat.upload("n.png", png(5)).await.expect("upload").id],
            },
        )
        .await
        .expect("note");
    assert_eq!(note.attachments.len(), 1);
}

#[tokio::test]
async fn attachments_are_not_found_by_those_who_cannot_see_the_conversation() {
    let app = spawn_app().await;
    app.category("billing").await;
    let (pat, conv) = holding(&app, "Pat").await;
    let up = pat.upload("a.png", png(100)).await.expect("upload");
    pat.reply_with(&conv, "Attached.", &[up.id.as_str()])
        .await
        .expect("reply");
    let outsider = app
        .agent("Olga", &["billing"], AgentStatus::Available)
        .await;
    let resp = raw_download(&app, outsider.token(), &up.id).await;
    expect_error_body(resp, 404, "not_found").await;
    let resp = raw_download(&app, outsider.token(), "nothing-here").await;
    expect_error_body(resp, 404, "not_found").await;
    // A colleague of the category sees the conversation, so the file.
    let colleague = app
        .agent("Cleo", &["general"], AgentStatus::Available)
        .await;
    assert_eq!(
        colleague.download(&up.id).await.expect("colleague"),
        png(100)
    );
    let resp = app
        .http
        .get(app.api(&format!("/attachments/{}", up.id)))
        .send()
        .await
        .expect("anonymous");
    expect_error_body(resp, 401, "unauthorized").await;
}

#[tokio::test]
async fn the_same_client_id_gives_the_same_message_with_its_files_attached_once() {
    let app = spawn_app().await;
    let (pat, conv) = holding(&app, "Pat").await;
    let up = pat
        .upload("receipt.pdf", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj".to_vec())
        .await
        .expect("upload");
    assert_eq!(up.content_type, "application/pdf");
    let req = NewMessage {
        body: "Your receipt.".into(),
        internal: false,
        client_id: Some("offline-1".into()),
        attachment_ids: vec![up.id.clone()],
    };
    let first = pat.post_message(&conv, &req).await.expect("first");
    let again = pat.post_message(&conv, &req).await.expect("again");
    assert_eq!(first.id, again.id);
    assert_eq!(again.attachments, first.attachments);
    assert_eq!(first.attachments.len(), 1);
    let c = pat.conversation(&conv).await.expect("conversation");
    assert_eq!(
        c.messages
            .iter()
            .filter(|m| m.body == "Your receipt.")
            .count(),
        1
    );
    let attached: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE message_id IS NOT NULL")
            .fetch_one(app.server().store().reader())
            .await
            .expect("count");
    assert_eq!(attached, 1);
    // The design's name for the field is taken too.
    let other = pat.upload("b.png", png(3)).await.expect("upload");
    let resp = app
        .http
        .post(app.api(&format!("/conversations/{conv}/messages")))
        .bearer_auth(pat.token())
        .json(&serde_json::json!({"body": "And this.", "attachments": [other.id]}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let m: switchboard_api::Message = resp.json().await.expect("json");
    assert_eq!(m.attachments[0].id, other.id);
}

#[tokio::test]
async fn an_inbound_mails_attachments_show_on_its_message_and_download() {
    let app = spawn_app_with(switchboard_testkit::email::enable_inbound).await;
    let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nThe statement".to_vec();
    let b64 = base64_of(&pdf);
    let raw = format!(
        "From: Carla <carla@example.com>\r\nTo: support@acme.test\r\nSubject: Statement\r\n\
Message-ID: <st-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
--b1\r\nContent-Type: image/gif; name=\"statement.pdf\"\r\nContent-Disposition: attachment; filename=\"statement.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b1--\r\n"
    );
    let got = switchboard_testkit::email::deliver(&app.url, raw).await;
    let conv = got["conversation_id"]
        .as_str()
        .expect("conversation")
        .to_owned();
    let c = app.admin.conversation(&conv).await.expect("conversation");
    let files = &c.messages[0].attachments;
    assert_eq!(files.len(), 1, "{:?}", c.messages[0]);
    assert_eq!(files[0].filename, "statement.pdf");
    assert_eq!(
        files[0].content_type, "application/pdf",
        "sniffed, not the sender's word"
    );
    assert_eq!(files[0].size, pdf.len() as u64);
    assert_eq!(
        app.admin.download(&files[0].id).await.expect("download"),
        pdf
    );
    // The log says so too: the message again, with its file.
    let events = sync_all(&app.admin, 0, 500).await;
    let updated = events.iter().any(|e| {
        matches!(e.payload(), Ok(EventPayload::MessageUpdated(u)) if u.message.attachments.len() == 1)
    });
    assert!(updated, "message.updated with the attachment");
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn uploads_never_attached_are_swept_after_a_day_and_attached_ones_stay() {
    use switchboard_server::{ops, store::op};
    let app = spawn_app().await;
    let (pat, conv) = holding(&app, "Pat").await;
    let kept = pat
        .upload("kept.png", png(300 * 1024))
        .await
        .expect("upload");
    let loose = pat
        .upload("loose.png", png(300 * 1024))
        .await
        .expect("upload");
    pat.reply_with(&conv, "Attached.", &[kept.id.as_str()])
        .await
        .expect("reply");
    let sweep = || {
        app.server().store().write(op(|tx| {
            Box::pin(async move { ops::uploads::sweep(tx, 50).await })
        }))
    };
    app.advance(23 * 3600);
    assert_eq!(sweep().await.expect("sweep"), 0, "not a day old yet");
    app.advance(2 * 3600);
    assert_eq!(sweep().await.expect("sweep"), 1);
    assert_eq!(
        stored_rows(&app).await,
        (1, 2),
        "the attached file and its chunks"
    );
    let resp = raw_download(&app, pat.token(), &loose.id).await;
    expect_error_body(resp, 404, "not_found").await;
    assert_eq!(pat.download(&kept.id).await.expect("kept"), png(300 * 1024));
}

#[tokio::test]
async fn a_saved_replys_files_stay_and_each_reply_gets_a_copy_of_its_own() {
    use switchboard_api::{NewSavedReply, ReplyScope};
    use switchboard_server::{ops, store::op};
    let app = spawn_app().await;
    let (pat, conv) = holding(&app, "Pat").await;
    let guide = png(300 * 1024);
    let up = pat
        .upload("guide.png", guide.clone())
        .await
        .expect("upload");
    let saved = |scope: Option<ReplyScope>, ids: Vec<String>| NewSavedReply {
        title: "Setup guide".into(),
        body: "Here is the guide.".into(),
        scope,
        category_id: None,
        attachments: ids,
    };
    let reply = pat
        .create_saved_reply(&saved(None, vec![up.id.clone()]))
        .await
        .expect("saved reply");
    let sweep = || {
        app.server().store().write(op(|tx| {
            Box::pin(async move { ops::uploads::sweep(tx, 50).await })
        }))
    };
    app.advance(25 * 3600);
    assert_eq!(
        sweep().await.expect("sweep"),
        0,
        "a saved reply's file stays"
    );

    // Two replies use it: each message gets a copy of its own, same bytes.
    let a = pat
        .reply_with(&conv, "Here is the guide.", &[up.id.as_str()])
        .await
        .expect("first use");
    let b = pat
        .reply_with(&conv, "Here it is again.", &[up.id.as_str()])
        .await
        .expect("second use");
    let (fa, fb) = (&a.attachments[0], &b.attachments[0]);
    assert!(fa.id != up.id && fb.id != up.id && fa.id != fb.id, "copies");
    assert_eq!(
        (fa.filename.as_str(), fa.size),
        ("guide.png", guide.len() as u64)
    );
    assert_eq!(pat.download(&fa.id).await.expect("a"), guide);
    assert_eq!(pat.download(&fb.id).await.expect("b"), guide);
    assert_eq!(
        stored_rows(&app).await,
        (3, 6),
        "the reply's file and two copies"
    );

    // A personal reply's file is its owner's alone; a team reply's, everyone's.
    let (sam, sams_conv) = holding(&app, "Sam").await;
    expect_err(
        sam.reply_with(&sams_conv, "With Pat's file", &[up.id.as_str()])
            .await,
        422,
        "unknown_upload",
    );
    let admins = app
        .admin
        .upload("terms.png", png(64))
        .await
        .expect("upload");
    app.admin
        .create_saved_reply(&saved(Some(ReplyScope::Team), vec![admins.id.clone()]))
        .await
        .expect("team reply");
    let used = sam
        .reply_with(&sams_conv, "Our terms.", &[admins.id.as_str()])
        .await
        .expect("a team reply's file");
    assert_eq!(
        sam.download(&used.attachments[0].id).await.expect("copy"),
        png(64)
    );

    // A file already on a message, or someone else's, cannot be held.
    expect_err(
        pat.create_saved_reply(&saved(None, vec![fa.id.clone()]))
            .await,
        422,
        "upload_already_attached",
    );
    expect_err(
        pat.create_saved_reply(&saved(None, vec![admins.id.clone()]))
            .await,
        422,
        "unknown_upload",
    );

    // Deleted, the reply lets its file go: the sweep removes it, the copies stay.
    pat.delete_saved_reply(&reply.id).await.expect("delete");
    assert_eq!(sweep().await.expect("sweep"), 1);
    assert_eq!(pat.download(&fa.id).await.expect("a stays"), guide);
}
