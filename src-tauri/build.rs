// Keep this list equal to `commands::NAMES` (tests/bindings.rs checks it):
// tauri-build turns each into an `allow-<name>` permission, and the
// capability file grants them one by one, so the page can call nothing else.
const COMMANDS: &[&str] = &[
    "session_current",
    "login",
    "logout",
    "list_window",
    "get_conversation",
    "claim",
    "send_message",
    "retry_message",
    "discard_message",
    "transfer",
    "resolve",
    "reopen",
    "recategorize",
    "set_status",
    "list_agents",
    "list_categories",
    "counts",
    "metrics",
    "create_agent",
    "update_agent",
    "create_category",
    "update_category",
    "connection",
    "reconnect_now",
    "take_navigation",
    "list_saved_replies",
    "fill_saved_reply",
    "stage_saved_reply_files",
    "search",
    "search_server",
    "pick_files",
    "stage_pasted_file",
    "unstage_file",
    "save_attachment",
    "attachment_preview",
    "customer_panel",
    "update_customer",
    "list_tags",
    "set_tag",
    "snooze",
    "unsnooze",
    "report_presence",
    "list_presence",
    "merge_conversations",
    "unmerge_conversation",
    "create_tag",
    "update_tag",
    "delete_tag",
    "find_customers",
    "merge_customers",
];

fn main() {
    // The capability files live with the rest of the desktop shell sources,
    // not at the crate root where tauri-build looks by default.
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("failed to run tauri-build");
}
