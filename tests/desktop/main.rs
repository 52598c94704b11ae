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

mod admin_and_fleet;
mod attachments;
mod customers;
mod day_steps;
mod dbus;
mod harness;
mod merge;
mod page;
mod picker;
mod presence;
mod search;
mod snooze;
mod tags;
mod team;

use std::time::{Duration, Instant};

use day_steps::*;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client as Browser, Locator};
use harness::{by_testid, screenshot, step, DesktopSession};
use page::{
    attr, claim, click, composer_mode, connection_state, count, fill_login, open, pressed, row,
    rows, send, sign_in, type_into, view, visibility,
};
use picker::{a_saved_reply_from_the_picker, saved_reply, REFUND_BODY, REFUND_FILE};
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

    let refund = saved_reply(
        &admin,
        "Refund approved",
        REFUND_BODY,
        Some("billing"),
        &[REFUND_FILE],
    )
    .await;
    saved_reply(
        &admin,
        "Thanks for waiting",
        "Thanks for waiting, {{customer.first_name}}!",
        None,
        &[],
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
    // The saved reply's file went with it: a copy of its own, same bytes.
    let conv = admin.conversation(&first).await.expect("conv");
    let reply = conv
        .messages
        .iter()
        .find(|m| m.kind == MessageKind::Agent && m.body == sent)
        .expect("the reply");
    let names: Vec<&str> = reply
        .attachments
        .iter()
        .map(|a| a.filename.as_str())
        .collect();
    assert_eq!(names, [REFUND_FILE.0]);
    assert!(!refund.attachments.contains(&reply.attachments[0].id));
    assert_eq!(
        admin
            .download(&reply.attachments[0].id)
            .await
            .expect("download"),
        REFUND_FILE.1
    );
    screenshot(&b, "03-conversation").await;

    step("A reply with a PDF and a PNG: attached, mailed as MIME parts, shown, saved");
    attachments::a_reply_with_files(&b, &desktop, &team, &team.ada_id).await;
    click(&b, "[data-testid=nav-mine]").await;
    open(&b, &first).await;

    step("The customer's side panel: her email, text and chat, one click to open");
    let by_mail = customers::one_customer_on_three_channels(&b, &desktop, &team, &first).await;
    open(&b, &first).await;

    step("Merge: Grace's mail merged into the conversation Ada holds, from the panel; undone by the admin");
    merge::merge_from_the_panel(&b, &desktop, &team, &first, &by_mail).await;

    step("Tags: one made by the admin, put on, the list filtered by it, taken off");
    tags::tag_filter_untag(&b, &desktop, &team, &first).await;

    step("Snooze: out of Mine until later; woken by the server's job, notified, opened");
    snooze::snooze_and_wake(&b, &desktop, &team, &first).await;

    step("Who is looking: the admin views and types over the API; Ada's window says so, and back");
    presence::who_is_looking(&b, &desktop, &team, &first).await;

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

    step("Search from the cache with the server away: found, marked, opened");
    search::search_offline(&b, "\"charged twice\"", &first, "charged twice").await;
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
