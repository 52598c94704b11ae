//! Mail in through the server's inbound webhook
//! (`POST /channels/email/inbound`), for suites outside the server's own
//! email tests: the secret to configure the server with, and delivering one
//! raw RFC 5322 message.

use switchboard_server::Config;

/// The `X-Switchboard-Secret` the server under test is configured with.
pub const INBOUND_SECRET: &str = "testkit-inbound-secret";

/// Turns on the inbound webhook of a server about to start, with
/// [`INBOUND_SECRET`].
pub fn enable_inbound(config: &mut Config) {
    config.email.inbound_secret = Some(INBOUND_SECRET.into());
}

/// Posts `raw` to the inbound webhook of the server at `base_url` (as
/// `Server::url` gives it) and returns the answer's JSON
/// (`conversation_id`, `created`, …). Fails the test on anything but 200 or
/// 201.
pub async fn deliver(base_url: &str, raw: impl Into<Vec<u8>>) -> serde_json::Value {
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/channels/email/inbound",
            base_url.trim_end_matches('/')
        ))
        .header("content-type", "message/rfc822")
        .header("x-switchboard-secret", INBOUND_SECRET)
        .body(raw.into())
        .send()
        .await
        .expect("inbound request");
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    assert!(status.is_success(), "inbound answered {status}: {body}");
    serde_json::from_str(&body).expect("the inbound answer is JSON")
}
