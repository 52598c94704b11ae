//! Files waiting in the outbox with their reply or note.
//!
//! When an item is queued with files, each file is copied into a folder
//! beside the cache file (`<cache file>-outbox/<client_id>-<seq>`; the row's
//! `path` is the copy's name in that folder), so the agent may move or
//! delete the original, and the copies are recorded in
//! `outbox_files` in the transaction that writes the item: a crash leaves
//! the whole item with its files, or nothing (a copy made but not recorded
//! is removed by [`Cache::sweep_outbox_files`] at the next start). Each
//! file's `upload_id` is stored as soon as the server has the file, so a
//! retry never uploads it again; once the server has the message (or the
//! item is discarded) the rows and the copies go.
//!
//! A saved reply's file ([`NewFile::Held`]) is already on the server: its
//! row has the upload id from the start, no copy (`path` is empty) and
//! `held` set, so it is neither uploaded nor forgotten; the server gives
//! the message a copy of its own.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use sqlx::sqlite::{SqliteConnection, SqliteExecutor};
use sqlx::Row;

use super::rows::corrupt;
use super::types::PendingFile;
use super::Cache;
use crate::error::{Result, SyncError};

/// Files one message may carry (the server's limit).
pub const MAX_FILES: usize = 10;

/// A file to send with a reply or note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewFile {
    /// A file on this computer: copied into the outbox when queued,
    /// uploaded when sent.
    Local {
        /// The name to send (the server keeps its last path component).
        filename: String,
        /// The file on this computer.
        path: PathBuf,
    },
    /// A file already on the server that a saved reply holds: sent as its
    /// upload id (the server copies it into the message), never uploaded.
    Held {
        /// Its name.
        filename: String,
        /// The saved reply's upload.
        upload_id: String,
        /// Size in bytes.
        size: u64,
    },
}

impl NewFile {
    /// The name it is sent (and shown) with.
    pub fn filename(&self) -> &str {
        match self {
            NewFile::Local { filename, .. } | NewFile::Held { filename, .. } => filename,
        }
    }
}

/// A file of an outbox item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutboxFile {
    /// Its position in the item (0-based): the order it is attached in.
    pub seq: i64,
    /// The name to send.
    pub filename: String,
    /// The copy in the outbox folder.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// The server's upload id, once uploaded (from the start when held).
    pub upload_id: Option<String>,
    /// A saved reply's file: no copy here, the upload id is the server's.
    pub held: bool,
}

/// A file of an item being queued: a copy made in the outbox folder, or
/// a saved reply's upload (no copy).
pub(super) struct Copied {
    pub filename: String,
    /// The copy's name in the outbox folder (what `outbox_files.path`
    /// holds); empty for a held file.
    pub name: String,
    /// The copy; `None` for a held file.
    pub path: Option<PathBuf>,
    pub size: u64,
    /// A held file's upload id.
    pub held: Option<String>,
}

/// The copies among `copied` (to remove when the item is not written).
pub(super) fn copies(copied: &[Copied]) -> Vec<PathBuf> {
    copied.iter().filter_map(|c| c.path.clone()).collect()
}

/// The folder of a cache's outbox files: `<cache file>-outbox`, beside the
/// SQLite files (so two caches in one folder never share it).
pub(super) fn files_dir(cache_path: &Path) -> PathBuf {
    let mut dir = cache_path.as_os_str().to_owned();
    dir.push("-outbox");
    PathBuf::from(dir)
}

