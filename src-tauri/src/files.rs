//! Files the agent attaches, and files opened from a conversation, kept on
//! the Rust side: the page never gets a path or file-system access.
//!
//! - Attaching: the native file dialog (`tauri-plugin-dialog`, called from
//!   Rust; the page has no dialog permission), files dropped on the window
//!   (Tauri's drag-and-drop event, paths seen here only) and an image pasted
//!   in the composer (its bytes, written to a staging folder) become
//!   *staged* files: an id, a name and a size for the page, the path here.
//!   Sending a reply hands the staged files to the outbox, which copies
//!   them beside the cache and sends them exactly once with the reply.
//!   A saved reply's files, chosen in the composer's picker, are staged
//!   too: they are already on the server, so they go by upload id.
//! - Opening: a customer's or colleague's file is saved where the agent
//!   chooses (the native save dialog); an image's bytes go to the page for a
//!   preview it shows from a `blob:` URL, never from a remote address.
//!
//! For the end-to-end tests (a native dialog cannot be driven over
//! WebDriver) `SWITCHBOARD_TEST_PICK_FILES` (paths joined by the platform's
//! path separator) answers the open dialog and `SWITCHBOARD_TEST_SAVE_DIR`
//! the save dialog; everything after the dialog is the same.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use switchboard_api::AttachmentInfo;
use switchboard_sync::NewFile;
use tauri::{AppHandle, Emitter, Runtime};
use tauri_plugin_dialog::DialogExt;
use ts_rs::TS;

use crate::ipc::CommandError;

/// Event: files dropped on the window were staged (payload: `StagedFile[]`).
pub const FILES_STAGED: &str = "files-staged";

/// The largest pasted image taken (the server has its own limit, which it
/// states when it refuses).
const MAX_PASTED_BYTES: usize = 25 * 1024 * 1024;

/// Content types the page may preview (as an image, from a `blob:` URL).
const PREVIEWABLE: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// A file staged for the next reply, as the page sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, TS)]
pub struct StagedFile {
    /// Handle for `send_message` and `unstage_file`.
    pub id: String,
    /// The file's name.
    pub filename: String,
    /// Bytes.
    pub size: u64,
}

/// Where a staged file's bytes are.
#[derive(Debug, Clone)]
enum Source {
    /// A file on this computer.
    Path(PathBuf),
    /// A saved reply's file on the server (its upload id).
    Held(String),
}

/// Staged files by id, with their paths (tauri-managed state).
#[derive(Debug, Default)]
pub struct Staged {
    files: Mutex<HashMap<String, (StagedFile, Source)>>,
}

impl Staged {
    /// Stages the file at `path`; an unreadable one is refused with its name.
    pub fn add(&self, path: &Path) -> Result<StagedFile, CommandError> {
        let meta = std::fs::metadata(path).map_err(|e| {
            CommandError::new(
                "file_unreadable",
                format!("{} cannot be read: {e}", path.display()),
            )
        })?;
        if !meta.is_file() {
            return Err(CommandError::new(
                "file_unreadable",
                format!("{} is not a file.", path.display()),
            ));
        }
        let filename = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        let staged = StagedFile {
            id: uuid::Uuid::new_v4().to_string(),
            filename,
            size: meta.len(),
        };
        self.keep(&staged, Source::Path(path.to_owned()));
        Ok(staged)
    }

    /// Stages a saved reply's files (already on the server: sent by their
    /// upload ids, the server copies them into the message).
    pub fn add_held(&self, files: &[AttachmentInfo]) -> Vec<StagedFile> {
        files
            .iter()
            .map(|f| {
                let staged = StagedFile {
                    id: uuid::Uuid::new_v4().to_string(),
                    filename: f.filename.clone(),
                    size: f.size,
                };
                self.keep(&staged, Source::Held(f.id.clone()));
                staged
            })
            .collect()
    }

    fn keep(&self, staged: &StagedFile, source: Source) {
        if let Ok(mut files) = self.files.lock() {
            files.insert(staged.id.clone(), (staged.clone(), source));
        }
    }

    /// Forgets a staged file (a pasted one's bytes stay until the next start).
    pub fn remove(&self, id: &str) {
        if let Ok(mut files) = self.files.lock() {
            files.remove(id);
        }
    }

