//! The system-tray icon and its menu: the agent's status as a radio group
//! (Available / Busy / Offline), how many conversations wait and the oldest
//! wait, the connection state, Open and Quit.
//!
//! What it shows is a [`TrayModel`] (decided in `switchboard_sync::tray_model`)
//! read from one `tokio::sync::watch` channel: one task here applies each new
//! model, and nothing else touches the tray. Choosing a status runs the
//! callback given to [`install`] (the same code as the status buttons of the
//! window), and the tray redraws from the model that answer produces, so the
//! two always agree.
//!
//! On Linux the icon is exported over D-Bus as a StatusNotifierItem with a
//! `com.canonical.dbusmenu` menu, so it works (and can be tested) even when
//! no tray host is running. Tauri's menus have no radio item; the three
//! status entries are check items of which exactly one is checked.

use std::sync::Arc;

use switchboard_core::model::AgentStatus;
use switchboard_sync::tray_model::status_label;
use switchboard_sync::TrayModel;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};
use tokio::sync::watch;

use crate::window;

/// Id of the one tray icon the app shows.
pub const TRAY_ID: &str = "switchboard";

const MENU_OPEN: &str = "open";
const MENU_QUIT: &str = "quit";
const MENU_STATUS_PREFIX: &str = "status-";

/// What choosing a status in the menu does.
pub type OnStatus<R> = fn(&AppHandle<R>, AgentStatus);

/// The tray icon for an agent status.
pub fn icon(status: AgentStatus) -> Image<'static> {
    match status {
        AgentStatus::Available => tauri::include_image!("icons/tray-available.png"),
        AgentStatus::Busy => tauri::include_image!("icons/tray-busy.png"),
        AgentStatus::Offline => tauri::include_image!("icons/tray-offline.png"),
    }
}

/// The menu items that change.
struct Items<R: Runtime> {
    statuses: Vec<(AgentStatus, CheckMenuItem<R>)>,
    queue: MenuItem<R>,
    connection: MenuItem<R>,
}

/// Creates the tray icon from the model `model` holds now (at start: nobody
/// signed in), and the task that redraws it whenever the model changes.
pub fn install<R: Runtime>(
    app: &AppHandle<R>,
    mut model: watch::Receiver<TrayModel>,
    on_status: OnStatus<R>,
) -> tauri::Result<()> {
    let first = model.borrow_and_update().clone();
    let statuses = AgentStatus::ALL
        .iter()
        .map(|s| {
            let id = format!("{MENU_STATUS_PREFIX}{}", s.as_str());
            CheckMenuItem::with_id(
                app,
                id,
                status_label(*s),
                first.statuses_enabled(),
                first.checked(*s),
                None::<&str>,
            )
            .map(|item| (*s, item))
        })
        .collect::<tauri::Result<Vec<_>>>()?;
    let queue = MenuItem::with_id(app, "queue", first.queue_line(), false, None::<&str>)?;
    let connection = MenuItem::with_id(
        app,
        "connection",
        first.connection_line(),
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
        .icon(icon(first.icon()))
        .tooltip(first.tooltip())
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(move |app, event| on_menu_event(app, event, on_status))
        .build(app)?;

    let items = Arc::new(Items {
        statuses,
        queue,
        connection,
    });
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut shown = first;
        while model.changed().await.is_ok() {
            let next = model.borrow_and_update().clone();
            let before = std::mem::replace(&mut shown, next.clone());
            let items = Arc::clone(&items);
            on_main_thread(&app, move |app| apply(app, &items, &before, &next));
        }
    });
    Ok(())
}

/// Redraws what differs between `before` and `next` (on the main thread).
fn apply<R: Runtime>(app: &AppHandle<R>, items: &Items<R>, before: &TrayModel, next: &TrayModel) {
    if next.status != before.status {
        for (s, item) in &items.statuses {
            let _ = item.set_checked(next.checked(*s));
            let _ = item.set_enabled(next.statuses_enabled());
        }
    }
    if next.queue_line() != before.queue_line() {
        let _ = items.queue.set_text(next.queue_line());
    }
    if next.connection != before.connection {
        let _ = items.connection.set_text(next.connection_line());
    }
    if next.status != before.status || next.connection != before.connection {
        if let Some(tray) = app.tray_by_id(TRAY_ID) {
            let _ = tray.set_icon(Some(icon(next.icon())));
            let _ = tray.set_tooltip(Some(next.tooltip()));
        }
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

/// The status a menu item id stands for.
fn status_of(id: &str) -> Option<AgentStatus> {
    AgentStatus::parse(id.strip_prefix(MENU_STATUS_PREFIX)?).ok()
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent, on_status: OnStatus<R>) {
    let id = event.id().as_ref();
    if let Some(status) = status_of(id) {
        on_status(app, status);
        return;
    }
    match id {
        MENU_OPEN => window::show(app),
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
}
