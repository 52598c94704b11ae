//! The composer's saved-reply picker in the real app: `/ref` offers
//! "Refund approved" (from the app's cache), Enter puts the filled text in
//! place of `/ref` and stages the reply's file, the agent edits it and
//! sends.

use std::time::{Duration, Instant};

use fantoccini::{Client as Browser, Locator};

use crate::harness::{by_testid, screenshot};
use crate::page::{click, count};

/// A team saved reply, through the admin API, holding `files` (name,
/// bytes: uploaded by the admin first).
pub async fn saved_reply(
    admin: &switchboard_api::Session,
    title: &str,
    body: &str,
    category: Option<&str>,
    files: &[(&str, &[u8])],
) -> switchboard_api::SavedReply {
    let mut attachments = Vec::new();
    for (name, bytes) in files {
        let up = admin
            .upload(name, bytes.to_vec())
            .await
            .expect("upload a saved reply's file");
        attachments.push(up.id);
    }
    admin
        .create_saved_reply(&switchboard_api::NewSavedReply {
            title: title.into(),
            body: body.into(),
            scope: Some(switchboard_api::ReplyScope::Team),
            category_id: category.map(Into::into),
            attachments,
        })
        .await
        .expect("saved reply")
}

/// The file "Refund approved" carries.
pub const REFUND_FILE: (&str, &[u8]) = (
    "refund-policy.pdf",
    b"%PDF-1.4\n% Switchboard refund policy\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
);

pub const REFUND_BODY: &str = "Hi {{customer.first_name}}, your refund is approved. {{agent.name}}";

/// In the open conversation's composer: types `/ref`, sees the picker
/// offer "Refund approved" (screenshot), takes it with Enter (its file
/// staged too), edits the filled text and sends it. Returns the text sent.
pub async fn a_saved_reply_from_the_picker(b: &Browser, reply_id: &str) -> String {
    type_in_composer(b, "/ref").await;
    let option = format!("[data-testid=saved-reply-option][data-reply-id='{reply_id}']");
    eventually!(
        "the picker offering Refund approved alone",
        count(b, "[data-testid=saved-reply-option]").await == 1 && count(b, &option).await == 1
    );
    let title = by_testid(b, &format!("{option} [data-testid=saved-reply-title]"))
        .await
        .text()
        .await
        .expect("title");
    assert_eq!(title, "Refund approved");
    // WebDriver screenshots have hung before: bounded, and not fatal.
    match tokio::time::timeout(
        Duration::from_secs(20),
        screenshot(b, "03a-saved-reply-picker"),
    )
    .await
    {
        Ok(path) => eprintln!("picker screenshot: {}", path.display()),
        Err(_) => eprintln!("the picker screenshot did not return in 20 s"),
    }
    let enter = char::from(fantoccini::key::Key::Enter);
    type_in_composer(b, &enter.to_string()).await;
    let filled = "Hi Grace, your refund is approved. Ada Lovelace";
    eventually!(
        "the filled text in place of /ref",
        composer_text(b).await.as_deref() == Some(filled)
    );
    assert_eq!(count(b, "[data-testid=saved-reply-picker]").await, 0);
    assert_eq!(count(b, "[data-testid=composer-missing]").await, 0);
    eventually!(
        "the reply's file staged with it",
        count(b, "[data-testid=staged-file]").await == 1
    );
    let staged = by_testid(b, "[data-testid=staged-file] .fname")
        .await
        .text()
        .await
        .expect("staged name");
    assert_eq!(staged, REFUND_FILE.0);
    match tokio::time::timeout(
        Duration::from_secs(20),
        screenshot(b, "03b-saved-reply-filled"),
    )
    .await
    {
        Ok(path) => eprintln!("filled reply screenshot: {}", path.display()),
        Err(_) => eprintln!("the filled reply screenshot did not return in 20 s"),
    }
    let edit = " The second charge is refunded.";
    type_in_composer(b, edit).await;
    click(b, "[data-testid=composer-send]").await;
    format!("{filled}{edit}")
}

/// Types `keys` into the composer where its caret is (found afresh: the
/// page may have drawn it again).
async fn type_in_composer(b: &Browser, keys: &str) {
    by_testid(b, "[data-testid=composer-input]")
        .await
        .send_keys(keys)
        .await
        .unwrap_or_else(|e| panic!("type {keys:?} into the composer: {e}"));
}

/// What the composer holds.
async fn composer_text(b: &Browser) -> Option<String> {
    let el = b
        .find(Locator::Css("[data-testid=composer-input]"))
        .await
        .ok()?;
    el.prop("value").await.ok().flatten()
}