impl Cache {
    /// Checks `files` and copies them into the outbox folder for the item
    /// `client_id`. On any failure the copies made so far are removed and
    /// the error names the file.
    pub(super) async fn copy_in(&self, client_id: &str, files: &[NewFile]) -> Result<Vec<Copied>> {
        if files.len() > MAX_FILES {
            return Err(SyncError::Invalid {
                code: "too_many_attachments",
                message: format!(
                    "a message takes at most {MAX_FILES} files ({} given)",
                    files.len()
                ),
            });
        }
        if files.iter().any(|f| f.filename().trim().is_empty()) {
            return Err(SyncError::Invalid {
                code: "missing_filename",
                message: "every file needs a name".into(),
            });
        }
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let dir = files_dir(&self.path);
        if files.iter().any(|f| matches!(f, NewFile::Local { .. })) {
            tokio::fs::create_dir_all(&dir).await?;
        }
        let mut copied: Vec<Copied> = Vec::with_capacity(files.len());
        for (seq, f) in files.iter().enumerate() {
            let (filename, from) = match f {
                NewFile::Held {
                    filename,
                    upload_id,
                    size,
                } => {
                    copied.push(Copied {
                        filename: filename.clone(),
                        name: String::new(),
                        path: None,
                        size: *size,
                        held: Some(upload_id.clone()),
                    });
                    continue;
                }
                NewFile::Local { filename, path } => (filename, path),
            };
            let name = format!("{client_id}-{seq}");
            let path = dir.join(&name);
            match tokio::fs::copy(from, &path).await {
                Ok(size) => copied.push(Copied {
                    filename: filename.clone(),
                    name,
                    path: Some(path),
                    size,
                    held: None,
                }),
                Err(e) => {
                    // A partial copy too.
                    let mut made = copies(&copied);
                    made.push(path);
                    remove_copies(&made).await;
                    return Err(SyncError::Invalid {
                        code: "unreadable_file",
                        message: format!("{filename} ({}) cannot be read: {e}", from.display()),
                    });
                }
            }
        }
        Ok(copied)
    }

    /// The files of the outbox item `client_id`, in order.
    pub(crate) async fn item_files(&self, client_id: &str) -> Result<Vec<OutboxFile>> {
        let rows = sqlx::query(
            "SELECT seq, filename, path, size, upload_id, held FROM outbox_files WHERE client_id = ? ORDER BY seq",
        )
        .bind(client_id)
        .fetch_all(&self.pool)
        .await?;
        let dir = files_dir(&self.path);
        rows.iter()
            .map(|r| {
                Ok(OutboxFile {
                    seq: r.try_get("seq")?,
                    filename: r.try_get("filename")?,
                    path: dir.join(r.try_get::<String, _>("path")?),
                    size: u64::try_from(r.try_get::<i64, _>("size")?).map_err(corrupt)?,
                    upload_id: r.try_get("upload_id")?,
                    held: r.try_get("held")?,
                })
            })
            .collect()
    }

