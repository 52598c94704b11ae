//! An empty Tauri 2 window: the baseline the desktop benchmark measures
//! Switchboard against (start-up time and memory).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the empty window could not start");
}
