//! A reply's files over SMS: as MMS, the Twilio stand-in receives
//! `MediaUrl`s (absolute, at most 10, checked as Twilio does) that point at
//! this server's signed public links; fetching one gives the bytes until it
//! expires (then 410), and a link whose signature was changed is refused
//! (403). Where the number sends no MMS, the links are in the text.

use std::time::Duration;

use sha2::{Digest, Sha256};
use switchboard_server::outbox::media::MediaConfig;

use crate::harness::*;
use crate::twilio::{Accepted, FakeTwilio};

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    v.extend((0..70_000u32).map(|i| (i % 13) as u8));
    v
}

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fetches a link Twilio was given, from this server (the test cannot
/// resolve the public host: the path and query are what is signed).
async fn fetch(app: &App, link: &str) -> reqwest::Response {
    let path = link
        .strip_prefix(PUBLIC_URL)
        .unwrap_or_else(|| panic!("{link} is not under the public URL"));
    app.http
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .expect("fetch")
}

/// A server with `mms` and links living `ttl`, an agent holding a texted
/// conversation; the agent replies with a PNG. Returns what Twilio took.
async fn reply_with_png(mms: bool, ttl: Duration) -> (App, FakeTwilio, Vec<Accepted>) {
    reply_with_png_saying(mms, ttl, "Here is your parcel at the depot.").await
}

/// [`reply_with_png`] with the reply's text (empty: the file alone).
async fn reply_with_png_saying(
    mms: bool,
    ttl: Duration,
    text: &str,
) -> (App, FakeTwilio, Vec<Accepted>) {
    let twilio = FakeTwilio::start(ACCOUNT_SID, AUTH_TOKEN, &[OUR_NUMBER]).await;
    let mut cfg = sms_config(&twilio.url);
    cfg.mms = mms;
    let app = spawn_with(cfg, |c| {
        let mut media = MediaConfig::default();
        media.ttl = Some(ttl);
        media.link_ttl = Some(ttl);
        c.media = media;
    })
    .await;
    let agent = app.agent("Sam").await;
    app.deliver(
        "SM20000000000000000000000000000001",
        "+14155550300",
        "can you send a photo?",
    )
    .await;
    let id = app.all().await[0].id.clone();
    agent.claim(&id).await.expect("claim");
    let up = agent.upload("parcel.png", png()).await.expect("upload");
    agent
        .reply_with(&id, text, &[up.id.as_str()])
        .await
        .expect("reply");
    let parts = if text.is_empty() { 1 } else { 2 };
    let sent = eventually(20, "text and media at Twilio", || async {
        let a = twilio.accepted();
        (a.len() == parts).then_some(a)
    })
    .await;
    (app, twilio, sent)
}

#[tokio::test]
async fn an_mms_carries_signed_media_urls_that_give_the_bytes_until_they_expire() {
    let (app, twilio, sent) = reply_with_png(true, Duration::from_secs(4)).await;
    assert!(twilio.refused().is_empty(), "{:?}", twilio.refused());
    assert_eq!(sent[0].body, "Here is your parcel at the depot.");
    assert!(sent[0].media_urls.is_empty());
    assert_eq!(sent[1].media_urls.len(), 1, "the file as MMS media");
    let link = &sent[1].media_urls[0];
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/public/media/")),
        "{link}"
    );
    let resp = fetch(&app, link).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert_eq!(sha(&resp.bytes().await.expect("bytes")), sha(&png()));
    // A changed signature, or a longer life written in, is refused.
    let last = if link.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &link[..link.len() - 1]);
    assert_eq!(fetch(&app, &forged).await.status().as_u16(), 403);
    let longer = link.replacen("expires=", "expires=9", 1);
    assert_eq!(fetch(&app, &longer).await.status().as_u16(), 403);
    // A file not attached to a reply is never served by link, even signed
    // with the server's key (derived from the Twilio token here).
    let agent = app.agent("Kim").await;
    let loose = agent.upload("loose.png", png()).await.expect("upload");
    let signed = MediaConfig::default()
        .or_derived_from(Some(AUTH_TOKEN))
        .url(
            PUBLIC_URL,
            &loose.id,
            chrono::Utc::now(),
            Duration::from_secs(60),
        )
        .expect("signed");
    assert_eq!(fetch(&app, &signed).await.status().as_u16(), 404);
    // Once expired: gone.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let resp = fetch(&app, link).await;
    assert_eq!(resp.status().as_u16(), 410);
    app.stop().await;
}

#[tokio::test]
async fn without_mms_the_links_are_in_the_text() {
    let (app, twilio, sent) = reply_with_png(false, Duration::from_secs(3600)).await;
    assert!(twilio.refused().is_empty(), "{:?}", twilio.refused());
    assert!(sent.iter().all(|a| a.media_urls.is_empty()));
    let line = sent[1].body.clone();
    let link = line
        .strip_prefix("parcel.png: ")
        .unwrap_or_else(|| panic!("a named link: {line}"));
    let resp = fetch(&app, link).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(sha(&resp.bytes().await.expect("bytes")), sha(&png()));
    app.stop().await;
}

#[tokio::test]
async fn a_reply_of_a_file_alone_is_one_mms_with_no_text() {
    let (app, twilio, sent) = reply_with_png_saying(true, Duration::from_secs(3600), "").await;
    assert!(twilio.refused().is_empty(), "{:?}", twilio.refused());
    assert_eq!(sent.len(), 1, "no empty text part");
    assert_eq!(sent[0].body, "");
    assert_eq!(sent[0].media_urls.len(), 1);
    let resp = fetch(&app, &sent[0].media_urls[0]).await;
    assert_eq!(sha(&resp.bytes().await.expect("bytes")), sha(&png()));
    app.stop().await;
}
