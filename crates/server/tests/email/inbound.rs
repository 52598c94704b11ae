//! `POST /channels/email/inbound`: the secret, duplicates, threading,
//! attachments and a corpus of hostile MIME.

use switchboard_api::{Channel, ConversationState, MessageKind};
use switchboard_server::channels::email::EmailConfig;

use crate::harness::{spawn, SECRET};

fn mail(id: &str, subject: &str, body: &str) -> String {
    format!(
        "From: Carla Customer <carla@example.com>\r\nTo: support@example.com\r\nSubject: {subject}\r\n\
         Message-ID: <{id}>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
}

#[tokio::test]
async fn a_missing_or_wrong_secret_is_403_and_creates_nothing() {
    let app = spawn(EmailConfig::new()).await;
    let raw = mail("m1@example.com", "Hello", "Help me");
    for secret in [
        None,
        Some("wrong"),
        Some(""),
        Some("inbound-secret-for-test"),
    ] {
        let resp = app.inbound(raw.clone(), secret).await;
        assert_eq!(resp.status(), 403, "secret {secret:?}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_secret");
    }
    assert!(app.all().await.is_empty(), "nothing was created");
    app.stop().await;
}

#[tokio::test]
async fn no_secret_configured_refuses_everything() {
    let mut cfg = EmailConfig::new();
    cfg.inbound_secret = Some(String::new());
    let app = spawn(cfg).await;
    let resp = app.inbound(mail("m@x", "s", "b"), Some("")).await;
    assert_eq!(resp.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn a_message_starts_a_conversation_and_the_same_message_id_is_one_message() {
    let app = spawn(EmailConfig::new()).await;
    let raw = mail("dup-1@example.com", "Printer on fire", "It is on fire.");
    let resp = app.inbound(raw.clone(), Some(SECRET)).await;
    assert_eq!(resp.status(), 201);
    let first: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(first["created"], true);
    let resp = app.inbound(raw, Some(SECRET)).await;
    assert_eq!(resp.status(), 200, "a redelivery is not an error");
    let again: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["conversation_id"], first["conversation_id"]);
    let all = app.all().await;
    assert_eq!(all.len(), 1);
    let conv = app
        .conversation(first["conversation_id"].as_str().unwrap())
        .await;
    assert_eq!(conv.summary.channel, Channel::Email);
    assert_eq!(conv.summary.subject, "Printer on fire");
    assert_eq!(
        conv.summary.customer.email.as_deref(),
        Some("carla@example.com")
    );
    assert_eq!(
        conv.summary.customer.name.as_deref(),
        Some("Carla Customer")
    );
    let customer: Vec<_> = conv
        .messages
        .iter()
        .filter(|m| m.kind == MessageKind::Customer)
        .collect();
    assert_eq!(customer.len(), 1);
    assert_eq!(customer[0].body, "It is on fire.");
    app.stop().await;
}

#[tokio::test]
async fn replies_thread_by_headers_or_by_token_and_reopen_resolved_conversations() {
    let app = spawn(EmailConfig::new()).await;
    let first = app
        .deliver(mail("t-1@example.com", "Login broken", "I cannot log in."))
        .await;
    let id = first["conversation_id"].as_str().unwrap().to_owned();
    app.admin.resolve(&id).await.unwrap();

    // A reply by In-Reply-To, with quoted history that is dropped.
    let reply =
        "From: carla@example.com\r\nSubject: Re: Login broken\r\nMessage-ID: <t-2@example.com>\r\n\
         In-Reply-To: <t-1@example.com>\r\nReferences: <t-1@example.com>\r\n\r\n\
         Still broken.\r\n\r\nOn Mon, Carla wrote:\r\n> I cannot log in.\r\n";
    let r = app.deliver(reply).await;
    assert_eq!(r["conversation_id"], id.as_str());
    assert_eq!(r["created"], false);
    let conv = app.conversation(&id).await;
    assert_ne!(conv.summary.state, ConversationState::Resolved, "reopened");
    let last = conv
        .messages
        .iter()
        .rev()
        .find(|m| m.kind == MessageKind::Customer)
        .unwrap();
    assert_eq!(last.body, "Still broken.");

    // An unknown reply token does not attach to anything: a new conversation.
    let stray = app
        .deliver(mail(
            "t-3@example.com",
            "Re: Login broken [#SB-zzzzzzzzzz]",
            "Unknown token",
        ))
        .await;
    assert_eq!(stray["created"], true);
    assert_ne!(stray["conversation_id"], id.as_str());
    app.stop().await;
}

#[tokio::test]
async fn attachments_are_kept_and_downloadable_by_those_who_see_the_conversation() {
    let app = spawn(EmailConfig::new()).await;
    let raw = "From: Bob <bob@example.com>\r\nSubject: Invoice\r\nMessage-ID: <att-1@example.com>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n\
--XX\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Voil=E0 la facture.\r\n\
--XX\r\nContent-Type: application/pdf; name=\"facture =?utf-8?q?=C3=A9t=C3=A9?=.pdf\"\r\n\
Content-Disposition: attachment; filename=\"../../facture.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERi0xLjQKJcOkw7zDtsOfCg==\r\n--XX--\r\n";
    let r = app.deliver(raw).await;
    let id = r["conversation_id"].as_str().unwrap();
    let conv = app.conversation(id).await;
    let body = &conv.messages[0].body;
    assert!(body.starts_with("Voilà la facture."), "{body}");
    let link = body
        .split("/api/v1/attachments/")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .expect("attachment line")
        .to_owned();
    assert!(body.contains("facture.pdf (application/pdf"), "{body}");
    let url = format!("{}/api/v1/attachments/{link}", app.url);
    let resp = app
        .http
        .get(&url)
        .bearer_auth(app.admin.token())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(
        resp.bytes().await.unwrap().as_ref(),
        b"%PDF-1.4\n%\xc3\xa4\xc3\xbc\xc3\xb6\xc3\x9f\n"
    );
    // No token: 401. An agent outside the category: 404.
    assert_eq!(app.http.get(&url).send().await.unwrap().status(), 401);
    let outsider = {
        app.admin
            .create_category(&switchboard_api::NewCategory {
                id: Some("billing".into()),
                name: "Billing".into(),
                routing: None,
                wait_threshold_secs: None,
                keywords: vec![],
            })
            .await
            .unwrap();
        let email = "olga@test.switchboard";
        app.admin
            .create_agent(&switchboard_api::NewAgent {
                name: "Olga".into(),
                email: email.into(),
                password: crate::harness::PASSWORD.into(),
                role: None,
                categories: vec!["billing".into()],
                capacity: None,
            })
            .await
            .unwrap();
        app.client
            .login(email, crate::harness::PASSWORD)
            .await
            .unwrap()
    };
    let resp = app
        .http
        .get(&url)
        .bearer_auth(outsider.token())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn a_body_over_25_mib_is_413() {
    let app = spawn(EmailConfig::new()).await;
    let big = vec![b'a'; 26 * 1024 * 1024];
    let resp = app.inbound(big, Some(SECRET)).await;
    assert_eq!(resp.status(), 413);
    assert!(app.all().await.is_empty());
    app.stop().await;
}

/// Hostile and broken messages: each is stored (never a 5xx, never a
/// panic), and its text survives.
#[tokio::test]
async fn hostile_mime_corpus_never_panics_and_never_loses_the_message() {
    let app = spawn(EmailConfig::new()).await;
    let mut deep = String::from(
        "From: deep@example.com\r\nSubject: deep\r\nMessage-ID: <deep@x>\r\nMIME-Version: 1.0\r\n",
    );
    for i in 0..200 {
        deep.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"
        ));
    }
    deep.push_str("Content-Type: text/plain\r\n\r\nDEEPEST TEXT\r\n");
    let huge_header = format!(
        "From: big@example.com\r\nSubject: {}\r\nX-Junk: {}\r\nMessage-ID: <huge@x>\r\n\r\nHUGE HEADER BODY\r\n",
        "S".repeat(100_000),
        "j".repeat(2_000_000)
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "unknown charset",
            b"From: a@example.com\r\nSubject: cs\r\nMessage-ID: <cs@x>\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nCHARSET TEXT\r\n".to_vec(),
            "CHARSET TEXT",
        ),
        (
            "invalid utf-8 declared as utf-8",
            b"From: a@example.com\r\nSubject: bad \xff\xfe utf8\r\nMessage-ID: <u8@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBAD \xc3\x28 BYTES \xff END\r\n".to_vec(),
            "BYTES",
        ),
        (
            "script in html",
            b"From: a@example.com\r\nSubject: html\r\nMessage-ID: <html@x>\r\nContent-Type: text/html\r\n\r\n<html><head><script>alert('x')</script><style>p{}</style></head><body><p>VISIBLE <b>TEXT</b></p><img src=x onerror=alert(1)><script>steal()</script></body></html>\r\n".to_vec(),
            "VISIBLE TEXT",
        ),
        ("deeply nested multiparts", deep.into_bytes(), "DEEPEST TEXT"),
        ("huge headers", huge_header.into_bytes(), "HUGE HEADER BODY"),
        (
            "empty body",
            b"From: a@example.com\r\nSubject: empty\r\nMessage-ID: <empty@x>\r\n\r\n".to_vec(),
            "(empty message)",
        ),
        (
            "no from, no message-id, no headers at all",
            b"just some words without any header\r\n".to_vec(),
            "just some words",
        ),
        (
            "NUL bytes and control characters",
            b"From: a@example.com\r\nSubject: nul\x00\x07 here\r\nMessage-ID: <nul@x>\r\n\r\nNUL\x00 IN\x1b[31m BODY\r\n".to_vec(),
            "IN",
        ),
        (
            "broken base64 and a boundary that never closes",
            b"From: a@example.com\r\nSubject: b64\r\nMessage-ID: <b64@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"Q\"\r\n\r\n--Q\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64***\r\n--Q\r\nContent-Type: text/plain\r\n\r\nSECOND PART".to_vec(),
            "SECOND PART",
        ),
        (
            "header injection attempt in subject and from",
            b"From: \"Evil\r\nBcc: x@y\" <evil@example.com>\r\nSubject: =?utf-8?q?Hi=0D=0ABcc:_victim@example.com?=\r\nMessage-ID: <inj@x>\r\n\r\nINJECTION BODY\r\n".to_vec(),
            "INJECTION BODY",
        ),
        (
            "binary garbage",
            (0..=255u8).cycle().take(5000).collect(),
            "",
        ),
    ];
    for (name, raw, expect) in cases {
        let resp = app.inbound(raw, Some(SECRET)).await;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert!(status == 201 || status == 200, "{name}: {status} {text}");
        let r: serde_json::Value = serde_json::from_str(&text).unwrap();
        let conv = app
            .conversation(r["conversation_id"].as_str().unwrap())
            .await;
        let body = conv
            .messages
            .iter()
            .filter(|m| m.kind == MessageKind::Customer)
            .map(|m| m.body.clone())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(!body.trim().is_empty(), "{name}: empty body stored");
        assert!(body.contains(expect), "{name}: {expect:?} not in {body:?}");
        if name == "script in html" {
            assert!(
                !body.contains("alert") && !body.contains("steal()") && !body.contains('<'),
                "markup kept: {body:?}"
            );
        }
        assert!(
            !body.contains('\0') && !conv.summary.subject.contains(['\r', '\n', '\0']),
            "{name}"
        );
    }
    app.stop().await;
}
