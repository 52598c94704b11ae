//! End to end on the real app: the binary cargo built (UI embedded), under
//! Xvfb with a D-Bus session, dunst and a Secret Service, driven through
//! `tauri-driver` + `WebKitWebDriver`, against a real Switchboard server
//! started here. Selectors are DESIGN.md's UI test hooks.
//!
//! One agent's day, in order: sign in, see the queue, claim, reply with a
//! saved reply from the `/` picker, write a note, transfer; change status
//! from the window and from the tray menu (over D-Bus) and see routing follow on the server; let a conversation
//! breach its threshold, find the notification in dunst and click it; the
//! window opens on that conversation. Then the app is started again: it
//! signs in from the keychain, and keeps working from its cache when the
//! server goes away; signing out asks before dropping a note not yet sent,
//! then deletes the cache. Before all that, a plain `http://` address of
//! another computer is refused with a warning. Screenshots land in
//! `target/e2e-screenshots/`.
//!
//! Needs `cargo xtask setup` (Xvfb, dbus, dunst, gnome-keyring,
//! webkit2gtk-driver, tauri-driver) and the UI built (`npm run build` in
//! `ui/`) before the app is compiled; `cargo xtask test` does both.

/// Polls until `$cond` holds; fails after 45 s (a guard against hanging,
/// not a timing assertion).
macro_rules! eventually {
    ($what:expr, $cond:expr) => {{
        let deadline = Instant::now() + Duration::from_secs(45);
        loop {
            if $cond {
                break;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {}", $what);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }};
}

mod dbus;
mod harness;
mod page;
mod picker;
mod team;

use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client as Browser, Locator};
use harness::{by_testid, screenshot, step, DesktopSession};
use page::{
    attr, claim, click, composer_mode, connection_state, count, fill_login, open, pressed, row,
    rows, send, sign_in, type_into, view, visibility,
};
use picker::{a_saved_reply_from_the_picker, saved_reply, REFUND_BODY};
use switchboard_api::{
    AgentPatch, AgentStatus, Client, ConversationState, MessageKind, Role, RoutingMode,
    TransferRequest,
};
use switchboard_testkit::{nginx, postgres};
use team::{assignee_of, category_of, conversation, state_of, status_of, team, team_on, PASSWORD};

/// `secret-tool` arguments that read the app's saved session.
const KEYCHAIN_LOOKUP: [&str; 5] = [
    "lookup",
    "service",
    "app.switchboard.desktop",
    "username",
    "session",
];

/// One desktop session at a time: two apps, two X servers and two builds of
/// WebKit at once only make each slower on a small machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agents_day_in_the_real_app() {
    let _one = ONE_AT_A_TIME.lock().await;
    step("start");
    let mut team = team().await;
    let admin = team.admin.clone();
    let hostile = "<img src=x onerror=alert(1)><b>not bold</b>";
    let first = conversation(
        &admin,
        "billing",
        "Grace Hopper",
        "Refund for order 1042",
        "I was charged twice.",
    )
    .await;
    let second = conversation(&admin, "billing", "Alan Turing", "Invoice address", hostile).await;
    let _third = conversation(
        &admin,
        "billing",
        "Edsger Dijkstra",
        "VAT number",
        "Please add my VAT id.",
    )
    .await;

    let refund = saved_reply(&admin, "Refund approved", REFUND_BODY, Some("billing")).await;
    saved_reply(
        &admin,
        "Thanks for waiting",
        "Thanks for waiting, {{customer.first_name}}!",
        None,
    )
    .await;

    let desktop = DesktopSession::start();
    let b = desktop.launch().await;

    step("Plain http:// to another computer: warned, nothing sent until confirmed");
    unencrypted_sign_in_is_warned(&b).await;

    step("Sign in");
    fill_login(&b, &team.url, "ada@e2e.test").await;
    assert_eq!(
        count(&b, "[data-testid=login-unencrypted-warning]").await,
        0,
        "a loopback address signs in as before"
    );
    screenshot(&b, "01-login").await;
    click(&b, "[data-testid=login-submit]").await;

    step("The queue, oldest first, from the synced cache");
    queue_oldest_first(&b, &first).await;
    screenshot(&b, "02-queue").await;

    step("Hostile customer text shows as text");
    hostile_text_stays_text(&b, &second).await;

    step("Claim the oldest, reply, note");
    open(&b, &first).await;
    claim(&b).await;
    eventually!(
        "the claim on the server",
        assignee_of(&admin, &first).await.as_deref() == Some(team.ada_id.as_str())
    );
    composer_mode(&b, "reply").await;
    step("The reply from a saved one: /ref, Refund approved, edited, sent");
    let sent = a_saved_reply_from_the_picker(&b, &refund.id).await;
    composer_mode(&b, "note").await;
    assert_eq!(
        attr(&b, "[data-testid=composer-mode-note]", "aria-pressed")
            .await
            .as_deref(),
        Some("true")
    );
    send(&b, "Refund ticket R-88 filed.").await;
    eventually!("reply and note on the server", {
        let conv = admin.conversation(&first).await.expect("conv");
        conv.messages
            .iter()
            .any(|m| m.kind == MessageKind::Agent && m.body == sent)
            && conv
                .messages
                .iter()
                .any(|m| m.kind == MessageKind::Note && m.body.contains("R-88"))
    });
    eventually!(
        "the note in the window",
        count(&b, "[data-testid=message][data-kind=note]").await == 1
    );
    screenshot(&b, "03-conversation").await;

    step("Transfer to Bob with a note");
    click(&b, "[data-testid=transfer]").await;
    click(&b, &format!("[data-testid=transfer-agent-{}]", team.bob_id)).await;
    type_into(
        &b,
        "[data-testid=transfer-note]",
        "Bob, you handled their last refund.",
    )
    .await;
    screenshot(&b, "04-transfer").await;
    click(&b, "[data-testid=transfer-submit]").await;
    eventually!(
        "the transfer on the server",
        assignee_of(&admin, &first).await.as_deref() == Some(team.bob_id.as_str())
    );

    step("Status from the window steers routing on the server");
    click(&b, "[data-testid=status-busy]").await;
    eventually!(
        "busy on the server",
        status_of(&admin, &team.ada_id).await == AgentStatus::Busy
    );
    eventually!("busy pressed", pressed(&b, "busy").await);

    step("… and from the tray menu, over D-Bus, with the window following");
    status_from_the_tray(&desktop, &b, &admin, &team.ada_id).await;

    // Notified at the breach by the app's own timer; the click opens it.
    step("A conversation breaches its 3 s threshold");
    a_breach_is_notified(&desktop, &b, &admin, &team.ada_id).await;

    step("Transferred to Ada by a colleague: notified; the click opens it");
    let handed = a_transfer_is_notified(&desktop, &b, &admin, &team.ada_id).await;

    // The X input focus moved away, as when she works in another app.
    step("The customer writes while the window is not in front");
    a_customer_message_is_notified(&desktop, &b, &admin, &handed).await;

    // A second start hands the link over (single instance) and exits; the
    // running app goes there.
    step("A switchboard:// link opens the conversation in the running app");
    leave_the_conversation(&b, "away from the conversation").await;
    let second = desktop
        .command(&harness::app_binary())
        .arg(format!("switchboard://conversation/{handed}"))
        .output()
        .expect("start the app a second time");
    eprintln!(
        "second start: {} {}",
        second.status,
        String::from_utf8_lossy(&second.stderr).trim()
    );
    by_testid(&b, &view(&handed)).await;
    screenshot(&b, "07b-after-link").await;

    step("Re-categorize, resolve with the keyboard (e), reopen");
    recategorize_resolve_reopen(&b, &admin, &handed).await;

    step("The token is in the keychain, not on disk");
    the_token_is_in_the_keychain(&desktop);

    step("Start again");
    b.close().await.expect("close the app");
    let b = desktop.launch().await;
    eventually!("the queue without signing in", rows(&b).await >= 2);
    assert_eq!(count(&b, "[data-testid=login-submit]").await, 0);

    step("The server goes away");
    for server in team.servers.drain(..) {
        server.stop().await;
    }
    eventually!(
        "offline shown",
        connection_state(&b).await.as_deref() == Some("offline")
    );
    click(&b, "[data-testid=nav-mine]").await;
    click(&b, "[data-testid=nav-queue]").await;
    eventually!("the cached queue offline", rows(&b).await >= 2);
    screenshot(&b, "08-offline").await;
    let tray = dbus::TrayMenu::find(&desktop);
    eventually!(
        "the tray says the connection is lost",
        tray.items(&desktop)
            .iter()
            .any(|i| i.label.starts_with("No connection to the server"))
    );

    step("Closing the window keeps the app in the tray; Open brings it back");
    desktop.run("python3", &[X11_MOVES, "close", "Switchboard"]);
    eventually!(
        "the window hidden",
        visibility(&b).await.as_deref() == Some("hidden")
    );
    assert!(app_running(&desktop), "closing the window quit the app");
    tray.click(&desktop, "Open Switchboard");
    eventually!(
        "the window shown again",
        visibility(&b).await.as_deref() == Some("visible")
    );

    step("A note written offline waits; signing out asks before deleting it");
    click(&b, "[data-testid=nav-mine]").await;
    open(&b, &handed).await;
    composer_mode(&b, "note").await;
    send(&b, "Written while the server is away.").await;
    by_testid(&b, "[data-testid=outbox-pending]").await;
    click(&b, "[data-testid=sign-out]").await;
    let asked = by_testid(&b, "[data-testid=sign-out-unsent]")
        .await
        .text()
        .await
        .expect("question");
    assert!(asked.contains("1 note has not been sent yet"), "{asked}");
    click(&b, "[data-testid=sign-out-stay]").await;
    eventually!(
        "the question gone, still signed in",
        count(&b, "[data-testid=sign-out-unsent]").await == 0
            && count(&b, "[data-testid=nav-queue]").await == 1
    );
    click(&b, "[data-testid=sign-out]").await;

    step("Signing out removes the token from the keychain and deletes the cache");
    let cache = desktop.app_data_dir().join("cache.db");
    assert!(cache.exists(), "no cache at {}", cache.display());
    click(&b, "[data-testid=sign-out-discard]").await;
    by_testid(&b, "[data-testid=login-submit]").await;
    let left = desktop.try_run("secret-tool", &KEYCHAIN_LOOKUP);
    assert!(
        left.as_deref().is_none_or(|s| s.trim().is_empty()),
        "the token is still in the keychain"
    );
    eventually!("the cache files gone", cache_files(&desktop).is_empty());
    eventually!(
        "the deletion in the app's log",
        desktop.app_log().contains("the account's cache is deleted")
    );

    step("Quit from the tray");
    tray.click(&desktop, "Quit");
    eventually!("the app gone", !app_running(&desktop));
    b.close().await.ok();
}

/// Opens the queue: three rows, oldest (`first`) on top and not overdue,
/// the connection shown and online.
async fn queue_oldest_first(b: &Browser, first: &str) {
    by_testid(b, "[data-testid=nav-queue]")
        .await
        .click()
        .await
        .ok();
    eventually!("three queued rows", rows(b).await == 3);
    let mut last = connection_state(b).await;
    assert!(last.is_some(), "the connection state is always shown");
    eventually!(format!("online (shown: {last:?})"), {
        last = connection_state(b).await;
        last.as_deref() == Some("online")
    });
    let rows = b
        .find_all(Locator::Css("[data-testid=conversation-row]"))
        .await
        .expect("rows");
    assert_eq!(
        rows[0]
            .attr("data-conversation-id")
            .await
            .ok()
            .flatten()
            .as_deref(),
        Some(first)
    );
    assert_eq!(
        rows[0].attr("data-overdue").await.ok().flatten().as_deref(),
        Some("false")
    );
}

/// Opens conversation `id`, whose customer wrote markup: it shows as text.
async fn hostile_text_stays_text(b: &Browser, id: &str) {
    open(b, id).await;
    let customer = by_testid(b, "[data-testid=message][data-kind=customer]").await;
    eventually!(
        "the customer's text",
        customer
            .text()
            .await
            .unwrap_or_default()
            .contains("<img src=x")
    );
    assert_eq!(
        count(
            b,
            "[data-testid=conversation-view] img[src=x], [data-testid=message] b"
        )
        .await,
        0,
        "customer text became markup"
    );
}

/// The tray agrees with the window (busy); Available from the tray menu
/// reaches the server, the window and the tray's own radio.
async fn status_from_the_tray(
    desktop: &DesktopSession,
    b: &Browser,
    admin: &switchboard_api::Session,
    ada_id: &str,
) {
    let tray = dbus::TrayMenu::find(desktop);
    assert_eq!(
        tray.item(desktop, "Busy").toggled,
        Some(true),
        "the tray agrees with the window"
    );
    tray.click(desktop, "Available");
    eventually!(
        "available on the server",
        status_of(admin, ada_id).await == AgentStatus::Available
    );
    eventually!(
        "available pressed in the window",
        pressed(b, "available").await
    );
    eventually!(
        "the tray radio moved",
        tray.item(desktop, "Available").toggled == Some(true)
    );
    assert_eq!(tray.item(desktop, "Busy").toggled, Some(false));
    assert!(
        tray.items(desktop)
            .iter()
            .any(|i| i.label.contains("waiting")),
        "the tray shows the queue: {:?}",
        tray.items(desktop)
    );
}

/// Ada gets the `urgent` skill; a conversation there breaches its 3 s
/// threshold, one notification says so, its click opens it, and the queue
/// flags it overdue.
async fn a_breach_is_notified(
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
async fn a_transfer_is_notified(
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
async fn a_customer_message_is_notified(
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
async fn recategorize_resolve_reopen(b: &Browser, admin: &switchboard_api::Session, id: &str) {
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
fn the_token_is_in_the_keychain(desktop: &DesktopSession) {
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
async fn unencrypted_sign_in_is_warned(b: &Browser) {
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
fn cache_files(desktop: &DesktopSession) -> Vec<std::path::PathBuf> {
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
async fn leave_the_conversation(b: &Browser, what: &str) {
    click(b, "[data-testid=nav-team]").await;
    eventually!(what, count(b, "[data-testid=conversation-view]").await == 0);
}

/// Dismisses every notification on screen (a failure is fine: none shown).
fn close_notifications(desktop: &DesktopSession) {
    let _ = desktop.try_run("dunstctl", &["close-all"]);
}

/// Clicks the newest notification on screen (`dunstctl action 0`, the D-Bus
/// default action), waits for the window on conversation `id`, and returns
/// the notifications in the history whose body holds `about`.
async fn click_notification(
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
const X11_MOVES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/desktop/x11.py");

/// Whether the app under test is running.
fn app_running(desktop: &DesktopSession) -> bool {
    let app = harness::app_binary();
    desktop
        .try_run("pgrep", &["-f", &app.to_string_lossy()])
        .is_some()
}

/// An admin's side of the app: sign in as an admin, add an agent and a
/// category from the Admin view (checked on the server), and see every
/// open conversation in All, whoever holds it; mail from an address other
/// than the customer's is marked in its conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_sets_up_the_team() {
    let _one = ONE_AT_A_TIME.lock().await;
    step("start");
    let team = team().await;
    let admin = team.admin.clone();
    let queued = conversation(
        &admin,
        "billing",
        "Dorothy Vaughan",
        "FORTRAN manual",
        "Where is it?",
    )
    .await;
    let held = conversation(
        &admin,
        "billing",
        "Mary Jackson",
        "Badge renewal",
        "Mine expired.",
    )
    .await;
    admin
        .transfer(
            &held,
            &TransferRequest {
                to_agent_id: Some(team.bob_id.clone()),
                to_category_id: None,
                note: None,
            },
        )
        .await
        .expect("to Bob");
    let desktop = DesktopSession::start();
    let b = desktop.launch().await;

    step("Sign in as the admin");
    sign_in(&b, &team.url, team::ADMIN_EMAIL).await;

    step("All: every open conversation, whoever holds it");
    click(&b, "[data-testid=nav-all]").await;
    eventually!(
        "both conversations in All",
        count(&b, &row(&queued)).await == 1 && count(&b, &row(&held)).await == 1
    );

    step("Add an agent from the Admin view");
    click(&b, "[data-testid=nav-admin]").await;
    type_into(&b, "[data-testid=new-agent-name]", "Grace Hopper").await;
    type_into(&b, "[data-testid=new-agent-email]", "grace@e2e.test").await;
    type_into(&b, "[data-testid=new-agent-password]", PASSWORD).await;
    by_testid(&b, "[data-testid=new-agent-role]")
        .await
        .select_by_value("agent")
        .await
        .expect("role");
    by_testid(
        &b,
        "[data-testid=new-agent] input[type=checkbox][value=billing]",
    )
    .await
    .click()
    .await
    .expect("billing skill");
    click(&b, "[data-testid=new-agent-submit]").await;
    eventually!("the agent on the server", {
        admin.agents().await.expect("agents").iter().any(|a| {
            a.email == "grace@e2e.test" && a.categories == ["billing"] && a.role == Role::Agent
        })
    });
    assert_eq!(count(&b, "[data-testid=new-agent-error]").await, 0);
    Client::new(&team.url)
        .expect("client")
        .login("grace@e2e.test", PASSWORD)
        .await
        .expect("the new agent signs in with the password set");

    step("Add a category from the Admin view");
    type_into(&b, "[data-testid=new-category-name]", "Returns").await;
    by_testid(&b, "[data-testid=new-category-routing]")
        .await
        .select_by_value("round_robin")
        .await
        .expect("routing");
    type_into(&b, "[data-testid=new-category-threshold]", "600").await;
    // One keyword per line: Enter between them, as typed.
    let enter = char::from(fantoccini::key::Key::Enter);
    type_into(
        &b,
        "[data-testid=new-category-keywords]",
        &format!("return{enter}refund"),
    )
    .await;
    click(&b, "[data-testid=new-category-submit]").await;
    eventually!("the category on the server", {
        admin
            .categories()
            .await
            .expect("categories")
            .iter()
            .any(|c| c.name == "Returns")
    });
    let returns = admin
        .categories()
        .await
        .expect("categories")
        .into_iter()
        .find(|c| c.name == "Returns")
        .expect("Returns");
    assert_eq!(returns.routing, RoutingMode::RoundRobin, "{returns:?}");
    assert_eq!(returns.wait_threshold_secs, 600, "{returns:?}");
    assert_eq!(returns.keywords, ["return", "refund"], "{returns:?}");
    assert_eq!(count(&b, "[data-testid=new-category-error]").await, 0);
    screenshot(&b, "09-admin").await;

    step("Mail from another address is marked in the conversation");
    mail_from_another_address_is_marked(&b, &team.url).await;
    b.close().await.ok();
}

/// A customer's mail, then someone else's answer to it (by its headers),
/// through the server's inbound email endpoint: in the conversation (All),
/// the answer shows its real sender and the mark, as text; the customer's
/// own mail has none.
async fn mail_from_another_address_is_marked(b: &Browser, url: &str) {
    use switchboard_testkit::email::deliver;
    let first = deliver(
        url,
        "From: Katherine Johnson <katherine@customer.test>\r\nTo: support@e2e.test\r\n\
Subject: Orbit figures\r\nMessage-ID: <k1@customer.test>\r\n\r\nPlease check my figures.\r\n",
    )
    .await;
    let id = first["conversation_id"].as_str().expect("id").to_owned();
    let other = deliver(
        url,
        "From: Mallory Other <mallory@elsewhere.test>\r\nTo: support@e2e.test\r\n\
Subject: Re: Orbit figures\r\nMessage-ID: <m1@elsewhere.test>\r\nIn-Reply-To: <k1@customer.test>\r\n\r\n\
Send the <b>results</b> to me instead.\r\n",
    )
    .await;
    assert_eq!(other["conversation_id"], id.as_str(), "threaded in");
    click(b, "[data-testid=nav-all]").await;
    open(b, &id).await;
    let mark = by_testid(b, "[data-testid=message] [data-testid=other-sender]").await;
    let text = mark.text().await.expect("mark text");
    assert!(
        text.contains("From mallory@elsewhere.test — not the customer's address"),
        "{text}"
    );
    assert_eq!(count(b, "[data-testid=other-sender]").await, 1);
    let messages = b
        .find_all(Locator::Css("[data-testid=message][data-kind=customer]"))
        .await
        .expect("messages");
    assert_eq!(messages.len(), 2);
    let own = messages[0].text().await.expect("text");
    assert!(own.contains("Please check my figures."), "{own}");
    assert!(!own.contains("not the customer's address"), "{own}");
    let theirs = messages[1].text().await.expect("text");
    assert!(
        theirs.contains("Mallory Other <mallory@elsewhere.test>"),
        "{theirs}"
    );
    assert!(
        theirs.contains("Send the <b>results</b> to me instead."),
        "{theirs}"
    );
    assert_eq!(
        count(b, "[data-testid=conversation-view] b").await,
        0,
        "customer text became markup"
    );
    screenshot(b, "10-other-sender").await;
}

/// The app against two server instances on PostgreSQL behind nginx (the
/// repository's example config): it is given the one address and works
/// unchanged — sign-in, the live queue, claim and reply — including writes
/// made through the other instance, and it keeps working when the instance
/// it was streaming from goes away.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_against_two_instances_behind_nginx() {
    let _one = ONE_AT_A_TIME.lock().await;
    step("start");
    let db = postgres::server().fresh_database().await;
    let mut team = team_on(db, 2, tempfile::tempdir().expect("dir")).await;
    let proxy = nginx::Nginx::start([&team.servers[0].url(), &team.servers[1].url()]);
    let front = Client::new(&proxy.url).expect("client");
    let deadline = Instant::now() + Duration::from_secs(20);
    while front.health().await.is_err() {
        assert!(Instant::now() < deadline, "nginx did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    step("Writes through each instance directly, reads by the app through nginx");
    let a = switchboard_testkit::accounts::login(&team.servers[0].url(), team::ADMIN_EMAIL).await;
    let b_admin =
        switchboard_testkit::accounts::login(&team.servers[1].url(), team::ADMIN_EMAIL).await;
    let first = conversation(&a, "billing", "Grace Hopper", "Refund", "Charged twice.").await;

    let desktop = DesktopSession::start();
    let b = desktop.launch().await;
    sign_in(&b, &proxy.url, "ada@e2e.test").await;
    eventually!("the queue through nginx", rows(&b).await == 1);
    eventually!(
        "online through nginx",
        connection_state(&b).await.as_deref() == Some("online")
    );

    // One written through each instance shows up.
    step("Live");
    let second = conversation(
        &b_admin,
        "billing",
        "Alan Turing",
        "Invoice",
        "Address change.",
    )
    .await;
    let third = conversation(&a, "billing", "Ada Byron", "VAT", "Add my VAT id.").await;
    for id in [&second, &third] {
        by_testid(&b, &row(id)).await;
    }

    step("Claim and reply through the one address");
    click(&b, &row(&first)).await;
    claim(&b).await;
    eventually!(
        "the claim",
        assignee_of(&a, &first).await.as_deref() == Some(team.ada_id.as_str())
    );
    composer_mode(&b, "reply").await;
    send(&b, "Refunded through the fleet.").await;
    eventually!("the reply", {
        b_admin
            .conversation(&first)
            .await
            .expect("conv")
            .messages
            .iter()
            .any(|m| m.kind == MessageKind::Agent && m.body.contains("through the fleet"))
    });
    screenshot(&b, "fleet-01-conversation").await;

    step("One instance goes away; the app reconnects through nginx to the other");
    let gone = team.servers.remove(0);
    gone.stop().await;
    let fourth = conversation(
        &b_admin,
        "billing",
        "Hedy Lamarr",
        "Shipping",
        "Where is my parcel?",
    )
    .await;
    click(&b, "[data-testid=nav-queue]").await;
    by_testid(&b, &row(&fourth)).await;
    eventually!(
        "online again",
        connection_state(&b).await.as_deref() == Some("online")
    );
    click(&b, &row(&fourth)).await;
    claim(&b).await;
    eventually!(
        "a claim after losing an instance",
        assignee_of(&b_admin, &fourth).await.as_deref() == Some(team.ada_id.as_str())
    );
    screenshot(&b, "fleet-02-after-failover").await;
    b.close().await.ok();
    let _ = team.admin.clone();
}
