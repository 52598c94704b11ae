//! Switchboard desktop app: the Tauri 2 shell around the agent UI in `ui/`.
//!
//! For now it opens the main window (the UI's login screen) and puts
//! Switchboard in the system tray with a small Open / Quit menu and an icon
//! that shows the agent's status. Sync, notifications and the keychain are
//! added by later issues; see DESIGN.md.

pub mod tray;

use tauri::Manager;

/// Label of the main window, as declared in `tauri.conf.json`.
pub const MAIN_WINDOW: &str = "main";

/// Starts the app and blocks until it exits.
pub fn run() {
    tauri::Builder::default()
        .setup(|app| {
            tray::install(app.handle())?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("error while running Switchboard");
}

/// Brings the main window to the front, un-minimizing and showing it if needed.
pub(crate) fn show_main_window<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        // Each step is best effort: a window manager may refuse focus.
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
