//! The app's side of the end-to-end tests: WebDriver moves on DESIGN.md's
//! UI test hooks (`data-testid`), named after what a person does.

use std::time::Duration;

use fantoccini::{Client as Browser, Locator};

use crate::harness::by_testid;
use crate::team::PASSWORD;

/// How long one WebDriver click may take. A click returns once WebKit has
/// handled its mouse events; one run saw a click never return (the app idle,
/// WebKitWebDriver holding the request), so a stuck click fails the test
/// with its name instead of hanging the suite.
const CLICK_TIMEOUT: Duration = Duration::from_secs(30);

/// Clicks the element `css` finds. The page re-renders when the cache
/// changes (a conversation's state arriving from the server replaces its
/// buttons), so the node found may be gone by the time the click reaches
/// it: then the element is found again and clicked, up to five times.
pub async fn click(b: &Browser, css: &str) {
    for attempt in 1..=5 {
        let el = by_testid(b, css).await;
        match tokio::time::timeout(CLICK_TIMEOUT, el.click()).await {
            Ok(Ok(_)) => return,
            Ok(Err(e)) if attempt < 5 && replaced(&e) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(Err(e)) => panic!("click {css}: {e}"),
            Err(_) => panic!(
                "click {css}: WebKitWebDriver did not answer in {} s",
                CLICK_TIMEOUT.as_secs()
            ),
        }
    }
}

/// The element was replaced between finding and clicking it: WebDriver's
/// "stale element reference", or WebKit's "Node … was not found".
fn replaced(e: &fantoccini::error::CmdError) -> bool {
    let text = e.to_string();
    text.contains("stale element")
        || (text.contains("Node with identifier") && text.contains("was not found"))
}

pub async fn type_into(b: &Browser, css: &str, text: &str) {
    let el = by_testid(b, css).await;
    el.clear().await.ok();
    el.send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

pub async fn attr(b: &Browser, css: &str, name: &str) -> Option<String> {
    match b.find(Locator::Css(css)).await {
        Ok(el) => el.attr(name).await.ok().flatten(),
        Err(_) => None,
    }
}

/// The text of the element `css` finds, if there is one.
pub async fn text(b: &Browser, css: &str) -> Option<String> {
    match b.find(Locator::Css(css)).await {
        Ok(el) => el.text().await.ok(),
        Err(_) => None,
    }
}

pub async fn count(b: &Browser, css: &str) -> usize {
    b.find_all(Locator::Css(css))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

/// The selector of conversation `id`'s row in a list.
pub fn row(id: &str) -> String {
    format!("[data-testid=conversation-row][data-conversation-id='{id}']")
}

/// The selector of the open conversation view of `id`.
pub fn view(id: &str) -> String {
    format!("[data-testid=conversation-view][data-conversation-id='{id}']")
}

/// How many conversation rows the current list shows.
pub async fn rows(b: &Browser) -> usize {
    count(b, "[data-testid=conversation-row]").await
}

/// Fills the login form (server, email, the test password); the caller submits.
pub async fn fill_login(b: &Browser, server: &str, email: &str) {
    type_into(b, "[data-testid=login-server]", server).await;
    type_into(b, "[data-testid=login-email]", email).await;
    type_into(b, "[data-testid=login-password]", PASSWORD).await;
}

/// Fills the login form and submits it.
pub async fn sign_in(b: &Browser, server: &str, email: &str) {
    fill_login(b, server, email).await;
    click(b, "[data-testid=login-submit]").await;
}

/// The connection state shown (`online`, `offline`, …).
pub async fn connection_state(b: &Browser) -> Option<String> {
    attr(b, "[data-testid=connection-state]", "data-state").await
}

/// Clicks conversation `id`'s row and waits for its view.
pub async fn open(b: &Browser, id: &str) {
    click(b, &row(id)).await;
    by_testid(b, &view(id)).await;
}

/// Claims the open conversation.
pub async fn claim(b: &Browser) {
    click(b, "[data-testid=conversation-view] [data-testid=claim]").await;
}

/// Picks the composer's mode (`reply` or `note`).
pub async fn composer_mode(b: &Browser, mode: &str) {
    click(b, &format!("[data-testid=composer-mode-{mode}]")).await;
}

/// Types `text` into the composer and sends it.
pub async fn send(b: &Browser, text: &str) {
    type_into(b, "[data-testid=composer-input]", text).await;
    click(b, "[data-testid=composer-send]").await;
}

/// Whether the status button `status` shows as the one chosen.
pub async fn pressed(b: &Browser, status: &str) -> bool {
    let css = format!("[data-testid=status-{status}]");
    let p = attr(b, &css, "aria-pressed").await;
    let c = attr(b, &css, "aria-checked").await;
    p.as_deref() == Some("true") || c.as_deref() == Some("true")
}

/// The page's `document.visibilityState` (`hidden` while the window is).
pub async fn visibility(b: &Browser) -> Option<String> {
    b.execute("return document.visibilityState;", vec![])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}
