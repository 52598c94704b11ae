//! An empty Tauri 2 window: the baseline the desktop benchmark measures
//! Switchboard against (start-up time and memory).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // `--no-compositing`: WebKitGTK draws without GPU compositing, as the
    // Switchboard app does (the bench's like-for-like memory baseline).
    if std::env::args().any(|a| a == "--no-compositing") {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the empty window could not start");
}
