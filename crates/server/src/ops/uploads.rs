//! Files agents upload and attach to replies (docs/attachments.md).
//!
//! `POST /api/v1/uploads` stages the body in a temporary file
//! ([`staging`]), sniffs its type ([`sniff`]) and stores it in one write
//! ([`store_upload`]): the `uploads` row and its chunks, all or nothing. A
//! reply then names uploads in `attachment_ids`; [`link`] attaches them to
//! the new message in the reply's own transaction (the caller's own, not
//! attached elsewhere, at most [`MAX_ATTACHMENTS`]), so the outbox that
//! sends the reply finds them with it. Uploads never attached are removed
//! after a day ([`sweep`]), except those a saved reply holds ([`hold`]):
//! a reply naming one of those gets a copy of its own, so the saved reply
//! keeps its file for the next use.

pub mod sniff;
pub mod staging;

use chrono::Duration as ChronoDuration;
use switchboard_api::{AttachmentInfo, Upload};

use switchboard_core::saved_replies::can_see;
use switchboard_core::ReplyScope;

use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::settings::{value, Settings};
use crate::store::files::{self, Kind};
use crate::store::{db, new_id, Tx};

pub use staging::{stage, StageError, Staged};

/// Files one message may carry (Twilio's limit for one MMS, too).
pub const MAX_ATTACHMENTS: usize = 10;
/// The largest upload unless `SWITCHBOARD_UPLOAD_MAX_BYTES` says otherwise.
pub const DEFAULT_MAX_BYTES: u64 = 25 * 1024 * 1024;
/// Uploads not attached to a message are removed after this long.
pub const UNATTACHED_TTL: ChronoDuration = ChronoDuration::days(1);
/// Longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 200;

/// Upload settings.
#[derive(Debug, Clone)]
pub struct UploadConfig {
    /// Largest upload, in bytes (`SWITCHBOARD_UPLOAD_MAX_BYTES`).
    pub max_bytes: u64,
    /// Where bodies are staged while they arrive (the system's temporary
    /// directory unless set).
    pub staging_dir: Option<std::path::PathBuf>,
}

impl Default for UploadConfig {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
            staging_dir: None,
        }
    }
}

impl UploadConfig {
    /// Reads `upload_max_bytes`.
    pub fn from_settings(s: &Settings) -> anyhow::Result<Self> {
        let mut c = Self::default();
        if let Some(v) = value(&s.upload_max_bytes) {
            c.max_bytes = v.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                anyhow::anyhow!("SWITCHBOARD_UPLOAD_MAX_BYTES must be a whole number of bytes ≥ 1")
            })?;
        }
        Ok(c)
    }

    /// The staging directory.
    pub fn staging_dir(&self) -> std::path::PathBuf {
        self.staging_dir.clone().unwrap_or_else(std::env::temp_dir)
    }
}

/// `max` in words: `25 MiB`, `1.5 MiB`, `300 KiB`, `12 bytes`.
pub fn human_bytes(max: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    let fmt = |n: u64, unit: u64, name: &str| {
        if n.is_multiple_of(unit) {
            format!("{} {name}", n / unit)
        } else {
            format!("{:.1} {name}", n as f64 / unit as f64)
        }
    };
    if max >= MIB {
        fmt(max, MIB, "MiB")
    } else if max >= KIB {
        fmt(max, KIB, "KiB")
    } else {
        format!("{max} bytes")
    }
}

