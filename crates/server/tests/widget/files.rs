//! Files in the widget, both ways, through the visitor API the widget uses
//! (the page itself is driven in Chromium by `widget/tests/e2e.mjs`): an
//! agent's PDF and PNG reach the visitor (history and live) and download
//! byte for byte as downloads; a visitor's upload reaches the agents'
//! `Message.attachments` with the same bytes; 30 MiB is refused with nothing
//! stored; HTML named `invoice.pdf` is served to agents as a `nosniff`
//! download; a visitor reaches no file outside their conversation's
//! visible messages.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::*;

const WAIT: Duration = Duration::from_secs(10);

fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    v.extend((0..len).map(|i| (i * 31 % 251) as u8));
    v
}

fn pdf() -> Vec<u8> {
    let mut v = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec();
    // Over one stored chunk (256 KiB).
    v.extend((0..300_000).map(|i| (i * 7 % 253) as u8));
    v
}

impl App {
    /// `POST /widget/v1/uploads?filename=` with the raw bytes.
    async fn visitor_upload(&self, token: &str, name: &str, bytes: Vec<u8>) -> Resp {
        let r = self
            .http
            .post(format!("{}/widget/v1/uploads", self.url))
            .query(&[("filename", name)])
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .expect("upload");
        read(r).await
    }

    /// `GET /widget/v1/attachments/{id}`: status, headers, bytes.
    async fn visitor_download(
        &self,
        token: &str,
        id: &str,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}/widget/v1/attachments/{id}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("download");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.bytes().await.expect("bytes").to_vec())
    }

    /// Rows in `uploads` and `upload_chunks`.
    async fn stored_rows(&self) -> (i64, i64) {
        let reader = self.server().store().reader();
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(reader)
                .await
                .expect("count")
        };
        (
            count("SELECT COUNT(*) FROM uploads").await,
            count("SELECT COUNT(*) FROM upload_chunks").await,
        )
    }
}

fn assert_download_headers(h: &reqwest::header::HeaderMap, name: &str) {
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains(name),
        "{disposition}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
}

