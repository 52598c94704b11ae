//! The system-tray icon: the agent's status at a glance, and Open / Quit.
//!
//! On Linux the icon is exported over D-Bus as a StatusNotifierItem with a
//! `com.canonical.dbusmenu` menu, so it works (and can be tested) even when
//! no tray host is running.

use switchboard_core::model::AgentStatus;
use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};

/// Id of the one tray icon the app shows.
pub const TRAY_ID: &str = "switchboard";

const MENU_OPEN: &str = "open";
const MENU_QUIT: &str = "quit";

/// The tray icon for an agent status.
pub fn icon(status: AgentStatus) -> Image<'static> {
    match status {
        AgentStatus::Available => tauri::include_image!("icons/tray-available.png"),
        AgentStatus::Busy => tauri::include_image!("icons/tray-busy.png"),
        AgentStatus::Offline => tauri::include_image!("icons/tray-offline.png"),
    }
}

/// The tooltip for an agent status.
pub fn tooltip(status: AgentStatus) -> String {
    format!("Switchboard — {}", status.as_str())
}

/// Creates the tray icon. Nobody is signed in yet, so it starts offline.
pub fn install<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, MENU_OPEN, "Open Switchboard", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &separator, &quit])?;

    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(AgentStatus::Offline))
        .tooltip(tooltip(AgentStatus::Offline))
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event)
        .build(app)?;
    Ok(())
}

/// Shows `status` in the tray; a no-op if the tray icon is gone.
pub fn set_status<R: Runtime>(app: &AppHandle<R>, status: AgentStatus) -> tauri::Result<()> {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        tray.set_icon(Some(icon(status)))?;
        tray.set_tooltip(Some(tooltip(status)))?;
    }
    Ok(())
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    match event.id().as_ref() {
        MENU_OPEN => crate::show_main_window(app),
        MENU_QUIT => app.exit(0),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_own_icon_and_tooltip() {
        let icons: Vec<Image<'static>> = AgentStatus::ALL.iter().map(|s| icon(*s)).collect();
        for (i, a) in icons.iter().enumerate() {
            assert!(a.width() > 0 && a.height() > 0);
            assert_eq!(a.rgba().len(), (a.width() * a.height() * 4) as usize);
            for b in &icons[i + 1..] {
                assert_ne!(a.rgba(), b.rgba(), "two statuses share a tray icon");
            }
        }
        assert_eq!(tooltip(AgentStatus::Busy), "Switchboard — busy");
    }
}
