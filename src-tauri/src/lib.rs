//! Switchboard desktop app (Tauri 2 shell). Minimal window for now.

/// Starts the app.
pub fn run() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("error while running Switchboard");
}
