//! A real server with the SMS channel configured (`switchboard_testkit`),
//! and what a test needs to play Twilio's part: requests signed as Twilio
//! signs them (computed here with `hmac`/`sha1` directly, not with the
//! server's code, and checked against Twilio's documented example first).

#![allow(dead_code)]

use std::ops::Deref;

use switchboard_api::{Conversation, Session};
use switchboard_server::channels::sms::SmsConfig;
use switchboard_server::Clock;
pub use switchboard_testkit::eventually;
use switchboard_testkit::TestServer;

pub use switchboard_testkit::twilio::{
    sms_config, text, twilio_signature, ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, PUBLIC_URL,
};

/// A running server with SMS configured (`url`, `admin`, `client`, `http`
/// of the testkit's server).
pub struct App(TestServer);

impl Deref for App {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.0
    }
}

/// Starts a server (system clock, background jobs on) with `sms`.
pub async fn spawn(sms: SmsConfig) -> App {
    spawn_with(sms, |_| {}).await
}

/// [`spawn`], the rest of the config changed by `configure`.
pub async fn spawn_with(
    sms: SmsConfig,
    configure: impl FnOnce(&mut switchboard_server::Config),
) -> App {
    App(switchboard_testkit::spawn_with(|c| {
        c.clock = Clock::system();
        c.background = true;
        c.sms = sms;
        configure(c);
    })
    .await)
}

impl App {
    /// Posts `params` to `path_and_query` with `signature` (none: no header).
    pub async fn post_form(
        &self,
        path_and_query: &str,
        params: &[(&str, &str)],
        signature: Option<&str>,
    ) -> reqwest::Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter())
            .finish();
        let mut req = self
            .http
            .post(format!("{}{path_and_query}", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(s) = signature {
            req = req.header("X-Twilio-Signature", s);
        }
        req.send().await.expect("webhook request")
    }

    /// Posts `params` signed as Twilio signs them for the public URL.
    pub async fn post_signed(
        &self,
        path_and_query: &str,
        params: &[(&str, &str)],
    ) -> reqwest::Response {
        let sig = twilio_signature(AUTH_TOKEN, &format!("{PUBLIC_URL}{path_and_query}"), params);
        self.post_form(path_and_query, params, Some(&sig)).await
    }

    /// Delivers a customer's text; asserts Twilio's expected answer.
    pub async fn deliver(&self, sid: &str, from: &str, body: &str) {
        let resp = self
            .post_signed("/channels/sms/twilio", &text(sid, from, body))
            .await;
        let status = resp.status();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let answer = resp.text().await.unwrap_or_default();
        assert_eq!(status.as_u16(), 200, "webhook answered {status}: {answer}");
        assert!(ctype.starts_with("text/xml"), "content-type {ctype}");
        assert_eq!(
            answer,
            r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#
        );
    }

    /// Plays Twilio's status callback to a `StatusCallback` URL it was given.
    pub async fn status_callback(
        &self,
        callback: &str,
        sid: &str,
        status: &str,
        error_code: Option<&str>,
    ) -> reqwest::Response {
        let path = callback
            .strip_prefix(PUBLIC_URL)
            .unwrap_or_else(|| panic!("callback {callback} is not under the public URL"));
        let mut params = vec![
            ("AccountSid", ACCOUNT_SID),
            ("From", OUR_NUMBER),
            ("MessageSid", sid),
            ("MessageStatus", status),
            ("SmsSid", sid),
            ("SmsStatus", status),
            ("ApiVersion", "2010-04-01"),
        ];
        if let Some(code) = error_code {
            params.push(("ErrorCode", code));
        }
        self.post_signed(path, &params).await
    }

    /// An agent in `general`, available, logged in.
    pub async fn agent(&self, name: &str) -> Session {
        let email = format!("{}@test.switchboard", name.to_lowercase());
        self.available_in_general(name, &email).await
    }

    pub async fn conversation(&self, id: &str) -> Conversation {
        self.admin.conversation(id).await.expect("conversation")
    }

    /// Every conversation the admin sees.
    pub async fn all(&self) -> Vec<switchboard_api::ConversationSummary> {
        self.admin
            .conversations(switchboard_api::View::All)
            .await
            .expect("list")
    }

    /// Every `message.updated` event's message for `message_id`, in order.
    pub async fn message_updates(&self, message_id: &str) -> Vec<switchboard_api::Message> {
        let mut out = Vec::new();
        let mut since = 0;
        loop {
            let page = self.admin.sync(since, 500).await.expect("sync");
            for e in &page.events {
                if let Ok(switchboard_api::events::EventPayload::MessageUpdated(u)) = e.payload() {
                    if u.message.id == message_id {
                        out.push(u.message);
                    }
                }
            }
            since = page.next;
            if !page.more {
                return out;
            }
        }
    }

    pub async fn stop(self) {
        self.0.stop().await;
    }
}
