//! End to end on the real app: the binary cargo built (UI embedded), under
//! Xvfb with a D-Bus session, dunst and a Secret Service, driven through
//! `tauri-driver` + `WebKitWebDriver`, against a real Switchboard server
//! started here. Selectors are DESIGN.md's UI test hooks.
//!
//! One agent's day, in order: sign in, see the queue, claim, reply, write a
//! note, transfer; change status from the window and from the tray menu
//! (over D-Bus) and see routing follow on the server; let a conversation
//! breach its threshold, find the notification in dunst and click it; the
//! window opens on that conversation. Then the app is started again: it
//! signs in from the keychain, and keeps working from its cache when the
//! server goes away. Screenshots land in `target/e2e-screenshots/`.
//!
//! Needs `cargo xtask setup` (Xvfb, dbus, dunst, gnome-keyring,
//! webkit2gtk-driver, tauri-driver) and the UI built (`npm run build` in
//! `ui/`) before the app is compiled; `cargo xtask test` does both.

mod dbus;
mod harness;
#[path = "../../crates/server/tests/support/nginx.rs"]
mod nginx;
#[path = "../../crates/server/tests/support/postgres.rs"]
mod postgres;

use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client as Browser, Locator};
use harness::{by_testid, screenshot, step, DesktopSession};
use switchboard_api::{
    AgentPatch, AgentStatus, Client, ConversationState, Customer, MessageKind, NewAgent,
    NewCategory, NewConversation, Role, RoutingMode, Session, TransferRequest,
};
use switchboard_server::{seed, Config, Server};

const PASSWORD: &str = "correct-horse-battery";

/// `secret-tool` arguments that read the app's saved session.
const KEYCHAIN_LOOKUP: [&str; 5] = [
    "lookup",
    "service",
    "app.switchboard.desktop",
    "username",
    "session",
];

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

struct Team {
    servers: Vec<Server>,
    admin: Session,
    ada_id: String,
    bob_id: String,
    url: String,
    _dir: tempfile::TempDir,
}

/// A team on a fresh SQLite file, served by one instance.
async fn team() -> Team {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("server.db").display());
    team_on(db, 1, dir).await
}

/// A team on `db`, served by `instances` server instances sharing it.
async fn team_on(db: String, instances: usize, dir: tempfile::TempDir) -> Team {
    let mut servers = Vec::new();
    for _ in 0..instances {
        servers.push(
            Server::start(Config::new(
                "127.0.0.1:0".parse().expect("addr"),
                db.clone(),
            ))
            .await
            .expect("server"),
        );
    }
    seed::create_admin(
        servers[0].store(),
        "admin@e2e.test",
        PASSWORD,
        "Morgan Admin",
    )
    .await
    .expect("admin");
    let url = servers[0].url();
    let admin = Client::new(&url)
        .expect("client")
        .login("admin@e2e.test", PASSWORD)
        .await
        .expect("admin login");
    // Billing waits an hour before it is overdue: however slow a run, only
    // the urgent conversation breaches (and its notification is the one
    // clicked).
    for (id, threshold) in [("billing", 3600), ("urgent", 3)] {
        admin
            .create_category(&NewCategory {
                name: format!("{}{}", id[..1].to_uppercase(), &id[1..]),
                id: Some(id.into()),
                routing: Some(RoutingMode::Manual),
                wait_threshold_secs: Some(threshold),
                keywords: vec![],
            })
            .await
            .expect("category");
    }
    let mut ids = vec![];
    for (name, email) in [
        ("Ada Lovelace", "ada@e2e.test"),
        ("Bob Noyce", "bob@e2e.test"),
    ] {
        let a = admin
            .create_agent(&NewAgent {
                name: name.into(),
                email: email.into(),
                password: PASSWORD.into(),
                role: Some(Role::Agent),
                categories: vec!["billing".into()],
                capacity: Some(5),
            })
            .await
            .expect("agent");
        admin
            .patch_agent(
                &a.id,
                &AgentPatch {
                    status: Some(AgentStatus::Available),
                    ..Default::default()
                },
            )
            .await
            .expect("available");
        ids.push(a.id);
    }
    Team {
        servers,
        admin,
        ada_id: ids[0].clone(),
        bob_id: ids[1].clone(),
        url,
        _dir: dir,
    }
}

async fn conversation(
    admin: &Session,
    category: &str,
    name: &str,
    subject: &str,
    body: &str,
) -> String {
    admin
        .create_conversation(&NewConversation {
            customer: Customer {
                name: Some(name.into()),
                email: Some(format!(
                    "{}@customer.test",
                    name.to_lowercase().replace(' ', ".")
                )),
                phone: None,
            },
            subject: subject.into(),
            body: body.into(),
            category_id: Some(category.into()),
        })
        .await
        .expect("conversation")
        .summary
        .id
}