    /// The staged files `ids` as the outbox takes them (and forgotten here);
    /// an unknown id is refused.
    pub fn take(&self, ids: &[String]) -> Result<Vec<NewFile>, CommandError> {
        let mut files = self
            .files
            .lock()
            .map_err(|_| CommandError::new("internal", "the staged files are unavailable"))?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let (f, source) = files.get(id).ok_or_else(|| {
                CommandError::new(
                    "file_unavailable",
                    "An attached file is no longer there: attach it again.",
                )
            })?;
            out.push(match source {
                Source::Path(path) => NewFile::Local {
                    filename: f.filename.clone(),
                    path: path.clone(),
                },
                Source::Held(upload_id) => NewFile::Held {
                    filename: f.filename.clone(),
                    upload_id: upload_id.clone(),
                    size: f.size,
                },
            });
        }
        for id in ids {
            files.remove(id);
        }
        Ok(out)
    }
}

/// Where pasted images are written before they are sent.
fn paste_dir<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, CommandError> {
    use tauri::Manager;
    let dir = app
        .path()
        .app_cache_dir()
        .map_err(|e| CommandError::new("internal", format!("no cache folder: {e}")))?
        .join("pasted");
    std::fs::create_dir_all(&dir)
        .map_err(|e| CommandError::new("internal", format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

/// The paths the open dialog returns (or the test's answer); empty when
/// the agent cancels.
pub async fn pick<R: Runtime>(app: &AppHandle<R>) -> Vec<PathBuf> {
    if let Some(paths) = std::env::var_os("SWITCHBOARD_TEST_PICK_FILES") {
        return std::env::split_paths(&paths).collect();
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Attach files")
        .pick_files(move |picked| {
            let _ = tx.send(picked.unwrap_or_default());
        });
    rx.await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .collect()
}

/// Writes a pasted image's bytes to the paste folder and stages it.
pub fn stage_pasted<R: Runtime>(
    app: &AppHandle<R>,
    staged: &Staged,
    filename: &str,
    bytes: &[u8],
) -> Result<StagedFile, CommandError> {
    if bytes.is_empty() {
        return Err(CommandError::new(
            "invalid_input",
            "The pasted file is empty.",
        ));
    }
    if bytes.len() > MAX_PASTED_BYTES {
        return Err(CommandError::new(
            "upload_too_large",
            "The pasted file is over 25 MiB: attach a smaller one.",
        ));
    }
    // Only the name's last part, and never an empty or hidden one.
    let name = Path::new(filename)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty() && !n.starts_with('.'))
        .unwrap_or_else(|| "pasted-image.png".into());
    let dir = paste_dir(app)?.join(uuid::Uuid::new_v4().to_string());
    std::fs::create_dir_all(&dir)
        .map_err(|e| CommandError::new("internal", format!("{}: {e}", dir.display())))?;
    let path = dir.join(&name);
    std::fs::write(&path, bytes)
        .map_err(|e| CommandError::new("internal", format!("{}: {e}", path.display())))?;
    staged.add(&path)
}

/// Files dropped on the window: staged, and the page told.
pub fn dropped<R: Runtime>(app: &AppHandle<R>, staged: &Staged, paths: &[PathBuf]) {
    let files: Vec<StagedFile> = paths
        .iter()
        .filter_map(|p| match staged.add(p) {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::info!(error = %e.message, "a dropped file was not attached");
                None
            }
        })
        .collect();
    if !files.is_empty() {
        let _ = app.emit(FILES_STAGED, files);
    }
}

/// Where to save `filename`: the save dialog's answer (or the test's
/// folder); `None` when the agent cancels.
pub async fn save_path<R: Runtime>(app: &AppHandle<R>, filename: &str) -> Option<PathBuf> {
    let safe = Path::new(filename)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "attachment".into());
    if let Some(dir) = std::env::var_os("SWITCHBOARD_TEST_SAVE_DIR") {
        return Some(PathBuf::from(dir).join(safe));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Save attachment")
        .set_file_name(&safe)
        .save_file(move |chosen| {
            let _ = tx.send(chosen);
        });
    rx.await.ok().flatten().and_then(|p| p.into_path().ok())
}

/// Empties the paste folder (what was pasted before this start is either
/// sent, with its copy in the outbox, or abandoned).
pub fn clear_pasted<R: Runtime>(app: &AppHandle<R>) {
    if let Ok(dir) = paste_dir(app) {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Whether the page may preview a file of this type as an image.
pub fn previewable(content_type: &str) -> bool {
    PREVIEWABLE.contains(&content_type)
}
