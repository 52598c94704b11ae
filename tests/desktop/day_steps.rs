//! Steps of the agent's day that need more than a few lines: the
//! notifications (a breach, a transfer, a customer's message, a click on
//! one), the keychain and the cache files, the unencrypted-sign-in warning.

use super::*;

/// Ada gets the `urgent` skill; a conversation there breaches its 3 s
/// threshold, one notification says so, its click opens it, and the queue
/// flags it overdue.
pub(crate) async fn a_breach_is_notified(
    desktop: &DesktopSession,
    b: &Browser,
    admin: &switchboard_api::Session,
    ada_id: &str,
) {
    admin
        .patch_agent(
            ada_id,
            &AgentPatch {
                categories: Some(vec!["billing".into(), "urgent".into()]),
                ..Default::default()
            },
        )
        .await
        .expect("skill");
    // No screenshot of the Team page: drawing without compositing, WebKit's
    // WebDriver screenshot of it never returned (every time when taken
    // right after this click, now and then a few seconds later).
    click(b, "[data-testid=nav-team]").await;
    close_notifications(desktop);
    let urgent = conversation(
        admin,
        "urgent",
        "Katherine Johnson",
        "Site is down",
        "Checkout fails for everyone.",
    )
    .await;
    eventually!(
        "the breach notification on screen",
        dbus::displayed(desktop) > 0
    );
    let breach = click_notification(desktop, b, &urgent, "Site is down").await;
    assert_eq!(breach.len(), 1, "one notification per cause: {breach:?}");
    assert!(breach[0].summary.contains("Waiting"), "{breach:?}");
    assert_eq!(breach[0].appname, "Switchboard");
    eventually!("overdue flagged in the queue", {
        click(b, "[data-testid=nav-queue]").await;
        attr(b, &row(&urgent), "data-overdue").await.as_deref() == Some("true")
    });
    screenshot(b, "06-queue-overdue").await;
    click(b, "[data-testid=nav-metrics]").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    screenshot(b, "07-metrics").await;
}

/// A colleague (the admin) transfers a new conversation to Ada: one
/// notification, whose click opens it. Returns its id.
pub(crate) async fn a_transfer_is_notified(
    desktop: &DesktopSession,
    b: &Browser,
    admin: &switchboard_api::Session,
    ada_id: &str,
) -> String {
    let handed = conversation(
        admin,
        "billing",
        "Mary Jackson",
        "Wind tunnel invoice",
        "Please resend the invoice.",
    )
    .await;
    leave_the_conversation(b, "away from any conversation").await;
    close_notifications(desktop);
    admin
        .transfer(
            &handed,
            &TransferRequest {
                to_agent_id: Some(ada_id.to_owned()),
                to_category_id: None,
                note: Some("She asked for you.".into()),
            },
        )
        .await
        .expect("transfer to Ada");
    eventually!(
        "the transfer notification on screen",
        dbus::displayed(desktop) > 0
    );
    let about_handed = click_notification(desktop, b, &handed, "Wind tunnel invoice").await;
    assert_eq!(about_handed.len(), 1, "one notification: {about_handed:?}");
    assert_eq!(about_handed[0].summary, "Transferred to you");
    handed
}

/// With the window not in front, the customer writes in `handed`: notified,
/// the customer's text as text.
pub(crate) async fn a_customer_message_is_notified(
    desktop: &DesktopSession,
    b: &Browser,
    admin: &switchboard_api::Session,
    handed: &str,
) {
    desktop.run("python3", &[X11_MOVES, "focus-none"]);
    eventually!(
        "the page without the focus",
        b.execute("return document.hasFocus();", vec![])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            == Some(false)
    );
    close_notifications(desktop);
    admin
        .customer_message(handed, "Any news on the <b>invoice</b>?")
        .await
        .expect("customer message");
    eventually!(
        "the customer's message notified",
        dbus::displayed(desktop) > 0
    );
    desktop.run("dunstctl", &["close-all"]);
    eventually!("the customer's notification in the history", {
        dbus::history(desktop)
            .iter()
            .any(|n| n.summary == "Mary Jackson wrote")
    });
    let wrote = dbus::history(desktop)
        .into_iter()
        .find(|n| n.summary == "Mary Jackson wrote")
        .expect("customer notification");
    assert!(wrote.body.contains("invoice"), "{wrote:?}");
    assert!(
        !wrote.body.contains("<b>"),
        "customer text reaches the notification as text, not markup: {wrote:?}"
    );
}