/// How long one WebDriver click may take. A click returns once WebKit has
/// handled its mouse events; one run saw a click never return (the app idle,
/// WebKitWebDriver holding the request), so a stuck click fails the test
/// with its name instead of hanging the suite.
const CLICK_TIMEOUT: Duration = Duration::from_secs(30);

async fn click(b: &Browser, css: &str) {
    let el = by_testid(b, css).await;
    match tokio::time::timeout(CLICK_TIMEOUT, el.click()).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!("click {css}: {e}"),
        Err(_) => panic!(
            "click {css}: WebKitWebDriver did not answer in {} s",
            CLICK_TIMEOUT.as_secs()
        ),
    }
}

/// Fills the login form (server, email, the test password); the caller submits.
async fn fill_login(b: &Browser, server: &str, email: &str) {
    type_into(b, "[data-testid=login-server]", server).await;
    type_into(b, "[data-testid=login-email]", email).await;
    type_into(b, "[data-testid=login-password]", PASSWORD).await;
}

async fn type_into(b: &Browser, css: &str, text: &str) {
    let el = by_testid(b, css).await;
    el.clear().await.ok();
    el.send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

async fn attr(b: &Browser, css: &str, name: &str) -> Option<String> {
    match b.find(Locator::Css(css)).await {
        Ok(el) => el.attr(name).await.ok().flatten(),
        Err(_) => None,
    }
}

async fn count(b: &Browser, css: &str) -> usize {
    b.find_all(Locator::Css(css))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

async fn status_of(admin: &Session, id: &str) -> AgentStatus {
    admin
        .agents()
        .await
        .expect("agents")
        .into_iter()
        .find(|a| a.id == id)
        .expect("agent")
        .status
}

async fn pressed(b: &Browser, status: &str) -> bool {
    let css = format!("[data-testid=status-{status}]");
    let p = attr(b, &css, "aria-pressed").await;
    let c = attr(b, &css, "aria-checked").await;
    p.as_deref() == Some("true") || c.as_deref() == Some("true")
}

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

    let desktop = DesktopSession::start();
    let b = desktop.launch().await;

    // Sign in.
    step("Sign in");
    fill_login(&b, &team.url, "ada@e2e.test").await;
    screenshot(&b, "01-login").await;
    click(&b, "[data-testid=login-submit]").await;

    // The queue, oldest first, from the synced cache.
    step("The queue, oldest first, from the synced cache");
    by_testid(&b, "[data-testid=nav-queue]")
        .await
        .click()
        .await
        .ok();
    eventually!(
        "three queued rows",
        count(&b, "[data-testid=conversation-row]").await == 3
    );
    let mut last = attr(&b, "[data-testid=connection-state]", "data-state").await;
    assert!(last.is_some(), "the connection state is always shown");
    eventually!(format!("online (shown: {last:?})"), {
        last = attr(&b, "[data-testid=connection-state]", "data-state").await;
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
        Some(first.as_str())
    );
    assert_eq!(
        rows[0].attr("data-overdue").await.ok().flatten().as_deref(),
        Some("false")
    );
    screenshot(&b, "02-queue").await;

    // Hostile customer text shows as text.
    step("Hostile customer text shows as text");
    click(
        &b,
        &format!("[data-testid=conversation-row][data-conversation-id='{second}']"),
    )
    .await;
    by_testid(
        &b,
        &format!("[data-testid=conversation-view][data-conversation-id='{second}']"),
    )
    .await;
    let customer = by_testid(&b, "[data-testid=message][data-kind=customer]").await;
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
            &b,
            "[data-testid=conversation-view] img[src=x], [data-testid=message] b"
        )
        .await,
        0,
        "customer text became markup"
    );

    // Claim the oldest, reply, note.
    step("Claim the oldest, reply, note");
    click(
        &b,
        &format!("[data-testid=conversation-row][data-conversation-id='{first}']"),
    )
    .await;
    by_testid(
        &b,
        &format!("[data-testid=conversation-view][data-conversation-id='{first}']"),
    )
    .await;
    click(&b, "[data-testid=conversation-view] [data-testid=claim]").await;
    eventually!(
        "the claim on the server",
        admin
            .conversation(&first)
            .await
            .expect("conv")
            .summary
            .assignee_id
            .as_deref()
            == Some(team.ada_id.as_str())
    );
    click(&b, "[data-testid=composer-mode-reply]").await;
    type_into(
        &b,
        "[data-testid=composer-input]",
        "Sorry about that — the second charge is refunded.",
    )
    .await;
    click(&b, "[data-testid=composer-send]").await;
    click(&b, "[data-testid=composer-mode-note]").await;
    assert_eq!(
        attr(&b, "[data-testid=composer-mode-note]", "aria-pressed")
            .await
            .as_deref(),
        Some("true")
    );
    type_into(
        &b,
        "[data-testid=composer-input]",
        "Refund ticket R-88 filed.",
    )
    .await;
    click(&b, "[data-testid=composer-send]").await;
    eventually!("reply and note on the server", {
        let conv = admin.conversation(&first).await.expect("conv");
        conv.messages
            .iter()
            .any(|m| m.kind == MessageKind::Agent && m.body.contains("refunded"))
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

    // Transfer to Bob with a note.
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
        admin
            .conversation(&first)
            .await
            .expect("conv")
            .summary
            .assignee_id
            .as_deref()
            == Some(team.bob_id.as_str())
    );

    // Status from the window steers routing on the server.
    step("Status from the window steers routing on the server");
    click(&b, "[data-testid=status-busy]").await;
    eventually!(
        "busy on the server",
        status_of(&admin, &team.ada_id).await == AgentStatus::Busy
    );
    eventually!("busy pressed", pressed(&b, "busy").await);

    // … and from the tray menu, over D-Bus, with the window following.
    step("… and from the tray menu, over D-Bus, with the window following");
    let tray = dbus::TrayMenu::find(&desktop);
    assert_eq!(
        tray.item(&desktop, "Busy").toggled,
        Some(true),
        "the tray agrees with the window"
    );
    tray.click(&desktop, "Available");
    eventually!(
        "available on the server",
        status_of(&admin, &team.ada_id).await == AgentStatus::Available
    );
    eventually!(
        "available pressed in the window",
        pressed(&b, "available").await
    );
    eventually!(
        "the tray radio moved",
        tray.item(&desktop, "Available").toggled == Some(true)
    );
    assert_eq!(tray.item(&desktop, "Busy").toggled, Some(false));
    assert!(
        tray.items(&desktop)
            .iter()
            .any(|i| i.label.contains("waiting")),
        "the tray shows the queue: {:?}",
        tray.items(&desktop)
    );

    // A conversation breaches its 3 s threshold: notified at the breach by
    // the app's own timer; the click opens it.
    step("A conversation breaches its 3 s threshold");
    admin
        .patch_agent(
            &team.ada_id,
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
    click(&b, "[data-testid=nav-team]").await;
    let _ = desktop.try_run("dunstctl", &["close-all"]);
    let urgent = conversation(
        &admin,
        "urgent",
        "Katherine Johnson",
        "Site is down",
        "Checkout fails for everyone.",
    )
    .await;
    eventually!(
        "the breach notification on screen",
        dbus::displayed(&desktop) > 0
    );
    let breach = click_notification(&desktop, &b, &urgent, "Site is down").await;
    assert_eq!(breach.len(), 1, "one notification per cause: {breach:?}");
    assert!(breach[0].summary.contains("Waiting"), "{breach:?}");
    assert_eq!(breach[0].appname, "Switchboard");
    eventually!("overdue flagged in the queue", {
        click(&b, "[data-testid=nav-queue]").await;
        attr(
            &b,
            &format!("[data-testid=conversation-row][data-conversation-id='{urgent}']"),
            "data-overdue",
        )
        .await
        .as_deref()
            == Some("true")
    });
    screenshot(&b, "06-queue-overdue").await;
    click(&b, "[data-testid=nav-metrics]").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    screenshot(&b, "07-metrics").await;

    // Transferred to Ada by a colleague: one notification, and its click
    // opens that conversation.
    step("Transferred to Ada by a colleague: notified; the click opens it");
    let handed = conversation(
        &admin,
        "billing",
        "Mary Jackson",
        "Wind tunnel invoice",
        "Please resend the invoice.",
    )
    .await;
    click(&b, "[data-testid=nav-team]").await;
    eventually!(
        "away from any conversation",
        count(&b, "[data-testid=conversation-view]").await == 0
    );
    let _ = desktop.try_run("dunstctl", &["close-all"]);
    admin
        .transfer(
            &handed,
            &TransferRequest {
                to_agent_id: Some(team.ada_id.clone()),
                to_category_id: None,
                note: Some("She asked for you.".into()),
            },
        )
        .await
        .expect("transfer to Ada");
    eventually!(
        "the transfer notification on screen",
        dbus::displayed(&desktop) > 0
    );
    let about_handed = click_notification(&desktop, &b, &handed, "Wind tunnel invoice").await;
    assert_eq!(about_handed.len(), 1, "one notification: {about_handed:?}");
    assert_eq!(about_handed[0].summary, "Transferred to you");

    // The customer writes in one of Ada's while the window is not in front
    // (the X input focus moved away, as when she works in another app).
    step("The customer writes while the window is not in front");
    desktop.run("python3", &[X11_MOVES, "focus-none"]);
    eventually!(
        "the page without the focus",
        b.execute("return document.hasFocus();", vec![])
            .await
            .ok()
            .and_then(|v| v.as_bool())
            == Some(false)
    );
    let _ = desktop.try_run("dunstctl", &["close-all"]);
    admin
        .customer_message(&handed, "Any news on the <b>invoice</b>?")
        .await
        .expect("customer message");
    eventually!(
        "the customer's message notified",
        dbus::displayed(&desktop) > 0
    );
    desktop.run("dunstctl", &["close-all"]);
    eventually!("the customer's notification in the history", {
        dbus::history(&desktop)
            .iter()
            .any(|n| n.summary == "Mary Jackson wrote")
    });
    let wrote = dbus::history(&desktop)
        .into_iter()
        .find(|n| n.summary == "Mary Jackson wrote")
        .expect("customer notification");
    assert!(wrote.body.contains("invoice"), "{wrote:?}");
    assert!(
        !wrote.body.contains("<b>"),
        "customer text reaches the notification as text, not markup: {wrote:?}"
    );

    // A switchboard:// link, opened while the app runs: a second start hands
    // it over (single instance) and exits; the running app goes there.
    step("A switchboard:// link opens the conversation in the running app");
    click(&b, "[data-testid=nav-team]").await;
    eventually!(
        "away from the conversation",
        count(&b, "[data-testid=conversation-view]").await == 0
    );
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
    by_testid(
        &b,
        &format!("[data-testid=conversation-view][data-conversation-id='{handed}']"),
    )
    .await;
    screenshot(&b, "07b-after-link").await;

    // From the conversation: re-categorize, resolve from the keyboard, reopen.
    step("Re-categorize, resolve with the keyboard (e), reopen");
    by_testid(&b, "[data-testid=conversation-category]")
        .await
        .select_by_value("general")
        .await
        .expect("pick the General category");
    eventually!(
        "re-categorized on the server",
        admin
            .conversation(&handed)
            .await
            .expect("conv")
            .summary
            .category_id
            .as_deref()
            == Some("general")
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
        admin
            .conversation(&handed)
            .await
            .expect("conv")
            .summary
            .state
            == ConversationState::Resolved
    );
    click(&b, "[data-testid=reopen]").await;
    eventually!(
        "reopened on the server",
        admin
            .conversation(&handed)
            .await
            .expect("conv")
            .summary
            .state
            != ConversationState::Resolved
    );

    // The token is in the keychain, not on disk.
    step("The token is in the keychain, not on disk");
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
    // The app keeps a log in its log directory (inside the data directory
    // searched above: no token there either), and it says what happened.
    let log = desktop.app_log();
    assert!(log.contains("logging to this directory"), "app log: {log}");
    assert!(log.contains("signed in; syncing"), "app log: {log}");
    assert!(log.contains("state=Online"), "app log: {log}");

    // Start again: signed in from the keychain, no login screen.
    step("Start again");
    b.close().await.expect("close the app");
    let b = desktop.launch().await;
    eventually!(
        "the queue without signing in",
        count(&b, "[data-testid=conversation-row]").await >= 2
    );
    assert_eq!(count(&b, "[data-testid=login-submit]").await, 0);

    // The server goes away: the app says so and still shows the cache.
    step("The server goes away");
    for server in team.servers.drain(..) {
        server.stop().await;
    }
    eventually!(
        "offline shown",
        attr(&b, "[data-testid=connection-state]", "data-state")
            .await
            .as_deref()
            == Some("offline")
    );
    click(&b, "[data-testid=nav-mine]").await;
    click(&b, "[data-testid=nav-queue]").await;
    eventually!(
        "the cached queue offline",
        count(&b, "[data-testid=conversation-row]").await >= 2
    );
    screenshot(&b, "08-offline").await;
    let tray = dbus::TrayMenu::find(&desktop);
    eventually!(
        "the tray says the connection is lost",
        tray.items(&desktop)
            .iter()
            .any(|i| i.label.starts_with("No connection to the server"))
    );

    // Closing the window keeps the app in the tray; Open brings it back.
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

    // Signing out removes the token from the keychain.
    step("Signing out removes the token from the keychain");
    click(&b, "[data-testid=sign-out]").await;
    by_testid(&b, "[data-testid=login-submit]").await;
    let left = desktop.try_run("secret-tool", &KEYCHAIN_LOOKUP);
    assert!(
        left.as_deref().is_none_or(|s| s.trim().is_empty()),
        "the token is still in the keychain"
    );

    // Quit from the tray ends the app.
    step("Quit from the tray");
    tray.click(&desktop, "Quit");
    eventually!("the app gone", !app_running(&desktop));
    b.close().await.ok();
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
    by_testid(
        b,
        &format!("[data-testid=conversation-view][data-conversation-id='{id}']"),
    )
    .await;
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

/// The page's `document.visibilityState` (`hidden` while the window is).
async fn visibility(b: &Browser) -> Option<String> {
    b.execute("return document.visibilityState;", vec![])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}

/// Whether the app under test is running.
fn app_running(desktop: &DesktopSession) -> bool {
    let app = harness::app_binary();
    desktop
        .try_run("pgrep", &["-f", &app.to_string_lossy()])
        .is_some()
}

/// An admin's side of the app: sign in as an admin, add an agent and a
/// category from the Admin view (checked on the server), and see every
/// open conversation in All, whoever holds it.
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
    fill_login(&b, &team.url, "admin@e2e.test").await;
    click(&b, "[data-testid=login-submit]").await;

    step("All: every open conversation, whoever holds it");
    click(&b, "[data-testid=nav-all]").await;
    eventually!(
        "both conversations in All",
        count(
            &b,
            &format!("[data-testid=conversation-row][data-conversation-id='{queued}']")
        )
        .await
            == 1
            && count(
                &b,
                &format!("[data-testid=conversation-row][data-conversation-id='{held}']")
            )
            .await
                == 1
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
    b.close().await.ok();
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
    // Writes through each instance directly, reads by the app through nginx.
    step("Writes through each instance directly, reads by the app through nginx");
    let via = |i: usize| {
        let url = team.servers[i].url();
        async move {
            Client::new(&url)
                .expect("client")
                .login("admin@e2e.test", PASSWORD)
                .await
                .expect("admin login")
        }
    };
    let (a, b_admin) = (via(0).await, via(1).await);
    let first = conversation(&a, "billing", "Grace Hopper", "Refund", "Charged twice.").await;

    let desktop = DesktopSession::start();
    let b = desktop.launch().await;
    fill_login(&b, &proxy.url, "ada@e2e.test").await;
    click(&b, "[data-testid=login-submit]").await;
    eventually!(
        "the queue through nginx",
        count(&b, "[data-testid=conversation-row]").await == 1
    );
    eventually!(
        "online through nginx",
        attr(&b, "[data-testid=connection-state]", "data-state")
            .await
            .as_deref()
            == Some("online")
    );

    // Live: one written through each instance shows up.
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
        by_testid(
            &b,
            &format!("[data-testid=conversation-row][data-conversation-id='{id}']"),
        )
        .await;
    }

    // Claim and reply through the one address.
    step("Claim and reply through the one address");
    click(
        &b,
        &format!("[data-testid=conversation-row][data-conversation-id='{first}']"),
    )
    .await;
    click(&b, "[data-testid=conversation-view] [data-testid=claim]").await;
    eventually!(
        "the claim",
        a.conversation(&first)
            .await
            .expect("conv")
            .summary
            .assignee_id
            .as_deref()
            == Some(team.ada_id.as_str())
    );
    click(&b, "[data-testid=composer-mode-reply]").await;
    type_into(
        &b,
        "[data-testid=composer-input]",
        "Refunded through the fleet.",
    )
    .await;
    click(&b, "[data-testid=composer-send]").await;
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

    // One instance goes away; the app reconnects through nginx to the other.
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
    by_testid(
        &b,
        &format!("[data-testid=conversation-row][data-conversation-id='{fourth}']"),
    )
    .await;
    eventually!(
        "online again",
        attr(&b, "[data-testid=connection-state]", "data-state")
            .await
            .as_deref()
            == Some("online")
    );
    click(
        &b,
        &format!("[data-testid=conversation-row][data-conversation-id='{fourth}']"),
    )
    .await;
    click(&b, "[data-testid=conversation-view] [data-testid=claim]").await;
    eventually!(
        "a claim after losing an instance",
        b_admin
            .conversation(&fourth)
            .await
            .expect("conv")
            .summary
            .assignee_id
            .as_deref()
            == Some(team.ada_id.as_str())
    );
    screenshot(&b, "fleet-02-after-failover").await;
    b.close().await.ok();
    let _ = team.admin.clone();
}
