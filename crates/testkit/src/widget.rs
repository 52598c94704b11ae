//! The live-chat widget's visitor side, for suites outside the widget's own
//! tests: starting a chat as a visitor would from `widget.js`.

use serde_json::json;

/// Starts a chat on the server at `base_url` (as `Server::url` gives it)
/// as a visitor who gives `name` and `email`; the conversation's id. Fails
/// the test on anything but 201.
pub async fn start_chat(base_url: &str, name: &str, email: &str, message: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/widget/v1/conversations",
            base_url.trim_end_matches('/')
        ))
        .json(&json!({"message": message, "name": name, "email": email}))
        .send()
        .await
        .expect("widget request");
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    assert_eq!(status.as_u16(), 201, "the widget answered {status}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("the widget's answer is JSON");
    v["conversation"]["id"]
        .as_str()
        .expect("a conversation id")
        .to_owned()
}