/// A file name as kept: its last path component, without control
/// characters, trimmed, at most 200 characters; `None` when nothing is left.
pub fn clean_filename(given: &str) -> Option<String> {
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let name = name.trim().trim_matches('.').trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// Whose an upload is: an agent's, or a widget visitor's (by session).
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    /// An agent, by id.
    Agent(&'a str),
    /// A widget visitor, by their session's id (their conversation's too).
    Visitor(&'a str),
}

impl Owner<'_> {
    /// Whether `file` is an upload of this owner's.
    fn owns(&self, file: &files::FileMeta) -> bool {
        file.kind == Kind::Upload
            && match self {
                Owner::Agent(id) => file.agent_id.as_deref() == Some(*id),
                Owner::Visitor(id) => file.session_id.as_deref() == Some(*id),
            }
    }
}

/// Stores a staged upload by `owner`: its row and chunks in this write.
pub async fn store_upload(
    tx: &mut Tx,
    owner: Owner<'_>,
    filename: &str,
    staged: &mut Staged,
) -> AppResult<Upload> {
    let id = new_id();
    let content_type = sniff::sniff(&staged.head);
    let size = i64::try_from(staged.size).unwrap_or(i64::MAX);
    let (agent_id, session_id) = match owner {
        Owner::Agent(a) => (Some(a), None),
        Owner::Visitor(s) => (None, Some(s)),
    };
    db::query(
        "INSERT INTO uploads (id, agent_id, session_id, filename, content_type, size, sha256, chunks, created_at, \
         conversation_id, message_id, position) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, NULL, NULL, NULL)",
    )
    .bind(&id)
    .bind(agent_id)
    .bind(session_id)
    .bind(filename)
    .bind(&content_type)
    .bind(size)
    .bind(&staged.sha256)
    .bind(tx.now.timestamp_millis())
    .execute(&mut *tx)
    .await?;
    let chunks = files::insert_chunks(tx, &id, &mut staged.file).await?;
    db::query("UPDATE uploads SET chunks = $1 WHERE id = $2")
        .bind(chunks)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    Ok(Upload {
        id,
        filename: filename.to_owned(),
        name: filename.to_owned(),
        content_type,
        size: staged.size,
        sha256: staged.sha256.clone(),
        created_at: tx.now,
    })
}

/// Checks the uploads an agent's new message names ([`check_owned`]); a
/// file of a saved reply the agent may use is copied for the message.
pub async fn check(tx: &mut Tx, caller: &Caller, ids: &[String]) -> AppResult<Vec<AttachmentInfo>> {
    check_files(tx, Owner::Agent(&caller.id), Some(caller), ids).await
}

/// Checks the uploads a new message names before it is written: the
/// owner's own, not attached elsewhere, no id twice, at most
/// [`MAX_ATTACHMENTS`]. Returns what the message will show, in order.
pub async fn check_owned(
    tx: &mut Tx,
    owner: Owner<'_>,
    ids: &[String],
) -> AppResult<Vec<AttachmentInfo>> {
    check_files(tx, owner, None, ids).await
}

/// [`check_owned`], and with `agent` the files of the saved replies they
/// may use, each replaced by a copy of its own.
async fn check_files(
    tx: &mut Tx,
    owner: Owner<'_>,
    agent: Option<&Caller>,
    ids: &[String],
) -> AppResult<Vec<AttachmentInfo>> {
    if ids.len() > MAX_ATTACHMENTS {
        return Err(AppError::invalid(
            "too_many_attachments",
            format!(
                "a message takes at most {MAX_ATTACHMENTS} attachments; this one names {}",
                ids.len()
            ),
        ));
    }
    let mut out: Vec<AttachmentInfo> = Vec::with_capacity(ids.len());
    for id in ids {
        if out.iter().any(|a| &a.id == id) {
            return Err(AppError::invalid(
                "duplicate_attachment",
                format!("upload {id} is named twice"),
            ));
        }
        let mut file = files::meta(&mut *tx, id).await?;
        if let (Some(agent), Some(f)) = (agent, &file) {
            if let Some(reply) = f.saved_reply_id.as_deref() {
                if may_use(tx, agent, reply).await? {
                    let copy = copy_upload(tx, &agent.id, f).await?;
                    out.push(copy.info());
                    continue;
                }
                file = None;
            }
        }
        let file = file.filter(|f| owner.owns(f) && f.saved_reply_id.is_none());
        let Some(file) = file else {
            return Err(AppError::invalid(
                "unknown_upload",
                format!("no upload {id} of yours: upload the file first"),
            ));
        };
        if file.message_id.is_some() {
            return Err(AppError::invalid(
                "upload_already_attached",
                format!(
                    "upload {id} ({}) is already attached to another message; upload it again",
                    file.filename
                ),
            ));
        }
        out.push(file.info());
    }
    Ok(out)
}

/// Attaches checked uploads ([`check`]) to a message just written.
pub async fn link(
    tx: &mut Tx,
    conversation_id: &str,
    message_id: &str,
    files: &[AttachmentInfo],
) -> AppResult<()> {
    for (position, f) in files.iter().enumerate() {
        let done = db::query(
            "UPDATE uploads SET conversation_id = $1, message_id = $2, position = $3 \
             WHERE id = $4 AND message_id IS NULL",
        )
        .bind(conversation_id)
        .bind(message_id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(&f.id)
        .execute(&mut *tx)
        .await?;
        if done != 1 {
            return Err(AppError::invalid(
                "upload_already_attached",
                format!("upload {} was attached to another message meanwhile", f.id),
            ));
        }
    }
    Ok(())
}

/// Whether `agent` may use saved reply `reply_id` (it exists and they see
/// it: core's `saved_replies::can_see`).
async fn may_use(tx: &mut Tx, agent: &Caller, reply_id: &str) -> AppResult<bool> {
    let row = db::query("SELECT scope, owner_id FROM saved_replies WHERE id = $1")
        .bind(reply_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(r) = row else { return Ok(false) };
    let scope: String = r.try_get("scope")?;
    let owner: Option<String> = r.try_get("owner_id")?;
    let scope = ReplyScope::parse(&scope).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(can_see(&agent.viewer(), scope, owner.as_deref()))
}

/// A copy of upload `f` (row and chunks, copied inside the database) as
/// `agent_id`'s own, not attached.
async fn copy_upload(
    tx: &mut Tx,
    agent_id: &str,
    f: &files::FileMeta,
) -> AppResult<files::FileMeta> {
    let id = new_id();
    db::query(
        "INSERT INTO uploads (id, agent_id, session_id, filename, content_type, size, sha256, chunks, created_at, \
         conversation_id, message_id, position, saved_reply_id) \
         SELECT $1, $2, NULL, filename, content_type, size, sha256, chunks, $3, NULL, NULL, NULL, NULL \
         FROM uploads WHERE id = $4",
    )
    .bind(&id)
    .bind(agent_id)
    .bind(tx.now.timestamp_millis())
    .bind(&f.id)
    .execute(&mut *tx)
    .await?;
    db::query(
        "INSERT INTO upload_chunks (upload_id, n, data) SELECT $1, n, data FROM upload_chunks WHERE upload_id = $2",
    )
    .bind(&id)
    .bind(&f.id)
    .execute(&mut *tx)
    .await?;
    Ok(files::FileMeta {
        id,
        agent_id: Some(agent_id.to_owned()),
        session_id: None,
        saved_reply_id: None,
        ..f.clone()
    })
}

/// Makes `ids` the files saved reply `reply_id` holds: each the caller's
/// own upload not attached to a message, or already this reply's. Files
/// the reply held and no longer names are let go (the sweep removes them).
pub async fn hold(tx: &mut Tx, caller: &Caller, reply_id: &str, ids: &[String]) -> AppResult<()> {
    for id in ids {
        let file = files::meta(&mut *tx, id).await?;
        match file {
            Some(f) if f.saved_reply_id.as_deref() == Some(reply_id) => {}
            Some(f)
                if Owner::Agent(&caller.id).owns(&f)
                    && f.message_id.is_none()
                    && f.saved_reply_id.is_none() => {}
            Some(f) if Owner::Agent(&caller.id).owns(&f) => {
                return Err(AppError::invalid(
                    "upload_already_attached",
                    format!(
                        "upload {id} ({}) belongs to a message or another saved reply; upload it again",
                        f.filename
                    ),
                ));
            }
            _ => {
                return Err(AppError::invalid(
                    "unknown_upload",
                    format!("no upload {id} of yours: upload the file first"),
                ));
            }
        }
    }
    db::query("UPDATE uploads SET saved_reply_id = NULL WHERE saved_reply_id = $1")
        .bind(reply_id)
        .execute(&mut *tx)
        .await?;
    for id in ids {
        db::query("UPDATE uploads SET saved_reply_id = $1 WHERE id = $2")
            .bind(reply_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Removes up to `limit` uploads never attached and older than
/// [`UNATTACHED_TTL`]; returns how many.
pub async fn sweep(tx: &mut Tx, limit: i64) -> AppResult<usize> {
    let cutoff = (tx.now - UNATTACHED_TTL).timestamp_millis();
    let ids: Vec<String> = db::query(
        "SELECT id FROM uploads WHERE created_at < $1 AND message_id IS NULL AND saved_reply_id IS NULL \
         ORDER BY created_at LIMIT $2",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all_scalar(&mut *tx)
    .await?;
    files::delete_uploads(tx, &ids).await?;
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(
            clean_filename("invoice.pdf").as_deref(),
            Some("invoice.pdf")
        );
        assert_eq!(
            clean_filename("C:\\Users\\me\\scan 1.png").as_deref(),
            Some("scan 1.png")
        );
        assert_eq!(
            clean_filename("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            clean_filename("a\r\nb\0.txt").as_deref(),
            Some("ab.txt"),
            "no header can be injected through a name"
        );
        assert_eq!(clean_filename(" .. "), None);
        assert_eq!(clean_filename("dir/"), None);
        assert_eq!(clean_filename(&"x".repeat(500)).map(|n| n.len()), Some(200));
    }

    #[test]
    fn limits_are_said_in_words() {
        assert_eq!(human_bytes(25 * 1024 * 1024), "25 MiB");
        assert_eq!(human_bytes(1536 * 1024), "1.5 MiB");
        assert_eq!(human_bytes(300 * 1024), "300 KiB");
        assert_eq!(human_bytes(12), "12 bytes");
    }
}
