//! The TypeScript types of `ui/src/gen/` are generated from the Rust types
//! that cross IPC (ts-rs). This test regenerates them and fails when the
//! committed copy differs, so the page can never drift from the core.
//!
//! After changing a type: `SWITCHBOARD_UPDATE_BINDINGS=1 cargo test -p switchboard --test bindings`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::{Config, TS};

fn generated_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/gen")
}

/// Every type the commands take or return, and every event payload.
fn export_all(cfg: &Config) {
    macro_rules! export {
        ($($t:ty),+ $(,)?) => {
            $( <$t as TS>::export_all(cfg).unwrap_or_else(|e| panic!("{}: {e}", stringify!($t))); )+
        };
    }
    export!(
        switchboard_app::ipc::SessionInfo,
        switchboard_app::ipc::Connection,
        switchboard_app::ipc::Navigate,
        switchboard_app::ipc::CommandError,
        switchboard_app::files::StagedFile,
        switchboard_api::Agent,
        switchboard_api::AgentPatch,
        switchboard_api::NewAgent,
        switchboard_api::Category,
        switchboard_api::CategoryPatch,
        switchboard_api::NewCategory,
        switchboard_api::ConversationSummary,
        switchboard_api::TransferRequest,
        switchboard_api::View,
        switchboard_api::Metrics,
        switchboard_api::SavedReply,
        switchboard_api::NewSavedReply,
        switchboard_api::SavedReplyPatch,
        switchboard_api::FilledReply,
        switchboard_api::SearchQuery,
        switchboard_api::SearchPage,
        switchboard_api::CustomerProfile,
        switchboard_api::CustomerPatch,
        switchboard_api::Tag,
        switchboard_api::NewTag,
        switchboard_api::TagPatch,
        switchboard_api::Presence,
        switchboard_api::Composing,
        switchboard_api::TagMetrics,
        switchboard_sync::CustomerPanel,
        switchboard_sync::ConversationView,
        switchboard_sync::OutboxItem,
        switchboard_sync::Counts,
        switchboard_sync::ListWindow,
        switchboard_sync::Changes,
        switchboard_sync::ConnectionState,
    );
}

fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|x| x == "ts") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.insert(name, std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
    out
}

#[test]
fn typescript_bindings_are_up_to_date() {
    let fresh = tempfile::tempdir().expect("temp dir");
    let cfg = Config::new()
        .with_out_dir(fresh.path())
        .with_large_int("number");
    export_all(&cfg);
    let generated = read_tree(fresh.path());
    assert!(generated.len() > 10, "exported {} files", generated.len());

    let target = generated_dir();
    if std::env::var_os("SWITCHBOARD_UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&target);
        std::fs::create_dir_all(&target).expect("create ui/src/gen");
        for (name, text) in &generated {
            std::fs::write(target.join(name), text).expect("write binding");
        }
        return;
    }
    let committed = read_tree(&target);
    let stale: Vec<&String> = generated
        .iter()
        .filter(|(name, text)| committed.get(*name) != Some(text))
        .map(|(name, _)| name)
        .chain(committed.keys().filter(|n| !generated.contains_key(*n)))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/gen is stale ({stale:?}); run SWITCHBOARD_UPDATE_BINDINGS=1 cargo test -p switchboard --test bindings"
    );
}

#[test]
fn build_script_grants_exactly_the_registered_commands() {
    let build =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/build.rs"))
            .expect("build.rs");
    for name in switchboard_app::commands::NAMES {
        assert!(
            build.contains(&format!("\"{name}\"")),
            "build.rs lacks {name}"
        );
    }
    let listed = build.matches("\",\n").count();
    assert_eq!(
        listed,
        switchboard_app::commands::NAMES.len(),
        "build.rs lists other commands"
    );

    let cap: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/capabilities/default.json"),
        )
        .expect("capability"),
    )
    .expect("json");
    let granted: Vec<String> = cap["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .filter_map(|p| p.as_str())
        .filter_map(|p| p.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    let mut expected: Vec<String> = switchboard_app::commands::NAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut granted_sorted = granted.clone();
    granted_sorted.sort();
    expected.sort();
    assert_eq!(granted_sorted, expected);
}
