//! Switchboard desktop app: the Tauri 2 shell around the agent UI in `ui/`.
//!
//! The page renders from the local cache that `switchboard-sync` keeps in
//! step with the server; this crate wires that engine into Tauri:
//!
//! - [`commands`]: what the page may call (typed, generated to TypeScript;
//!   the capability file grants exactly these);
//! - [`desktop`]: the signed-in session, forwarding cache changes and the
//!   connection state to the page and the tray's model, the breach timer and
//!   event notifications;
//! - [`files`]: files attached to replies (dialog, drop, paste) and
//!   attachments saved or previewed, paths kept on the Rust side;
//! - [`keychain`]: the token in the OS keychain;
//! - [`logging`]: stderr and daily log files in the app's log directory;
//! - [`notify`]: notifications whose click opens the conversation;
//! - [`tray`]: status radio group, queue line, connection line, Open, Quit,
//!   drawn from one `watch` channel of `switchboard_sync::TrayModel`;
//! - [`window`]: shows and focuses the main window, and sends the page to a
//!   conversation.
//!
//! What becomes a notification and what the tray says are decided in
//! `switchboard_sync` (`news`, `tray_model`); the modules here only show
//! them. Imports among them go one way: `commands` → `desktop` →
//! `notify` → `window` → `ipc`; `tray` → `window`; nothing imports back.
//!
//! Closing the window keeps the app in the tray. A second start (for example
//! from a `switchboard://conversation/ID` link) hands its link to the running
//! app and exits.

pub mod commands;
pub mod desktop;
pub mod files;
mod first_show;
pub mod ipc;
pub mod keychain;
pub mod logging;
mod memory;
pub mod notify;
mod stalls;
pub mod tray;
pub mod window;

use switchboard_sync::TrayModel;
use tauri::webview::PageLoadEvent;
use tauri::{Manager, WindowEvent};
use tauri_plugin_deep_link::DeepLinkExt;

use crate::desktop::Desktop;
use crate::ipc::Navigate;
pub use crate::window::MAIN_WINDOW;

/// File name of the local cache in the app's data directory.
pub const CACHE_FILE: &str = "cache.db";

/// Starts the app and blocks until it exits.
pub fn run() {
    memory::paint_without_compositing();
    memory::limit_arenas();
    memory::trim_periodically(std::time::Duration::from_secs(10));
    logging::init();

    let result = tauri::Builder::default()
        // First, so a second instance hands over before anything else starts.
        .plugin(tauri_plugin_single_instance::init(
            |app, argv, _cwd| match links_in(&argv).into_iter().next() {
                Some(target) => window::open(app, target),
                None => window::show(app),
            },
        ))
        .manage(window::PendingNavigation::default())
        .manage(files::Staged::default())
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::session_current,
            commands::login,
            commands::logout,
            commands::list_window,
            commands::get_conversation,
            commands::claim,
            commands::send_message,
            commands::retry_message,
            commands::discard_message,
            commands::transfer,
            commands::resolve,
            commands::reopen,
            commands::recategorize,
            commands::set_status,
            commands::list_agents,
            commands::list_categories,
            commands::counts,
            commands::metrics,
            commands::create_agent,
            commands::update_agent,
            commands::create_category,
            commands::update_category,
            commands::connection,
            commands::reconnect_now,
            commands::take_navigation,
            commands::list_saved_replies,
            commands::fill_saved_reply,
            commands::stage_saved_reply_files,
            commands::search,
            commands::search_server,
            commands::pick_files,
            commands::stage_pasted_file,
            commands::unstage_file,
            commands::save_attachment,
            commands::attachment_preview,
            commands::customer_panel,
            commands::update_customer,
            commands::list_tags,
            commands::set_tag,
            commands::snooze,
            commands::unsnooze,
            commands::report_presence,
            commands::list_presence,
            commands::merge_conversations,
            commands::unmerge_conversation,
            commands::create_tag,
            commands::update_tag,
            commands::delete_tag,
            commands::find_customers,
            commands::merge_customers,
        ])
        .setup(|app| {
            let handle = app.handle().clone();
            stalls::watch_if_asked(&handle);
            match app.path().app_log_dir() {
                Ok(dir) => {
                    if let Err(e) = logging::to_dir(&dir) {
                        tracing::warn!(error = %e, dir = %dir.display(), "no log file");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "no log directory"),
            }
            let (tray_model, shown_in_tray) = tokio::sync::watch::channel(TrayModel::signed_out());
            tray::install(&handle, shown_in_tray, desktop::status_from_tray)?;
            let data_dir = app.path().app_data_dir()?;
            std::fs::create_dir_all(&data_dir)?;
            app.manage(Desktop::new(
                handle.clone(),
                data_dir.join(CACHE_FILE),
                tray_model,
            ));

            // Started from a link: go there once signed in.
            let started_with: Vec<String> = std::env::args().collect();
            if let Some(target) = links_in(&started_with).into_iter().next() {
                window::remember(&handle, target);
            }
            let on_link = handle.clone();
            app.deep_link().on_open_url(move |event| {
                let links: Vec<String> = event.urls().iter().map(|u| u.to_string()).collect();
                if let Some(target) = links_in(&links).into_iter().next() {
                    window::open(&on_link, target);
                }
            });
            // Registering the link handler writes a desktop entry and runs
            // `xdg-mime` (~100 ms on Linux): off the main thread, so the
            // window and the page's first calls do not wait for it.
            #[cfg(any(target_os = "linux", windows))]
            {
                let registering = handle.clone();
                std::thread::spawn(move || {
                    if let Err(e) = registering.deep_link().register_all() {
                        tracing::debug!(error = %e, "switchboard:// links not registered");
                    }
                });
            }

            files::clear_pasted(&handle);
            first_show::show_anyway_after(&handle, first_show::FALLBACK);
            let restoring = handle.clone();
            tauri::async_runtime::spawn(async move {
                restoring.state::<Desktop<tauri::Wry>>().restore().await;
            });
            Ok(())
        })
        .on_page_load(|webview, payload| {
            if webview.label() == MAIN_WINDOW && payload.event() == PageLoadEvent::Finished {
                first_show::show(webview.app_handle());
            }
        })
        .on_window_event(|window, event| match event {
            // Closing the window keeps the app (and its notifications) in the tray.
            WindowEvent::CloseRequested { api, .. } if window.label() == MAIN_WINDOW => {
                api.prevent_close();
                let _ = window.hide();
            }
            WindowEvent::Focused(focused) if window.label() == MAIN_WINDOW => {
                window::set_in_front(*focused);
            }
            // Files dropped on the window are attached to the reply being
            // written (the paths stay here; the page gets names and sizes).
            WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. })
                if window.label() == MAIN_WINDOW =>
            {
                let app = window.app_handle();
                files::dropped(app, &app.state::<files::Staged>(), paths);
            }
            _ => {}
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Switchboard could not start: {e}");
        std::process::exit(1);
    }
}

/// The `switchboard://` links among command-line arguments.
pub fn links_in(args: &[String]) -> Vec<Navigate> {
    args.iter().filter_map(|a| Navigate::from_link(a)).collect()
}