    /// The server has file `seq` of item `client_id` as `upload_id`.
    pub(crate) async fn set_upload_id(
        &self,
        client_id: &str,
        seq: i64,
        upload_id: &str,
    ) -> Result<()> {
        sqlx::query("UPDATE outbox_files SET upload_id = ? WHERE client_id = ? AND seq = ?")
            .bind(upload_id)
            .bind(client_id)
            .bind(seq)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Forgets the uploads of item `client_id` (the server no longer has
    /// them: unattached uploads are removed after a day), so they are
    /// uploaded again. A held file keeps its id: it has no copy to upload.
    pub(crate) async fn forget_upload_ids(&self, client_id: &str) -> Result<()> {
        sqlx::query("UPDATE outbox_files SET upload_id = NULL WHERE client_id = ? AND held = 0")
            .bind(client_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Drops the rows of items no longer in the outbox, and their copies:
    /// an item the server's echo (`message.created` with its `client_id`)
    /// turned into the server's message before the POST's answer arrived,
    /// or one whose answer was lost. Cheap (an index lookup per file
    /// waiting): run after each pass over the outbox.
    pub(crate) async fn tidy_outbox_files(&self) -> Result<()> {
        let names: Vec<String> = sqlx::query_scalar(
            "DELETE FROM outbox_files WHERE NOT EXISTS \
             (SELECT 1 FROM messages m WHERE m.client_id = outbox_files.client_id AND m.id IS NULL) \
             RETURNING path",
        )
        .fetch_all(&self.writer)
        .await?;
        remove_copies(&copy_paths(&self.path, names)).await;
        Ok(())
    }

    /// Tidies the outbox folder: the rows of items no longer in the outbox
    /// and their copies (`tidy_outbox_files`), then every file in
    /// the folder no row names (copied for an item whose transaction never
    /// committed: the app stopped in between). Run before the engine starts
    /// sending, when nothing is being queued.
    pub async fn sweep_outbox_files(&self) -> Result<()> {
        self.tidy_outbox_files().await?;
        let dir = files_dir(&self.path);
        let mut entries = match tokio::fs::read_dir(&dir).await {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let kept: HashSet<String> = sqlx::query_scalar("SELECT path FROM outbox_files")
            .fetch_all(&self.writer)
            .await?
            .into_iter()
            .collect();
        while let Some(entry) = entries.next_entry().await? {
            let path = entry.path();
            let named = entry.file_name().to_str().is_some_and(|n| kept.contains(n));
            if !named {
                tracing::debug!(path = %path.display(), "removing an outbox copy no item names");
                remove_copies(&[path]).await;
            }
        }
        Ok(())
    }
}

/// Records the copies of item `client_id` (inside the caller's transaction).
pub(super) async fn insert_files(
    conn: &mut SqliteConnection,
    client_id: &str,
    copied: &[Copied],
) -> Result<()> {
    for (seq, c) in copied.iter().enumerate() {
        sqlx::query(
            "INSERT INTO outbox_files (client_id, seq, filename, path, size, upload_id, held) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(client_id)
        .bind(i64::try_from(seq).map_err(corrupt)?)
        .bind(&c.filename)
        .bind(&c.name)
        .bind(i64::try_from(c.size).map_err(corrupt)?)
        .bind(&c.held)
        .bind(c.held.is_some())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Drops the rows of item `client_id` (inside the caller's transaction) and
/// returns the copies to remove once it commits.
pub(super) async fn take_files(
    conn: &mut SqliteConnection,
    cache_path: &Path,
    client_id: &str,
) -> Result<Vec<PathBuf>> {
    let names: Vec<String> =
        sqlx::query_scalar("DELETE FROM outbox_files WHERE client_id = ? RETURNING path")
            .bind(client_id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(copy_paths(cache_path, names))
}

/// The copies named `names` (a held file's empty name is no copy).
fn copy_paths(cache_path: &Path, names: Vec<String>) -> Vec<PathBuf> {
    let dir = files_dir(cache_path);
    names
        .into_iter()
        .filter(|n| !n.is_empty())
        .map(|n| dir.join(n))
        .collect()
}

/// The pending files of outbox items, by `client_id`: those of
/// conversation `conversation_id`, or of every item.
pub(super) async fn pending_files<'e>(
    ex: impl SqliteExecutor<'e>,
    conversation_id: Option<&str>,
) -> Result<HashMap<String, Vec<PendingFile>>> {
    let rows = sqlx::query(
        "SELECT f.client_id, f.filename, f.size FROM outbox_files f \
         JOIN messages m ON m.client_id = f.client_id AND m.id IS NULL \
         WHERE ?1 IS NULL OR m.conversation_id = ?1 ORDER BY f.client_id, f.seq",
    )
    .bind(conversation_id)
    .fetch_all(ex)
    .await?;
    let mut out: HashMap<String, Vec<PendingFile>> = HashMap::new();
    for r in &rows {
        out.entry(r.try_get("client_id")?)
            .or_default()
            .push(PendingFile {
                filename: r.try_get("filename")?,
                size: u64::try_from(r.try_get::<i64, _>("size")?).map_err(corrupt)?,
            });
    }
    Ok(out)
}

/// Removes outbox copies; one already gone is fine, one that cannot be
/// removed is logged (it is swept at the next start).
pub(super) async fn remove_copies(paths: &[PathBuf]) {
    for path in paths {
        match tokio::fs::remove_file(path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "an outbox copy could not be removed")
            }
        }
    }
}
