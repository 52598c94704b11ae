//! Playing Twilio's part: its signature over a webhook (computed here with
//! `hmac`/`sha1` directly, not with the server's code; the SMS suite checks
//! it against Twilio's documented example first), the fields it posts, and
//! SMS settings for a server under test.

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use switchboard_server::channels::sms::SmsConfig;

/// The test Twilio account.
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
/// Its auth token (the webhook signing key).
pub const AUTH_TOKEN: &str = "test-auth-token-0123456789";
/// The team's Twilio number.
pub const OUR_NUMBER: &str = "+15005550006";
/// Where Twilio reaches the server: not the address the test connects to,
/// so a signature over the `Host` header would not match.
pub const PUBLIC_URL: &str = "https://support.example.test";

/// Twilio's signature: Base64(HMAC-SHA1(token, url + sorted name+value pairs)).
pub fn twilio_signature(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<(&str, &str)> = params.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut data = url.to_owned();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).expect("hmac key");
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The SMS settings pointing at a stand-in Twilio at `api_base`.
pub fn sms_config(api_base: &str) -> SmsConfig {
    SmsConfig {
        account_sid: Some(ACCOUNT_SID.into()),
        auth_token: Some(AUTH_TOKEN.into()),
        from: Some(OUR_NUMBER.into()),
        public_url: Some(PUBLIC_URL.into()),
        api_base: api_base.into(),
        retry_base: Duration::from_millis(300),
        max_attempts: 6,
        mms: true,
    }
}

/// A customer's text as Twilio posts it.
pub fn text<'a>(sid: &'a str, from: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("ToCountry", "US"),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("SmsSid", sid),
        ("SmsStatus", "received"),
        ("Body", body),
        ("To", OUR_NUMBER),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", from),
        ("ApiVersion", "2010-04-01"),
    ]
}

/// Posts a customer's text to the server at `base_url` (as `Server::url`
/// gives it) signed as Twilio signs it (the server runs with
/// [`sms_config`]); the answer's status.
pub async fn deliver_text(base_url: &str, sid: &str, from: &str, body: &str) -> u16 {
    let path = "/channels/sms/twilio";
    let params = text(sid, from, body);
    let sig = twilio_signature(AUTH_TOKEN, &format!("{PUBLIC_URL}{path}"), &params);
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    reqwest::Client::new()
        .post(format!("{}{path}", base_url.trim_end_matches('/')))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("X-Twilio-Signature", sig)
        .body(form)
        .send()
        .await
        .expect("webhook request")
        .status()
        .as_u16()
}
