//! The system-tray icon and its menu: the agent's status as a radio group
//! (Available / Busy / Offline), how many conversations wait and the oldest
//! wait, the connection state, Open and Quit.
//!
//! Choosing a status here runs the same code as the status buttons of the
//! window ([`crate::desktop::Desktop::set_status`]), and both redraw from
//! the server's answer, so they always agree.
//!
//! On Linux the icon is exported over D-Bus as a StatusNotifierItem with a
//! `com.canonical.dbusmenu` menu, so it works (and can be tested) even when
//! no tray host is running. Tauri's menus have no radio item; the three
//! status entries are check items of which exactly one is checked.

use std::sync::Mutex;

use switchboard_core::model::AgentStatus;
use switchboard_sync::ConnectionState;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

/// Id of the one tray icon the app shows.
pub const TRAY_ID: &str = "switchboard";

const MENU_OPEN: &str = "open";
const MENU_QUIT: &str = "quit";
const MENU_STATUS_PREFIX: &str = "status-";

/// The tray icon for an agent status.
pub fn icon(status: AgentStatus) -> Image<'static> {
    match status {
        AgentStatus::Available => tauri::include_image!("icons/tray-available.png"),
        AgentStatus::Busy => tauri::include_image!("icons/tray-busy.png"),
        AgentStatus::Offline => tauri::include_image!("icons/tray-offline.png"),
    }
}

/// The label of a status entry.
pub fn status_label(status: AgentStatus) -> &'static str {
    match status {
        AgentStatus::Available => "Available",
        AgentStatus::Busy => "Busy",
        AgentStatus::Offline => "Offline",
    }
}

/// The tooltip: status, and the connection when it is not online.
pub fn tooltip(status: Option<AgentStatus>, connection: ConnectionState) -> String {
    let who = match status {
        Some(s) => status_label(s),
        None => "signed out",
    };
    match connection {
        ConnectionState::Online => format!("Switchboard — {who}"),
        ConnectionState::Syncing => format!("Switchboard — {who} (syncing)"),
        ConnectionState::Offline => format!("Switchboard — {who} (no connection)"),
    }
}

/// The queue line of the menu.
pub fn queue_label(waiting: u64, oldest_wait_secs: u64) -> String {
    match waiting {
        0 => "Queue empty".to_owned(),
        n => format!(
            "{n} waiting · oldest {}",
            crate::format::wait(oldest_wait_secs)
        ),
    }
}

/// The connection line of the menu.
pub fn connection_label(connection: ConnectionState) -> &'static str {
    match connection {
        ConnectionState::Online => "Connected",
        ConnectionState::Syncing => "Syncing…",
        ConnectionState::Offline => "No connection to the server — retrying",
    }
}

/// The menu items that change, kept as app state.
pub struct TrayMenu<R: Runtime> {
    statuses: Vec<(AgentStatus, CheckMenuItem<R>)>,
    queue: MenuItem<R>,
    connection: MenuItem<R>,
    shown: Mutex<Shown>,
}

#[derive(Clone, Copy)]
struct Shown {
    status: Option<AgentStatus>,
    connection: ConnectionState,
}

/// Creates the tray icon. Nobody is signed in yet: no status checked.
pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let statuses = AgentStatus::ALL
        .iter()
        .map(|s| {
            let id = format!("{MENU_STATUS_PREFIX}{}", s.as_str());
            CheckMenuItem::with_id(app, id, status_label(*s), false, false, None::<&str>)
                .map(|item| (*s, item))
        })
        .collect::<tauri::Result<Vec<_>>>()?;
    let queue = MenuItem::with_id(app, "queue", "Not signed in", false, None::<&str>)?;
    let connection = MenuItem::with_id(
        app,
        "connection",
        connection_label(ConnectionState::Offline),
        false,
        None::<&str>,
    )?;
    let open = MenuItem::with_id(app, MENU_OPEN, "Open Switchboard", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, "Quit", true, None::<&str>)?;
    let sep1 = PredefinedMenuItem::separator(app)?;
    let sep2 = PredefinedMenuItem::separator(app)?;
    let sep3 = PredefinedMenuItem::separator(app)?;

    let mut items: Vec<&dyn tauri::menu::IsMenuItem<R>> = Vec::new();
    for (_, item) in &statuses {
        items.push(item);
    }
    items.extend([
        &sep1 as &dyn tauri::menu::IsMenuItem<R>,
        &queue,
        &connection,
        &sep2,
        &open,
        &sep3,
        &quit,
    ]);
    let menu = Menu::with_items(app, &items)?;

    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(AgentStatus::Offline))
        .tooltip(tooltip(None, ConnectionState::Offline))
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event)
        .build(app)?;
    app.manage(TrayMenu {
        statuses,
        queue,
        connection,
        shown: Mutex::new(Shown {
            status: None,
            connection: ConnectionState::Offline,
        }),
    });
    Ok(())
}

