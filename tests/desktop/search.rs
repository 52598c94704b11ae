//! Search in the real app: the search box (the sidebar's button; `/` and
//! Ctrl+K are unit-tested in the page), answered from the app's cache with
//! the server stopped, the hit marked as text, "Search the server too"
//! saying the server cannot be reached, Enter opening the result.

use std::time::{Duration, Instant};

use fantoccini::Client as Browser;

use crate::harness::{by_testid, screenshot};
use crate::page::{attr, click, count, type_into, view};

/// With the server away: searches `words`, expects the result
/// `conversation` first with `hit` marked, takes a screenshot, asks the
/// server too (offline, said so), then opens the result with Enter.
pub async fn search_offline(b: &Browser, words: &str, conversation: &str, hit: &str) {
    click(b, "[data-testid=open-search]").await;
    type_into(b, "[data-testid=search-input]", words).await;
    let first = "[data-testid=search-result-0]";
    eventually!(
        "the cached conversation found",
        attr(b, first, "data-conversation").await.as_deref() == Some(conversation)
    );
    let marked = by_testid(b, &format!("{first} [data-testid=search-snippet] mark"))
        .await
        .text()
        .await
        .expect("marked text");
    assert_eq!(marked.to_lowercase(), hit.to_lowercase());
    // Rendered as text: the snippet holds no element but the marks.
    assert_eq!(
        count(
            b,
            &format!("{first} [data-testid=search-snippet] :not(mark)")
        )
        .await,
        0
    );
    let elapsed = attr(b, "[data-testid=search-status]", "data-elapsed").await;
    eprintln!("search {words:?}: keystroke to results {elapsed:?} ms");
    match tokio::time::timeout(Duration::from_secs(20), screenshot(b, "08a-search-offline")).await {
        Ok(path) => eprintln!("search screenshot: {}", path.display()),
        Err(_) => eprintln!("the search screenshot did not return in 20 s"),
    }
    click(b, "[data-testid=search-server]").await;
    let said = by_testid(b, "[data-testid=search-server-error]")
        .await
        .text()
        .await
        .expect("offline message");
    assert!(said.contains("cannot be reached"), "{said}");
    let enter = char::from(fantoccini::key::Key::Enter).to_string();
    by_testid(b, "[data-testid=search-input]")
        .await
        .send_keys(&enter)
        .await
        .expect("Enter");
    eventually!(
        "the search closed and the conversation open",
        count(b, "[data-testid=search-dialog]").await == 0
            && count(b, &view(conversation)).await == 1
    );
}
