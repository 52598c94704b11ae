//! A reply's files go out as MIME parts: an agent uploads a PDF and a PNG,
//! replies with both, and the SMTP sink receives one mail whose attachment
//! parts carry the right names and exactly the bytes uploaded (SHA-256).

use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};
use switchboard_api::DeliveryStatus;
use switchboard_server::channels::email::EmailConfig;

use crate::harness::{eventually, spawn, SmtpSink};

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_reply_with_a_pdf_and_a_png_reaches_smtp_as_mime_parts() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let mut cfg = EmailConfig::new();
    cfg.smtp_url = Some(sink.url());
    cfg.smtp_from = Some("Acme Support <support@acme.test>".into());
    cfg.retry_base = Duration::from_millis(200);
    let app = spawn(cfg).await;
    let agent = app.agent("Sam").await;
    let got = app
        .deliver(
            "From: Carla <carla@example.com>\r\nTo: support@acme.test\r\nSubject: Invoice please\r\n\
Message-ID: <inv-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n\
Could you send the invoice and a screenshot?\r\n",
        )
        .await;
    let conv = got["conversation_id"].as_str().expect("id").to_owned();
    agent.claim(&conv).await.expect("claim");

    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    pdf.extend((0..300_000u32).map(|i| (i % 253) as u8));
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    png.extend((0..40_000u32).map(|i| (i % 7) as u8));
    let a = agent
        .upload("Rechnung März.pdf", pdf.clone())
        .await
        .expect("pdf");
    let b = agent.upload("screen.png", png.clone()).await.expect("png");
    let reply = agent
        .reply_with(&conv, "Here they are.", &[a.id.as_str(), b.id.as_str()])
        .await
        .expect("reply");
    eventually(20, "the reply sent", || async {
        let c = app.conversation(&conv).await;
        c.messages
            .into_iter()
            .find(|m| m.id == reply.id)
            .and_then(|m| m.delivery)
            .filter(|d| d.status == DeliveryStatus::Sent)
    })
    .await;
    let mails = sink.received();
    assert_eq!(mails.len(), 1, "one mail");
    let raw = &mails[0];
    let parsed = MessageParser::default()
        .parse(raw.as_bytes())
        .expect("the mail parses");
    assert_eq!(
        parsed.body_text(0).as_deref().map(str::trim),
        Some("Here they are.")
    );
    let files: Vec<(String, String, String)> = parsed
        .attachments()
        .map(|p| {
            (
                p.attachment_name().unwrap_or("").to_owned(),
                p.content_type()
                    .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
                    .unwrap_or_default(),
                sha(p.contents()),
            )
        })
        .collect();
    assert_eq!(
        files,
        vec![
            (
                "Rechnung März.pdf".to_owned(),
                "application/pdf".to_owned(),
                sha(&pdf)
            ),
            ("screen.png".to_owned(), "image/png".to_owned(), sha(&png)),
        ]
    );
    assert_eq!(sha(&pdf), a.sha256);
    app.stop().await;
}

#[tokio::test]
async fn a_reply_of_files_alone_still_sends_with_a_short_text() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let mut cfg = EmailConfig::new();
    cfg.smtp_url = Some(sink.url());
    cfg.smtp_from = Some("Acme Support <support@acme.test>".into());
    cfg.retry_base = Duration::from_millis(200);
    let app = spawn(cfg).await;
    let agent = app.agent("Sam").await;
    let got = app
        .deliver(
            "From: Carla <carla@example.com>\r\nTo: support@acme.test\r\nSubject: Label\r\n\
Message-ID: <label-1@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n\
The return label, please.\r\n",
        )
        .await;
    let conv = got["conversation_id"].as_str().expect("id").to_owned();
    agent.claim(&conv).await.expect("claim");
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nlabel".to_vec();
    let a = agent.upload("label.pdf", pdf.clone()).await.expect("pdf");
    let reply = agent
        .reply_with(&conv, "", &[a.id.as_str()])
        .await
        .expect("a reply of a file alone is taken");
    assert_eq!(reply.body, "");
    eventually(20, "the reply sent", || async {
        let c = app.conversation(&conv).await;
        c.messages
            .into_iter()
            .find(|m| m.id == reply.id)
            .and_then(|m| m.delivery)
            .filter(|d| d.status == DeliveryStatus::Sent)
    })
    .await;
    let mails = sink.received();
    let parsed = MessageParser::default()
        .parse(mails[0].as_bytes())
        .expect("the mail parses");
    assert_eq!(
        parsed.body_text(0).as_deref().map(str::trim),
        Some("Attached: label.pdf")
    );
    let names: Vec<String> = parsed
        .attachments()
        .map(|p| p.attachment_name().unwrap_or("").to_owned())
        .collect();
    assert_eq!(names, ["label.pdf"]);
    app.stop().await;
}