impl<R: Runtime> TrayMenu<R> {
    /// Shows `status` (`None`: signed out) as the checked entry and the icon.
    pub fn set_status(&self, app: &AppHandle<R>, status: Option<AgentStatus>) {
        let connection = self.update(|shown| shown.status = status).connection;
        let statuses = self.statuses.clone();
        on_main_thread(app, move |app| {
            for (s, item) in &statuses {
                let _ = item.set_checked(Some(*s) == status);
                let _ = item.set_enabled(status.is_some());
            }
            redraw_icon(app, status, connection);
        });
    }

    /// Shows the connection state.
    pub fn set_connection(&self, app: &AppHandle<R>, connection: ConnectionState) {
        let status = self.update(|shown| shown.connection = connection).status;
        let line = self.connection.clone();
        on_main_thread(app, move |app| {
            let _ = line.set_text(connection_label(connection));
            redraw_icon(app, status, connection);
        });
    }

    /// Shows the queue line.
    pub fn set_queue(&self, app: &AppHandle<R>, waiting: u64, oldest_wait_secs: u64) {
        let line = self.queue.clone();
        on_main_thread(app, move |_| {
            let _ = line.set_text(queue_label(waiting, oldest_wait_secs));
        });
    }

    /// Shows the signed-out state.
    pub fn signed_out(&self, app: &AppHandle<R>) {
        let line = self.queue.clone();
        on_main_thread(app, move |_| {
            let _ = line.set_text("Not signed in");
        });
        self.set_connection(app, ConnectionState::Offline);
        self.set_status(app, None);
    }

    fn update(&self, f: impl FnOnce(&mut Shown)) -> Shown {
        let mut shown = match self.shown.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut shown);
        *shown
    }
}

/// Runs a change of the tray on the main thread without waiting for it.
///
/// Tauri's menu and tray setters called from another thread hand the work
/// to the main thread and block until it is done. Called from the async
/// runtime's workers (the sync engine's state, the queue counter), that
/// held a worker — and every task queued behind it — for as long as the
/// main thread was busy: half a second while the window and WebKit start,
/// which delayed the sync engine's first connection in 8 of 10 starts.
/// Changes queued this way are applied in the order they were made.
fn on_main_thread<R: Runtime>(app: &AppHandle<R>, f: impl FnOnce(&AppHandle<R>) + Send + 'static) {
    let handle = app.clone();
    if let Err(e) = app.run_on_main_thread(move || f(&handle)) {
        tracing::debug!(error = %e, "tray not updated");
    }
}

/// Redraws the icon and tooltip (on the main thread).
fn redraw_icon<R: Runtime>(
    app: &AppHandle<R>,
    status: Option<AgentStatus>,
    connection: ConnectionState,
) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        // Without a connection the agent routes nothing: show offline.
        let shown = match connection {
            ConnectionState::Offline => AgentStatus::Offline,
            _ => status.unwrap_or(AgentStatus::Offline),
        };
        let _ = tray.set_icon(Some(icon(shown)));
        let _ = tray.set_tooltip(Some(tooltip(status, connection)));
    }
}

/// The status a menu item id stands for.
fn status_of(id: &str) -> Option<AgentStatus> {
    AgentStatus::parse(id.strip_prefix(MENU_STATUS_PREFIX)?).ok()
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let id = event.id().as_ref();
    if let Some(status) = status_of(id) {
        crate::desktop::status_from_tray(app, status);
        return;
    }
    match id {
        MENU_OPEN => crate::show_main_window(app),
        MENU_QUIT => app.exit(0),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_own_icon_and_label() {
        let icons: Vec<Image<'static>> = AgentStatus::ALL.iter().map(|s| icon(*s)).collect();
        for (i, a) in icons.iter().enumerate() {
            assert!(a.width() > 0 && a.height() > 0);
            assert_eq!(a.rgba().len(), (a.width() * a.height() * 4) as usize);
            for b in &icons[i + 1..] {
                assert_ne!(a.rgba(), b.rgba(), "two statuses share a tray icon");
            }
        }
        assert_eq!(
            tooltip(Some(AgentStatus::Busy), ConnectionState::Online),
            "Switchboard — Busy"
        );
        assert_eq!(
            tooltip(Some(AgentStatus::Busy), ConnectionState::Offline),
            "Switchboard — Busy (no connection)"
        );
    }

    #[test]
    fn menu_ids_map_back_to_statuses() {
        for s in AgentStatus::ALL {
            assert_eq!(
                status_of(&format!("{MENU_STATUS_PREFIX}{}", s.as_str())),
                Some(*s)
            );
        }
        assert_eq!(status_of("status-away"), None);
        assert_eq!(status_of("open"), None);
    }

    #[test]
    fn queue_line_reads_naturally() {
        assert_eq!(queue_label(0, 0), "Queue empty");
        assert_eq!(queue_label(3, 75), "3 waiting · oldest 1m 15s");
    }
}