#[tokio::test]
async fn an_agents_pdf_and_png_reach_the_visitor_and_download_byte_for_byte() {
    let app = spawn().await;
    let agent = app.agent("Dana Scully").await;
    let (token, conv) = app.visitor("Can you send the invoice?").await;
    let id = conv["id"].as_str().unwrap().to_owned();
    agent.claim(&id).await.unwrap();
    let mut live = app.stream(&token, conv["last_seq"].as_i64()).await;
    let (pdf_bytes, png_bytes) = (pdf(), png(5000));
    let p = agent
        .upload("invoice.pdf", pdf_bytes.clone())
        .await
        .unwrap();
    let i = agent.upload("photo.png", png_bytes.clone()).await.unwrap();
    // A reply of files alone: no text needed.
    let reply = agent.reply_with(&id, "", &[&p.id, &i.id]).await.unwrap();
    assert_eq!(reply.attachments.len(), 2);
    let summary = agent.conversation(&id).await.unwrap().summary;
    assert_eq!(summary.preview, "📎 invoice.pdf, photo.png");
    // A file on a note stays the team's.
    let secret = agent.upload("internal.pdf", pdf()).await.unwrap();
    let note = switchboard_api::NewMessage {
        body: "for us only".into(),
        internal: true,
        client_id: None,
        attachment_ids: vec![secret.id.clone()],
    };
    agent.post_message(&id, &note).await.unwrap();

    // Live: the reply's frame carries the files.
    let (frame, _) = live
        .until(WAIT, |f| {
            f.data["type"] == "message" && f.data["message"]["kind"] == "agent"
        })
        .await;
    assert_eq!(
        frame.data["message"]["attachments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let h = app.history(&token).await;
    assert_eq!(h.status, 200, "{}", h.text);
    let last = h.body["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "agent");
    assert_eq!(last["body"], "");
    let files = last["attachments"].as_array().unwrap();
    let shown: Vec<(&str, &str, u64)> = files
        .iter()
        .map(|f| {
            (
                f["filename"].as_str().unwrap(),
                f["content_type"].as_str().unwrap(),
                f["size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("invoice.pdf", "application/pdf", pdf_bytes.len() as u64),
            ("photo.png", "image/png", png_bytes.len() as u64),
        ]
    );
    assert!(!h.text.contains("internal.pdf") && !h.text.contains("for us only"));

    let (status, headers, bytes) = app.visitor_download(&token, &p.id).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, pdf_bytes, "the PDF byte for byte");
    assert_eq!(headers["content-type"], "application/pdf");
    assert_download_headers(&headers, "invoice.pdf");
    let (status, headers, bytes) = app.visitor_download(&token, &i.id).await;
    assert_eq!((status, bytes == png_bytes), (200, true));
    assert_eq!(headers["content-type"], "image/png");
    assert_download_headers(&headers, "photo.png");

    // Not the note's file, not without the token, not another visitor's.
    assert_eq!(app.visitor_download(&token, &secret.id).await.0, 404);
    let r = app
        .http
        .get(format!("{}/widget/v1/attachments/{}", app.url, p.id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let (other, _) = app.visitor("Someone else").await;
    assert_eq!(app.visitor_download(&other, &p.id).await.0, 404);

    // With no file, an empty reply is still refused.
    let err = agent.reply_with(&id, "  ", &[]).await.unwrap_err();
    assert!(format!("{err:?}").contains("empty_body"), "{err:?}");
}

#[tokio::test]
async fn a_visitors_file_reaches_the_agents_with_the_same_bytes() {
    let app = spawn().await;
    let agent = app.agent("Dana Scully").await;
    let (token, conv) = app.visitor("Here is a photo of the damage").await;
    let id = conv["id"].as_str().unwrap().to_owned();
    agent.claim(&id).await.unwrap();
    let bytes = png(40_000);
    let up = app
        .visitor_upload(&token, "damage.png", bytes.clone())
        .await;
    assert_eq!(up.status, 201, "{}", up.text);
    assert_eq!(up.body["content_type"], "image/png");
    let upload_id = up.body["id"].as_str().unwrap().to_owned();
    // Before it is attached, no one else reaches it.
    assert!(agent.download(&upload_id).await.is_err());
    let posted = app
        .call(
            Method::POST,
            "/widget/v1/messages",
            Some(&token),
            Some(json!({"body": "", "client_id": "c-1", "attachment_ids": [upload_id]})),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    assert_eq!(
        posted.body["message"]["attachments"][0]["filename"],
        "damage.png"
    );
    // The same client_id again: the same message, attached once.
    let again = app
        .call(
            Method::POST,
            "/widget/v1/messages",
            Some(&token),
            Some(json!({"body": "", "client_id": "c-1", "attachment_ids": [upload_id]})),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);

    let full = agent.conversation(&id).await.unwrap();
    assert_eq!(
        full.summary.preview, "📎 damage.png",
        "a file alone is named in the list"
    );
    let m = full.messages.last().unwrap();
    assert_eq!(m.kind, switchboard_core::MessageKind::Customer);
    assert_eq!(m.attachments.len(), 1);
    let a = &m.attachments[0];
    assert_eq!(
        (a.filename.as_str(), a.content_type.as_str()),
        ("damage.png", "image/png")
    );
    assert_eq!(agent.download(&a.id).await.unwrap(), bytes);
    // The visitor reads their own file back too.
    let (status, _, back) = app.visitor_download(&token, &a.id).await;
    assert_eq!((status, back == bytes), (200, true));

    // A file is the uploader's: another visitor cannot attach it, nor can
    // an agent; nothing without a file and without text.
    let (other, _) = app.visitor("Another visitor").await;
    let up2 = app.visitor_upload(&token, "second.png", png(10)).await;
    let stolen = app
        .call(
            Method::POST,
            "/widget/v1/messages",
            Some(&other),
            Some(json!({"body": "mine", "attachment_ids": [up2.body["id"]]})),
        )
        .await;
    assert_eq!(stolen.status, 422, "{}", stolen.text);
    assert_eq!(stolen.body["error"]["code"], "unknown_upload");
    let up2_id = up2.body["id"].as_str().unwrap().to_owned();
    assert!(agent
        .reply_with(&id, "taking it", &[&up2_id])
        .await
        .is_err());
    let empty = app.say(&token, "  ").await;
    assert_eq!(empty.status, 422);
}

#[tokio::test]
async fn a_file_sent_while_the_bot_answers_hands_the_chat_to_the_team() {
    let app = spawn().await;
    app.answer(&["When are you open?"], "9 to 5.").await;
    let (token, conv) = app.visitor("When are you open?").await;
    assert_eq!(conv["status"], "bot");
    let up = app.visitor_upload(&token, "receipt.pdf", pdf()).await;
    assert_eq!(up.status, 201, "{}", up.text);
    let posted = app
        .call(
            Method::POST,
            "/widget/v1/messages",
            Some(&token),
            Some(json!({"body": "my receipt", "attachment_ids": [up.body["id"]]})),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    assert_eq!(posted.body["conversation"]["status"], "queued");
    let id = conv["id"].as_str().unwrap();
    let full = app.admin.conversation(id).await.unwrap();
    let m = full.messages.last().unwrap();
    assert_eq!((m.body.as_str(), m.attachments.len()), ("my receipt", 1));
}

#[tokio::test]
async fn thirty_mib_from_a_visitor_is_refused_clearly_and_nothing_is_stored() {
    let app = spawn().await;
    let (token, _) = app.visitor("A big one").await;
    let r = app
        .visitor_upload(&token, "huge.bin", vec![7u8; 30 * 1024 * 1024])
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.body["error"]["code"], "upload_too_large");
    let message = r.body["error"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("25 MiB") && message.contains("nothing was stored"),
        "{message}"
    );
    assert_eq!(app.stored_rows().await, (0, 0), "nothing half-stored");
    // No name: refused before reading.
    let r = app
        .http
        .post(format!("{}/widget/v1/uploads", app.url))
        .bearer_auth(&token)
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn html_named_invoice_pdf_from_a_visitor_is_a_nosniff_download_for_agents() {
    let app = spawn().await;
    let agent = app.agent("Dana Scully").await;
    let (token, conv) = app.visitor("My invoice is attached").await;
    let id = conv["id"].as_str().unwrap().to_owned();
    agent.claim(&id).await.unwrap();
    let page = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
    let up = app
        .visitor_upload(&token, "invoice.pdf", page.to_vec())
        .await;
    assert_eq!(up.status, 201, "{}", up.text);
    assert_eq!(up.body["content_type"], "text/html", "sniffed, not named");
    let posted = app
        .call(
            Method::POST,
            "/widget/v1/messages",
            Some(&token),
            Some(json!({"body": "", "attachment_ids": [up.body["id"]]})),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.text);
    let full = agent.conversation(&id).await.unwrap();
    let file = &full.messages.last().unwrap().attachments[0];
    let r = app
        .http
        .get(format!("{}/api/v1/attachments/{}", app.url, file.id))
        .bearer_auth(agent.token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_download_headers(&h, "invoice.pdf");
    assert_eq!(r.bytes().await.unwrap().as_ref(), page);
}

#[tokio::test]
async fn the_openapi_document_has_the_widgets_file_routes() {
    let app = spawn().await;
    let r = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(r.status, 200);
    let paths = &r.body["paths"];
    let up = &paths["/widget/v1/uploads"]["post"]["responses"];
    for code in ["201", "400", "401", "413", "429"] {
        assert!(up[code].is_object(), "upload {code}");
    }
    let down = &paths["/widget/v1/attachments/{id}"]["get"]["responses"];
    for code in ["200", "401", "404"] {
        assert!(down[code].is_object(), "download {code}");
    }
    let msg: &Value = &r.body["components"]["schemas"]["VisitorMessage"]["properties"];
    assert!(msg["attachments"].is_object());
    let req = &r.body["components"]["schemas"]["MessageRequest"]["properties"];
    assert!(req["attachment_ids"].is_object());
}