/// From the open conversation `id`: a new category, resolved with the
/// keyboard (`e`), reopened; each checked on the server.
pub(crate) async fn recategorize_resolve_reopen(
    b: &Browser,
    admin: &switchboard_api::Session,
    id: &str,
) {
    by_testid(b, "[data-testid=conversation-category]")
        .await
        .select_by_value("general")
        .await
        .expect("pick the General category");
    eventually!(
        "re-categorized on the server",
        category_of(admin, id).await.as_deref() == Some("general")
    );
    b.execute(
        "if (document.activeElement) document.activeElement.blur();",
        vec![],
    )
    .await
    .expect("blur");
    b.perform_actions(
        KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: 'e' })
            .then(KeyAction::Up { value: 'e' }),
    )
    .await
    .expect("press e");
    eventually!(
        "resolved on the server",
        state_of(admin, id).await == ConversationState::Resolved
    );
    click(b, "[data-testid=reopen]").await;
    eventually!(
        "reopened on the server",
        state_of(admin, id).await != ConversationState::Resolved
    );
}

/// The saved session is in the keychain and nowhere on disk; the app's log
/// (in the data directory searched: no token there either) says what
/// happened.
pub(crate) fn the_token_is_in_the_keychain(desktop: &DesktopSession) {
    let saved = desktop.run("secret-tool", &KEYCHAIN_LOOKUP);
    let token = serde_json::from_str::<serde_json::Value>(&saved).expect("saved session JSON")
        ["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert!(token.len() > 16);
    assert!(
        harness::files_contain(&desktop.app_data_dir(), &token).is_empty(),
        "the token is written to disk in the clear"
    );
    let log = desktop.app_log();
    assert!(log.contains("logging to this directory"), "app log: {log}");
    assert!(log.contains("signed in; syncing"), "app log: {log}");
    assert!(log.contains("state=Online"), "app log: {log}");
}

/// Types a plain `http://` address of another computer (TEST-NET-1, which
/// nothing answers): the form shows the app's warning and keeps the sign-in
/// button disabled until the box is ticked; nothing reaches the network.
pub(crate) async fn unencrypted_sign_in_is_warned(b: &Browser) {
    fill_login(b, "http://192.0.2.10:8080", "ada@e2e.test").await;
    click(b, "[data-testid=login-submit]").await;
    let warning = by_testid(b, "[data-testid=login-unencrypted-warning]")
        .await
        .text()
        .await
        .expect("warning text");
    assert!(
        warning.contains("192.0.2.10") && warning.contains("not encrypted"),
        "{warning}"
    );
    assert_eq!(
        attr(b, "[data-testid=login-submit]", "disabled")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(count(b, "[data-testid=login-error]").await, 0);
}

/// The cache's files left in the app's data directory.
pub(crate) fn cache_files(desktop: &DesktopSession) -> Vec<std::path::PathBuf> {
    [
        "cache.db",
        "cache.db-wal",
        "cache.db-shm",
        "cache.db-journal",
    ]
    .iter()
    .map(|f| desktop.app_data_dir().join(f))
    .filter(|p| p.exists())
    .collect()
}

/// Goes to the Team page and waits until no conversation is open.
pub(crate) async fn leave_the_conversation(b: &Browser, what: &str) {
    click(b, "[data-testid=nav-team]").await;
    eventually!(what, count(b, "[data-testid=conversation-view]").await == 0);
}

/// Dismisses every notification on screen (a failure is fine: none shown).
pub(crate) fn close_notifications(desktop: &DesktopSession) {
    let _ = desktop.try_run("dunstctl", &["close-all"]);
}

/// Clicks the newest notification on screen (`dunstctl action 0`, the D-Bus
/// default action), waits for the window on conversation `id`, and returns
/// the notifications in the history whose body holds `about`.
pub(crate) async fn click_notification(
    desktop: &DesktopSession,
    b: &Browser,
    id: &str,
    about: &str,
) -> Vec<dbus::Shown> {
    desktop.run("dunstctl", &["action", "0"]);
    by_testid(b, &view(id)).await;
    eventually!(
        format!("the clicked notification ({about}) in the history"),
        {
            dbus::history(desktop)
                .iter()
                .any(|n| n.body.contains(about))
        }
    );
    dbus::history(desktop)
        .into_iter()
        .filter(|n| n.body.contains(about))
        .collect()
}

/// `tests/desktop/x11.py`: X11 moves a person makes (closing a window,
/// switching to another app), made without a window manager.
pub(crate) const X11_MOVES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/desktop/x11.py");

/// Whether the app under test is running.
pub(crate) fn app_running(desktop: &DesktopSession) -> bool {
    // The whole command line from its start, so `…/switchboard-server`
    // (the same folder, a longer name) is not taken for the app.
    let app = harness::app_binary();
    let pattern = format!("^{}( |$)", regex::escape(&app.to_string_lossy()));
    desktop.try_run("pgrep", &["-f", &pattern]).is_some()
}
